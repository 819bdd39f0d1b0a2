#!/usr/bin/env bash
# Long runs of the concurrency stress programs (tests/el0/src/bin/smp_*.rs):
# boots them K times at 4 cores on virt at EL1, on virt under the EL2 layer
# and on raspi4b, with every round count multiplied by SCALE. Each boot must
# pass every program and give every page back. Ends with one line
# "N passed, M failed"; exits non-zero if anything failed.
#
#   scripts/stress.sh [-k K] [--scale SCALE] [--modes "el1 el2 rpi4"] [--no-build]
#
#   -k K           boots per mode and initrd (default 3)
#   --scale SCALE  round multiplier (default 10; 1 is the suite's own counts).
#                  The programs read it when they are compiled
#                  (ZK_STRESS_SCALE, el0_tests::smp::scale); this script
#                  builds its own copies in target/stress and build/stress,
#                  so build/el0 and the suite's initrd stay as they are
#   --modes LIST   which of el1, el2, rpi4 (default all three)
#   --no-build     use the existing build/kernel8.img (else scripts/build.sh
#                  runs first)
#   -h, --help     this text (and nothing else is done)
#
# The suite's smp programs run in one boot; those with a boot of their own
# in the manifest (smp_discardable, on the 128 MiB discard-reclaim boot, so
# that running out of memory is quick) in that boot, on virt only: raspi4b's
# RAM is fixed at 2 GiB. Logs: build/stress-logs/.
set -uo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

k=3 scale=10 modes="el1 el2 rpi4" build=1
while [ $# -gt 0 ]; do
    case "$1" in
        -k) k=$2; shift 2 ;;
        --scale) scale=$2; shift 2 ;;
        --modes) modes=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        *) echo "stress.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$k$scale" in *[!0-9]*) echo "stress.sh: -k and --scale take numbers" >&2; exit 2 ;; esac

if [ "$build" = 1 ]; then
    bash scripts/build.sh >/dev/null || { echo "stress.sh: build failed"; exit 1; }
fi
[ -f build/kernel8.img ] || { echo "stress.sh: no build/kernel8.img (run scripts/build.sh)" >&2; exit 1; }

# The programs, built with the scale.
sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
objcopy="$sysroot/lib/rustlib/$host/bin/llvm-objcopy"
ZK_STRESS_SCALE=$scale CARGO_TARGET_DIR=target/stress \
    cargo build -q -p el0-tests --target aarch64-unknown-none --release ||
    { echo "stress.sh: building the programs failed"; exit 1; }
out=build/stress
logs=build/stress-logs
mkdir -p "$out" "$logs"

# shellcheck source=tests/el0/manifest.sh
. tests/el0/manifest.sh
# initrd NAME PROGRAM...: build/stress/NAME.cpio with those programs.
initrd() {
    local name=$1 p bins=()
    shift
    for p in "$@"; do
        "$objcopy" --strip-debug "target/stress/aarch64-unknown-none/release/$p" "$out/$p"
        bins+=("$out/$p")
    done
    bash scripts/mkinitrd.sh "$out/$name.cpio" "${bins[@]}" >/dev/null
}
mapfile -t suite < <(manifest_suite | grep '^smp_')
initrd suite "${suite[@]}"
mapfile -t reclaim < <(manifest_programs discard-reclaim | grep '^smp_')
reclaim_mem=$(manifest_boot_args discard-reclaim | sed -n '/^--mem$/{n;p;q}')
[ "${#reclaim[@]}" -eq 0 ] || initrd reclaim "${reclaim[@]}"

# Longer counts need longer limits: the runner's per-program limit and
# QEMU's.
limit=$((60 * scale))
timeout=$((limit * (${#suite[@]} + 1)))

passed=0 failed=0 failures=()
# run NAME COUNT QEMU.SH-ARGS...: one boot, which must pass its COUNT
# programs and give every page back.
run() {
    local name=$1 count=$2 log status
    shift 2
    log="$logs/$name.log"
    local t0=$SECONDS
    bash scripts/qemu.sh --no-build --smp 4 --timeout "$timeout" \
        --append "el0.time_limit=$limit" "$@" 2>&1 | tr -d '\r' >"$log"
    status=${PIPESTATUS[0]}
    if [ "$status" = 0 ] && grep -q "^el0: $count passed, 0 failed" "$log" &&
        grep -Eq '^free pages: ([0-9]+) before the programs, \1 after$' "$log"; then
        passed=$((passed + 1))
        printf 'PASS %s (%ss)\n' "$name" $((SECONDS - t0))
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf 'FAIL %s: status %s, see %s\n' "$name" "$status" "$log"
        grep -E '^(test .*FAIL|panic|KERNEL PANIC)|FAIL' "$log" | head -n 10 | sed 's/^/    /'
    fi
}

echo "stress: ${#suite[@]} programs (+${#reclaim[@]} on ${reclaim_mem:-their own boot}), scale $scale, $k boots per mode: $modes"
for mode in $modes; do
    case "$mode" in
        el1) flags=() ;;
        el2) flags=(--el2) ;;
        rpi4) flags=(--board rpi4) ;;
        *) echo "stress.sh: unknown mode $mode (el1, el2, rpi4)" >&2; exit 2 ;;
    esac
    for i in $(seq 1 "$k"); do
        run "$mode-$i" "${#suite[@]}" "${flags[@]}" --initrd "$out/suite.cpio"
        if [ "${#reclaim[@]}" -gt 0 ] && [ "$mode" != rpi4 ]; then
            run "$mode-reclaim-$i" "${#reclaim[@]}" "${flags[@]}" --mem "$reclaim_mem" \
                --initrd "$out/reclaim.cpio"
        fi
    done
done

echo
[ "$failed" -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
