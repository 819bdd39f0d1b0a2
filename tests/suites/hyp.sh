# The resident EL2 layer (sourced by scripts/test.sh): isolation, the
# allow-list against a hostile guest, CPU_ON and CPU_SUSPEND through EL2. The
# EL0 suite itself runs under the layer in the virt-el2 boot of scripts/test.sh.

# The layer announces itself: Rust, its own link address, EL2 MMU on.
if boot hyp-launch 0 --el2 --no-initrd; then
    expect "hyp-launch: the Rust layer runs with its EL2 MMU and caches on" '^HYP: EL2 layer v2 in Rust at PA 0x[0-9a-f]+, linked at 0xff0000000000, EL2 MMU and caches on; boot core 0x0 in slot 0'
fi

# The guest touches the layer's memory: a stage-2 fault, reported at EL2,
# and QEMU stops with the failure status.
if boot hyp-isolation 1 --el2 --no-initrd --append selftest=hyp-isolation; then
    expect "hyp-isolation: runs as the layer's guest" '^mode: EL2 layer \+ EL1 guest \(hypervisor-lite v2 resident at EL2, stage 2 on'
    expect "hyp-isolation: stage-2 fault reported" '^HYP: stage-2 fault from the EL1 guest: data abort \(read\), translation fault'
    expect "hyp-isolation: guest VA reported" '^HYP:   guest VA  0xffff0000[0-9a-f]{8}$'
    expect "hyp-isolation: IPA reported" '^HYP:   IPA       0x0000000[0-9a-f]{9}$'
    expect "hyp-isolation: ESR reported" '^HYP:   ESR_EL2   0x[0-9a-f]{16}$'
    expect "hyp-isolation: machine stopped" '^HYP: stopping the machine'
fi

# PSCI from the guest: VERSION and CPU_ON trapped (HCR_EL2.TSC) and
# forwarded; the started core enters EL2 first; SYSTEM_OFF through the layer
# ends QEMU (no semihosting here: status 0 comes from PSCI).
if boot hyp-psci 0 --el2 --smp 2 --no-initrd --no-semihosting --append selftest=cpu-on; then
    expect "hyp-psci: PSCI_VERSION through the layer" '^psci:   version 1\.[0-9]+ \(Smc, trapped and forwarded by the EL2 layer\)'
    expect "hyp-psci: CPU_ON routed through EL2" '^HYP: core 0x1 \(slot 1\) entered EL2 from the firmware; stage 2 on, to the guest at EL1 entry 0x[0-9a-f]+$'
    expect "hyp-psci: the secondary checked in" '^selftest: cpu 0x1 started with PSCI CPU_ON and checked in'
fi

# Entered at EL1 the same kernel runs directly, and says so.
if boot el1-cpu-on 0 --smp 2 --no-initrd --append selftest=cpu-on; then
    expect "el1-direct: mode line" '^mode: EL1 direct'
    expect "el1-direct: CPU_ON without the layer" '^selftest: cpu 0x1 started with PSCI CPU_ON and checked in'
fi

# Interrupts pass through the layer: the guest's timer interrupt still ends
# a runaway program at its time limit.
if manifest_boot hyp-timer 0 time-limit --el2; then
    expect "hyp-timer: runs as the layer's guest" '^mode: EL2 layer \+ EL1 guest'
    expect "hyp-timer: the guest's timer interrupt kills the runaway program" '^test infinite_loop \.\.\. ok \(killed as expected, time-limit: time limit exceeded \(1 s\)\)$'
fi

