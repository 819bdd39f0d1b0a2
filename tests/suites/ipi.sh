# shellcheck shell=bash
# shellcheck disable=SC2154 # quick and out come from test.sh
# Every core's GIC CPU interface and the reschedule IPI (sourced by
# scripts/test.sh): `selftest=ipi` on four cores, on GICv2 and GICv3, at EL1
# and under the EL2 layer, and on raspi4b (GIC-400). Each secondary must say
# at bring-up that its interface is up; the boot core sends each secondary
# three reschedule IPIs, three to itself, and three round a ring in which each
# secondary passes it on (SGIs from every core); every secondary counts
# exactly what it took. A core that misses one makes the boot fail (status 1).

# ipi_boot NAME [QEMU.SH-ARGS...]: the IPI self-test on one board and mode.
ipi_boot() {
    local name=$1 i
    shift
    if boot "$name" 0 --no-initrd --append selftest=ipi --timeout 60 "$@"; then
        for i in 1 2 3; do
            expect "$name: core $i online with its GIC CPU interface up" \
                "^cpu: +core $i \\(0x$i\\) online, GIC CPU interface up\$"
            expect "$name: core $i took the boot core's reschedule IPIs" \
                "^selftest: ipi: core $i answered 3 of 3 \\(slowest [0-9]+ us\\)\$"
        done
        expect "$name: the boot core takes its own" '^selftest: ipi: the boot core took 3 of 3 of its own$'
        expect "$name: the ring 0 -> 1 -> 2 -> 3 -> 0 goes round" \
            '^selftest: ipi: ring 0 -> 1 -> 2 -> 3 -> 0 went round 3 of 3 times \(slowest [0-9]+ us\)$'
        expect "$name: every secondary answered every IPI" \
            '^selftest: ipi: ok: 3 of 3 secondaries answered every reschedule IPI$'
    fi
}
ipi_boot ipi-gicv2-el1 --gic 2
ipi_boot ipi-gicv3-el1 --gic 3
ipi_boot ipi-rpi4 --board rpi4
if [ "$quick" = 0 ]; then
    ipi_boot ipi-gicv2-el2 --gic 2 --el2
    ipi_boot ipi-gicv3-el2 --gic 3 --el2
fi

# No usable controller (irq=off): each secondary still comes online, says it
# has no interrupts and why, and stays idle; the self-test then fails.
if boot ipi-irq-off 1 --no-initrd --append "irq=off selftest=ipi" --timeout 60; then
    expect "ipi-irq-off: a secondary without interrupts is reported" \
        '^cpu: +core 1 \(0x1\) online, no interrupts: the boot core could not set up the GIC$'
    expect "ipi-irq-off: the others still come online" '^cpu: 4 of 4 core\(s\) online$'
    expect "ipi-irq-off: no secondary is reachable" \
        '^selftest: ipi: 0 of 3 online secondaries reachable by the reschedule SGI$'
    expect "ipi-irq-off: the self-test fails" '^selftest: ipi: FAILED$'
fi

# The GIC-400 also delivers the timer: a program asleep in `wfi` on raspi4b
# is killed at its time limit (the distributor and CPU interface are enabled
# by this kernel's own GICv2 driver).
if manifest_boot ipi-rpi4-wfi 0 wfi-limit --board rpi4 --timeout 60; then
    expect "ipi-rpi4-wfi: the program in a wfi loop is killed at its limit" \
        '^test wfi_loop \.\.\. ok \(killed as expected, time-limit: time limit exceeded \(1 s\)\)$'
fi
