#!/usr/bin/env bash
# Builds a bootable SD-card image for the Raspberry Pi 4 Model B (and Pi 400,
# CM4) and, optionally, writes it to a card.
#
#   scripts/sdcard.sh [options]
#
# The image has an MBR partition table with one FAT32 partition (type 0x0c,
# bootable, from 1 MiB) holding what the Pi 4 boot loader needs:
#   start4.elf, fixup4.dat   the VideoCore firmware: Debian trixie's
#                            raspi-firmware (built April 2024), or --firmware
#   bcm2711-rpi-4-b.dtb      Debian's mainline tree (linux-image-arm64:arm64)
#   kernel8.img              build/kernel8.img
#   initrd.cpio              build/initrd.cpio: the EL0 test programs
#   config.txt               see write_config below; every line explained
# It is built without root and without mounting anything (sfdisk,
# mkfs.vfat --offset, mtools). The firmware's build date is printed.
#
# Why trixie's firmware: bookworm's start4.elf is from August 2022, and newer
# Pi 4 revisions (1.5, 2023 and later boards) refuse firmware that old
# ("This board requires newer software"). The package is fetched through a
# private apt configuration in target/rpi-firmware/apt (the host's apt
# sources are not changed) and cached in target/rpi-firmware/cache.
#
# Options:
#   -o, --output FILE   the image (default build/sdcard.img)
#   --no-build          use the existing build/kernel8.img and build/initrd.cpio
#   --chainload         put the serial chainloader (build/chainload.img) on the
#                       card as kernel8.img, with the one-page initrd slot it
#                       needs, instead of the kernel: after that, new kernels
#                       go over the serial line (scripts/chainboot.sh)
#   --firmware DIR      take start4.elf and fixup4.dat (and LICENCE.broadcom,
#                       if there) from DIR instead of Debian's package, e.g. the
#                       boot/ folder of a Raspberry Pi firmware release
#   --write DEVICE      write the image to DEVICE (e.g. /dev/sdX, /dev/mmcblk0),
#                       only if it exists, is a whole removable disk, has
#                       nothing mounted, is not the system disk and is big
#                       enough, and only after you type the device name back
#   --check-only        with --write: run the checks and say what would be
#                       written, but write nothing (and ask nothing)
#   --image FILE        with --write: write FILE instead of building an image
#   -h, --help          this text
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

log() { printf 'sdcard: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

output=build/sdcard.img build=1 device="" check_only=0 image="" firmware="" chainload=0
for a in "$@"; do
    case "$a" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
done
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see --help)"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -o|--output) need_value "$@"; output=$2; shift 2 ;;
        --firmware) need_value "$@"; firmware=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --chainload) chainload=1; shift ;;
        --write) need_value "$@"; device=$2; shift 2 ;;
        --check-only) check_only=1; shift ;;
        --image) need_value "$@"; image=$2; shift 2 ;;
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

# The Debian release whose raspi-firmware is new enough for every Pi 4
# revision (trixie: 1.20240424, start4.elf built April 2024).
FW_SUITE=trixie
FW_MIN_YEAR=2024

# firmware_build DIR: "Apr 17 2024 17:27:09" from DIR/start4.elf's two
# VC_BUILD_ID_TIME strings (date and time), empty if it has none.
firmware_build() {
    local lines date="" time=""
    lines=$(grep -a -o 'VC_BUILD_ID_TIME: [A-Za-z0-9: ]*' "$1/start4.elf" 2>/dev/null |
        sed 's/^VC_BUILD_ID_TIME: //' || true)
    date=$(printf '%s\n' "$lines" | grep -E '^[A-Z][a-z]{2} +[0-9]{1,2} [0-9]{4}$' | head -1 || true)
    time=$(printf '%s\n' "$lines" | grep -E '^[0-9]{2}:[0-9]{2}:[0-9]{2}$' | head -1 || true)
    if [ -n "$date" ]; then echo "$date${time:+ $time}"; fi
}

