#!/usr/bin/env bash
# Runs the loom model checks of the kernel's concurrency protocols on the
# host (docs/concurrency.md lists them and what each asserts). Every model
# runs its two or three threads in every interleaving up to a preemption
# bound and prints how many it explored.
#
#   scripts/loom.sh [--quick] [--bound N] [FILTER]
#
#   --quick     the bound scripts/test.sh uses (3: seconds once built)
#   --bound N   at most N preemptions per interleaving (default 4: about a
#               minute on two cores; each step up multiplies the time)
#   FILTER      only the models whose test name contains FILTER
#               (e.g. signals, handle, asid, cow, park, models::vm)
#
# Builds into target/loom (the --cfg loom build differs from every other;
# keeping it apart leaves the normal build's cache alone). Needs only cargo;
# the first run builds loom and its dependencies.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bound=4 filter=
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) bound=3 ;;
        --bound) bound=${2:?--bound needs a number}; shift ;;
        -*) echo "loom.sh: unknown option $1" >&2; exit 2 ;;
        *) filter=$1 ;;
    esac
    shift
done

export CARGO_TARGET_DIR="$root/target/loom"
export RUSTFLAGS="--cfg loom"
export LOOM_MAX_PREEMPTIONS=$bound
# Release: loom explores thousands of executions; debug builds are several
# times slower (and overflow loom's coroutine stacks on the ASID model).
# One test thread, so the printed counts come out in order.
mkdir -p "$CARGO_TARGET_DIR"
log="$CARGO_TARGET_DIR/loom.log"
cargo test -p kernel -p mm --lib --release -- --test-threads 1 --nocapture "${filter:-models::}" 2>&1 | tee "$log"
# A filter that matches nothing must not pass.
models=$(awk '/^test result: ok\./ { n += $4 } END { print n + 0 }' "$log")
if [ "${models:-0}" -eq 0 ]; then
    echo "loom.sh: no model ran${filter:+ for '$filter'}" >&2
    exit 1
fi
echo "loom.sh: $models models passed (preemption bound $bound)"
