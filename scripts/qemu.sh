#!/usr/bin/env bash
# Builds the kernel and boots it in QEMU.
#
#   scripts/qemu.sh [options] [PROGRAM.elf ...]
#
# With programs, the initrd holds exactly those (in that order, after the
# manifest, tests/el0/manifest.txt); without, the project's own EL0 test
# programs. The exit status is the kernel's verdict (0 only if every program
# passed), 124 on timeout.
#
# Options:
#   --board virt|rpi4   machine (default virt; rpi4 is QEMU raspi4b)
#   --el2               enter at EL2 (virt: virtualization=on; rpi4 always does)
#   --mem SIZE          RAM, e.g. 1G (virt only; default 1G)
#   --numa SIZES        virt only: one NUMA node per comma-separated size, e.g.
#                       512M,512M,3G (RAM is their sum; --mem is ignored). QEMU
#                       then writes one /memory node per NUMA node, laid out
#                       from 0x40000000 in order; CPU 0 is in node 0
#   --smp N             cores (default 4, as on a Raspberry Pi 4; the kernel
#                       schedules threads on every one)
#   --gic 2|3           virt: the GIC version (-M virt,gic-version=N; default
#                       QEMU's: 2 for up to 8 cores, 3 for more)
#   --gdb               start halted and wait for a debugger: QEMU's gdb stub
#                       listens on 127.0.0.1 only (port 1234, or --gdb-port);
#                       then `gdb-multiarch build/kernel.elf` and
#                       `target remote 127.0.0.1:1234` (see the README)
#   --gdb-port PORT     the gdb stub's port (default 1234; implies --gdb)
#   --timeout SECS      stop QEMU after SECS seconds (default 120, with --gdb
#                       never; 0 = never)
#   --icount            deterministic instruction counting (-icount shift=0,sleep=off)
#   --append ARGS       extra kernel command line
#   --no-semihosting    no `exit=semihosting`: the kernel powers off as on real
#                       hardware, and QEMU's status carries less. virt: PSCI
#                       SYSTEM_OFF, status 0 pass or fail (read the console).
#                       rpi4: the BCM2835 watchdog halt, status 0, after a pass;
#                       after a failure the core halts (status 124 at timeout)
#   --kernel FILE       boot FILE instead of build/kernel8.img
#   --dtb FILE          rpi4: this device tree instead of Debian's
#                       bcm2711-rpi-4-b.dtb (fetched by scripts/fetch-dtbs.sh)
#   --initrd FILE       this initrd instead of build/initrd.cpio
#   --mini-uart FILE    rpi4: write the mini UART (the real board's console,
#                       QEMU's second serial port) to FILE; default: discarded.
#                       The first serial port, the PL011, is the terminal
#   --mini-uart-tcp PORT  rpi4: the mini UART as a TCP server on 127.0.0.1:PORT;
#                       QEMU waits for a client before it starts the guest
#                       (scripts/chainboot.sh tcp:127.0.0.1:PORT talks to it)
#   --no-build          use the existing build/ outputs
#   --no-initrd         boot without an initrd
#   --print-cmd         print the QEMU command line before running it
#   -h, --help          this text (and nothing else is done)
set -euo pipefail
for a in "$@"; do
    case "$a" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

timeout_given=0
board=virt el2=0 mem=1G numa="" gdb_port=1234 smp=4 gdb=0 timeout_s=120 icount=0 append="" build=1 initrd_on=1 print_cmd=1
semihosting=1 kernel=build/kernel8.img dtb="" initrd_file="" mini_uart="" mini_uart_tcp="" gic=""
programs=()
while [ $# -gt 0 ]; do
    case "$1" in
        --board) board=$2; shift 2 ;;
        --el2) el2=1; shift ;;
        --mem) mem=$2; shift 2 ;;
        --numa) numa=$2; shift 2 ;;
        --gdb-port) gdb=1; gdb_port=$2; shift 2 ;;
        --smp) smp=$2; shift 2 ;;
        --gic) gic=$2; shift 2 ;;
        --gdb) gdb=1; shift ;;
        --timeout) timeout_s=$2; timeout_given=1; shift 2 ;;
        --icount) icount=1; shift ;;
        --append) append="$append $2"; shift 2 ;;
        --no-semihosting) semihosting=0; shift ;;
        --kernel) kernel=$2; shift 2 ;;
        --dtb) dtb=$2; shift 2 ;;
        --initrd) initrd_file=$2; shift 2 ;;
        --mini-uart) mini_uart=$2; shift 2 ;;
        --mini-uart-tcp) mini_uart_tcp=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --no-initrd) initrd_on=0; shift ;;
        --print-cmd) print_cmd=1; shift ;;
        --quiet-cmd) print_cmd=0; shift ;;
        --*) echo "qemu.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) programs+=("$1"); shift ;;
    esac
done

if ! command -v qemu-system-aarch64 >/dev/null || [ "$board" = rpi4 ]; then
    bash scripts/setup.sh
fi

if [ "$build" = 1 ]; then
    bash scripts/build.sh >/dev/null
fi

for f in "$kernel" ${dtb:+"$dtb"} ${initrd_file:+"$initrd_file"}; do
    [ -f "$f" ] || { echo "qemu.sh: $f: no such file" >&2; exit 2; }
done

