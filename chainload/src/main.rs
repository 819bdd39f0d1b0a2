//! The serial chainloader for the Raspberry Pi 4 (and QEMU raspi4b): put on
//! the SD card as kernel8.img, it waits on the mini UART for a kernel and an
//! initrd sent by `scripts/chainboot.sh`, checks their lengths and CRC-32s,
//! places them as the firmware would (the kernel at its header's text_offset,
//! the initrd after it), rewrites `/chosen linux,initrd-start/-end` in the
//! firmware's device tree, and jumps to the kernel with the tree in x0. The
//! tree is first moved right below the loader, so that wherever the firmware
//! put it, it is out of the kernel's and the initrd's way.
//!
//! Protocol (all integers little-endian; every loader line ends in CR LF):
//! 1. loader: `zkchainload: ready (protocol 1)`
//! 2. host: a 24-byte header: `ZKCL`, kernel length, initrd length, kernel
//!    CRC-32, initrd CRC-32, and the CRC-32 of those first 20 bytes (CRC-32
//!    as gzip and zlib compute it).
//! 3. loader: `zkchainload: header ok ...` or `zkchainload: ERR ...` (then 1.)
//! 4. host: the kernel's bytes, then the initrd's.
//! 5. loader: `zkchainload: ERR ...` (then 1.) or `zkchainload: ok ...,
//!    jumping`, and the kernel runs.
//!
//! Bytes before a header that do not start `ZKCL` are skipped, so a terminal
//! left attached does no harm. Runs with the MMU and caches off, at the
//! exception level the firmware entered it (EL2), on the boot core only.

#![no_std]
#![no_main]

mod crc32;
mod fdt;
mod uart;

use core::fmt::Write;

use uart::MiniUart;

// The entry: the arm64 image header (so the firmware loads the image at
// text_offset 0x80000 and passes the tree in x0), parking of any core but
// core 0, the copy to the link address, .bss, the stack, then Rust.
core::arch::global_asm!(
    r#"
.section .text.head, "ax"
.global _start
_start:
    b       1f
    .long   0
    .quad   0x80000                 // text_offset
    .quad   __image_size            // image_size, .bss and stack included
    .quad   0x2                     // flags: little-endian, 4 KiB pages
    .quad   0, 0, 0
    .ascii  "ARM\x64"
    .long   0

.section .text.boot, "ax"
1:  mrs     x9, mpidr_el1
    and     x9, x9, #0xffffff
    cbnz    x9, 9f
    mov     x19, x0                 // the device tree
    adr     x1, _start              // where the firmware put us
    ldr     x2, =__loader_start     // where we are linked
    ldr     x3, =__file_end
    cmp     x1, x2
    b.eq    3f
2:  ldr     x4, [x1], #8
    str     x4, [x2], #8
    cmp     x2, x3
    b.lo    2b
    dsb     sy
    ic      iallu
    dsb     sy
    isb
    ldr     x4, =3f
    br      x4
3:  ldr     x1, =__bss_start
    ldr     x2, =__bss_end
4:  cmp     x1, x2
    b.hs    5f
    str     xzr, [x1], #8
    b       4b
5:  ldr     x1, =__stack_top
    mov     sp, x1
    mov     x0, x19
    mov     x29, xzr                // backtraces end here
    mov     x30, xzr
    bl      loader_main
9:  wfe
    b       9b
"#
);

unsafe extern "C" {
    /// The loader's first byte at its link address (link.ld).
    static __loader_start: u8;
}

/// RAM starts at 0 on the BCM2711; the kernel goes at text_offset above it.
const RAM_BASE: u64 = 0;
/// Where a kernel whose header asks for less than this (e.g. a Linux Image
/// with text_offset 0) is placed instead, as the firmware does.
const MIN_KERNEL_ADDR: u64 = 0x20_0000;
/// The initrd starts at the next multiple of this after the kernel image.
const INITRD_ALIGN: u64 = 0x20_0000;
/// The header's magic.
const MAGIC: [u8; 4] = *b"ZKCL";
/// Header length: magic and five u32s.
const HEADER_LEN: usize = 24;
/// The arm64 image header: text_offset at 8, image_size at 16, magic at 56.
const ARM64_HEADER_LEN: usize = 64;

