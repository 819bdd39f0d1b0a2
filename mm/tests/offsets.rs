//! Offsets that accumulate through chains of snapshots and slice windows,
//! near 2^64: Zircon refuses a child whose range, projected onto the root of
//! its chain, would pass 2^64 (`ZX_ERR_INVALID_ARGS`), and `set_size` that
//! would push it there; a plain `offset + size` overflow is
//! `ZX_ERR_OUT_OF_RANGE`. Host tests build with overflow checks, so an
//! unchecked sum here would panic rather than pass.

use mm::phys::testing;
use mm::{Vmo, ZxStatus};
use zx_abi::{vmo_opt, VMO_MAX_SIZE};

const P: u64 = 4096;
const MAX: u64 = VMO_MAX_SIZE;

fn read_u8(v: &Vmo, offset: u64) -> u8 {
    let mut b = [0u8];
    v.read(offset, &mut b).unwrap();
    b[0]
}

#[test]
fn root_offsets_accumulate_through_a_chain() {
    let frames = testing::allocator(8);
    let mut a = Vmo::create(frames, MAX, 0).unwrap();
    assert_eq!(a.root_offset(), 0);
    let mut b = a.snapshot(MAX - 4 * P, 4 * P, 0).unwrap();
    assert_eq!(b.root_offset(), MAX - 4 * P);
    let mut c = b.snapshot(2 * P, 2 * P, 0).unwrap();
    assert_eq!(c.root_offset(), MAX - 2 * P);
    // Far past c's end but representable at the root: allowed (reads zero).
    let d = c.snapshot(P, 1 << 17, 0).unwrap();
    assert_eq!(d.root_offset(), MAX - P);
    assert_eq!(d.root_offset() + d.size(), u64::MAX - P + 1);
    assert_eq!(read_u8(&d, (1 << 17) - 1), 0);
}

#[test]
fn a_snapshot_past_2_64_at_the_root_is_invalid_args() {
    let frames = testing::allocator(8);
    let mut a = Vmo::create(frames, MAX, 0).unwrap();
    let mut b = a.snapshot(MAX - 4 * P, 4 * P, 0).unwrap();
    // offset + size fits, but the start projected onto the root does not.
    assert_eq!(
        b.snapshot(1 << 63, P, 0).map(|v| v.size()),
        Err(ZxStatus::InvalidArgs)
    );
    // The start fits at the root, the end does not.
    assert_eq!(
        b.snapshot(P, MAX, 0).map(|v| v.size()),
        Err(ZxStatus::InvalidArgs)
    );
    // The largest end that fits: a child at P starts at MAX - 3P in the
    // root, plus 2^17 + 2P is 2^64 - P. One more page would reach 2^64.
    let fits = (1 << 17) + 2 * P;
    let e = b.snapshot(P, fits, 0).unwrap();
    assert_eq!(
        e.root_offset().checked_add(e.size()),
        Some(u64::MAX - P + 1)
    );
    assert_eq!(
        b.snapshot(P, fits + P, 0).map(|v| v.size()),
        Err(ZxStatus::InvalidArgs)
    );
    // A plain offset + size overflow stays OUT_OF_RANGE, checked first.
    assert_eq!(
        b.snapshot(MAX, MAX, 0).map(|v| v.size()),
        Err(ZxStatus::OutOfRange)
    );
    assert_eq!(
        a.snapshot(MAX, MAX, 0).map(|v| v.size()),
        Err(ZxStatus::OutOfRange)
    );
    // Alignment comes before the overflow checks.
    assert_eq!(
        b.snapshot(MAX + 1, MAX, 0).map(|v| v.size()),
        Err(ZxStatus::InvalidArgs)
    );
    // A refused snapshot shares nothing and changes nothing.
    assert_eq!(b.generation(), 0);
    drop((a, b, e));
    assert_eq!(frames.free_pages(), 8);
}

#[test]
fn a_snapshot_of_a_slice_near_2_64_is_invalid_args() {
    let frames = testing::allocator(8);
    let mut root = Vmo::create(frames, MAX, 0).unwrap();
    root.write(MAX - P, &[7]).unwrap();
    // A slice window over the last 16 pages.
    let base = MAX - 16 * P;
    let window = 16 * P;
    assert_eq!(
        root.snapshot_window(base, window, 1 << 63, P, 0)
            .map(|v| v.size()),
        Err(ZxStatus::InvalidArgs),
        "base + offset overflows"
    );
    assert_eq!(
        root.snapshot_window(base, window, (1 << 17) - 16 * P, MAX, 0)
            .map(|v| v.size()),
        Err(ZxStatus::InvalidArgs),
        "start fits, end does not"
    );
    assert_eq!(
        root.snapshot_window(base, window, MAX, MAX, 0)
            .map(|v| v.size()),
        Err(ZxStatus::OutOfRange),
        "offset + size overflows"
    );
    // In range: the last page of the window, and zero past it.
    let child = root
        .snapshot_window(base, window, 15 * P, 2 * P, 0)
        .unwrap();
    assert_eq!(child.root_offset(), MAX - P);
    assert_eq!((read_u8(&child, 0), read_u8(&child, P)), (7, 0));
    assert!(child.is_page_shared(0));
}

