//! Tests `zx_vmo_op_range` on ordinary (non-discardable) VMOs: handle
//! checks before the op, the rights each op needs, unknown ops, range
//! checks, COMMIT (rounded out to pages, counted in committed_bytes and
//! free pages), DECOMMIT (page-aligned only, frees pages, zeroes through
//! vmo_read and mappings), ZERO (byte-exact, frees whole pages, visible in
//! mappings), the cache ops, and LOCK/TRY_LOCK/UNLOCK refused as
//! NOT_SUPPORTED.
#![no_std]
#![no_main]

use el0_tests::{
    assert_no_leak, assert_vmo_bytes, close, commit, committed, dup, op_range, prefault_stack,
    read_byte, vmo, vmo_lock, write, zx, Mapping, GARBAGE_HANDLE, PAGE, RW,
};
use zx::{rights, vmo_op as op, Handle, ZxStatus};

const CACHE_SYNC: u32 = 6;
const CACHE_INVALIDATE: u32 = 7;
const CACHE_CLEAN: u32 = 8;
const CACHE_CLEAN_INVALIDATE: u32 = 9;

const P: u64 = 4096;

fn handle_checks(root: Handle) {
    let closed = vmo(P, 0);
    close(closed);
    for o in [op::COMMIT, op::DECOMMIT, op::ZERO, op::LOCK, op::UNLOCK, 99] {
        for h in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
            assert_eq!(
                op_range(h, o, 0, P),
                Err(ZxStatus::BadHandle),
                "op {} on invalid handle {:#x}",
                o,
                h
            );
        }
        assert_eq!(
            op_range(root, o, 0, P),
            Err(ZxStatus::WrongType),
            "op {} on the root VMAR",
            o
        );
    }
    zx::println!("vmo_op_range: BAD_HANDLE and WRONG_TYPE come first, even for unknown ops");
}

fn rights_and_unknown_ops() {
    let h = vmo(4 * P, 0);
    let no_write = dup(h, rights::DEFAULT_VMO & !rights::WRITE);
    for o in [op::COMMIT, op::DECOMMIT, op::ZERO] {
        assert_eq!(
            op_range(no_write, o, 0, P),
            Err(ZxStatus::AccessDenied),
            "op {} without WRITE",
            o
        );
    }
    close(no_write);
    let write_only = dup(h, rights::WRITE);
    for o in [op::COMMIT, op::DECOMMIT, op::ZERO] {
        assert_eq!(
            op_range(write_only, o, 0, P),
            Ok(()),
            "op {} with WRITE alone",
            o
        );
    }
    close(write_only);

    for o in [0, 5, 99, 1000, u32::MAX] {
        assert_eq!(
            op_range(h, o, 0, P),
            Err(ZxStatus::InvalidArgs),
            "unknown op {}",
            o
        );
    }
    close(h);
    zx::println!("vmo_op_range: COMMIT/DECOMMIT/ZERO need WRITE; unknown ops INVALID_ARGS");
}

fn range_checks() {
    const SIZE: u64 = 4 * P;
    let h = vmo(SIZE, 0);
    let top = !(P - 1);
    let bad: [(u64, u64, &str); 6] = [
        (SIZE, P, "a page at the end"),
        (0, SIZE + P, "one page too long"),
        (3 * P, 2 * P, "straddling the end"),
        (top, P, "a page at 2^64 - 4096"),
        (P, top, "length overflowing the offset"),
        (top, 2 * P, "wrapping around"),
    ];
    for o in [op::COMMIT, op::DECOMMIT, op::ZERO] {
        for (offset, size, what) in bad {
            assert_eq!(
                op_range(h, o, offset, size),
                Err(ZxStatus::OutOfRange),
                "op {}: {}",
                o,
                what
            );
        }
        for offset in [0, P, SIZE] {
            assert_eq!(
                op_range(h, o, offset, 0),
                Ok(()),
                "op {}, size 0 at {:#x}",
                o,
                offset
            );
        }
    }
    // Byte ranges for COMMIT and ZERO (DECOMMIT needs whole pages).
    for o in [op::COMMIT, op::ZERO] {
        assert_eq!(
            op_range(h, o, SIZE - 1, 2),
            Err(ZxStatus::OutOfRange),
            "op {}, two bytes straddling the end",
            o
        );
        assert_eq!(
            op_range(h, o, u64::MAX, 1),
            Err(ZxStatus::OutOfRange),
            "op {}, one byte at u64::MAX",
            o
        );
        assert_eq!(
            op_range(h, o, 1, u64::MAX),
            Err(ZxStatus::OutOfRange),
            "op {}, offset 1 size u64::MAX",
            o
        );
    }
    assert_eq!(committed(h), 0, "failed and empty ops committed pages");
    close(h);
    zx::println!("vmo_op_range: ranges past the end or overflowing are OUT_OF_RANGE; size 0 is OK");
}

