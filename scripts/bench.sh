#!/usr/bin/env bash
# Benchmarks this kernel against Linux in the same QEMU, and prints one table:
# operation, this kernel, Linux, ratio (this kernel / Linux; below 1 means
# this kernel does less work), then the fault-scaling ratios.
#
#   scripts/bench.sh [--wall] [--no-build]
#
# Both sides boot in identical QEMU machines (-M virt -cpu cortex-a72, -m 1G;
# the scaling rows -m 2G, because 256 K committed pages are 1 GiB) with
# `-icount shift=0,sleep=off`, so the virtual counter advances one nanosecond
# per guest instruction: every figure is an instruction count. With several
# cores QEMU runs them one after another on one host thread (round robin),
# and the count is the sum over all cores (an idle core in wfi executes
# nothing). This kernel's figures repeat exactly from run to run (checked
# with -smp 1 and -smp 2). Linux's vary by up to a few percent from boot to boot:
# QEMU puts fresh random kaslr-seed and rng-seed values in the device tree
# at every boot, so the kernel and the peer's mappings land elsewhere each
# time. (`-M virt,dtb-randomness=off` fixes that, but leaves Linux's random
# number generator unseeded, and then its thread rows cost 2.5 to 4 times
# as much: not a fair Linux.)
# Both sides time the same way: the virtual counter around N iterations,
# the median of several batches.
#
# The boots and their rows:
#   main, -smp 1 -m 1G (this kernel also entered at EL2, the +EL2 column;
#     Linux twice: Debian's defaults with kpti=0, and the same with
#     randomize_kstack_offset=off, the lean column, which the ratio uses):
#     the VMO rows (tests/el0/src/bin/vmo_costs.rs; the map+unmap row is
#     vmo_create+map+unmap+close of 4 KiB against an anonymous mmap+munmap,
#     the nearer equal of the create row), then the thread rows
#     (thread_costs.rs) with everything on one core:
#     - thread create + start + join: zx::thread::spawn (stack VMO + map,
#       zx_thread_create, zx_thread_start) of a thread that returns at once,
#       then join (wait for ZX_THREAD_TERMINATED, close, unmap); Linux:
#       pthread_create (64 KiB stack, as on this kernel) + pthread_join
#     - context switch: two threads ping-ponging on two futex words on the
#       one core, per round trip (= two switches, two wakes, two waits);
#       Linux: futex(FUTEX_WAIT/WAKE_PRIVATE), both threads pinned to CPU 0
#   scaling, -smp 1 -m 2G: scaling_costs.rs (fault and page alloc/free cost
#     with memory nearly empty and nearly full)
#   object scaling, -smp 1 -m 1G, this kernel only: bench_scaling.rs, costs
#     that must not grow with the number of objects a program holds, as
#     pairs and ratios (few / many, with the target): map+unmap at a
#     kernel-chosen address and first-touch fault with 1 and with 10 000
#     mappings; vmo create+write+close (64 at a time) on a fresh heap and
#     on one fragmented by closing every other one of 10 000 VMOs; a
#     10 000-deep snapshot chain
#     closed leaf first, root first and interleaved (worst / best order);
#     kernel heap bytes per mapping and per handle, and whether 100 000
#     one-page mappings fit in a 1 GiB board's heap
#   threads, -smp 2 -m 1G: thread_costs.rs again; its ping-pong is the futex
#     wake/wait round trip between two cores. Linux pins the two threads to
#     CPUs 0 and 1; this kernel has no affinity call, its scheduler puts a
#     woken thread on an idle core (the boot log's benchinfo lines say how
#     many cores it had). Thread create + join is shown for -smp 2 as well
#     (unpinned on both sides).
#   fault scaling, -smp 4 -m 1G, `-accel tcg,thread=multi -mem-prealloc`
#     and NO -icount: thread_scaling.rs: 1, 2 and 4 threads writing one byte
#     to each page of their own part of one fresh 64 MiB VMO mapped once
#     (Linux: one anonymous mapping, no THP, worker i pinned to CPU i modulo
#     the CPUs); wall-clock ns per page from releasing the waiting workers
#     to the last one's end, median of 5 measurements in one boot (after
#     one untimed 4-thread measurement: TCG translates the fault path),
#     shown as throughput relative to one thread (ideal: N). Then the same
#     at -smp 2 (1 and 2 threads), which a 2-CPU host can run at once.
#     NOISY: host load, and a host with fewer CPUs than vCPUs cannot run
#     them all at once. -mem-prealloc keeps the host's first touch of guest
#     RAM (a host page fault per page, landing wherever a kernel's allocator
#     puts its frames) out of both sides' figures.
#   fault work, -smp 4 -m 1G under -icount: the same two programs. QEMU
#     then runs the four vCPUs one after another on one virtual clock, so
#     "ns per page" is every core's instructions per page, and one
#     thread's figure over N threads' is the work ratio (ideal: 1.00, no
#     instruction spent because threads fault at once: spin turns on a lock
#     held on another core, cross-core TLB shootdowns, cache-line retries).
#     Measurable on any host, and exact for a given build. A spin wait's
#     `yield` ends the waiter's turn, so the row counts a few instructions
#     per wait, not the wait: it shows extra work, not lost time, and no
#     memory-system contention, which only the wall-clock rows could.
#
# This kernel runs the EL0 programs above (`bench` in
# tests/el0/manifest.txt). Linux is Debian's
# arm64 kernel (package linux-image-arm64:arm64, booted with kpti=0,
# otherwise its defaults), and its side is bench/linux-peer, a static
# aarch64-unknown-linux-musl program
# that runs as the initramfs /init, sleeps 2 s for the boot's deferred work
# to finish, times Linux's closest equivalents and powers off.
#
# Options:
#   --wall       no -icount: wall-clock nanoseconds on this host. NOISY (host
#                load, TCG translation, frequency scaling); for a rough
#                sanity check only
#   --no-build   use the existing build/ outputs and the built peer
#
# Installs what it needs (Rust targets, QEMU, cpio; the arm64 Debian kernel
# package, about 57 MB, downloaded once into target/linux-bench/ or reused
# from target/dtb/cache/). Logs of the boots go to target/linux-bench/.
# Not part of scripts/test.sh: nothing here passes or fails on the figures.
set -euo pipefail
for a in "$@"; do
    case "$a" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

