//! Tests demand paging through mappings: fresh pages read as zero, writes
//! through a mapping and through `zx_vmo_write` see each other, two
//! mappings of one VMO alias, the kernel can copy into and out of mapped
//! pages no one has touched yet, and free pages drop on first touch and
//! come back after unmap and close.
#![no_std]
#![no_main]

use el0_tests::{
    assert_no_leak, assert_vmo_bytes, close, read, read_byte, size_of, st, vmo, write, zx, Mapping,
    PAGE, RW,
};
use zx::{Handle, ZxStatus};

const PAGES: usize = 16;

fn fresh_reads_zero(root: Handle) {
    assert_no_leak("fresh reads", || {
        let h = vmo((PAGES * PAGE) as u64, 0);
        let m = Mapping::new(root, h, PAGES * PAGE, RW);
        for p in 0..PAGES {
            for off in [0, 1, 8, 2048, PAGE - 8] {
                let v = if off % 8 == 0 {
                    m.read_u64(p * PAGE + off)
                } else {
                    m.read_u8(p * PAGE + off) as u64
                };
                assert_eq!(v, 0, "fresh page {} offset {:#x}", p, off);
            }
        }
        m.unmap();
        close(h);
    });
    zx::println!("lazy_zero_fill: every fresh page reads zero");
}

fn first_touch_takes_pages(root: Handle) {
    assert_no_leak("first touch", || {
        let h = vmo((PAGES * PAGE) as u64, 0);
        let m = Mapping::new(root, h, PAGES * PAGE, RW);
        let mut last = zx::free_pages();
        for p in [0, 5, PAGES - 1] {
            m.write_u8(p * PAGE + 3, p as u8 + 1);
            let now = zx::free_pages();
            assert!(
                now < last,
                "first write to page {} took no page ({} -> {})",
                p,
                last,
                now
            );
            last = now;
        }
        // Touching the same pages again costs nothing.
        assert_no_leak("second touch", || {
            for p in [0, 5, PAGES - 1] {
                m.write_u8(p * PAGE + 100, 0x77);
                assert_eq!(
                    m.read_u8(p * PAGE + 3),
                    p as u8 + 1,
                    "page {} kept its byte",
                    p
                );
            }
        });
        m.unmap();
        close(h);
    });
    zx::println!("lazy_zero_fill: first write takes pages, unmap and close return them");
}

fn mapping_and_vmo_agree(root: Handle) {
    assert_no_leak("mapping vs vmo_read/write", || {
        let h = vmo(4 * PAGE as u64, 0);
        let m = Mapping::new(root, h, 4 * PAGE, RW);
        for i in 0..64 {
            m.write_u64(PAGE - 256 + i * 8, 0x0101_0101_0101_0101 * (i as u64 + 1));
        }
        let mut buf = [0u8; 512];
        read(h, &mut buf, PAGE as u64 - 256);
        for i in 0..64 {
            let v = u64::from_ne_bytes(buf[i * 8..i * 8 + 8].try_into().unwrap());
            assert_eq!(
                v,
                0x0101_0101_0101_0101 * (i as u64 + 1),
                "vmo_read of word {} written via the mapping",
                i
            );
        }
        write(h, b"through the VMO", 3 * PAGE as u64 - 4);
        for (i, &b) in b"through the VMO".iter().enumerate() {
            assert_eq!(
                m.read_u8(3 * PAGE - 4 + i),
                b,
                "mapping byte {} written by vmo_write",
                i
            );
        }
        m.unmap();
        close(h);
    });
    zx::println!("lazy_zero_fill: mapping and vmo_read/vmo_write see each other");
}

fn two_mappings_alias(root: Handle) {
    assert_no_leak("aliasing", || {
        let h = vmo(2 * PAGE as u64, 0);
        let a = Mapping::new(root, h, 2 * PAGE, RW);
        let b = Mapping::new(root, h, 2 * PAGE, RW);
        assert_ne!(a.addr, b.addr, "two mappings at one address");
        a.write_u64(PAGE + 64, 0xFEED_FACE_CAFE_BEEF);
        assert_eq!(
            b.read_u64(PAGE + 64),
            0xFEED_FACE_CAFE_BEEF,
            "second mapping sees the first's write"
        );
        b.write_u8(0, 0x31);
        assert_eq!(a.read_u8(0), 0x31, "first mapping sees the second's write");
        a.unmap();
        assert_eq!(b.read_u8(0), 0x31, "second mapping after the first is gone");
        b.unmap();
        close(h);
    });
    zx::println!("lazy_zero_fill: two mappings of one VMO alias");
}

