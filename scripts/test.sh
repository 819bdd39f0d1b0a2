#!/usr/bin/env bash
# Runs every test: formatting, lints, host unit tests, and QEMU boots whose
# serial output and exit status are checked. Ends with one line
# "N passed, M failed"; exits non-zero if anything failed.
#
#   scripts/test.sh [--quick]     --quick: skip the slower QEMU variants
#   scripts/test.sh -h | --help   this text (runs nothing)
set -uo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

quick=0
[ "${1:-}" = "--quick" ] && quick=1

passed=0 failed=0 failures=()
logs=build/test-logs
mkdir -p "$logs"

pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); printf 'FAIL %s%s\n' "$1" "${2:+: $2}"; }

# step NAME COMMAND...: a step passes when the command exits 0.
step() {
    local name=$1; shift
    local log="$logs/$name.log"
    if "$@" >"$log" 2>&1; then pass "$name"; else fail "$name" "see $log"; tail -n 30 "$log" | sed 's/^/    /'; fi
}

bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

step fmt cargo fmt --all --check
step clippy-host cargo clippy -q --all-targets -- -D warnings
step clippy-kernel cargo clippy -q --target aarch64-unknown-none-softfloat --release \
    -p kernel -p platform -- -D warnings
step clippy-el0 cargo clippy -q --target aarch64-unknown-none --release -p zx -p el0-tests -- -D warnings
step fetch-dtbs bash scripts/fetch-dtbs.sh
step unit-tests cargo test -q
step unit-tests-kernel cargo test -q -p kernel --lib
# The loom model checks of the concurrency protocols (docs/concurrency.md).
step loom-models bash scripts/loom.sh --quick
if ! step build bash scripts/build.sh; then
    echo "$passed passed, $failed failed"
    exit 1
fi

# The suite is what the manifest says it is: build/initrd.cpio holds
# manifest.txt, then exactly the manifest's suite programs in its order.
# shellcheck source=tests/el0/manifest.sh
. tests/el0/manifest.sh
programs=$(manifest_suite | wc -l)
if [ "$(cpio -it --quiet < build/initrd.cpio)" = "$(printf 'manifest.txt\n'; manifest_suite)" ]; then
    pass "initrd: manifest.txt, then the manifest's $programs suite programs"
else
    fail "initrd: manifest.txt, then the manifest's $programs suite programs" "cpio -it build/initrd.cpio differs"
fi

# boot NAME EXPECTED_STATUS QEMU.SH-ARGS... : boots once, keeps the log in
# $logs/NAME.log and sets $out and $status for the checks that follow.
boot() {
    local name=$1 expected=$2; shift 2
    out="$logs/$name.log"
    status=0
    # The console ends lines with CR LF; the checks want plain lines.
    bash scripts/qemu.sh --no-build "$@" 2>&1 | tr -d '\r' >"$out"
    status=${PIPESTATUS[0]}
    if [ "$status" != "$expected" ]; then
        fail "$name: exit status" "got $status, expected $expected (log $out)"
        # The verdicts that failed and the panics (EL0's and the kernel's, which
        # may share a line with another program's output), far from the tail
        # when several programs run at once.
        grep -E 'FAILED|panicked at' "$out" | head -n 20 | sed 's/^/    failed: /'
        tail -n 20 "$out" | sed 's/^/    /'
        return 1
    fi
    pass "$name: exit status $status"
}

