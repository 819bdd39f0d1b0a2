//! Tests `zx_vmo_read` and `zx_vmo_write`: the handle checks in order
//! (BAD_HANDLE, WRONG_TYPE, ACCESS_DENIED), the range checks (before the
//! buffer is looked at), zero-length transfers, bad buffers (NOT_FOUND),
//! zero-filled fresh pages, data across page boundaries, and that reading a
//! fresh VMO commits nothing while writing does.
#![no_std]
#![no_main]

use el0_tests::{
    assert_no_leak, assert_vmo_bytes, close, dup, read, st, vmo, write, zx, Mapping, ReadOnlyPage,
    BAD_POINTERS, GARBAGE_HANDLE, PAGE, RW,
};
use zx::{rights, Handle, ZxStatus};

const SIZE: u64 = 4 * 4096;

/// Both calls with a raw buffer pointer, for the cases where it is not a
/// live slice.
fn raw_read(h: Handle, buf: usize, offset: u64, len: usize) -> zx::Status {
    // SAFETY: the kernel must reject `buf` or write only the `len` bytes at
    // `buf`; every caller passes either an address the kernel must refuse
    // (no Rust memory touched) or a live buffer of at least `len` bytes.
    st(unsafe { zx::raw::vmo_read(h, buf as *mut u8, offset, len) })
}

fn raw_write(h: Handle, buf: usize, offset: u64, len: usize) -> zx::Status {
    // SAFETY: the kernel only reads from `buf`; callers pass addresses the
    // kernel must refuse or live memory of at least `len` bytes.
    st(unsafe { zx::raw::vmo_write(h, buf as *const u8, offset, len) })
}

fn handle_checks(root: Handle) {
    let mut buf = [0u8; 8];
    let closed = vmo(4096, 0);
    close(closed);
    for h in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
        assert_eq!(
            zx::vmo_read(h, &mut buf, 0),
            Err(ZxStatus::BadHandle),
            "vmo_read bad handle {:#x}",
            h
        );
        assert_eq!(
            zx::vmo_write(h, &buf, 0),
            Err(ZxStatus::BadHandle),
            "vmo_write bad handle {:#x}",
            h
        );
    }
    assert_eq!(
        zx::vmo_read(root, &mut buf, 0),
        Err(ZxStatus::WrongType),
        "vmo_read(root VMAR)"
    );
    assert_eq!(
        zx::vmo_write(root, &buf, 0),
        Err(ZxStatus::WrongType),
        "vmo_write(root VMAR)"
    );
    // The type is checked before the rights.
    let vmar_none = dup(root, rights::NONE);
    assert_eq!(
        zx::vmo_read(vmar_none, &mut buf, 0),
        Err(ZxStatus::WrongType),
        "vmo_read(VMAR, no rights)"
    );
    assert_eq!(
        zx::vmo_write(vmar_none, &buf, 0),
        Err(ZxStatus::WrongType),
        "vmo_write(VMAR, no rights)"
    );
    close(vmar_none);
    zx::println!("vmo_read/write: BAD_HANDLE, then WRONG_TYPE before rights");
}

fn rights_checks() {
    let h = vmo(SIZE, 0);
    let no_read = dup(h, rights::DEFAULT_VMO & !rights::READ);
    let no_write = dup(h, rights::DEFAULT_VMO & !rights::WRITE);
    let mut buf = [0u8; 8];
    assert_eq!(
        zx::vmo_read(no_read, &mut buf, 0),
        Err(ZxStatus::AccessDenied),
        "vmo_read without READ"
    );
    assert_eq!(
        zx::vmo_write(no_write, &buf, 0),
        Err(ZxStatus::AccessDenied),
        "vmo_write without WRITE"
    );
    // The rights are checked even for empty or out-of-range transfers.
    assert_eq!(
        zx::vmo_read(no_read, &mut [], 0),
        Err(ZxStatus::AccessDenied),
        "empty vmo_read without READ"
    );
    assert_eq!(
        zx::vmo_write(no_write, &[], 0),
        Err(ZxStatus::AccessDenied),
        "empty vmo_write without WRITE"
    );
    assert_eq!(
        zx::vmo_read(no_read, &mut buf, SIZE),
        Err(ZxStatus::AccessDenied),
        "out-of-range vmo_read without READ"
    );
    // Each handle still does what its rights allow.
    assert_eq!(
        zx::vmo_write(no_read, b"rights!!", 0),
        Ok(()),
        "vmo_write with WRITE but no READ"
    );
    assert_eq!(
        zx::vmo_read(no_write, &mut buf, 0),
        Ok(()),
        "vmo_read with READ but no WRITE"
    );
    assert_eq!(&buf, b"rights!!", "data written through the other handle");
    close(no_read);
    close(no_write);
    close(h);
    zx::println!("vmo_read/write: ACCESS_DENIED without READ/WRITE, even for empty transfers");
}

