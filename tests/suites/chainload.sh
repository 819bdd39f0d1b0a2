# shellcheck shell=bash
# shellcheck disable=SC2154 # logs, pass, fail, step and expect come from test.sh
# The serial chainloader (chainload/, scripts/chainboot.sh), sourced by
# scripts/test.sh: QEMU raspi4b boots build/chainload.img as the firmware
# would boot kernel8.img, its mini UART (the Pi's console) is a TCP server on
# 127.0.0.1, and scripts/chainboot.sh sends a corrupted kernel (which must be
# refused by its CRC-32), then the real kernel and an initrd; the kernel then
# runs that initrd, at the address the loader chose, and its verdict is QEMU's
# exit status. QEMU's mini UART takes about 5 KB/s, so the initrd here holds
# one program (the whole suite's initrd would take minutes).

step clippy-chainload cargo clippy -q -p chainload --target aarch64-unknown-none-softfloat --release -- -D warnings
if step chainload-build bash scripts/chainboot.sh --build-loader; then
    cl_initrd=build/chainload-test.cpio
    bash scripts/mkinitrd.sh "$cl_initrd" build/el0/hello
    cl_port=$((20000 + RANDOM % 20000))
    cl_qemu="$logs/chainload-qemu.log"
    out="$logs/chainload-host.log"
    { bash scripts/qemu.sh --no-build --board rpi4 --kernel build/chainload.img \
        --initrd build/chainload-slot.bin --mini-uart-tcp "$cl_port" --timeout 240
      echo "qemu.sh status $?"; } 2>&1 | tr -d '\r' >"$cl_qemu" &
    cl_pid=$!
    cl_status=0
    timeout 260 bash scripts/chainboot.sh --no-build --corrupt-once --initrd "$cl_initrd" \
        "tcp:127.0.0.1:$cl_port" >"$out" 2>&1 || cl_status=$?
    wait "$cl_pid"
    if [ "$cl_status" = 0 ]; then
        pass "chainload: chainboot.sh sent the build and the loader jumped"
    else
        fail "chainload: chainboot.sh sent the build and the loader jumped" "status $cl_status (see $out)"
        tail -n 15 "$out" | sed 's/^/    /'
    fi
    expect "chainload: the loader announces itself on the mini UART" '^zkchainload: ready \(protocol 1\)$'
    expect "chainload: a corrupted kernel is refused by its CRC-32" '^zkchainload: ERR kernel checksum \(CRC-32\) does not match$'
    cl_size=$(stat -c %s "$cl_initrd")
    cl_end=$(printf '%#x' $((0x200000 + cl_size)))
    expect "chainload: kernel at its text_offset, initrd placed after it" \
        '^zkchainload: loading the kernel to 0x80000, the initrd to 0x200000$'
    expect "chainload: the firmware's tree moved right below the loader (0x10000000)" \
        '^zkchainload: device tree moved from 0x[0-9a-f]+ to 0xf[0-9a-f]{2}[0-9a-f]000$'
    cl_dtb=$(sed -n 's/^zkchainload: device tree moved from 0x[0-9a-f]* to 0x\([0-9a-f]*\)$/\1/p' "$out" | head -1)
    expect "chainload: /chosen rewritten for the received initrd ($cl_size bytes)" \
        "^zkchainload: ok: initrd 0x200000\\.\\.$cl_end, device tree 0x${cl_dtb:-none}; jumping to 0x80000$"
    expect "chainload: the kernel's console comes back over the same line" '^board: RaspberryPi4, Raspberry Pi 4 Model B$'
    expect "chainload: the received initrd's program runs" '^test hello \.\.\. ok$'
    expect "chainload: the kernel's verdict" '^el0: 1 passed, 0 failed$'
    out=$cl_qemu
    expect "chainload: the kernel reserved the initrd where the loader put it" \
        "^taken: +0x0000200000\\.\\.0x0000$(printf '%06x' $((0x200000 + cl_size))) \\([0-9]+ KiB\\) initrd$"
    expect "chainload: the kernel found the tree where the loader moved it" \
        "^taken: +0x00$(printf '%08x' $((16#${cl_dtb:-0})))\\.\\.0x[0-9a-f]+ \\([0-9]+ KiB\\) device tree$"
    expect "chainload: QEMU's status is the kernel's verdict (0, by semihosting)" '^qemu\.sh status 0$'
    expect "chainload: the PL011 shows the same run" '^el0: 1 passed, 0 failed$'

    # The card for chainloading: the loader is kernel8.img, its slot the
    # initrd; the firmware and config.txt are the usual ones.
    if step sdcard-chainload bash scripts/sdcard.sh --no-build --chainload -o build/sdcard-chainload.img; then
        cl_x=$(mktemp -d)
        MTOOLS_SKIP_CHECK=1 mcopy -n -i build/sdcard-chainload.img@@1M ::kernel8.img ::initrd.cpio ::config.txt "$cl_x/" 2>/dev/null
        if cmp -s "$cl_x/kernel8.img" build/chainload.img && cmp -s "$cl_x/initrd.cpio" build/chainload-slot.bin &&
            grep -q '^initramfs initrd.cpio followkernel$' "$cl_x/config.txt"; then
            pass "sdcard --chainload: kernel8.img is the loader, initrd.cpio its slot"
        else
            fail "sdcard --chainload: kernel8.img is the loader, initrd.cpio its slot"
        fi
        rm -rf "$cl_x" build/sdcard-chainload.img
    fi
fi