# A hostile guest (kernel/src/selftest.rs, hyp_hostile): thousands of random
# SMC/HVC ids off the allow-list (junk in the upper half of x0), every
# start/resume function with entries in the layer's region, outside RAM,
# misaligned, and unknown targets; then each secondary started under a
# different CPU_ON id reports CurrentEL 1 at its entry and again at the resume
# entry of a power-down CPU_SUSPEND; the layer's state digest is unchanged.
if boot hyp-hostile 0 --el2 --smp 4 --no-initrd --append selftest=hyp-hostile; then
    expect "hyp-hostile: thousands of calls off the allow-list refused, none forwarded" \
        '^selftest: hyp-hostile: ([0-9]{4,}) calls off the allow-list \(seed 0x[0-9a-f]+\): \1 refused, 0 forwarded$'
    expect "hyp-hostile: refusals reported by the layer" \
        '^HYP: refused (Smc|Hvc) #0x[0-9a-f]+ function 0x[0-9a-f]{8} from the guest at 0x[0-9a-f]+: not on the allow-list'
    expect "hyp-hostile: bad entries, contexts and targets refused" \
        '^selftest: hyp-hostile: [0-9]{3,} start/resume calls with bad entries, contexts or targets refused$'
    for c in 1 2 3; do
        expect "hyp-hostile: core $c enters the guest through EL2" \
            "^HYP: core 0x$c \\(slot $c\\) entered EL2 from the firmware; stage 2 on, to the guest at EL1 entry 0x[0-9a-f]+\$"
        expect "hyp-hostile: core $c resumes through the layer" \
            "^HYP: core 0x$c \\(slot $c\\) back from a power-down CPU_SUSPEND; to the guest at EL1 resume entry 0x[0-9a-f]+\$"
        expect "hyp-hostile: core $c reports EL1 at its entry and at its resume entry" \
            "^selftest: hyp-hostile: core 0x$c started by CPU_ON 0x[0-9a-f]+: CurrentEL 1 at its entry; CPU_SUSPEND 0x[0-9a-f]+ \\(power-down\\): CurrentEL 1 at its resume entry\$"
    done
    expect "hyp-hostile: CPU_ON under the SMC32 id" '^selftest: hyp-hostile: core 0x[0-9]+ started by CPU_ON 0x84000003:'
    expect "hyp-hostile: CPU_ON under the SMC64 id" '^selftest: hyp-hostile: core 0x[0-9]+ started by CPU_ON 0xc4000003:'
    digests=$(sed -n 's/^selftest: hyp-hostile: layer state digest \(0x[0-9a-f]*\),.*/\1/p' "$out" | sort -u | wc -l)
    if [ "$digests" = 1 ] && [ "$(grep -c '^selftest: hyp-hostile: layer state digest' "$out")" = 2 ]; then
        pass "hyp-hostile: the layer's state digest is unchanged"
    else
        fail "hyp-hostile: the layer's state digest is unchanged" "see $out"
    fi
    expect "hyp-hostile: passed" '^selftest: hyp-hostile: passed$'
fi

# Without the layer (entered at EL1) the hostile test has nothing to test and fails.
if boot hyp-hostile-el1 1 --smp 4 --no-initrd --append selftest=hyp-hostile; then
    expect "hyp-hostile-el1: no layer, no pass" '^selftest: hyp-hostile: FAILED: no EL2 layer in this mode$'
fi

# The layer's tables and its stacks are just as far out of the guest's reach.
for part in tables stack; do
    if boot "hyp-isolation-$part" 1 --el2 --no-initrd --append "selftest=hyp-isolation-$part"; then
        expect "hyp-isolation-$part: stage-2 fault reported" '^HYP: stage-2 fault from the EL1 guest: data abort \(read\), translation fault'
        expect "hyp-isolation-$part: machine stopped" '^HYP: stopping the machine'
    fi
done

# raspi4b: no PSCI firmware. The loader releases the spin-table secondaries
# into the layer, which holds them; the hostile test then starts each with
# CPU_ON through the layer (SMC and HVC), and restarts one after CPU_OFF.
hyp_rpi4_mini="$logs/hyp-rpi4-hostile-mini-uart.raw"
rm -f "$hyp_rpi4_mini"
if boot hyp-rpi4-hostile 0 --board rpi4 --no-initrd --mini-uart "$hyp_rpi4_mini" --append selftest=hyp-hostile; then
    expect "hyp-rpi4-hostile: calls off the allow-list refused, none forwarded" \
        '^selftest: hyp-hostile: ([0-9]{4,}) calls off the allow-list \(seed 0x[0-9a-f]+\): \1 refused, 0 forwarded$'
    expect "hyp-rpi4-hostile: bad entries and targets refused" \
        '^selftest: hyp-hostile: [0-9]{2,} start/resume calls with bad entries, contexts or targets refused$'
    for c in 1 2 3; do
        expect "hyp-rpi4-hostile: core $c started from the layer's hold at EL1" \
            "^selftest: hyp-hostile: core 0x$c started by CPU_ON 0x[0-9a-f]+ from the layer's hold: CurrentEL 1 at its entry\$"
    done
    expect "hyp-rpi4-hostile: a core powered off into the hold starts again" \
        '^selftest: hyp-hostile: core 0x1 started again after CPU_OFF: CurrentEL 1 at its entry$'
    expect "hyp-rpi4-hostile: passed" '^selftest: hyp-hostile: passed$'
    out="$logs/hyp-rpi4-hostile-mini-uart.log"
    tr -d '\r' <"$hyp_rpi4_mini" >"$out" 2>/dev/null
    for c in 1 2 3; do
        expect "hyp-rpi4-hostile: core $c held in the layer from launch" \
            "^HYP: core 0x$c \\(slot $c\\) released from the spin table, held at EL2 in the layer until the guest starts it\$"
        expect "hyp-rpi4-hostile: core $c enters the guest through EL2" \
            "^HYP: core 0x$c \\(slot $c\\) started by the guest from the layer's hold; stage 2 on, to the guest at EL1 entry 0x[0-9a-f]+\$"
    done
fi