fn range_checks() {
    let h = vmo(SIZE, 0);
    let mut buf = [0u8; 8];
    let p = buf.as_mut_ptr() as usize;
    let len = buf.len();
    let cases: [(u64, usize, &str); 7] = [
        (SIZE, 1, "one byte at the end"),
        (SIZE - 4, 8, "straddling the end"),
        (SIZE + 4096, 1, "a page past the end"),
        (SIZE + 1, 0, "empty, past the end"),
        (u64::MAX, 1, "offset u64::MAX"),
        (u64::MAX, 0, "empty at offset u64::MAX"),
        (1, usize::MAX, "length overflowing the offset"),
    ];
    for (offset, n, what) in cases {
        // The range is checked first, so a length longer than `buf` is
        // never used to copy.
        assert_eq!(
            raw_read(h, p, offset, n),
            Err(ZxStatus::OutOfRange),
            "vmo_read {}",
            what
        );
        assert_eq!(
            raw_write(h, p, offset, n),
            Err(ZxStatus::OutOfRange),
            "vmo_write {}",
            what
        );
    }
    // ... and before the buffer pointer.
    for (name, bad) in BAD_POINTERS {
        assert_eq!(
            raw_read(h, bad, SIZE, len),
            Err(ZxStatus::OutOfRange),
            "vmo_read out of range, buf {}",
            name
        );
        assert_eq!(
            raw_write(h, bad, SIZE, len),
            Err(ZxStatus::OutOfRange),
            "vmo_write out of range, buf {}",
            name
        );
    }
    // A straddling write changes nothing.
    write(h, &[0x11; 8], SIZE - 8);
    assert_eq!(
        zx::vmo_write(h, &[0x22; 8], SIZE - 4),
        Err(ZxStatus::OutOfRange),
        "straddling write"
    );
    assert_vmo_bytes(
        h,
        SIZE - 8,
        8,
        0x11,
        "bytes under a failed straddling write",
    );
    close(h);
    zx::println!("vmo_read/write: OUT_OF_RANGE past the end and on overflow, before the buffer");
}

fn empty_transfers() {
    let h = vmo(SIZE, 0);
    for offset in [0, 1, 4096, SIZE - 1, SIZE] {
        // Length 0 never touches the buffer, so NULL is fine.
        assert_eq!(
            raw_read(h, 0, offset, 0),
            Ok(()),
            "empty vmo_read(NULL) at {:#x}",
            offset
        );
        assert_eq!(
            raw_write(h, 0, offset, 0),
            Ok(()),
            "empty vmo_write(NULL) at {:#x}",
            offset
        );
    }
    let empty = vmo(0, 0);
    assert_eq!(
        raw_read(empty, 0, 0, 0),
        Ok(()),
        "empty read of a zero-size VMO"
    );
    assert_eq!(
        raw_read(empty, 0, 0, 1),
        Err(ZxStatus::OutOfRange),
        "one-byte read of a zero-size VMO"
    );
    close(empty);
    close(h);
    zx::println!("vmo_read/write: length 0 at any offset up to the size is OK, even with NULL");
}

fn bad_buffers(root: Handle) {
    let h = vmo(SIZE, 0);
    write(h, &[0x33; 16], 0);
    for (name, bad) in BAD_POINTERS {
        assert_no_leak(name, || {
            assert_eq!(
                raw_read(h, bad, 0, 16),
                Err(ZxStatus::NotFound),
                "vmo_read buf = {}",
                name
            );
            assert_eq!(
                raw_write(h, bad, 0, 16),
                Err(ZxStatus::NotFound),
                "vmo_write buf = {}",
                name
            );
        });
    }
    assert_vmo_bytes(h, 0, 16, 0x33, "data after writes from bad buffers");

    // A read-only mapping can be a source but not a destination.
    let ro = ReadOnlyPage::new(root);
    assert_eq!(
        raw_read(h, ro.addr(), 0, 16),
        Err(ZxStatus::NotFound),
        "vmo_read into a read-only mapping"
    );
    assert_eq!(ro.map.read_u8(0), 0, "read-only page was written");
    assert_eq!(
        raw_write(h, ro.addr(), 0, 16),
        Ok(()),
        "vmo_write from a read-only mapping"
    );
    assert_vmo_bytes(h, 0, 16, 0, "data written from the read-only page");
    ro.release();

    // A buffer that starts in a mapping and runs into an unmapped page.
    let scratch = vmo(2 * PAGE as u64, 0);
    let map = Mapping::new(root, scratch, 2 * PAGE, RW);
    assert_eq!(
        zx::vmar_unmap(root, map.addr + PAGE, PAGE),
        Ok(()),
        "unmap the second page"
    );
    let tail = map.addr + PAGE - 8;
    assert_eq!(
        raw_read(h, tail, 0, 16),
        Err(ZxStatus::NotFound),
        "vmo_read into a buffer running off a mapping"
    );
    assert_eq!(
        raw_write(h, tail, 0, 16),
        Err(ZxStatus::NotFound),
        "vmo_write from a buffer running off a mapping"
    );
    assert_eq!(
        zx::vmar_unmap(root, map.addr, PAGE),
        Ok(()),
        "unmap the first page"
    );
    close(scratch);
    close(h);
    zx::println!("vmo_read/write: bad buffers are NOT_FOUND");
}

