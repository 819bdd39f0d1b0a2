# shellcheck shell=bash
# shellcheck disable=SC2154 # programs and out come from test.sh
# Both GIC versions of QEMU virt (sourced by scripts/test.sh): the suite on a
# GICv3 (-M virt,gic-version=3), a program asleep in `wfi` killed at its time
# limit on GICv3 and GICv2, at EL1 and under the EL2 layer, and the refusal
# to start programs when no interrupt controller is usable (the boot
# argument irq=off, a test hook: QEMU virt always has a GIC).
#
# The wfi boots have a short timeout: without a working timer interrupt
# nothing ever wakes the core, the boot hangs and times out (status 124).

gic_v3_line='^gic:    GICv3, distributor 0x8000000, redistributors 0x80a0000\.\.0x9000000$'
gic_timer_line='^interrupts: GICv%s, virtual timer INTID 27 \(EL0 time limit on\)$'
wfi_killed='^test wfi_loop \.\.\. ok \(killed as expected, time-limit: time limit exceeded \(1 s\)\)$'

if boot gicv3-el1 0 --gic 3 --mem 1G; then
    expect "gicv3-el1: GICv3 distributor and redistributor region from the tree" "$gic_v3_line"
    # shellcheck disable=SC2059 # the format is ours
    expect "gicv3-el1: the timer interrupt through the GICv3" "$(printf "$gic_timer_line" 3)"
    suite_checks gicv3-el1
fi

if [ "$quick" = 0 ] && boot gicv3-el2 0 --gic 3 --el2 --mem 1G; then
    expect "gicv3-el2: EL2 layer + EL1 guest" '^mode: EL2 layer \+ EL1 guest'
    # shellcheck disable=SC2059
    expect "gicv3-el2: the timer interrupt through the GICv3" "$(printf "$gic_timer_line" 3)"
    suite_checks gicv3-el2
fi

# gic_wfi_boot NAME VERSION [QEMU.SH-ARGS...]: the wfi program on one GIC and mode.
gic_wfi_boot() {
    local name=$1 version=$2
    shift 2
    if manifest_boot "$name" 0 wfi-limit --gic "$version" --timeout 60 "$@"; then
        # shellcheck disable=SC2059
        expect "$name: the timer interrupt through the GICv$version" "$(printf "$gic_timer_line" "$version")"
        expect "$name: the program in a wfi loop is killed at its limit" "$wfi_killed"
        expect "$name: el0: 1 passed, 0 failed" '^el0: 1 passed, 0 failed$'
    fi
}
gic_wfi_boot gicv3-wfi-el1 3
gic_wfi_boot gicv3-wfi-el2 3 --el2
gic_wfi_boot gicv2-wfi-el1 2
if [ "$quick" = 0 ]; then
    gic_wfi_boot gicv2-wfi-el2 2 --el2
    # Four cores: the boot core still finds its own redistributor.
    gic_wfi_boot gicv3-wfi-smp4 3 --smp 4
    # More than 8 cores: QEMU picks the GICv3 itself.
    if manifest_boot gic-default-smp9 0 wfi-limit --smp 9 --timeout 60; then
        expect "gic-default-smp9: QEMU's own choice is a GICv3" "$gic_v3_line"
        expect "gic-default-smp9: the program in a wfi loop is killed at its limit" "$wfi_killed"
    fi
    # 130 cores: a second redistributor region (at 256 GiB), mapped too.
    if manifest_boot gicv3-smp130 0 wfi-limit --smp 130 --timeout 60; then
        expect "gicv3-smp130: both redistributor regions from the tree" \
            '^gic:    GICv3, distributor 0x8000000, redistributors 0x80a0000\.\.0x9000000, 0x4000000000\.\.0x4004000000$'
        expect "gicv3-smp130: the program in a wfi loop is killed at its limit" "$wfi_killed"
    fi
fi

# No usable interrupt controller: the kernel says so and runs nothing.
if boot irq-off 1 --gic 3 --append irq=off; then
    expect "irq-off: the refusal is explained" \
        '^interrupts: none usable \(disabled by the boot argument irq=off\): EL0 programs not started, they could not be preempted$'
    if grep -Eq '^(test |el0: )' "$out"; then
        fail "irq-off: no program started" "$(grep -E '^(test |el0: )' "$out" | head -3)"
    else
        pass "irq-off: no program started"
    fi
fi