fn commit_op() {
    const PAGES: u64 = 16;
    let h = vmo(PAGES * P, 0);
    let free0 = zx::free_pages();
    // [100, 5100) touches pages 0 and 1.
    commit(h, 100, 5000);
    assert_eq!(committed(h), 2 * P, "COMMIT of [100, 5100)");
    let free1 = zx::free_pages();
    assert!(
        free0.saturating_sub(free1) >= 2,
        "COMMIT of two pages took {} -> {} free pages",
        free0,
        free1
    );

    // A single byte commits its page.
    commit(h, 5 * P + 7, 1);
    assert_eq!(committed(h), 3 * P, "COMMIT of one byte");

    // Data survives a COMMIT over it.
    write(h, b"keep", 9 * P + 1);
    commit(h, 0, PAGES * P);
    assert_eq!(committed(h), PAGES * P, "COMMIT of the whole VMO");
    assert!(
        free0.saturating_sub(zx::free_pages()) >= PAGES,
        "COMMIT of the whole VMO took fewer than {} pages",
        PAGES
    );
    assert_eq!(read_byte(h, 9 * P + 4), b'p', "data under a COMMIT");
    assert_vmo_bytes(h, 0, 9 * P, 0, "committed pages read zero");

    // Committing again takes nothing.
    assert_no_leak("COMMIT of committed pages", || commit(h, 0, PAGES * P));
    close(h);
    zx::println!("vmo_op_range: COMMIT rounds out to pages and takes them");
}

fn decommit_op(root: Handle) {
    const PAGES: u64 = 8;
    let h = vmo(PAGES * P, 0);
    for (offset, size) in [(1, P), (P / 2, P), (0, 100), (P, P + 1), (P + 1, P - 1)] {
        assert_eq!(
            op_range(h, op::DECOMMIT, offset, size),
            Err(ZxStatus::InvalidArgs),
            "DECOMMIT({:#x}, {:#x}) not page-aligned",
            offset,
            size
        );
    }

    let page = [0x5Au8; PAGE];
    for p in 0..PAGES {
        write(h, &page, p * P);
    }
    assert_eq!(committed(h), PAGES * P);
    let free0 = zx::free_pages();
    assert_eq!(
        op_range(h, op::DECOMMIT, 2 * P, 3 * P),
        Ok(()),
        "DECOMMIT pages 2..5"
    );
    let free1 = zx::free_pages();
    assert!(
        free1.saturating_sub(free0) >= 3,
        "DECOMMIT of three pages: free pages {} -> {}",
        free0,
        free1
    );
    assert_eq!(
        committed(h),
        (PAGES - 3) * P,
        "committed_bytes after DECOMMIT"
    );
    assert_vmo_bytes(h, 2 * P, 3 * P, 0, "decommitted pages");
    assert_vmo_bytes(h, 0, 2 * P, 0x5A, "pages before the decommitted range");
    assert_vmo_bytes(h, 5 * P, 3 * P, 0x5A, "pages after the decommitted range");
    // Reading the decommitted range committed nothing.
    assert_eq!(
        committed(h),
        (PAGES - 3) * P,
        "committed_bytes after reading zeroes"
    );

    // Decommitting pages that are not committed is fine.
    assert_no_leak("DECOMMIT of uncommitted pages", || {
        assert_eq!(
            op_range(h, op::DECOMMIT, 2 * P, 3 * P),
            Ok(()),
            "DECOMMIT again"
        );
    });

    // Through a mapping: the page reads zero afterwards and can be written
    // again.
    let m = Mapping::new(root, h, PAGES as usize * PAGE, RW);
    m.write_u8(6 * PAGE + 3, 0x77);
    assert_eq!(m.read_u8(6 * PAGE), 0x5A, "mapping reads the VMO");
    assert_eq!(
        op_range(h, op::DECOMMIT, 6 * P, P),
        Ok(()),
        "DECOMMIT a mapped page"
    );
    assert_eq!(m.read_u8(6 * PAGE + 3), 0, "mapping after DECOMMIT");
    assert_eq!(
        m.read_u8(6 * PAGE + PAGE - 1),
        0,
        "mapping after DECOMMIT, end of page"
    );
    assert_eq!(m.read_u8(7 * PAGE), 0x5A, "next page through the mapping");
    m.write_u8(6 * PAGE + 9, 0x99);
    assert_eq!(
        read_byte(h, 6 * P + 9),
        0x99,
        "write through the mapping after DECOMMIT"
    );
    assert_eq!(
        read_byte(h, 6 * P + 3),
        0,
        "rest of the page after rewriting"
    );
    m.unmap();

    assert_eq!(
        op_range(h, op::DECOMMIT, 0, PAGES * P),
        Ok(()),
        "DECOMMIT everything"
    );
    assert_eq!(
        committed(h),
        0,
        "committed_bytes after DECOMMIT of everything"
    );
    assert_vmo_bytes(h, 0, PAGES * P, 0, "VMO after DECOMMIT of everything");
    close(h);
    zx::println!("vmo_op_range: DECOMMIT needs page alignment, frees pages, reads zero after");
}