# manifest_boot NAME EXPECTED_STATUS BOOT [QEMU.SH-ARGS...]: boot with the
# manifest's BOOT (its memory, boot arguments and programs) and the rest;
# checks that QEMU got its memory size and boot arguments.
manifest_boot() {
    local name=$1 expected=$2 b=$3 args mem arg
    shift 3
    if ! args=$(manifest_boot_args "$b"); then
        fail "$name: boot $b in tests/el0/manifest.txt"
        return 1
    fi
    # shellcheck disable=SC2086 # one word a line: options, values, paths
    boot "$name" "$expected" $args "$@" || return 1
    mem=$(sed -n '/^--mem$/{n;p;q}' <<<"$args")
    [ -z "$mem" ] || expect "$name: -m $mem as the manifest says" "^\+ qemu-system-aarch64 .* -m $mem "
    for arg in $(sed -n '/^--append$/{n;p}' <<<"$args"); do
        expect "$name: boot argument $arg as the manifest says" "^\+ qemu-system-aarch64 .* -append .*${arg//./\\.}( |\$)"
    done
}

# expect NAME REGEX: the last boot's output has a line matching REGEX.
expect() {
    if grep -Eq -- "$2" "$out"; then pass "$1"; else fail "$1" "no line matching /$2/ in $out"; fi
}

# free_mib_at_least NAME MIB: the boot log's free memory is at least MIB.
free_mib_at_least() {
    local mib
    mib=$(sed -n 's/^free pages: [0-9]* (\([0-9]*\) MiB)/\1/p' "$out" | head -1)
    if [ -n "$mib" ] && [ "$mib" -ge "$2" ]; then pass "$1 ($mib MiB free)"; else fail "$1" "free MiB '${mib}' < $2"; fi
}

# The EL0 suite: every program passes, none is missing, nothing leaks.
suite_checks() {
    local mode=$1
    expect "$mode: banner" '^zkernel [0-9.]+ \(aarch64\)'
    expect "$mode: memory map" '^memory: 0x[0-9a-f]+\.\.0x[0-9a-f]+ \([0-9]+ MiB\)'
    expect "$mode: all $programs programs passed" "^el0: $programs passed, 0 failed"
    expect "$mode: no pages leaked across the suite" '^free pages: ([0-9]+) before the programs, \1 after$'
    grep -E '^test .* \.\.\. ' "$out" | sed "s/^/    [$mode] /"
}

if boot virt-el1 0 --mem 1G; then
    expect "virt-el1: EL1 direct" '^mode: EL1 direct'
    # The kernel heap is 1/32nd of RAM (32 MiB here; 100 000 mappings must
    # fit in it), the image, tree and initrd about 8 MiB more.
    free_mib_at_least "virt-el1: -m 1G leaves close to 1 GiB free" 980
    suite_checks virt-el1
fi

if boot virt-el2 0 --el2 --mem 1G; then
    expect "virt-el2: EL2 layer + EL1 guest" '^mode: EL2 layer \+ EL1 guest'
    suite_checks virt-el2
fi

if boot virt-4g 0 --mem 4G --no-initrd; then
    expect "virt-4g: memory node is 4 GiB" '^memory: 0x0040000000\.\.0x0140000000 \(4096 MiB\)'
    free_mib_at_least "virt-4g: -m 4G leaves close to 4 GiB free" 4000
    expect "virt-4g: no initrd reported" '^no initrd: nothing to run'
fi

# A kernel bug must be reported and must stop QEMU with a failure status.
if boot kernel-fault 1 --no-initrd --append "selftest=kernel-fault"; then
    expect "kernel-fault: panic report" '^KERNEL PANIC: unexpected exception in the kernel'
    expect "kernel-fault: decoded ESR" 'ESR 0x[0-9a-f]+ \(EC 0x25: data abort from the same EL, translation fault, write\)'
    expect "kernel-fault: FAR and ELR" 'FAR 0x0*dead0000 +ELR 0xffff'
fi

# A program that never ends is killed by the timer interrupt at its limit.
if manifest_boot time-limit 0 time-limit; then
    expect "time-limit: runaway program killed" '^test infinite_loop \.\.\. ok \(killed as expected, time-limit: time limit exceeded \(1 s\)\)$'
    expect "time-limit: the runner goes on" '^el0: 1 passed, 0 failed'
fi

