#!/usr/bin/env bash
# Sends the current build to the serial chainloader (chainload/) over a
# serial line, then shows what the board prints: iterate without re-flashing.
#
#   scripts/chainboot.sh [options] DEVICE
#   scripts/chainboot.sh --build-loader
#
# DEVICE is the serial adapter wired to the Pi's GPIO14/15 (e.g. /dev/ttyUSB0),
# or tcp:127.0.0.1:PORT for QEMU raspi4b's mini UART (scripts/qemu.sh
# --mini-uart-tcp PORT). The card needs the loader once: scripts/sdcard.sh
# --chainload puts build/chainload.img on it as kernel8.img.
#
# It waits for the loader's "zkchainload: ready" line, sends a header (lengths
# and CRC-32s, as gzip computes them), waits for "header ok", sends the kernel
# and the initrd, and then copies the board's output to stdout until the line
# closes (QEMU exits), --timeout passes, or Ctrl-C. If the loader reports an
# error it exits 1. At 115200 baud a 2 MB initrd takes about 3 minutes.
#
# Options:
#   --kernel FILE     the kernel (default build/kernel8.img)
#   --initrd FILE     the initrd (default build/initrd.cpio)
#   --no-initrd       send an empty initrd
#   --baud N          serial devices: the line speed (default 115200, what the
#                     firmware sets with enable_uart=1)
#   --no-build        do not run scripts/build.sh first
#   --timeout SECS    stop showing output after SECS seconds (default: never)
#   --corrupt-once    testing: send the kernel once with one byte flipped
#                     (the loader must refuse it), then correctly
#   --build-loader    only build build/chainload.img (and the one-page
#                     build/chainload-slot.bin its initramfs line loads) and exit
#   -h, --help        this text
set -euo pipefail
for a in "$@"; do
    case "$a" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

log() { printf 'chainboot: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

kernel=build/kernel8.img initrd=build/initrd.cpio build=1 baud=115200 timeout_s=0 corrupt=0
build_loader_only=0 device=""
while [ $# -gt 0 ]; do
    case "$1" in
        --kernel) kernel=$2; shift 2 ;;
        --initrd) initrd=$2; shift 2 ;;
        --no-initrd) initrd=""; shift ;;
        --baud) baud=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --timeout) timeout_s=$2; shift 2 ;;
        --corrupt-once) corrupt=1; shift ;;
        --build-loader) build_loader_only=1; shift ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [ -z "$device" ] || die "one DEVICE only (see --help)"; device=$1; shift ;;
    esac
done

build_loader() {
    bash scripts/setup.sh --rust-only
    cargo build -q -p chainload --target aarch64-unknown-none-softfloat --release
    local sysroot host
    sysroot=$(rustc --print sysroot)
    host=$(rustc -vV | sed -n 's/^host: //p')
    mkdir -p build
    "$sysroot/lib/rustlib/$host/bin/llvm-objcopy" -O binary \
        target/aarch64-unknown-none-softfloat/release/chainload build/chainload.img
    cp target/aarch64-unknown-none-softfloat/release/chainload build/chainload.elf
    # The loader's initramfs line loads this, so that the firmware (or QEMU's
    # -initrd) writes /chosen linux,initrd-start/-end, which the loader then
    # points at the initrd it receives.
    printf 'zkchainload initrd slot\n' >build/chainload-slot.bin
    log "build/chainload.img ($(stat -c %s build/chainload.img) bytes), build/chainload-slot.bin"
}

if [ "$build_loader_only" = 1 ]; then
    build_loader
    exit 0
fi
[ -n "$device" ] || die "no DEVICE given (see --help)"
if [ "$build" = 1 ]; then
    bash scripts/build.sh >/dev/null
fi
[ -f "$kernel" ] || die "$kernel: no such file"
[ -z "$initrd" ] || [ -f "$initrd" ] || die "$initrd: no such file"