#[test]
fn a_window_that_is_not_one_is_invalid_args() {
    let frames = testing::allocator(8);
    let mut root = Vmo::create(frames, 4 * P, 0).unwrap();
    for (base, size) in [(1, P), (P, u64::MAX), (u64::MAX - P + 1, 2 * P)] {
        assert_eq!(
            root.snapshot_window(base, size, 0, P, 0).map(|v| v.size()),
            Err(ZxStatus::InvalidArgs),
            "window {base:#x}+{size:#x}"
        );
    }
}

#[test]
fn a_snapshot_of_a_window_sees_only_the_window() {
    let frames = testing::allocator(16);
    let mut root = Vmo::create(frames, 4 * P, 0).unwrap();
    for i in 0..4u8 {
        root.write(u64::from(i) * P, &[i + 1]).unwrap();
    }
    // Window [P, 3P); snapshot its second page and one page past it: the
    // root's committed page 3 must not show through.
    let child = root.snapshot_window(P, 2 * P, P, 2 * P, 0).unwrap();
    assert_eq!((read_u8(&child, 0), read_u8(&child, P)), (3, 0));
    assert_eq!(child.committed_pages(), 1);
    assert_eq!(child.root_offset(), 2 * P);
    // Starting past the window's end: nothing shared.
    let past = root.snapshot_window(P, 2 * P, 3 * P, P, 0).unwrap();
    assert_eq!((past.committed_pages(), read_u8(&past, 0)), (0, 0));
    // The whole VMO as a window is a plain snapshot.
    let whole = root.snapshot_window(0, 4 * P, 0, 4 * P, 0).unwrap();
    assert_eq!(whole.committed_pages(), 4);
    assert_eq!(frames.free_pages(), 12, "snapshots copy nothing");
}

#[test]
fn set_size_past_2_64_at_the_root_is_invalid_args() {
    let frames = testing::allocator(8);
    let mut a = Vmo::create(frames, MAX, 0).unwrap();
    let mut b = a.snapshot(MAX - 4 * P, 4 * P, vmo_opt::RESIZABLE).unwrap();
    b.write(0, &[5]).unwrap();
    // Growing past the root's own size is allowed while it fits in 2^64.
    let largest = u64::MAX - b.root_offset() + 1 - P;
    b.set_size(largest).unwrap();
    assert_eq!(b.size(), largest);
    assert_eq!(
        b.root_offset().checked_add(b.size()),
        Some(u64::MAX - P + 1)
    );
    // One more page reaches 2^64: refused, and nothing changes.
    assert_eq!(b.set_size(largest + P), Err(ZxStatus::InvalidArgs));
    assert_eq!(b.set_size(largest + 1), Err(ZxStatus::InvalidArgs));
    assert_eq!((b.size(), b.content_size()), (largest, largest));
    assert_eq!(read_u8(&b, 0), 5);
    // The other rules keep their order: rounding, then the limit.
    assert_eq!(b.set_size(u64::MAX), Err(ZxStatus::OutOfRange));
    assert_eq!(b.set_size(MAX + 1), Err(ZxStatus::OutOfRange));
    // A VMO of its own may take the largest size.
    let mut own = Vmo::create(frames, P, vmo_opt::RESIZABLE).unwrap();
    own.set_size(MAX).unwrap();
    // Not resizable is UNAVAILABLE whatever the offsets.
    let mut fixed = a.snapshot(MAX - P, P, 0).unwrap();
    assert_eq!(fixed.set_size(MAX), Err(ZxStatus::Unavailable));
}

#[test]
fn a_child_of_a_grown_child_keeps_the_rule() {
    let frames = testing::allocator(8);
    let mut a = Vmo::create(frames, 2 * P, vmo_opt::RESIZABLE).unwrap();
    let mut b = a.snapshot(P, P, vmo_opt::RESIZABLE).unwrap();
    b.set_size(MAX).unwrap();
    assert_eq!(b.root_offset(), P);
    let c = b.snapshot(MAX - P, P, 0).unwrap();
    assert_eq!(c.root_offset(), MAX);
    assert_eq!(
        b.snapshot(MAX, u64::MAX - MAX - P + 1, 0).map(|v| v.size()),
        Err(ZxStatus::InvalidArgs)
    );
}

#[test]
fn attribution_ranges_near_2_64_do_not_overflow() {
    let frames = testing::allocator(8);
    let mut v = Vmo::create(frames, MAX, 0).unwrap();
    v.write(MAX - 1, &[1]).unwrap();
    for (offset, len) in [
        (MAX - 1, u64::MAX),
        (u64::MAX, u64::MAX),
        (MAX - P, P),
        (0, u64::MAX),
    ] {
        let a = v.attribution_in_range(offset, len);
        let expected = if offset < MAX { P } else { 0 };
        assert_eq!(a.committed_bytes, expected, "{offset:#x}+{len:#x}");
    }
    assert_eq!(v.attribution().committed_bytes, P);
}