fn zero_op(root: Handle) {
    const PAGES: u64 = 4;
    let h = vmo(PAGES * P, 0);
    let page = [0xAAu8; PAGE];
    for p in 0..PAGES {
        write(h, &page, p * P);
    }

    // Inside one page: byte-exact, nothing freed.
    assert_eq!(op_range(h, op::ZERO, 100, 50), Ok(()), "ZERO(100, 50)");
    assert_vmo_bytes(h, 100, 50, 0, "zeroed bytes");
    assert_vmo_bytes(h, 0, 100, 0xAA, "bytes before the zeroed range");
    assert_vmo_bytes(h, 150, P - 150, 0xAA, "bytes after the zeroed range");
    assert_eq!(
        committed(h),
        PAGES * P,
        "committed_bytes after a partial ZERO"
    );

    // Across pages: the whole page in the middle is freed.
    let (start, len) = (2 * P - 10, P + 20);
    assert_eq!(
        op_range(h, op::ZERO, start, len),
        Ok(()),
        "ZERO across pages"
    );
    assert_vmo_bytes(h, start, len, 0, "zeroed range across pages");
    assert_vmo_bytes(h, 150, start - 150, 0xAA, "bytes before the range");
    assert_vmo_bytes(
        h,
        start + len,
        PAGES * P - start - len,
        0xAA,
        "bytes after the range",
    );
    assert_eq!(
        committed(h),
        (PAGES - 1) * P,
        "ZERO freed the one whole page"
    );

    // Through a mapping.
    let m = Mapping::new(root, h, PAGES as usize * PAGE, RW);
    for off in (3 * PAGE..4 * PAGE).step_by(512) {
        m.write_u8(off, 0x55);
    }
    m.write_u8(3 * PAGE + 9, 0x55);
    m.write_u8(3 * PAGE + 20, 0x55);
    assert_eq!(
        op_range(h, op::ZERO, 3 * P + 10, 10),
        Ok(()),
        "ZERO a mapped range"
    );
    assert_eq!(
        m.read_u8(3 * PAGE + 9),
        0x55,
        "mapped byte before the range"
    );
    for off in 10..20 {
        assert_eq!(
            m.read_u8(3 * PAGE + off),
            0,
            "mapped byte {} after ZERO",
            off
        );
    }
    assert_eq!(
        m.read_u8(3 * PAGE + 20),
        0x55,
        "mapped byte after the range"
    );
    assert_eq!(
        op_range(h, op::ZERO, 3 * P, P),
        Ok(()),
        "ZERO a whole mapped page"
    );
    assert_eq!(m.read_u8(3 * PAGE + 9), 0, "mapping after ZERO of the page");
    assert_eq!(
        m.read_u8(3 * PAGE + 512),
        0,
        "mapping after ZERO of the page"
    );
    m.write_u8(3 * PAGE + 1, 0x66);
    assert_eq!(
        read_byte(h, 3 * P + 1),
        0x66,
        "write through the mapping after ZERO"
    );
    m.unmap();

    let free0 = zx::free_pages();
    assert_eq!(
        op_range(h, op::ZERO, 0, PAGES * P),
        Ok(()),
        "ZERO everything"
    );
    assert_eq!(committed(h), 0, "committed_bytes after ZERO of everything");
    assert!(zx::free_pages() > free0, "ZERO of everything freed no page");
    assert_vmo_bytes(h, 0, PAGES * P, 0, "VMO after ZERO of everything");
    close(h);
    zx::println!("vmo_op_range: ZERO is byte-exact, frees whole pages, shows in mappings");
}