fn contents() {
    let h = vmo(SIZE, 0);
    assert_vmo_bytes(h, 0, SIZE, 0, "fresh VMO");

    // Across a page boundary, at an odd buffer address.
    let mut src = [0u8; 40];
    for (i, b) in src.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(7).wrapping_add(1);
    }
    write(h, &src[1..33], 4096 - 16);
    let mut back = [0u8; 33];
    read(h, &mut back[1..], 4096 - 16);
    assert_eq!(&back[1..], &src[1..33], "bytes across the page boundary");
    assert_vmo_bytes(h, 4096 - 17, 1, 0, "byte before the written range");
    assert_vmo_bytes(h, 4096 + 16, 1, 0, "byte after the written range");

    // A 6000-byte transfer touching three pages.
    let mut big = [0u8; 6000];
    for (i, b) in big.iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    write(h, &big, 2 * 4096 - 3000);
    big.fill(0);
    read(h, &mut big, 2 * 4096 - 3000);
    if let Some(i) = big
        .iter()
        .enumerate()
        .position(|(i, &b)| b != (i % 251) as u8)
    {
        panic!("6000-byte transfer: byte {} read back as {:#x}", i, big[i]);
    }

    // Partial overwrite, and the last byte of the VMO.
    write(h, b"xy", 2 * 4096 - 3000 + 10);
    let mut b = [0u8; 4];
    read(h, &mut b, 2 * 4096 - 3000 + 9);
    assert_eq!(b, [9, b'x', b'y', 12], "partial overwrite");
    write(h, &[0xFE], SIZE - 1);
    assert_vmo_bytes(h, SIZE - 1, 1, 0xFE, "last byte");
    close(h);
    zx::println!("vmo_read/write: zeroes when fresh, data across pages reads back");
}

fn commit_accounting() {
    const PAGES: u64 = 64;
    assert_no_leak("fresh reads and writes", || {
        let h = vmo(PAGES * 4096, 0);
        assert_no_leak("reading a fresh VMO", || {
            assert_vmo_bytes(h, 0, PAGES * 4096, 0, "fresh 256 KiB VMO");
        });
        let before = zx::free_pages();
        write(h, &[1], 5 * 4096 + 7);
        let after = zx::free_pages();
        assert!(
            after < before,
            "writing a fresh page took no page ({} -> {})",
            before,
            after
        );
        assert_no_leak("rewriting a committed page", || {
            write(h, &[2; 64], 5 * 4096)
        });
        close(h);
    });
    zx::println!("vmo_read/write: reads commit nothing, a write commits, close returns it");
}

/// Every length from 0 to 300 bytes, from five alignments of the program's
/// buffer and at VMO offsets just below a page end that vary with the
/// length, comes back byte for byte, with nothing written beside it: the
/// kernel's copy routine takes a different path for each bit of the length,
/// and a mistake in one shows as a wrong or missing byte.
fn every_length() {
    let v = vmo(8192, 0);
    let mut src = [0u8; 320];
    for (i, b) in src.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(7).wrapping_add(1);
    }
    for len in 0..=300usize {
        for align in [0usize, 1, 3, 8, 13] {
            let off = (len * 5 + align) as u64 % 16 + 4000;
            let data = &src[align..align + len];
            assert_eq!(zx::vmo_write(v, data, off), Ok(()), "write {len} at {off}");
            let mut back = [0u8; 320];
            assert_eq!(zx::vmo_read(v, &mut back[align..align + len], off), Ok(()));
            assert!(
                back[align..align + len] == *data,
                "{len} bytes at {off}, buffer +{align}"
            );
            assert!(
                back[..align].iter().all(|&b| b == 0),
                "before the {len} bytes read"
            );
            assert!(
                back[align + len..].iter().all(|&b| b == 0),
                "after the {len} bytes read"
            );
        }
    }
    close(v);
    zx::println!("vmo_read_write: every length 0..=300, from five alignments, reads back whole");
}

fn main(root: Handle) -> i64 {
    handle_checks(root);
    rights_checks();
    range_checks();
    empty_transfers();
    bad_buffers(root);
    contents();
    commit_accounting();
    every_length();
    0
}

zx::entry!(main);