# ---- the line ---------------------------------------------------------------
case "$device" in
    tcp:*)
        hostport=${device#tcp:}
        host=${hostport%:*} port=${hostport##*:}
        case "$host" in 127.0.0.1|localhost) ;; *) die "tcp: only 127.0.0.1 (QEMU on this machine)" ;; esac
        [[ "$port" =~ ^[0-9]+$ ]] || die "$device: no port"
        # QEMU may still be starting: try for 20 s.
        for _ in $(seq 1 100); do
            if exec 3<>"/dev/tcp/127.0.0.1/$port"; then break; fi 2>/dev/null
            sleep 0.2
        done
        { true >&3; } 2>/dev/null || die "cannot connect to 127.0.0.1:$port"
        ;;
    *)
        [ -c "$device" ] || die "$device: not a serial device"
        stty -F "$device" "$baud" raw -echo -ixon -ixoff -crtscts cs8 -cstopb -parenb clocal ||
            die "stty on $device failed"
        exec 3<>"$device"
        ;;
esac

# wait_for REGEX SECS: prints the loader's lines until one matches REGEX
# (returns 0), an "ERR" line comes (returns 1), or SECS pass (returns 2).
wait_for() {
    local line buf="" status deadline=$((SECONDS + $2))
    while [ "$SECONDS" -lt "$deadline" ]; do
        line=""
        if IFS= read -r -t 1 line <&3; then
            line=$buf$line buf=""
        else
            status=$?
            if [ "$status" -gt 128 ]; then
                buf=$buf$line # timed out inside a line: keep what came
                continue
            fi
            [ -n "$buf$line" ] || { sleep 0.1; return 3; } # the line closed
            line=$buf$line buf=""
        fi
        line=${line%$'\r'}
        [ -n "$line" ] || continue
        printf '%s\n' "$line"
        if [[ "$line" =~ $1 ]]; then return 0; fi
        if [[ "$line" == "zkchainload: ERR "* ]]; then return 1; fi
    done
    return 2
}

# le32 N: N as four little-endian bytes (printf escapes).
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
# crc_raw FILE: its CRC-32, little-endian, straight from gzip's trailer.
crc_raw() { gzip -c -1 <"$1" | tail -c 8 | head -c 4; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
: >"$stage/initrd"
[ -z "$initrd" ] || cp "$initrd" "$stage/initrd"
cp "$kernel" "$stage/kernel"
# header KERNEL INITRD OUT: the 24-byte header announcing those two files.
header() {
    {
        printf 'ZKCL'
        # shellcheck disable=SC2059 # the format is the escapes le32 made
        printf "$(le32 "$(stat -c %s "$1")")$(le32 "$(stat -c %s "$2")")"
        crc_raw "$1"
        crc_raw "$2"
    } >"$3.head"
    { cat "$3.head"; crc_raw "$3.head"; } >"$3"
}

# send HEADER KERNEL INITRD: one attempt; 0 when the loader jumped, 1 when
# it refused (it is then ready for the next).
send() {
    wait_for '^zkchainload: ready' 30 || die "no 'zkchainload: ready' from the loader on $device"
    log "sending the header: kernel $(stat -c %s "$2") bytes, initrd $(stat -c %s "$3") bytes"
    cat "$1" >&3
    wait_for '^zkchainload: header ok' 20 || return 1
    log "sending the kernel and the initrd"
    cat "$2" "$3" >&3
    wait_for '^zkchainload: ok' 1200
}

if [ "$corrupt" = 1 ]; then
    # The kernel's first 8 KiB announced as they are, then sent with the last
    # byte flipped: the loader must refuse it by the checksum.
    head -c 8192 "$stage/kernel" >"$stage/small"
    : >"$stage/none"
    header "$stage/small" "$stage/none" "$stage/small.header"
    byte=$(od -An -tu1 -j 8191 -N 1 "$stage/small" | tr -d ' ')
    # shellcheck disable=SC2059
    printf "$(printf '\\x%02x' $((byte ^ 0xff)))" | dd of="$stage/small" bs=1 seek=8191 conv=notrunc status=none
    log "sending 8 KiB of the kernel with one byte flipped first (--corrupt-once)"
    if send "$stage/small.header" "$stage/small" "$stage/none"; then die "the loader accepted a corrupted kernel"; fi
    log "refused, as it must be; now the real one"
fi
header "$stage/kernel" "$stage/initrd" "$stage/header"
send "$stage/header" "$stage/kernel" "$stage/initrd" || die "the loader refused the kernel"
log "the kernel runs; its output follows"
if [ "$timeout_s" = 0 ]; then
    tr -d '\r' <&3 || true
else
    timeout "$timeout_s" tr -d '\r' <&3 || true
fi
