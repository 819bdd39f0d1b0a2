# shellcheck shell=bash
# shellcheck disable=SC2154 # logs, programs, quick, root and out come from test.sh
# The Raspberry Pi 4 suite, sourced by scripts/test.sh after the virt boots.
# The same build/kernel8.img boots on QEMU raspi4b with Debian's
# bcm2711-rpi-4-b.dtb and runs the EL0 suite; then scripts/sdcard.sh builds the
# SD-card image, which is checked (partition table, FAT32, files byte for
# byte, config.txt) and whose kernel, tree and initrd, copied back out of it,
# boot in QEMU raspi4b. Finally `sdcard.sh --write` must refuse unsafe targets.
#
# Uses test.sh's pass, fail, step, boot, expect, suite_checks, $programs,
# $logs and $quick.

# rpi4_banner_checks NAME: what every raspi4b boot prints about the board.
rpi4_banner_checks() {
    local n=$1
    expect "$n: board recognised from the tree's compatible" \
        '^board: RaspberryPi4, Raspberry Pi 4 Model B$'
    expect "$n: EL2 layer + EL1 guest" '^mode: EL2 layer \+ EL1 guest \(hypervisor-lite v2 resident at EL2, stage 2 on'
    expect "$n: counter frequency read from CNTFRQ (62.5 MHz in QEMU)" \
        '^cpu: counter 62500000 Hz, 4 core\(s\) in the tree$'
    expect "$n: the three secondaries come online through the EL2 layer" \
        '^cpu: 4 of 4 core\(s\) online$'
    expect "$n: secondaries released from the spin table into the EL2 layer" \
        "^cpu: +3 secondaries were released from the firmware's spin table, release slots 0xe0, 0xe8, 0xf0 \(into the EL2 layer, which holds them\)$"
    expect "$n: UARTs translated through /soc ranges, stdout-path is the mini UART" \
        '^console: PL011 0xfe201000, mini UART 0xfe215040 \(stdout-path\)$'
    expect "$n: GIC-400 translated through ranges" \
        '^gic: +GICv2, distributor 0xff841000, cpu interface 0xff842000$'
    expect "$n: memory from the tree QEMU edits (960 MiB)" \
        '^memory: 0x0000000000\.\.0x003c000000 \(960 MiB\)$'
    expect "$n: loaded at the header's text_offset (0x80000)" \
        '^taken: +0x0000080000\.\.0x[0-9a-f]+ \([0-9]+ KiB\) kernel image$'
    expect "$n: page 0 (spin table, QEMU's boot stubs) kept from the allocator" \
        '^taken: +0x0000000000\.\.0x0000001000 \(4 KiB\) (reserved|spin table)$'
}

# The EL0 suite on raspi4b, verdict through semihosting. The mini UART (the
# real board's console) goes to a file and must carry the same run.
rpi4_mini="$logs/rpi4-mini-uart.raw"
rm -f "$rpi4_mini"
if boot rpi4 0 --board rpi4 --mini-uart "$rpi4_mini"; then
    rpi4_banner_checks rpi4
    expect "rpi4: power-off by semihosting" '^power: +semihosting SYS_EXIT'
    suite_checks rpi4
    rpi4_pl011_log=$out
    out="$logs/rpi4-mini-uart.log"
    tr -d '\r' <"$rpi4_mini" >"$out" 2>/dev/null
    expect "rpi4: the mini UART shows the banner" '^board: RaspberryPi4, Raspberry Pi 4 Model B$'
    expect "rpi4: the mini UART shows the whole suite" "^el0: $programs passed, 0 failed"
    # The EL2 layer's own lines (HYP:) go to the mini UART only.
    if cmp -s <(sed -n '/^zkernel /,$p' "$rpi4_pl011_log" | grep -v '^HYP: ') \
        <(sed -n '/^zkernel /,$p' "$out" | grep -v '^HYP: '); then
        pass "rpi4: mini UART and PL011 carry identical output"
    else
        fail "rpi4: mini UART and PL011 carry identical output" "diff $rpi4_pl011_log $out"
    fi
fi

# Without semihosting the kernel powers off like on a board: the BCM2835
# watchdog halt, which ends QEMU with status 0 ...
if boot rpi4-watchdog 0 --board rpi4 --no-semihosting --timeout 120; then
    expect "rpi4-watchdog: power-off through the PM watchdog" '^power: +BCM2835 watchdog'
    expect "rpi4-watchdog: suite passed" "^el0: $programs passed, 0 failed"