/// What a header announces.
struct Header {
    kernel_len: u64,
    initrd_len: u64,
    kernel_crc: u32,
    initrd_crc: u32,
}

fn le32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(src) = bytes.get(at..at + 4) {
        word.copy_from_slice(src);
    }
    u32::from_le_bytes(word)
}

fn le64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    if let Some(src) = bytes.get(at..at + 8) {
        word.copy_from_slice(src);
    }
    u64::from_le_bytes(word)
}

/// Waits for `ZKCL` and reads the rest of a header; `Err` says what is wrong.
fn read_header(uart: &MiniUart) -> Result<Header, &'static str> {
    let mut raw = [0u8; HEADER_LEN];
    let mut matched = 0;
    while matched < MAGIC.len() {
        let b = uart.read_byte();
        matched = if Some(&b) == MAGIC.get(matched) {
            matched + 1
        } else if b == MAGIC[0] {
            1
        } else {
            0
        };
    }
    raw[..MAGIC.len()].copy_from_slice(&MAGIC);
    for slot in raw.iter_mut().skip(MAGIC.len()) {
        *slot = uart.read_byte();
    }
    if crc32::of(&raw[..20]) != le32(&raw, 20) {
        return Err("header checksum");
    }
    Ok(Header {
        kernel_len: u64::from(le32(&raw, 4)),
        initrd_len: u64::from(le32(&raw, 8)),
        kernel_crc: le32(&raw, 12),
        initrd_crc: le32(&raw, 16),
    })
}

/// `[start, start + len)` as a range, if it does not wrap.
fn span(start: u64, len: u64) -> Option<(u64, u64)> {
    Some((start, start.checked_add(len)?))
}

/// Receives `len` bytes to physical address `dest`, returning their CRC-32.
fn receive(uart: &MiniUart, dest: u64, len: u64, first: &[u8]) -> u32 {
    let mut crc = crc32::Crc32::new();
    for (i, at) in (0..len).zip(dest..) {
        let b = usize::try_from(i)
            .ok()
            .and_then(|i| first.get(i).copied())
            .unwrap_or_else(|| uart.read_byte());
        crc.update(b);
        // SAFETY: `[dest, dest + len)` was checked to be RAM below the loader
        // and clear of the device tree; nothing else uses it now.
        unsafe { core::ptr::write_volatile(at as *mut u8, b) };
    }
    crc.finish()
}

/// One attempt: header, kernel, initrd. On success returns the kernel's entry
/// and the initrd's placement.
fn attempt(uart: &MiniUart, tree: &fdt::Tree) -> Result<(u64, u64, u64), &'static str> {
    let header = read_header(uart)?;
    if header.kernel_len < ARM64_HEADER_LEN as u64 {
        return Err("kernel shorter than an arm64 image header");
    }
    let _ = writeln!(
        uart.writer(),
        "zkchainload: header ok: kernel {} bytes, initrd {} bytes\r",
        header.kernel_len,
        header.initrd_len
    );
    // The kernel's own header says where it goes and how much room it needs.
    let mut head = [0u8; ARM64_HEADER_LEN];
    for b in head.iter_mut() {
        *b = uart.read_byte();
    }
    let (text_offset, image_size) = if head.get(56..60) == Some(b"ARM\x64".as_slice()) {
        (le64(&head, 8), le64(&head, 16))
    } else {
        (0x8_0000, 0)
    };
    let mut load = RAM_BASE.checked_add(text_offset).ok_or("bad text_offset")?;
    if load < MIN_KERNEL_ADDR && text_offset < 0x8_0000 {
        load = MIN_KERNEL_ADDR;
    }
    let room = header.kernel_len.max(image_size);
    let kernel = span(load, room).ok_or("kernel too large")?;
    let initrd_start = kernel
        .1
        .checked_next_multiple_of(INITRD_ALIGN)
        .ok_or("kernel too large")?;
    let initrd = span(initrd_start, header.initrd_len).ok_or("initrd too large")?;
    // The tree was moved right below the loader: everything must end below it.
    if initrd.1 > tree.span().0 {
        return Err("kernel and initrd do not fit below the device tree and the loader");
    }
    let _ = writeln!(
        uart.writer(),
        "zkchainload: loading the kernel to {:#x}, the initrd to {:#x}\r",
        load,
        initrd.0
    );
    // Both are read whole before either is judged, so that after a refusal
    // the line is quiet and the host can start again at once.
    let kernel_ok = receive(uart, load, header.kernel_len, &head) == header.kernel_crc;
    let initrd_ok = receive(uart, initrd.0, header.initrd_len, &[]) == header.initrd_crc;
    if !kernel_ok {
        return Err("kernel checksum (CRC-32) does not match");
    }
    if !initrd_ok {
        return Err("initrd checksum (CRC-32) does not match");
    }
    tree.set_initrd(initrd.0, initrd.1).map_err(|()| {
        "the tree has no /chosen linux,initrd-start/-end to rewrite (boot the loader with an initramfs line)"
    })?;
    Ok((load, initrd.0, initrd.1))
}

