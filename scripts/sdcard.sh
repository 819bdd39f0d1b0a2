#!/usr/bin/env bash
# Builds a bootable SD-card image for the Raspberry Pi 4 Model B and,
# optionally, writes it to a card.
#
#   scripts/sdcard.sh [options]
#
# The image has an MBR partition table with one FAT32 partition (type 0x0c,
# bootable, from 1 MiB) holding what the Pi 4 boot loader needs:
#   start4.elf, fixup4.dat   the VideoCore firmware (Debian's raspi-firmware,
#                            component non-free-firmware)
#   bcm2711-rpi-4-b.dtb      Debian's mainline tree (linux-image-arm64:arm64)
#   kernel8.img              build/kernel8.img
#   initrd.cpio              build/initrd.cpio: the EL0 test programs
#   config.txt               see write_config below
# It is built without root and without mounting anything (sfdisk,
# mkfs.vfat --offset, mtools).
#
# Options:
#   -o, --output FILE   the image (default build/sdcard.img)
#   --no-build          use the existing build/kernel8.img and build/initrd.cpio
#   --write DEVICE      write the image to DEVICE (e.g. /dev/sdX, /dev/mmcblk0),
#                       only if it exists, is a whole removable disk, has
#                       nothing mounted, is not the system disk and is big
#                       enough, and only after you type the device name back
#   --check-only        with --write: run the checks and say what would be
#                       written, but write nothing (and ask nothing)
#   --image FILE        with --write: write FILE instead of building an image
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

log() { printf 'sdcard: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

output=build/sdcard.img build=1 device="" check_only=0 image=""
while [ $# -gt 0 ]; do
    case "$1" in
        -o|--output) output=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --write) device=$2; shift 2 ;;
        --check-only) check_only=1; shift ;;
        --image) image=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done

# The image: 96 MiB, one partition from sector 2048 to the end. With 512-byte
# clusters (as Raspberry Pi OS images use, 1 or 4 sectors) that is ~195 000
# clusters, well above FAT32's minimum of 65 525.
IMAGE_MIB=96
PART_START=2048
PART_TYPE=c
DISK_ID=0x5a4b3034
VOLUME_ID=5a4b3034
VOLUME_LABEL=ZKERNEL
FW_DIR=target/rpi-firmware
DTB=target/dtb/bcm2711-rpi-4-b.dtb
STAGE=build/sdcard

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        log "need root for: $*"
        return 1
    fi
}