fi
# ... and a failure must not look the same: the core halts (QEMU times out).
if [ "$quick" = 0 ]; then
    if boot rpi4-watchdog-failure 124 --board rpi4 --no-semihosting --no-initrd \
        --append selftest=kernel-fault --timeout 4; then
        expect "rpi4-watchdog-failure: panic reported" '^KERNEL PANIC: unexpected exception in the kernel'
        expect "rpi4-watchdog-failure: halts instead of a clean power-off" \
            '^power-off: status 1 cannot go through the watchdog: halting$'
    fi
fi

if boot rpi4-kernel-fault 1 --board rpi4 --no-initrd --append selftest=kernel-fault; then
    expect "rpi4-kernel-fault: panic report" '^KERNEL PANIC: unexpected exception in the kernel'
fi

# Trees the firmware might hand over, made from Debian's with dtc:
# - without /memreserve/: the kernel still keeps the spin table's page;
# - with an initrd (4-byte cells) inside the kernel's .bss: refused, loudly.
rpi4_dts=$(mktemp)
if dtc -q -I dtb -O dts -o "$rpi4_dts" target/dtb/bcm2711-rpi-4-b.dtb 2>/dev/null; then
    grep -v '^/memreserve/' "$rpi4_dts" | dtc -q -I dts -O dtb -o "$logs/rpi4-no-memreserve.dtb" - 2>/dev/null
    if boot rpi4-no-memreserve 0 --board rpi4 --dtb "$logs/rpi4-no-memreserve.dtb" --no-initrd; then
        expect "rpi4-no-memreserve: spin-table page reserved without the tree's help" \
            '^taken: +0x0000000000\.\.0x0000001000 \(4 KiB\) spin table$'
    fi
    sed 's/^\tchosen {$/&\n\t\tlinux,initrd-start = <0x90000>;\n\t\tlinux,initrd-end = <0xa0000>;/' "$rpi4_dts" |
        dtc -q -I dts -O dtb -o "$logs/rpi4-initrd-in-bss.dtb" - 2>/dev/null
    if boot rpi4-initrd-in-bss 1 --board rpi4 --dtb "$logs/rpi4-initrd-in-bss.dtb" --no-initrd; then
        expect "rpi4-initrd-in-bss: an initrd inside the image is refused" \
            '^boot: the initrd at 0x90000\.\.0xa0000 overlaps the kernel image at 0x80000\.\.0x[0-9a-f]+ '
    fi
    # More reserved ranges than the kernel keeps (64): the boot says so and
    # stops before the page allocator exists, instead of dropping one.
    { grep '^/dts-v1/;' "$rpi4_dts"
      for i in $(seq 1 70); do printf '/memreserve/ 0x%x 0x1000;\n' $((0x10000000 + i * 0x10000)); done
      grep -v '^/dts-v1/;' "$rpi4_dts"; } | dtc -q -I dts -O dtb -o "$logs/rpi4-many-reserved.dtb" - 2>/dev/null
    if boot rpi4-many-reserved 1 --board rpi4 --dtb "$logs/rpi4-many-reserved.dtb" --no-initrd; then
        expect "rpi4-many-reserved: the overflow stops the boot, with the count" \
            '^boot: too many reserved ranges: 71 \(the kernel keeps at most 64\); stopping before any memory is handed out$'
        if grep -q '^free pages:' "$out"; then
            fail "rpi4-many-reserved: no memory handed out" "the log has a free-pages line"
        else
            pass "rpi4-many-reserved: no memory handed out"
        fi
    fi
else
    fail "rpi4: dtc decompiles Debian's tree"
fi
rm -f "$rpi4_dts"

# --- The SD-card image ------------------------------------------------------