icount=1 build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --wall) icount=0; shift ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

log() { printf 'bench: %s\n' "$*" >&2; }
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        log "need root for: $*"; return 1
    fi
}

work=target/linux-bench
mkdir -p "$work"

# ---- tools -----------------------------------------------------------------
bash scripts/setup.sh >/dev/null
rustup target add aarch64-unknown-linux-musl >/dev/null 2>&1 ||
    rustup target add aarch64-unknown-linux-musl

# ---- this kernel and its bench programs --------------------------------------
if [ "$build" = 1 ]; then
    bash scripts/build.sh >/dev/null
fi
for p in build/kernel8.img build/el0/{vmo_costs,scaling_costs,bench_scaling,thread_costs,thread_scaling}; do
    [ -f "$p" ] || { log "missing $p (run without --no-build)"; exit 1; }
done
bash scripts/mkinitrd.sh "$work/zk-main.cpio" build/el0/vmo_costs build/el0/thread_costs
bash scripts/mkinitrd.sh "$work/zk-scaling.cpio" build/el0/scaling_costs
bash scripts/mkinitrd.sh "$work/zk-objscale.cpio" build/el0/bench_scaling
bash scripts/mkinitrd.sh "$work/zk-threads.cpio" build/el0/thread_costs
bash scripts/mkinitrd.sh "$work/zk-fscale.cpio" build/el0/thread_scaling