# The Pi 4's firmware from Debian's raspi-firmware package, downloaded (not
# installed) into target/rpi-firmware/cache, the two files extracted next to it.
fetch_firmware() {
    if [ -s "$FW_DIR/start4.elf" ] && [ -s "$FW_DIR/fixup4.dat" ]; then
        return 0
    fi
    mkdir -p "$FW_DIR/cache"
    local deb
    deb=$(ls "$FW_DIR"/cache/raspi-firmware_*_all.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
        command -v apt-get >/dev/null || die "no apt-get: put start4.elf and fixup4.dat from https://github.com/raspberrypi/firmware (boot/) into $FW_DIR"
        if ! apt-cache show raspi-firmware >/dev/null 2>&1; then
            log "apt does not know raspi-firmware yet; running apt-get update"
            as_root apt-get update -qq
        fi
        if ! apt-cache show raspi-firmware >/dev/null 2>&1; then
            # Only the non-free-firmware component has it; scripts/setup.sh adds
            # it when it installs QEMU from backports, a newer QEMU skips that.
            local codename f=/etc/apt/sources.list.d/aarch64-kernel-rpi-firmware.sources
            codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
            [ -n "$codename" ] || die "cannot tell the Debian release: enable the non-free-firmware component and install nothing, just rerun"
            log "adding ${codename} non-free-firmware to apt sources ($f)"
            as_root tee "$f" >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: ${codename}
Components: non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
            as_root apt-get update -qq
        fi
        log "downloading raspi-firmware (about 5 MB, once)"
        # As root, apt's download sandbox user (_apt) cannot write here.
        local sandbox=()
        [ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
        (cd "$FW_DIR/cache" && apt-get download -q "${sandbox[@]}" raspi-firmware >/dev/null)
        deb=$(ls "$FW_DIR"/cache/raspi-firmware_*_all.deb | head -1)
    fi
    local tmp
    tmp=$(mktemp -d)
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" \
        ./usr/lib/raspi-firmware/start4.elf ./usr/lib/raspi-firmware/fixup4.dat \
        ./usr/share/doc/raspi-firmware/copyright
    cp "$tmp"/usr/lib/raspi-firmware/{start4.elf,fixup4.dat} "$FW_DIR/"
    cp "$tmp"/usr/share/doc/raspi-firmware/copyright "$FW_DIR/COPYRIGHT.raspi-firmware"
    rm -rf "$tmp"
    log "extracted start4.elf and fixup4.dat from $(basename "$deb")"
}

# config.txt for the Pi 4 firmware (start4.elf). The firmware loads
# kernel8.img where its arm64 header asks (text_offset 0x80000), so no
# kernel_address; the entry code runs wherever it lands anyway. It passes the
# tree in x0 with /memory filled in and /chosen linux,initrd-start/-end set
# for the initramfs line; "followkernel" places it clear of the kernel.
write_config() {
    cat >"$1" <<'CFG'
# zkernel on a Raspberry Pi 4 Model B (written by scripts/sdcard.sh).
# Start the cores in AArch64 and boot our raw arm64 Image.
arm_64bit=1
kernel=kernel8.img
# Debian's mainline tree; upstream_kernel=1 says the tree is mainline's.
device_tree=bcm2711-rpi-4-b.dtb
upstream_kernel=1
# The EL0 test programs, loaded high; the firmware puts their place in /chosen.
initramfs initrd.cpio followkernel
# Console: the mini UART on GPIO14 (TXD, pin 8) and GPIO15 (RXD, pin 10),
# 115200 8N1. enable_uart=1 routes it there and fixes the core clock that its
# baud rate derives from.
enable_uart=1
# The boot loader and firmware log their progress on the same pins first.
uart_2ndstage=1
CFG
}

build_image() {
    local tools=(sfdisk mkfs.vfat mcopy mdir fsck.fat dpkg-deb)
    local t
    for t in "${tools[@]}"; do
        command -v "$t" >/dev/null || { bash scripts/setup.sh >/dev/null; break; }
    done
    for t in "${tools[@]}"; do
        command -v "$t" >/dev/null || die "$t not found (scripts/setup.sh installs fdisk, dosfstools, mtools)"
    done

    if [ "$build" = 1 ]; then
        bash scripts/build.sh >/dev/null
    fi
    [ -s build/kernel8.img ] || die "build/kernel8.img missing (run scripts/build.sh)"
    [ -s build/initrd.cpio ] || die "build/initrd.cpio missing (run scripts/build.sh)"
    bash scripts/fetch-dtbs.sh >/dev/null
    fetch_firmware

    rm -rf "$STAGE"
    mkdir -p "$STAGE"
    cp "$FW_DIR/start4.elf" "$FW_DIR/fixup4.dat" "$DTB" build/kernel8.img build/initrd.cpio "$STAGE/"
    cp "$FW_DIR/COPYRIGHT.raspi-firmware" "$STAGE/"
    write_config "$STAGE/config.txt"

    mkdir -p "$(dirname "$output")"
    local tmp="$output.tmp"
    rm -f "$tmp"
    truncate -s "${IMAGE_MIB}M" "$tmp"
    printf 'label: dos\nlabel-id: %s\nstart=%s, type=%s, bootable\n' \
        "$DISK_ID" "$PART_START" "$PART_TYPE" | sfdisk -q "$tmp"
    local sectors=$((IMAGE_MIB * 2048 - PART_START))
    mkfs.vfat -F 32 -S 512 -s 1 -h "$PART_START" -n "$VOLUME_LABEL" -i "$VOLUME_ID" --offset "$PART_START" \
        "$tmp" $((sectors / 2)) >/dev/null
    local files=(start4.elf fixup4.dat bcm2711-rpi-4-b.dtb kernel8.img initrd.cpio config.txt COPYRIGHT.raspi-firmware)
    local f
    for f in "${files[@]}"; do
        MTOOLS_SKIP_CHECK=1 mcopy -m -i "$tmp@@$((PART_START * 512))" "$STAGE/$f" "::$f"
    done
    mv "$tmp" "$output"
    log "$output: $IMAGE_MIB MiB, MBR + FAT32 partition at sector $PART_START:"
    MTOOLS_SKIP_CHECK=1 mdir -i "$output@@$((PART_START * 512))" -b :: | sed 's|^::/|    |' >&2
}

# --- Writing to a card ----------------------------------------------------

refuse() { log "refusing to write to $device: $*"; exit 1; }

# The whole disks under the system's own file systems and swap.
system_disks() {
    local src
    {
        findmnt -rno SOURCE / 2>/dev/null || true
        findmnt -rno SOURCE /boot 2>/dev/null || true
        findmnt -rno SOURCE /boot/efi 2>/dev/null || true
        findmnt -rno SOURCE /usr 2>/dev/null || true
        awk 'NR > 1 && $1 ~ "^/dev/" {print $1}' /proc/swaps 2>/dev/null || true
    } | sort -u | while read -r src; do
        src=${src%%\[*}
        [ -b "$src" ] || continue
        lsblk -nrspo NAME,TYPE "$src" 2>/dev/null | awk '$2 == "disk" {print $1}'
    done | sort -u
}

check_device() {
    [ -n "$device" ] || refuse "no device given"
    [ -e "$device" ] || refuse "it does not exist"
    [ -b "$device" ] || refuse "it is not a block device"
    command -v lsblk >/dev/null || refuse "lsblk (util-linux) is needed to check it"
    local dev type
    dev=$(readlink -f "$device")
    type=$(lsblk -dnro TYPE "$dev" 2>/dev/null || true)
    case "$type" in
        disk) ;;
        part) refuse "it is a partition: give the whole card (e.g. /dev/sdb, not /dev/sdb1)" ;;
        *) refuse "it is a ${type:-device lsblk does not know} device, not a disk" ;;
    esac

    local d
    for d in $(system_disks); do
        [ "$(readlink -f "$d")" != "$dev" ] || refuse "it holds the running system (/, /boot, /usr or swap)"
    done

    local name rm hotplug
    name=$(basename "$dev")
    rm=$(cat "/sys/block/$name/removable" 2>/dev/null || echo 0)
    hotplug=$(lsblk -dnro HOTPLUG "$dev" 2>/dev/null || echo 0)
    # Built-in SD slots (mmcblk) often say removable=0 but are hot-pluggable.
    [ "$rm" = 1 ] || [ "$hotplug" = 1 ] ||
        refuse "it is not removable (removable=$rm, hotplug=$hotplug): not an SD card or USB reader"

    # Active swap shows up as the mount point [SWAP].
    local mounted
    mounted=$(lsblk -nrpo NAME,MOUNTPOINTS "$dev" 2>/dev/null | awk 'NF > 1' || true)
    [ -n "$mounted" ] || mounted=$(lsblk -nrpo NAME,MOUNTPOINT "$dev" 2>/dev/null | awk 'NF > 1' || true)
    if [ -n "$mounted" ]; then
        refuse "something on it is mounted ($(echo "$mounted" | tr '\n' ' ')); unmount it first"
    fi

    local size img_size
    size=$(lsblk -dnbro SIZE "$dev")
    img_size=$(stat -c %s "$image")
    [ "$size" -gt 0 ] || refuse "it has no medium (size 0)"
    [ "$size" -ge "$img_size" ] || refuse "it is smaller ($size bytes) than the image ($img_size bytes)"
    [ -w "$dev" ] || refuse "no write permission (run as root, e.g. with sudo)"
}

