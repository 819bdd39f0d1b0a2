#!/usr/bin/env bash
# The EL2 layer's cost. Boots the EL0 benchmark tests/el0/src/bin/vmo_costs.rs
# (its fault_64m row touches every page of a fresh 64 MiB VMO once: a TLB miss,
# a stage-1 and, under the layer, a stage-2 walk, and a page fault per page;
# its retouch_64m row reads the committed pages again: TLB misses only)
# entered at EL1 (no layer) and at EL2 (the kernel as the layer's guest), and
# prints per row: wall-clock median of N runs (no -icount) for EL1, EL2 and
# their ratio, then the instruction counts (-icount shift=0,sleep=off, one run:
# they repeat exactly). None of these rows traps to EL2: under the layer only
# stage 2 differs, so the instruction counts must match EL1's.
#
#   scripts/bench-hyp.sh [--runs N] [--no-build] [--baseline NAME=IMAGE]
#
# --baseline adds another kernel image (e.g. one built from a commit whose
# layer ran with its EL2 MMU and caches off) as a second set of columns.
# QEMU -M virt(,virtualization=on) -cpu cortex-a72 -smp 1 -m 1G. Not part of
# scripts/test.sh: nothing passes or fails on the figures. Logs go to
# target/bench-hyp/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

runs=5 build=1 kernels=("this=build/kernel8.img")
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --baseline) kernels+=("$2"); shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-hyp.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ "$build" = 1 ] && bash scripts/build.sh >/dev/null
work=target/bench-hyp
mkdir -p "$work"
bash scripts/mkinitrd.sh "$work/bench.cpio" build/el0/vmo_costs

# boot LOG IMAGE EL ICOUNT: one boot; its benchrow lines in LOG.
boot() {
    local log=$1 image=$2 el=$3 icount=$4 machine=virt
    [ "$el" = 2 ] && machine=virt,virtualization=on
    local args=(-nographic -no-reboot -monitor none -semihosting -M "$machine" -cpu cortex-a72
        -smp 1 -m 1G -kernel "$image" -initrd "$work/bench.cpio" -append exit=semihosting)
    [ "$icount" = 1 ] && args+=(-icount shift=0,sleep=off)
    timeout -k 5 300 qemu-system-aarch64 "${args[@]}" </dev/null 2>&1 | tr -d '\r' >"$log" || true
    grep -q '^bench: [a-z_]* done' "$log" || { echo "bench-hyp: $log did not finish" >&2; tail -5 "$log" >&2; exit 1; }
}

declare -A fig # "NAME EL MODE KEY" -> ns (MODE wall|icount)
for k in "${kernels[@]}"; do
    [ -f "${k#*=}" ] || { echo "bench-hyp: no ${k#*=}" >&2; exit 1; }
done
# Wall-clock runs interleaved (kernel, mode, kernel, mode, ...) so that a
# change in host load hits every column alike.
for i in $(seq "$runs"); do
    for k in "${kernels[@]}"; do
        for el in 1 2; do
            boot "$work/${k%%=*}-el$el-wall-$i.log" "${k#*=}" "$el" 0
        done
    done
done
for k in "${kernels[@]}"; do
    name=${k%%=*} image=${k#*=}
    for el in 1 2; do
        for key in $(sed -n 's/^benchrow: \([a-z0-9_]*\) .*/\1/p' "$work/$name-el$el-wall-1.log"); do
            fig["$name $el wall $key"]=$(for i in $(seq "$runs"); do
                sed -n "s/^benchrow: $key \([0-9]*\)$/\1/p" "$work/$name-el$el-wall-$i.log"
            done | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
        done
        boot "$work/$name-el$el-icount.log" "$image" "$el" 1
        while read -r key ns; do fig["$name $el icount $key"]=$ns; done < <(
            sed -n 's/^benchrow: \([a-z0-9_]*\) \([0-9]*\)$/\1 \2/p' "$work/$name-el$el-icount.log")
    done
    grep -h '^HYP: EL2 layer\|^mode:' "$work/$name-el2-icount.log" | sed "s/^/$name: /"
done

echo
echo "wall-clock ns per operation, median of $runs boots (QEMU TCG on this host: noisy); EL2/EL1 = the layer's cost"
printf '%-14s' row
for k in "${kernels[@]}"; do printf ' %10s %10s %7s' "${k%%=*}:EL1" "EL2" "EL2/EL1"; done
echo
keys=$(sed -n 's/^benchrow: \([a-z0-9_]*\) .*/\1/p' "$work/this-el1-icount.log")
for mode in wall icount; do
    [ "$mode" = icount ] && { echo; echo "instructions per operation (-icount shift=0,sleep=off: exact)"; }
    for key in $keys; do
        printf '%-14s' "$key"
        for k in "${kernels[@]}"; do
            n=${k%%=*}
            a=${fig["$n 1 $mode $key"]:-} b=${fig["$n 2 $mode $key"]:-}
            awk -v a="$a" -v b="$b" 'BEGIN { printf " %10s %10s %7s", a, b, (a > 0 ? sprintf("%.3f", b / a) : "-") }'
        done
        echo
    done
done
echo "logs: $work/"