fn cache_ops() {
    let h = vmo(2 * P, 0);
    write(h, &[1], 0);
    for o in [
        CACHE_SYNC,
        CACHE_INVALIDATE,
        CACHE_CLEAN,
        CACHE_CLEAN_INVALIDATE,
    ] {
        assert_eq!(op_range(h, o, 0, P), Ok(()), "cache op {}", o);
        assert_eq!(
            op_range(h, o, 10, 2 * P - 20),
            Ok(()),
            "cache op {} unaligned",
            o
        );
        assert_eq!(
            op_range(h, o, 0, 0),
            Err(ZxStatus::InvalidArgs),
            "cache op {} with size 0",
            o
        );
    }
    let read_only = dup(h, rights::READ);
    for o in [CACHE_SYNC, CACHE_CLEAN, CACHE_CLEAN_INVALIDATE] {
        assert_eq!(
            op_range(read_only, o, 0, P),
            Ok(()),
            "cache op {} with READ",
            o
        );
    }
    assert_eq!(
        op_range(read_only, CACHE_INVALIDATE, 0, P),
        Err(ZxStatus::AccessDenied),
        "CACHE_INVALIDATE without WRITE"
    );
    close(read_only);
    let write_only = dup(h, rights::WRITE);
    for o in [CACHE_SYNC, CACHE_CLEAN, CACHE_CLEAN_INVALIDATE] {
        assert_eq!(
            op_range(write_only, o, 0, P),
            Err(ZxStatus::AccessDenied),
            "cache op {} without READ",
            o
        );
    }
    assert_eq!(
        op_range(write_only, CACHE_INVALIDATE, 0, P),
        Ok(()),
        "CACHE_INVALIDATE with WRITE alone"
    );
    close(write_only);
    assert_eq!(read_byte(h, 0), 1, "data after cache ops");
    close(h);
    zx::println!("vmo_op_range: cache ops OK with a size, INVALID_ARGS with 0, rights checked");
}

fn lock_not_supported() {
    let h = vmo(2 * P, 0);
    assert_eq!(
        vmo_lock(h, 0, 2 * P),
        Err(ZxStatus::NotSupported),
        "LOCK on a non-discardable VMO"
    );
    for o in [op::TRY_LOCK, op::UNLOCK] {
        assert_eq!(
            op_range(h, o, 0, 2 * P),
            Err(ZxStatus::NotSupported),
            "op {} on a non-discardable VMO",
            o
        );
    }
    close(h);
    zx::println!("vmo_op_range: LOCK/TRY_LOCK/UNLOCK on a non-discardable VMO are NOT_SUPPORTED");
}

fn main(root: Handle) -> i64 {
    prefault_stack();
    assert_no_leak("vmo_op_range", || {
        handle_checks(root);
        rights_and_unknown_ops();
        range_checks();
        commit_op();
        decommit_op(root);
        zero_op(root);
        cache_ops();
        lock_not_supported();
    });
    0
}

zx::entry!(main);
