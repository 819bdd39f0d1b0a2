#!/usr/bin/env bash
# Runs the system-call fuzzer (tests/el0/src/bin/fuzz_syscalls.rs) on its own
# boot, with a seed and a call count of your choice, and a generous EL0 time
# limit (el0.time_limit=600, more for runs beyond 54 million calls). The default suite runs the same program with
# its built-in seed and 100 000 calls; this script is for longer runs and
# other seeds.
#
#   scripts/fuzz.sh [--long] [--seed N] [--calls N] [--mem SIZE] [--no-build]
#
# Options:
#   --seed N     the seed (decimal or 0x-hex; default: the program's own)
#   --calls N    system calls to make (default 100000; --long: 20000000)
#   --long       a long run: 20 million calls (about 90 s of guest time)
#   --mem SIZE   guest RAM (default 1G)
#   --no-build   use the existing build/kernel8.img (the fuzzer is always
#                built, since seed and call count are compile-time)
#
# The seed and call count reach the program as FUZZ_SEED and FUZZ_CALLS at
# compile time (option_env!, which cargo tracks: changing them rebuilds).
# The build goes to target/fuzz/ and build/fuzz/, apart from the suite's
# outputs. A failing run prints the first violation with the call, its
# arguments and the number of calls before it; the same seed and count
# replay it exactly. Exit status: 0 if the fuzzer passed (QEMU's status).
set -euo pipefail
for a in "$@"; do
    case "$a" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seed="" calls="" long=0 mem=1G build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --seed) seed=$2; shift 2 ;;
        --calls) calls=$2; shift 2 ;;
        --long) long=1; shift ;;
        --mem) mem=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "fuzz.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
number='^([0-9]+|0[xX][0-9a-fA-F]+)$'
for v in "$seed" "$calls"; do
    [ -z "$v" ] || [[ "$v" =~ $number ]] || { echo "fuzz.sh: not a number: $v" >&2; exit 2; }
done
if [ -z "$calls" ] && [ "$long" = 1 ]; then
    calls=20000000
fi

if [ "$build" = 1 ]; then
    bash scripts/build.sh >/dev/null
fi
[ -f build/kernel8.img ] || { echo "fuzz.sh: build/kernel8.img missing (drop --no-build)" >&2; exit 2; }

# The fuzzer alone, with the parameters baked in.
env_vars=()
[ -n "$seed" ] && env_vars+=("FUZZ_SEED=$seed")
[ -n "$calls" ] && env_vars+=("FUZZ_CALLS=$calls")
env -u FUZZ_SEED -u FUZZ_CALLS "${env_vars[@]}" \
    cargo build -q -p el0-tests --bin fuzz_syscalls --target aarch64-unknown-none \
    --release --target-dir target/fuzz
sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
objcopy="$sysroot/lib/rustlib/$host/bin/llvm-objcopy"
mkdir -p build/fuzz
"$objcopy" --strip-debug target/fuzz/aarch64-unknown-none/release/fuzz_syscalls build/fuzz/fuzz_syscalls
bash scripts/mkinitrd.sh build/fuzz/initrd.cpio build/fuzz/fuzz_syscalls

# The EL0 time limit: 600 s, or more for very long runs (the fuzzer makes
# about 200 000 calls a second in QEMU); QEMU's own limit adds room for the
# boot.
limit=600
n=$((${calls:-100000}))
[ $((n / 100000 + 60)) -gt "$limit" ] && limit=$((n / 100000 + 60))
timeout_s=$((limit + 60))
log=build/fuzz/fuzz.log
echo "fuzz.sh: seed ${seed:-(built-in)}, $n calls, -m $mem, el0.time_limit=$limit; log in $log"
set +e
bash scripts/qemu.sh --no-build --quiet-cmd --mem "$mem" --timeout "$timeout_s" \
    --initrd build/fuzz/initrd.cpio --append "el0.time_limit=$limit" 2>&1 |
    tr -d '\r' | tee "$log" |
    grep --line-buffered -E '^(fuzz:|panic|\[kill\]|test |el0:|free pages:.*after|KERNEL PANIC|qemu.sh:)'
status=${PIPESTATUS[0]}
set -e
if [ "$status" = 0 ]; then
    echo "fuzz.sh: passed"
else
    echo "fuzz.sh: FAILED (status $status; full log in $log)"
fi
exit "$status"