args=(-nographic -no-reboot)
[ "$semihosting" = 1 ] && args+=(-semihosting)
case "$board" in
    virt)
        machine=virt
        [ "$el2" = 1 ] && machine="virt,virtualization=on"
        case "$gic" in
            "") ;;
            2|3) machine="$machine,gic-version=$gic" ;;
            *) echo "qemu.sh: --gic $gic: 2 or 3" >&2; exit 2 ;;
        esac
        [ -z "$dtb" ] || { echo "qemu.sh: --dtb is for --board rpi4 (virt builds its own tree)" >&2; exit 2; }
        [ -z "$mini_uart$mini_uart_tcp" ] || { echo "qemu.sh: --mini-uart is for --board rpi4 (virt has one UART)" >&2; exit 2; }
        [[ "$gdb_port" =~ ^[0-9]+$ ]] || { echo "qemu.sh: --gdb-port $gdb_port is not a port number" >&2; exit 2; }
        if [ -n "$numa" ]; then
            # One memory backend and NUMA node per size; RAM is their sum (MiB).
            total=0 node=0
            numa_args=()
            IFS=, read -r -a sizes <<<"$numa"
            for size in "${sizes[@]}"; do
                case "$size" in
                    *[0-9]G) mib=$((${size%G} * 1024)) ;;
                    *[0-9]M) mib=${size%M} ;;
                    *) echo "qemu.sh: --numa size $size: give it as NM or NG" >&2; exit 2 ;;
                esac
                [[ "$mib" =~ ^[0-9]+$ ]] && [ "$mib" -gt 0 ] || { echo "qemu.sh: --numa size $size is not a size" >&2; exit 2; }
                # Every CPU in node 0.
                cpus=""
                [ "$node" != 0 ] || cpus=",cpus=0-$((smp - 1))"
                numa_args+=(-object "memory-backend-ram,id=ram$node,size=${mib}M"
                    -numa "node,nodeid=$node,memdev=ram$node$cpus")
                total=$((total + mib)) node=$((node + 1))
            done
            mem="${total}M"
        fi
        args+=(-monitor none -M "$machine" -cpu cortex-a72 -m "$mem" -smp "$smp")
        [ -z "$numa" ] || args+=("${numa_args[@]}")
        ;;
    rpi4)
        # raspi4b is fixed: 2 GiB (the tree QEMU edits says 960 MiB), four
        # cores, entry at EL2; --mem, --numa, --smp, --gic and --el2 do not apply.
        [ -z "$numa" ] || { echo "qemu.sh: --numa is for --board virt" >&2; exit 2; }
        [ -z "$gic" ] || { echo "qemu.sh: --gic is for --board virt (raspi4b has a GIC-400)" >&2; exit 2; }
        if [ -z "$dtb" ]; then
            bash scripts/fetch-dtbs.sh >/dev/null
            dtb=target/dtb/bcm2711-rpi-4-b.dtb
        fi
        # The PL011 is the first serial port, the mini UART the second.
        second=null
        [ -n "$mini_uart" ] && second="file:$mini_uart"
        if [ -n "$mini_uart_tcp" ]; then
            [[ "$mini_uart_tcp" =~ ^[0-9]+$ ]] || { echo "qemu.sh: --mini-uart-tcp $mini_uart_tcp is not a port number" >&2; exit 2; }
            second="tcp:127.0.0.1:$mini_uart_tcp,server=on,wait=on"
        fi
        args+=(-M raspi4b -dtb "$dtb" -monitor none -serial stdio -serial "$second")
        ;;
    *) echo "qemu.sh: unknown board $board (virt, rpi4)" >&2; exit 2 ;;
esac
args+=(-kernel "$kernel")

if [ "$initrd_on" = 1 ]; then
    if [ -n "$initrd_file" ]; then
        initrd=$initrd_file
    elif [ "${#programs[@]}" -gt 0 ]; then
        initrd=build/initrd-custom.cpio
        bash scripts/mkinitrd.sh "$initrd" "${programs[@]}"
    else
        initrd=build/initrd.cpio
        [ -f "$initrd" ] || initrd=""
    fi
    [ -n "$initrd" ] && args+=(-initrd "$initrd")
fi

cmdline=$append
[ "$semihosting" = 1 ] && cmdline="exit=semihosting$append"
cmdline=${cmdline# }
[ -n "$cmdline" ] && args+=(-append "$cmdline")
[ "$icount" = 1 ] && args+=(-icount shift=0,sleep=off)
# The gdb stub: loopback only (QEMU's -s would listen on every interface).
if [ "$gdb" = 1 ]; then
    [[ "$gdb_port" =~ ^[0-9]+$ ]] || { echo "qemu.sh: --gdb-port $gdb_port is not a port number" >&2; exit 2; }
    args+=(-gdb "tcp:127.0.0.1:$gdb_port" -S)
    # No time limit while someone debugs, unless one was asked for.
    [ "$timeout_given" = 1 ] || timeout_s=0
    echo "qemu.sh: halted; waiting for gdb on 127.0.0.1:$gdb_port (gdb-multiarch build/kernel.elf -ex 'target remote 127.0.0.1:$gdb_port')" >&2
fi

[ "$print_cmd" = 1 ] && echo "+ qemu-system-aarch64 ${args[*]}" >&2
status=0
if [ "$timeout_s" = 0 ]; then
    qemu-system-aarch64 "${args[@]}" || status=$?
else
    timeout -k 5 "$timeout_s" qemu-system-aarch64 "${args[@]}" </dev/null || status=$?
    if [ "$status" = 124 ]; then
        echo "qemu.sh: timed out after ${timeout_s}s" >&2
    fi
fi
exit "$status"