# check_firmware DIR: both files there, and start4.elf says when it was built.
check_firmware() {
    local dir=$1 f build year
    for f in start4.elf fixup4.dat; do
        [ -s "$dir/$f" ] || die "$dir/$f: missing (the Pi 4 firmware needs start4.elf and fixup4.dat)"
    done
    build=$(firmware_build "$dir")
    [ -n "$build" ] || die "$dir/start4.elf has no VC_BUILD_ID_TIME: not a Raspberry Pi firmware image"
    year=${build#* * }
    year=${year%% *}
    log "firmware: $dir/start4.elf built $build"
    if [ "$year" -lt "$FW_MIN_YEAR" ]; then
        log "WARNING: firmware from $year; Pi 4 revision 1.5 and 2023+ boards may refuse it" \
            "(\"This board requires newer software\"): use $FW_MIN_YEAR or later"
    fi
}

# The newest cached raspi-firmware .deb whose version (1.YYYYMMDD) is from
# FW_MIN_YEAR or later; an older one (bookworm's 1.20220830) is ignored.
cached_firmware_deb() {
    local f v
    for f in "$FW_DIR"/cache/raspi-firmware_*_all.deb; do
        [ -f "$f" ] || continue
        v=${f##*/raspi-firmware_}
        v=${v#1.}
        # An older .deb in the cache (bookworm's) is skipped, not an error.
        if [ "${v:0:4}" -ge "$FW_MIN_YEAR" ] 2>/dev/null; then echo "$f"; fi
    done | sort -V | tail -1
}

# The Pi 4's firmware from Debian trixie's raspi-firmware package, downloaded
# (not installed) through a private apt configuration under FW_DIR/apt, the
# .deb cached in FW_DIR/cache, the files extracted into FW_DIR/<version>.
# Sets fw_dir.
fetch_firmware() {
    local apt_dir=$FW_DIR/apt
    local opts=(-o "Dir::Etc::SourceList=$root/$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
        -o "Dir::State::Lists=$root/$apt_dir/lists" -o "Dir::Cache=$root/$apt_dir/cache"
        -o Acquire::Languages=none -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
        -o APT::Sandbox::User=root)
    mkdir -p "$FW_DIR/cache"
    local deb
    deb=$(cached_firmware_deb)
    if [ -n "$deb" ] && [ -s "$FW_DIR/$(basename "$deb" _all.deb)/start4.elf" ]; then
        fw_dir=$FW_DIR/$(basename "$deb" _all.deb)
        return 0
    fi
    if [ -z "$deb" ]; then
        command -v apt-get >/dev/null ||
            die "no apt-get: bring the firmware yourself (--firmware DIR with start4.elf and fixup4.dat)"
        # The mirror the host already uses for Debian.
        local mirror
        mirror=$(apt-get indextargets --format '$(REPO_URI)' 'Label: Debian' 2>/dev/null |
            sort -u | head -1 || true)
        [ -n "$mirror" ] || die "apt has no Debian mirror configured: use --firmware DIR"
        log "fetching raspi-firmware from Debian $FW_SUITE (non-free-firmware): bookworm's" \
            "start4.elf (Aug 2022) is too old for Pi 4 rev 1.5 and 2023+ boards."
        log "  private apt configuration in $apt_dir; the host's apt sources stay as they are;" \
            "the .deb (about 5 MB) is kept in $FW_DIR/cache"
        mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
        printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s non-free-firmware\n' \
            "$mirror" "$FW_SUITE" >"$apt_dir/sources.list"
        apt-get -q "${opts[@]}" update >"$apt_dir/update.log" 2>&1 ||
            die "apt-get update for $FW_SUITE failed (see $apt_dir/update.log)"
        (cd "$FW_DIR/cache" && apt-get -q "${opts[@]}" download raspi-firmware >/dev/null) ||
            die "apt-get download raspi-firmware ($FW_SUITE) failed"
        deb=$(cached_firmware_deb)
        [ -n "$deb" ] || die "apt-get download left no raspi-firmware of $FW_MIN_YEAR or later in $FW_DIR/cache"
    fi
    fw_dir=$FW_DIR/$(basename "$deb" _all.deb)
    local tmp
    tmp=$(mktemp -d)
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" \
        ./usr/lib/raspi-firmware/start4.elf ./usr/lib/raspi-firmware/fixup4.dat \
        ./usr/share/doc/raspi-firmware/copyright
    mkdir -p "$fw_dir"
    cp "$tmp"/usr/lib/raspi-firmware/{start4.elf,fixup4.dat} "$fw_dir/"
    cp "$tmp"/usr/share/doc/raspi-firmware/copyright "$fw_dir/COPYRIGHT.raspi-firmware"
    rm -rf "$tmp"
    log "extracted start4.elf and fixup4.dat from $(basename "$deb")"
}

# config.txt for the Pi 4 firmware (start4.elf). Every setting has its own
# comment right above it (tests/suites/rpi4.sh checks that).
write_config() {
    cat >"$1" <<'CFG'
# zkernel on a Raspberry Pi 4 Model B, Pi 400 or CM4 (written by scripts/sdcard.sh).
# Each setting below is explained by the comment right above it.

# Start the ARM cores in AArch64 (the default on Pi 4, set so older firmware agrees).
arm_64bit=1
# The kernel: a raw arm64 Image whose header asks for text_offset 0x80000; the
# firmware honours it, so no kernel_address is given.
kernel=kernel8.img
# Debian's mainline tree. Pi 400 and CM4 get it too: the UARTs, GIC and
# watchdog the kernel uses are the same, and the firmware fills in /memory.
device_tree=bcm2711-rpi-4-b.dtb
# Tell the firmware the tree is mainline's (its node names and aliases differ
# from the Raspberry Pi kernel's, so it patches it accordingly).
upstream_kernel=1
# The EL0 test programs, loaded right after the kernel; the firmware writes
# their place into /chosen linux,initrd-start/-end.
initramfs initrd.cpio followkernel
# Console: the mini UART on GPIO14 (TXD, pin 8) and GPIO15 (RXD, pin 10),
# 115200 8N1, 3.3 V levels. enable_uart=1 routes it to those pins.
enable_uart=1
# The mini UART's baud rate is derived from the VPU core clock: keep that
# clock at one fixed frequency, or the baud rate drifts with the clock.
core_freq_fixed=1
# The firmware (start4.elf) logs its own progress on the same pins first.
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
    local fw_dir licence
    if [ -n "$firmware" ]; then
        [ -d "$firmware" ] || die "--firmware $firmware: no such directory"
        fw_dir=$firmware licence=LICENCE.broadcom
    else
        fetch_firmware
        licence=COPYRIGHT.raspi-firmware
    fi
    check_firmware "$fw_dir"

    rm -rf "$STAGE"
    mkdir -p "$STAGE"
    cp "$fw_dir/start4.elf" "$fw_dir/fixup4.dat" "$DTB" "$STAGE/"
    if [ "$chainload" = 1 ]; then
        bash scripts/chainboot.sh --build-loader >/dev/null
        cp build/chainload.img "$STAGE/kernel8.img"
        cp build/chainload-slot.bin "$STAGE/initrd.cpio"
        log "kernel8.img is the serial chainloader; send kernels with scripts/chainboot.sh DEVICE"
    else
        cp build/kernel8.img build/initrd.cpio "$STAGE/"
    fi
    local files=(start4.elf fixup4.dat bcm2711-rpi-4-b.dtb kernel8.img initrd.cpio config.txt)
    if [ -f "$fw_dir/$licence" ]; then
        cp "$fw_dir/$licence" "$STAGE/"
        files+=("$licence")
    fi
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