/// Called by the entry code with the firmware's x0 (the device tree).
#[unsafe(no_mangle)]
extern "C" fn loader_main(dtb: u64) -> ! {
    let uart = MiniUart::new();
    crc32::init();
    // The firmware's tree, moved right below the loader: out of the way of
    // any kernel and initrd, wherever the firmware put it.
    let loader_start = core::ptr::addr_of!(__loader_start) as u64;
    let tree = fdt::Tree::at(dtb).and_then(|t| t.move_below(loader_start));
    let Some(tree) = tree else {
        loop {
            let _ = writeln!(
                uart.writer(),
                "zkchainload: ERR no device tree in x0 ({dtb:#x}): nothing to hand the kernel\r"
            );
            for _ in 0..100_000_000u64 {
                core::hint::spin_loop();
            }
        }
    };
    let _ = writeln!(
        uart.writer(),
        "zkchainload: device tree moved from {:#x} to {:#x}\r",
        dtb,
        tree.base()
    );
    loop {
        let _ = writeln!(uart.writer(), "\r\nzkchainload: ready (protocol 1)\r");
        match attempt(&uart, &tree) {
            Ok((entry, initrd_start, initrd_end)) => {
                let _ = writeln!(
                    uart.writer(),
                    "zkchainload: ok: initrd {:#x}..{:#x}, device tree {:#x}; jumping to {:#x}\r",
                    initrd_start,
                    initrd_end,
                    tree.base(),
                    entry
                );
                uart.flush();
                // SAFETY: the kernel was received whole at `entry` (checked
                // by its CRC-32) and expects the tree in x0, x1..x3 zero, MMU
                // and caches off, as the firmware would start it.
                unsafe { jump(entry, tree.base()) }
            }
            Err(why) => {
                let _ = writeln!(uart.writer(), "zkchainload: ERR {why}\r");
            }
        }
    }
}

/// Starts the kernel at `entry` with the tree in x0.
///
/// # Safety
/// `entry` must hold a complete arm64 kernel image.
unsafe fn jump(entry: u64, dtb: u64) -> ! {
    // SAFETY: the caller guarantees the image; the instruction cache is
    // invalidated so the new code is fetched, not stale lines.
    unsafe {
        core::arch::asm!(
            "dsb sy",
            "ic iallu",
            "dsb sy",
            "isb",
            "mov x1, xzr",
            "mov x2, xzr",
            "mov x3, xzr",
            "br x4",
            in("x4") entry,
            in("x0") dtb,
            options(noreturn)
        )
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let uart = MiniUart::new();
    let _ = writeln!(uart.writer(), "zkchainload: panic: {info}\r");
    loop {
        core::hint::spin_loop();
    }
}