write_card() {
    [ -s "$image" ] || die "$image: no such image"
    check_device
    local dev desc
    dev=$(readlink -f "$device")
    desc=$(lsblk -dno SIZE,TRAN,VENDOR,MODEL "$dev" 2>/dev/null | tr -s ' ' || true)
    log "$device ($dev): $desc"
    log "would write $image ($(stat -c %s "$image") bytes); everything on $device is lost"
    if [ "$check_only" = 1 ]; then
        log "--check-only: nothing written"
        return 0
    fi
    local answer=""
    printf 'sdcard: type the device name (%s) to write, anything else cancels: ' "$device" >&2
    read -r answer || true
    [ "$answer" = "$device" ] || [ "$answer" = "$dev" ] || refuse "not confirmed"
    dd if="$image" of="$dev" bs=4M conv=fsync status=progress
    sync
    log "verifying"
    cmp -n "$(stat -c %s "$image")" "$image" "$dev" || die "read-back differs from $image"
    if command -v blockdev >/dev/null; then
        blockdev --rereadpt "$dev" 2>/dev/null || true
    fi
    log "done: $device holds the image; put the card in the Pi 4"
}

if [ -n "$device" ]; then
    if [ -z "$image" ]; then
        build_image
        image=$output
    fi
    write_card
else
    [ "$check_only" = 0 ] || die "--check-only goes with --write DEVICE"
    [ -z "$image" ] || die "--image goes with --write DEVICE"
    build_image
fi