rpi4_img=build/sdcard.img
rpi4_at="$rpi4_img@@1M"
if step sdcard-build bash scripts/sdcard.sh --no-build -o "$rpi4_img"; then
    export MTOOLS_SKIP_CHECK=1
    rpi4_fw=$(ls -d target/rpi-firmware/raspi-firmware_*/ 2>/dev/null | sort -V | tail -1)
    rpi4_fw=${rpi4_fw%/}

    # One primary partition: W95 FAT32 (LBA), bootable, from 1 MiB.
    rpi4_parts=$(sfdisk -d "$rpi4_img" 2>/dev/null | grep -c "^${rpi4_img}[0-9]* :")
    if sfdisk -d "$rpi4_img" 2>/dev/null | grep -q '^label: dos$' && [ "$rpi4_parts" = 1 ] &&
        sfdisk -d "$rpi4_img" | grep -Eq "^${rpi4_img}1 : start= +2048, size= +[0-9]+, type=c, bootable$"; then
        pass "sdcard: MBR with one bootable FAT32 (type 0x0c) partition at 1 MiB"
    else
        fail "sdcard: MBR with one bootable FAT32 (type 0x0c) partition at 1 MiB" "$(sfdisk -d "$rpi4_img" 2>&1 | tr '\n' ' ')"
    fi
    if minfo -i "$rpi4_at" :: 2>/dev/null | grep -q '^disk type="FAT32 *"$'; then
        pass "sdcard: the partition holds FAT32"
    else
        fail "sdcard: the partition holds FAT32" "minfo does not say FAT32"
    fi
    rpi4_part=$(mktemp)
    dd if="$rpi4_img" of="$rpi4_part" bs=1M skip=1 status=none
    if fsck.fat -n "$rpi4_part" >"$logs/sdcard-fsck.log" 2>&1; then
        pass "sdcard: fsck.fat finds the file system clean"
    else
        fail "sdcard: fsck.fat finds the file system clean" "see $logs/sdcard-fsck.log"
    fi
    rm -f "$rpi4_part"

    # Exactly the expected files, each identical to what the build produced.
    rpi4_x=$(mktemp -d)
    rpi4_files="COPYRIGHT.raspi-firmware bcm2711-rpi-4-b.dtb config.txt fixup4.dat initrd.cpio kernel8.img start4.elf"
    rpi4_listed=$(mdir -i "$rpi4_at" -b :: 2>/dev/null | sed 's|^::/||' | sort | tr '\n' ' ')
    if [ "$rpi4_listed" = "$rpi4_files " ]; then
        pass "sdcard: FAT holds exactly $rpi4_files"
    else
        fail "sdcard: FAT holds exactly the expected files" "found: $rpi4_listed"
    fi
    for f in $rpi4_files; do
        mcopy -n -i "$rpi4_at" "::$f" "$rpi4_x/$f" 2>/dev/null || true
    done
    for pair in kernel8.img:build/kernel8.img initrd.cpio:build/initrd.cpio \
        bcm2711-rpi-4-b.dtb:target/dtb/bcm2711-rpi-4-b.dtb \
        start4.elf:"$rpi4_fw/start4.elf" fixup4.dat:"$rpi4_fw/fixup4.dat"; do
        f=${pair%%:*} src=${pair#*:}
        if cmp -s "$rpi4_x/$f" "$src"; then
            pass "sdcard: $f is byte-identical to $src"
        else
            fail "sdcard: $f is byte-identical to $src" "differs or missing"
        fi
    done
    # The firmware is Debian trixie's, as the package's own checksums say.
    rpi4_deb=$(ls target/rpi-firmware/cache/raspi-firmware_1.202[4-9]*_all.deb 2>/dev/null | sort -V | tail -1)
    if [ -n "$rpi4_deb" ] && (cd "$rpi4_x" &&
        dpkg-deb --ctrl-tarfile "$root/$rpi4_deb" | tar -xO ./md5sums |
        sed -n 's#usr/lib/raspi-firmware/\(start4\.elf\|fixup4\.dat\)$#\1#p' | md5sum -c --quiet); then
        pass "sdcard: start4.elf and fixup4.dat match $(basename "$rpi4_deb")'s md5sums"
    else
        fail "sdcard: start4.elf and fixup4.dat match a raspi-firmware 1.2024+ package's md5sums" "${rpi4_deb:-no such .deb in target/rpi-firmware/cache}"
    fi
    # The firmware on the card was built in 2024 or later (older start4.elf is
    # refused by Pi 4 rev 1.5 and 2023+ boards), and sdcard.sh said when.
    rpi4_fw_date=$(grep -a -o 'VC_BUILD_ID_TIME: [A-Z][a-z][a-z] [ 0-9][0-9] [0-9]\{4\}' "$rpi4_x/start4.elf" | head -1 | sed 's/^VC_BUILD_ID_TIME: //')
    rpi4_fw_year=${rpi4_fw_date##* }
    if [ -n "$rpi4_fw_year" ] && [ "$rpi4_fw_year" -ge 2024 ]; then
        pass "sdcard: the card's start4.elf was built $rpi4_fw_date (2024 or later)"
    else
        fail "sdcard: the card's start4.elf was built in 2024 or later" "VC_BUILD_ID_TIME: '${rpi4_fw_date}'"
    fi
    out="$logs/sdcard-build.log"
    expect "sdcard: prints the firmware's build date" \
        "^sdcard: firmware: .*start4\\.elf built ${rpi4_fw_date} [0-9]{2}:[0-9]{2}:[0-9]{2}$"

    out="$rpi4_x/config.txt"
    expect "sdcard: config.txt arm_64bit=1" '^arm_64bit=1$'
    expect "sdcard: config.txt kernel=kernel8.img" '^kernel=kernel8\.img$'
    expect "sdcard: config.txt enable_uart=1" '^enable_uart=1$'
    expect "sdcard: config.txt initramfs initrd.cpio followkernel" '^initramfs initrd\.cpio followkernel$'
    expect "sdcard: config.txt device_tree=bcm2711-rpi-4-b.dtb" '^device_tree=bcm2711-rpi-4-b\.dtb$'
    expect "sdcard: config.txt core_freq_fixed=1 (the mini UART's clock holds)" '^core_freq_fixed=1$'
    # Every setting is explained by the comment line right above it.
    rpi4_bare=$(awk '/^[^#[:space:]]/ && prev !~ /^#/ {print NR": "$0} {prev=$0}' "$out")
    rpi4_settings=$(grep -c '^[^#[:space:]]' "$out")
    if [ -z "$rpi4_bare" ] && [ "$rpi4_settings" -ge 8 ]; then
        pass "sdcard: each of the $rpi4_settings config.txt settings has a comment above it"
    else
        fail "sdcard: each config.txt setting has a comment above it" "${rpi4_bare:-only $rpi4_settings settings}"
    fi
    if grep -Eq '^(kernel_address|kernel_old|arm_control|armstub)=' "$out"; then
        fail "sdcard: config.txt leaves the load address and armstub to the firmware" "$(grep -E '^(kernel_address|kernel_old|arm_control|armstub)=' "$out")"
    else
        pass "sdcard: config.txt leaves the load address and armstub to the firmware"
    fi

    # The kernel, tree and initrd taken back out of the image boot the suite.
    if boot rpi4-sdcard 0 --board rpi4 --kernel "$rpi4_x/kernel8.img" \
        --dtb "$rpi4_x/bcm2711-rpi-4-b.dtb" --initrd "$rpi4_x/initrd.cpio"; then
        expect "rpi4-sdcard: booted the files from the image" "^\+ qemu-system-aarch64 .*-dtb $rpi4_x/bcm2711-rpi-4-b\.dtb .*-kernel $rpi4_x/kernel8\.img -initrd $rpi4_x/initrd\.cpio"
        rpi4_banner_checks rpi4-sdcard
        suite_checks rpi4-sdcard
    fi
    rm -rf "$rpi4_x"

    # --firmware DIR: the user's own firmware files go on the card as given,
    # with its licence; the build date is printed; old firmware is flagged
    # and something that is not firmware is refused.
    rpi4_own=$(mktemp -d)
    cp "$rpi4_fw/start4.elf" "$rpi4_fw/fixup4.dat" "$rpi4_own/"
    printf 'test licence\n' >"$rpi4_own/LICENCE.broadcom"
    if step sdcard-own-firmware bash scripts/sdcard.sh --no-build --firmware "$rpi4_own" -o build/sdcard-own.img; then
        rpi4_listed=$(mdir -i build/sdcard-own.img@@1M -b :: 2>/dev/null | sed 's|^::/||' | sort | tr '\n' ' ')
        rpi4_want="LICENCE.broadcom bcm2711-rpi-4-b.dtb config.txt fixup4.dat initrd.cpio kernel8.img start4.elf "
        if [ "$rpi4_listed" = "$rpi4_want" ]; then
            pass "sdcard --firmware: the card holds the given firmware and its licence"
        else
            fail "sdcard --firmware: the card holds the given firmware and its licence" "found: $rpi4_listed"
        fi
        if mcopy -n -i build/sdcard-own.img@@1M ::start4.elf "$rpi4_own/back.elf" 2>/dev/null &&
            cmp -s "$rpi4_own/back.elf" "$rpi4_own/start4.elf"; then
            pass "sdcard --firmware: start4.elf on the card is the given one"
        else
            fail "sdcard --firmware: start4.elf on the card is the given one"
        fi
        out="$logs/sdcard-own-firmware.log"
        expect "sdcard --firmware: prints the given firmware's build date" \
            "^sdcard: firmware: $rpi4_own/start4\\.elf built ${rpi4_fw_date} [0-9:]{8}$"
    fi
    rm -f build/sdcard-own.img
    # An old start4.elf (its date rewritten to 2022): built, with a warning.
    sed 's/VC_BUILD_ID_TIME: \([A-Z][a-z][a-z] [ 0-9][0-9]\) 20[0-9][0-9]/VC_BUILD_ID_TIME: \1 2022/' \
        "$rpi4_own/start4.elf" >"$rpi4_own/old.elf" && mv "$rpi4_own/old.elf" "$rpi4_own/start4.elf"
    if step sdcard-old-firmware bash scripts/sdcard.sh --no-build --firmware "$rpi4_own" -o build/sdcard-own.img; then
        out="$logs/sdcard-old-firmware.log"
        expect "sdcard --firmware: firmware from 2022 is flagged as too old" \
            '^sdcard: WARNING: firmware from 2022; Pi 4 revision 1\.5 and 2023\+ boards may refuse it'
    fi
    rm -f build/sdcard-own.img
    # Not firmware at all, and a folder without it: refused, no image.
    printf 'not firmware\n' >"$rpi4_own/start4.elf"
    if bash scripts/sdcard.sh --no-build --firmware "$rpi4_own" -o build/sdcard-own.img >"$logs/sdcard-bad-firmware.log" 2>&1 ||
        [ -e build/sdcard-own.img ]; then
        fail "sdcard --firmware: a start4.elf without a build id is refused" "see $logs/sdcard-bad-firmware.log"
    else
        out="$logs/sdcard-bad-firmware.log"
        expect "sdcard --firmware: a start4.elf without a build id is refused" 'has no VC_BUILD_ID_TIME: not a Raspberry Pi firmware image'
    fi
    rm -f "$rpi4_own/start4.elf"
    if bash scripts/sdcard.sh --no-build --firmware "$rpi4_own" -o build/sdcard-own.img >"$logs/sdcard-no-firmware.log" 2>&1; then
        fail "sdcard --firmware: a folder without start4.elf is refused" "see $logs/sdcard-no-firmware.log"
    else
        out="$logs/sdcard-no-firmware.log"
        expect "sdcard --firmware: a folder without start4.elf is refused" 'start4\.elf: missing'
    fi
    rm -rf "$rpi4_own" build/sdcard-own.img

    # --write refuses, and says why, before touching anything. --check-only
    # and no confirmation on stdin make sure nothing is written even if a
    # check were wrong.
    # rpi4_refuses NAME DEVICE REASON-REGEX
    rpi4_refuses() {
        local log="$logs/sdcard-write-$1.log"
        if bash scripts/sdcard.sh --image "$rpi4_img" --write "$2" --check-only </dev/null >"$log" 2>&1; then
            fail "sdcard --write $2: refused" "it was accepted (see $log)"
        elif grep -Eq "^sdcard: refusing to write to .*: $3" "$log"; then
            pass "sdcard --write $2: refused ($(sed -n 's/^sdcard: refusing to write to [^:]*: //p' "$log"))"
        else
            fail "sdcard --write $2: refused with a reason" "$(cat "$log")"
        fi
    }
    rpi4_refuses missing /dev/zkernel-no-such-card 'it does not exist'
    rpi4_refuses file "$rpi4_img" 'it is not a block device'
    rpi4_sysdisk=$(findmnt -rno SOURCE / 2>/dev/null | sed 's/\[.*//')
    if [ -b "$rpi4_sysdisk" ]; then
        rpi4_sysdisk=$(lsblk -nrspo NAME,TYPE "$rpi4_sysdisk" | awk '$2 == "disk" {print $1; exit}')
        [ -n "$rpi4_sysdisk" ] && rpi4_refuses system "$rpi4_sysdisk" 'it holds the running system'
    else
        echo "    (no block device under / here: the system-disk refusal is not exercised)"
    fi
fi