fn kernel_copies_into_untouched_pages(root: Handle) {
    assert_no_leak("kernel copies", || {
        let src = vmo(PAGE as u64, 0);
        write(src, b"copied by the kernel", 0);
        let dst = vmo(4 * PAGE as u64, 0);
        let m = Mapping::new(root, dst, 4 * PAGE, RW);

        // vmo_read into a page the program never touched.
        // SAFETY: the destination lies inside the live mapping `m`, which
        // no Rust reference points into.
        let r = st(unsafe { zx::raw::vmo_read(src, m.ptr(PAGE + 5), 0, 20) });
        assert_eq!(r, Ok(()), "vmo_read into an untouched mapped page");
        for (i, &b) in b"copied by the kernel".iter().enumerate() {
            assert_eq!(
                m.read_u8(PAGE + 5 + i),
                b,
                "byte {} copied into the untouched page",
                i
            );
        }

        // vmo_write from an untouched page: the source reads as zero.
        // SAFETY: the source lies inside the live mapping `m`.
        let r = st(unsafe { zx::raw::vmo_write(src, m.ptr(2 * PAGE), 0, 20) });
        assert_eq!(r, Ok(()), "vmo_write from an untouched mapped page");
        assert_vmo_bytes(src, 0, 20, 0, "bytes from the untouched page");

        // Out-parameters in untouched pages, with a page boundary inside
        // the transfer for vmo_read.
        // SAFETY: the u64 lies inside the live mapping, 8-byte aligned.
        let r = st(unsafe { zx::raw::vmo_get_size(dst, m.ptr(3 * PAGE + 16).cast::<u64>()) });
        assert_eq!(r, Ok(()), "vmo_get_size into an untouched page");
        assert_eq!(
            m.read_u64(3 * PAGE + 16),
            size_of(dst),
            "size written into the untouched page"
        );
        write(src, &[0x99; 64], 0);
        // SAFETY: the 64 bytes straddle pages 2 and 3 of the live mapping.
        let r = st(unsafe { zx::raw::vmo_read(src, m.ptr(3 * PAGE - 32), 0, 64) });
        assert_eq!(r, Ok(()), "vmo_read across two mapped pages");
        assert_eq!(
            m.read_u8(3 * PAGE - 32),
            0x99,
            "first byte across the boundary"
        );
        assert_eq!(
            m.read_u8(3 * PAGE + 31),
            0x99,
            "last byte across the boundary"
        );

        // What the kernel wrote through the mapping is in the VMO.
        assert_eq!(
            read_byte(dst, PAGE as u64 + 5),
            b'c',
            "vmo_read's destination is the VMO"
        );
        m.unmap();
        close(dst);
        close(src);
    });
    zx::println!("lazy_zero_fill: the kernel copies to and from untouched mapped pages");
}

fn read_only_untouched(root: Handle) {
    assert_no_leak("read-only untouched", || {
        let h = vmo(PAGE as u64, 0);
        let m = Mapping::new(root, h, PAGE, zx::vm_opt::PERM_READ);
        // SAFETY: the destination lies in a read-only mapping: the kernel
        // must refuse to write it; no Rust reference points into it.
        let r = st(unsafe { zx::raw::vmo_read(h, m.ptr(0), 0, 8) });
        assert_eq!(
            r,
            Err(ZxStatus::NotFound),
            "vmo_read into an untouched read-only page"
        );
        m.unmap();
        close(h);
    });
    zx::println!("lazy_zero_fill: an untouched read-only page is still not writable by the kernel");
}

fn main(root: Handle) -> i64 {
    fresh_reads_zero(root);
    first_touch_takes_pages(root);
    mapping_and_vmo_agree(root);
    two_mappings_alias(root);
    kernel_copies_into_untouched_pages(root);
    read_only_untouched(root);
    0
}

zx::entry!(main);
