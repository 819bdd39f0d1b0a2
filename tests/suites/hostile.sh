# shellcheck shell=bash
# shellcheck disable=SC2154 # out comes from test.sh
# Hostile programs (sourced by scripts/test.sh after the main boots):
# memory exhaustion on little RAM, the kernel heap under pressure, programs
# that fault in every way the suite knows, and the system-call fuzzer on
# little RAM. The default suite already runs fuzz_syscalls (fixed seed,
# 100 000 calls) and user_pointers; longer fuzzing is scripts/fuzz.sh.
#
# Uses test.sh's pass, fail, boot, manifest_boot, expect and $out; the
# programs with boots of their own, and their memory, come from
# tests/el0/manifest.txt. The checks after each
# boot run even when the boot's status is wrong, so that every program's
# line is reported.

# hostile_runner_checks NAME N: the runner's summary for N programs, and
# every page back after them.
hostile_runner_checks() {
    expect "$1: el0: $2 passed, 0 failed" "^el0: $2 passed, 0 failed$"
    expect "$1: no page leaked" '^free pages: ([0-9]+) before the programs, \1 after$'
}

# Memory exhaustion, all in one boot on 128 MiB: committing with
# ZX_VMO_OP_COMMIT until NO_MEMORY, faulting pages in until the kernel kills
# the program, one-page VMOs until NO_MEMORY or NO_RESOURCES, and the heap at
# its reserve (the status that reports it, and user copies that need no
# memory). Each gets the error or is killed with a report; the kernel
# survives, the next program runs, and all memory comes back.
manifest_boot pressure 0 pressure build/el0/hello
expect "pressure: COMMIT until NO_MEMORY, every page back" \
    '^test commit_exhaustion \.\.\. ok$'
expect "pressure: page faults until memory runs out: killed with a report" \
    '^test fault_exhaustion \.\.\. ok \(killed as expected, out-of-memory: page fault: write at 0x[0-9a-f]+, out of memory\)$'
expect "pressure: one-page VMOs until NO_MEMORY or NO_RESOURCES, then all closed" \
    '^test handle_exhaustion \.\.\. ok$'
expect "pressure: heap at its reserve: NO_MEMORY, user copies still work" \
    '^test heap_low_copies \.\.\. ok$'
expect "pressure: the next program runs" '^test hello \.\.\. ok$'
hostile_runner_checks pressure 5

# One mapping cut into pieces by zx_vmar_unmap until the kernel refuses:
# the kernel must not run out of heap itself (its own boot: a kernel panic
# would end the others).
manifest_boot mapping-split 0 mapping-split build/el0/hello
expect "mapping-split: unmap splits end in OK or NO_MEMORY, no kernel panic" \
    '^test mapping_split_exhaustion \.\.\. ok$'
expect "mapping-split: the next program runs" '^test hello \.\.\. ok$'
hostile_runner_checks mapping-split 2

# Faulting programs in a row: each is killed with a report naming the
# fault, and the runner goes on. QEMU does not check SP alignment, so there
# the misaligned-SP program ends in an alignment fault of its exclusive
# load through the same SP (on hardware: "misaligned stack pointer").
boot faults 0 build/el0/null_read build/el0/stack_overflow \
    build/el0/exec_data build/el0/write_rodata build/el0/udf \
    build/el0/misaligned_sp build/el0/hello
expect "faults: NULL dereference" \
    '^test null_read \.\.\. ok \(killed as expected, page-fault/read/unmapped: page fault: read at 0x0, unmapped address\)$'
expect "faults: stack overflow into the guard page" \
    '^test stack_overflow \.\.\. ok \(killed as expected, page-fault/write/unmapped: page fault: write at 0x7ffefffe[0-9a-f]{4}, unmapped address\)$'
expect "faults: jump to a non-executable page" \
    '^test exec_data \.\.\. ok \(killed as expected, page-fault/execute/permission: page fault: execute at 0x[0-9a-f]+, access not permitted by the mapping\)$'
expect "faults: write to rodata" \
    '^test write_rodata \.\.\. ok \(killed as expected, page-fault/write/permission: page fault: write at 0x[0-9a-f]+, access not permitted by the mapping\)$'
expect "faults: undefined instruction" \
    '^test udf \.\.\. ok \(killed as expected, undefined: undefined instruction\)$'
expect "faults: misaligned SP" \
    '^test misaligned_sp \.\.\. ok \(killed as expected, alignment: (misaligned stack pointer 0x[0-9a-f]+|alignment fault at 0x[0-9a-f]+)\)$'
expect "faults: the runner goes on" '^test hello \.\.\. ok$'
hostile_runner_checks faults 7

# The fuzzer on little memory (its page budget is 32 MiB).
boot fuzz-128m 0 --mem 128M build/el0/fuzz_syscalls
expect "fuzz-128m: 100 000 calls, no violation" \
    '^fuzz: seed 0x[0-9a-f]+: [0-9]{6,} calls and [0-9]+ memory touches in [0-9.]+ s, [0-9]+ purges, 0 violations$'
expect "fuzz-128m: passes" '^test fuzz_syscalls \.\.\. ok$'
hostile_runner_checks fuzz-128m 1