# ---- the Linux peer, as an initramfs with /init ---------------------------------
peer=target/linux-peer/aarch64-unknown-linux-musl/release/linux-peer
if [ "$build" = 1 ] || [ ! -f "$peer" ]; then
    (cd bench/linux-peer && cargo build -q --release)
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/dev" "$stage/proc"
cp "$peer" "$stage/init"
(cd "$stage" && printf '%s\n' init dev proc |
    cpio --quiet -o -H newc --reproducible >"$root/$work/peer.cpio")

# ---- Debian's arm64 kernel ------------------------------------------------------
# The versioned package behind the metapackage (the ABI number changes with
# security updates); the .deb is shared with scripts/fetch-dtbs.sh's cache.
resolve_pkg() {
    apt-cache depends linux-image-arm64:arm64 2>/dev/null |
        awk '/Depends: linux-image-/{print $2; exit}'
}
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "adding dpkg architecture arm64"
    as_root dpkg --add-architecture arm64
    as_root apt-get update -qq
fi
pkg=$(resolve_pkg)
if [ -z "$pkg" ]; then
    log "apt does not know linux-image-arm64:arm64 yet; running apt-get update"
    as_root apt-get update -qq
    pkg=$(resolve_pkg)
fi
[ -n "$pkg" ] || { log "cannot resolve linux-image-arm64:arm64"; exit 1; }
pkg=${pkg%:arm64}
kver=${pkg#linux-image-}
vmlinuz=$work/vmlinuz-$kver
if [ ! -s "$vmlinuz" ]; then
    deb=""
    for f in target/dtb/cache/"${pkg}"_*_arm64.deb "$work/${pkg}"_*_arm64.deb; do
        [ -f "$f" ] && { deb=$f; break; }
    done
    if [ -z "$deb" ]; then
        log "downloading $pkg:arm64 (about 57 MB, once)"
        sandbox=()
        [ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
        # A stale package index may name a version the mirror has dropped.
        (cd "$work" && apt-get download -q "${sandbox[@]}" "$pkg:arm64") || {
            as_root apt-get update -qq
            (cd "$work" && apt-get download -q "${sandbox[@]}" "$pkg:arm64")
        }
        for f in "$work/${pkg}"_*_arm64.deb; do deb=$f; done
        [ -f "$deb" ] || { log "apt-get download left no $pkg .deb in $work"; exit 1; }
    fi
    dpkg-deb --fsys-tarfile "$deb" | tar -x -O "./boot/vmlinuz-$kver" >"$vmlinuz.tmp"
    # QEMU boots an uncompressed arm64 Image; some kernels ship it gzipped.
    if [ "$(head -c 2 "$vmlinuz.tmp" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
        gunzip -c "$vmlinuz.tmp" >"$vmlinuz.img" && mv "$vmlinuz.img" "$vmlinuz.tmp"
    fi
    mv "$vmlinuz.tmp" "$vmlinuz"
    log "extracted vmlinuz-$kver from $(basename "$deb")"
fi

# ---- the boots -----------------------------------------------------------------------
machine() { # MEM SMP CLOCK: the QEMU arguments both sides share (MACHINE overrides -M);
    # CLOCK: icount (the default, unless --wall) or wall (multi-threaded TCG)
    printf '%s\n' -nographic -no-reboot -monitor none -M "${MACHINE:-virt}" -cpu cortex-a72 \
        -smp "$2" -m "$1"
    if [ "$3" = wall ]; then
        # -mem-prealloc: the host faults in all of guest RAM before the boot.
        # Otherwise a guest page's first use pays for a host page fault,
        # which lands on whichever guest frames a kernel's allocator hands
        # out, and two vCPUs faulting the host at once wait for each other.
        printf '%s\n' -accel tcg,thread=multi -mem-prealloc
    elif [ "$icount" = 1 ]; then
        printf '%s\n' -icount shift=0,sleep=off
    fi
}

# run NAME MEM SMP CLOCK KERNEL-ARGS...: boots, saves the console in
# $work/NAME.log. It must end with `benchdone` (the Linux peer), or with
# `bench: P done` for every program P in DONE (this kernel).
run() {
    local name=$1 mem=$2 smp=$3 clock=$4
    shift 4
    local args
    mapfile -t args < <(machine "$mem" "$smp" "$clock")
    args+=("$@")
    echo "+ qemu-system-aarch64 ${args[*]}" >&2
    local status=0
    timeout -k 5 600 qemu-system-aarch64 "${args[@]}" </dev/null 2>&1 |
        tr -d '\r' >"$work/$name.log" || status=$?
    local ok=1 p
    if [ -n "${DONE:-}" ]; then
        for p in $DONE; do grep -q "^bench: $p done" "$work/$name.log" || ok=0; done
    else
        grep -q '^benchdone' "$work/$name.log" || ok=0
    fi
    if [ "$ok" = 0 ]; then
        log "$name did not finish (status $status); the end of $work/$name.log:"
        tail -20 "$work/$name.log" >&2
        exit 1
    fi
}

zk=(-semihosting -kernel build/kernel8.img -append exit=semihosting)
lx=(-kernel "$vmlinuz" -initrd "$work/peer.cpio")
lx_cmdline="console=ttyAMA0 kpti=0 quiet rdinit=/init"
DONE="vmo_costs thread_costs" run zk-main 1G 1 icount "${zk[@]}" -initrd "$work/zk-main.cpio"
# The same kernel entered at EL2: the resident layer, the kernel as its guest.
DONE="vmo_costs thread_costs" MACHINE=virt,virtualization=on \
    run zk-main-el2 1G 1 icount "${zk[@]}" -initrd "$work/zk-main.cpio"
run linux-main 1G 1 icount "${lx[@]}" -append "$lx_cmdline -- main threads"
# Linux in its cheapest honest configuration: the same, without the random
# kernel-stack offset on every system call (the ratio column uses it).
run linux-main-lean 1G 1 icount "${lx[@]}" \
    -append "$lx_cmdline randomize_kstack_offset=off -- main threads"
DONE=scaling_costs run zk-scaling 2G 1 icount "${zk[@]}" -initrd "$work/zk-scaling.cpio"
run linux-scaling 2G 1 icount "${lx[@]}" -append "$lx_cmdline -- scaling"
DONE=bench_scaling run zk-objscale 1G 1 icount "${zk[@]}" -initrd "$work/zk-objscale.cpio"
DONE=thread_costs run zk-threads 1G 2 icount "${zk[@]}" -initrd "$work/zk-threads.cpio"
run linux-threads 1G 2 icount "${lx[@]}" -append "$lx_cmdline -- threads"
DONE=thread_scaling run zk-fscale 1G 4 wall "${zk[@]}" -initrd "$work/zk-fscale.cpio"
run linux-fscale 1G 4 wall "${lx[@]}" -append "$lx_cmdline -- fault-scaling"
# The same with two vCPUs, which a 2-CPU host can run at once.
DONE=thread_scaling run zk-fscale2 1G 2 wall "${zk[@]}" -initrd "$work/zk-fscale.cpio"
run linux-fscale2 1G 2 wall "${lx[@]}" -append "$lx_cmdline -- fault-scaling"
if [ "$icount" = 1 ]; then
    DONE=thread_scaling run zk-fwork 1G 4 icount "${zk[@]}" -initrd "$work/zk-fscale.cpio"
    run linux-fwork 1G 4 icount "${lx[@]}" -append "$lx_cmdline -- fault-scaling"
fi

# ---- the table ----------------------------------------------------------------------
declare -A figure # "zk KEY" / "linux KEY" -> ns
load() { # SIDE LOG [SUFFIX]: SUFFIX is appended to each key
    local key ns
    while read -r key ns; do
        figure["$1 $key${3:-}"]=$ns
    done < <(sed -n 's/^benchrow: \([a-z0-9_]*\) \([0-9]*\)$/\1 \2/p' "$2")
}
load zk "$work/zk-main.log"
load zk2 "$work/zk-main-el2.log"
load zk "$work/zk-scaling.log"
load linux "$work/linux-main.log"
load lean "$work/linux-main-lean.log"
load linux "$work/linux-scaling.log"
load zk "$work/zk-threads.log" _smp2
load linux "$work/linux-threads.log" _smp2
load zk "$work/zk-fscale.log"
load linux "$work/linux-fscale.log"
load zk "$work/zk-fscale2.log" _smp2
load linux "$work/linux-fscale2.log" _smp2

line() { # KEY LABEL: ratio = zkernel / the cheaper Linux
    local z=${figure["zk $1"]:-} l=${figure["linux $1"]:-} z2=${figure["zk2 $1"]:-}
    local l2=${figure["lean $1"]:-}
    awk -v label="$2" -v z="$z" -v l="$l" -v z2="$z2" -v l2="$l2" 'BEGIN {
        best = l
        if (l2 != "" && (best == "" || l2 + 0 < best + 0)) best = l2
        r = (z != "" && best != "" && best > 0) ? sprintf("%.2f", z / best) : "-"
        o = (z != "" && z2 != "" && z > 0) ? sprintf("%.2f", z2 / z) : "-"
        printf "%-52s %8s %8s %8s %8s %7s %7s\n", label, (z == "" ? "-" : z), (z2 == "" ? "-" : z2),
            (l == "" ? "-" : l), (l2 == "" ? "-" : l2), r, o
    }'
}

echo
if [ "$icount" = 1 ]; then
    echo "instructions per operation (QEMU -icount shift=0,sleep=off: 1 ns = 1 instruction)"
    echo "zkernel's figures repeat exactly; Linux's vary by a few percent from boot to boot (random DTB seeds)"
else
    echo "wall-clock ns per operation on this host (QEMU TCG, no -icount). NOISY: varies with host load; ratios are rough"
fi
echo "zkernel = this kernel ($(git describe --always --dirty 2>/dev/null || echo unknown)); linux = Debian $kver, kpti=0"
echo
echo "zkernel = entered at EL1 (EL1 direct); +EL2 = entered at EL2 (EL2 layer + EL1 guest, stage 2 on);"
echo "linux = Debian's defaults (kpti=0); lean = the same with randomize_kstack_offset=off (-m 1G rows only)"
echo "ratio = zkernel / the cheaper Linux; EL2/EL1 = the layer's cost (1.00 = none)"
printf '%-52s %8s %8s %8s %8s %7s %7s\n' "operation (zkernel / linux)" zkernel +EL2 linux lean ratio EL2/EL1
echo "-m 1G"
line null_syscall     "null syscall: handle_close(INVALID) / getppid"
line create_4k        "vmo_create 4 KiB + close / memfd+ftruncate+close *"
line map_cycle_4k     "vmo_create+map+unmap+close 4 KiB / mmap+munmap"
line create_1t        "vmo_create 1 TiB + close / same, 1 TiB"
line fault_64m        "first-touch fault per page, 64 MiB (no THP)"
line write_4k         "vmo_write / pwrite 4 KiB"
line read_4k          "vmo_read / pread 4 KiB"
echo "-m 2G, scaling (per page)"
line fault_after_1k   "fault, 1 K pages already committed"
line fault_after_256k "fault, 256 K pages already committed"
line allocfree_empty  "page alloc+free (64 KiB map/touch/unmap), mem empty"
line allocfree_full   "page alloc+free, mem nearly full (32 MiB left)"
echo "-m 1G, threads, -smp 1 (linux: both threads pinned to CPU 0)"
line thread_create_join "thread create+start+join / pthread_create+join"
line futex_pingpong   "context switch: futex ping-pong round trip, 1 core"
echo "-m 1G, threads, -smp 2 (linux: ping-pong threads pinned to CPUs 0 and 1)"
line thread_create_join_smp2 "thread create+start+join / pthread_create+join"
line futex_pingpong_smp2 "futex wake/wait round trip, 2 cores"
echo "* Linux's side of the create rows is three calls that build a file, an inode and a dentry:"
echo "  more work than a VMO; the map+unmap row is the nearer equal"

echo
echo "object scaling, zkernel only, -smp 1 -m 1G (bench_scaling.rs): few / many objects"
printf '%-56s %9s %9s %7s %8s\n' operation few many ratio target
sed -n 's/^bench: \(.*(target <= .*\)$/\1/p' "$work/zk-objscale.log" |
    sed 's/ (target <= \(.*\))$/ \1/' | awk '{ t = $NF; r = $(NF-1); m = $(NF-2); f = $(NF-3)
        $NF = ""; $(NF-1) = ""; $(NF-2) = ""; $(NF-3) = ""; sub(/ +$/, "")
        printf "%-56s %9s %9s %7s %8s\n", $0, f, m, r, "<= " t }'
grep -h '^bench: \(snapshot chain\|kernel heap bytes\|one-page mappings made\)' "$work/zk-objscale.log" |
    sed 's/^bench: /  /'

echo
# fault_ratios SUFFIX THREADS...: one row per thread count, ns per page and
# throughput relative to one thread's, this kernel's beside Linux's.
fault_ratios() {
    local suffix=$1 n
    shift
    for n in "$@"; do
        awk -v n="$n" -v z1="${figure["zk fault_threads_1$suffix"]:-}" \
            -v zn="${figure["zk fault_threads_$n$suffix"]:-}" \
            -v l1="${figure["linux fault_threads_1$suffix"]:-}" \
            -v ln="${figure["linux fault_threads_$n$suffix"]:-}" 'BEGIN {
            zr = (z1 != "" && zn > 0) ? sprintf("%.2f", z1 / zn) : "-"
            lr = (l1 != "" && ln > 0) ? sprintf("%.2f", l1 / ln) : "-"
            printf "%-8s %16s %14s %16s %14s\n", n, (zn == "" ? "-" : zn), zr, (ln == "" ? "-" : ln), lr
        }'
    done
}
echo "fault throughput, N threads faulting disjoint pages of one 64 MiB VMO / anonymous mapping"
echo "wall clock: -m 1G -accel tcg,thread=multi -mem-prealloc, no -icount; median of 5; NOISY"
echo "(this host has $(nproc) CPU(s), shared with whatever else runs); ratio = throughput / 1 thread's"
echo "-smp 4"
printf '%-8s %16s %14s %16s %14s\n' threads "zkernel ns/page" "zkernel ratio" "linux ns/page" "linux ratio"
fault_ratios "" 1 2 4
echo "-smp 2"
fault_ratios _smp2 1 2
if [ "$icount" = 1 ]; then
    load zk "$work/zk-fwork.log" _work
    load linux "$work/linux-fwork.log" _work
    echo
    echo "fault work, the same under -icount (-smp 4): the cores run one after another, so ns/page"
    echo "is every core's instructions per page; ratio = 1 thread's / N threads' (ideal 1.00: no work"
    echo "spent on faulting at once; exact, but blind to memory-system contention)"
    printf '%-8s %16s %14s %16s %14s\n' threads "zkernel ins/page" "zkernel ratio" "linux ins/page" "linux ratio"
    fault_ratios _work 1 2 4
fi
echo
for f in zk-threads zk-fscale zk-fscale2; do
    grep -h '^cpu: [0-9]* of [0-9]* core(s) online' "$work/$f.log" |
        sed "s/^cpu: /note: $f: zkernel brought up /"
done
grep -h '^benchinfo:' "$work"/zk-scaling.log "$work"/zk-threads.log \
    "$work"/linux-{main,main-lean,scaling,threads,fscale,fscale2}.log |
    sed 's/^benchinfo: /note: /'
echo "logs: $work/{zk,linux}-{main,scaling,threads,fscale,fscale2,fwork}.log, $work/zk-main-el2.log, $work/linux-main-lean.log, $work/zk-objscale.log"