# Discardable VMOs are reclaimed under memory pressure.
if manifest_boot discard-reclaim 0 discard-reclaim; then
    expect "discard-reclaim: passes on little memory" '^test discard_reclaim \.\.\. ok$'
    expect "discard-reclaim: lockers against reclaim on four cores" '^test smp_discardable \.\.\. ok$'
fi
# The same under the EL2 layer, and on raspi4b, whose RAM QEMU fixes at
# 2 GiB: the kernel's mem.limit gives the allocator as little as -m does.
reclaim_programs=$(manifest_programs discard-reclaim | sed 's|^|build/el0/|')
reclaim_mem=$(manifest_boot_args discard-reclaim | sed -n '/^--mem$/{n;p;q}')
# shellcheck disable=SC2086 # one program path a line
if boot discard-reclaim-el2 0 --el2 --mem "$reclaim_mem" $reclaim_programs; then
    expect "discard-reclaim-el2: passes under the EL2 layer" '^test smp_discardable \.\.\. ok$'
    expect "discard-reclaim-el2: every page back" '^free pages: ([0-9]+) before the programs, \1 after$'
fi
# shellcheck disable=SC2086
if boot discard-reclaim-rpi4 0 --board rpi4 --append "mem.limit=$reclaim_mem" $reclaim_programs; then
    expect "discard-reclaim-rpi4: the allocator limited" "^memory: the page allocator limited to ${reclaim_mem%M} MiB"
    expect "discard-reclaim-rpi4: discard_reclaim passes" '^test discard_reclaim \.\.\. ok$'
    expect "discard-reclaim-rpi4: smp_discardable passes" '^test smp_discardable \.\.\. ok$'
    expect "discard-reclaim-rpi4: every page back" '^free pages: ([0-9]+) before the programs, \1 after$'
fi

# A kernel stack overflow is reported from the emergency stack.
if boot kernel-stack-overflow 1 --no-initrd --append "selftest=kernel-stack-overflow"; then
    expect "kernel-stack-overflow: panic report" '^KERNEL PANIC: unexpected exception in the kernel'
    expect "kernel-stack-overflow: named as a stack overflow" "guard page: stack overflow"
fi

# A thread's kernel stack has its own guard page: an overflow there is
# reported the same way.
if boot thread-stack-overflow 1 --no-initrd --append "selftest=thread-stack-overflow"; then
    expect "thread-stack-overflow: ran on a thread's stack" '^selftest: recursing on a thread.s kernel stack'
    expect "thread-stack-overflow: panic report" '^KERNEL PANIC: unexpected exception in the kernel'
    expect "thread-stack-overflow: named as a stack overflow" "guard page: stack overflow"
fi

# Software PAN: with an address space active, EL0 memory is reachable
# through the user-copy routine and faults everywhere else in the kernel.
if boot user-access 1 --no-initrd --append "selftest=user-access"; then
    expect "user-access: user_copy works" '^selftest: user_copy read EL0 address 0x1000000000: ok'
    expect "user-access: a direct read faults" '^KERNEL PANIC: unexpected exception in the kernel'
    expect "user-access: at the EL0 address" 'FAR 0x0*1000000000 '
fi

if [ "$quick" = 0 ]; then
    if boot virt-el1-smp4 0 --smp 4 --mem 512M; then
        expect "virt-smp4: every core online" '^cpu: 4 of 4 core\(s\) online$'
        expect "virt-smp4: suite passes" "^el0: $programs passed, 0 failed"
    fi
    if boot virt-el1-smp1 0 --smp 1 --mem 512M --no-initrd; then
        expect "virt-smp1: one core" '^cpu: 1 of 1 core\(s\) online$'
    fi
fi

# Further suites add their checks through the same helpers (pass, fail,
# boot, expect); each lives in its own file.
for extra in tests/suites/*.sh; do
    [ -f "$extra" ] || continue
    # shellcheck source=/dev/null
    . "$extra"
done

echo
if [ "$failed" -gt 0 ]; then
    echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
