//! Tests Zircon's memory attribution through the real calls, replaying
//! sequences of the core tests (vmo-clone2.cc with helpers.h's scaled
//! figures) on VMOs and snapshots made with `zx_vmo_create_child`:
//! `ZX_INFO_VMO`'s committed, private and scaled bytes (with the fraction)
//! as clones are created, written, closed (merged into the survivors) and
//! resized. The host tests (mm/tests/attribution.rs) replay more of them on
//! `mm::Vmo` alone; this program checks that the kernel reports the same.
#![no_std]
#![no_main]

use el0_tests::{assert_no_leak, close, vmo, vmo_info, zx};
use zx::{child_opt, vmo_opt, Handle};

const P: u64 = 4096;
/// One third of a byte in the 2^-63 fixed point (`FRACTION_ONE / 3`).
const THIRD: u64 = (1u64 << 63) / 3;

fn put(h: Handle, value: u32, offset: u64) {
    zx::vmo_write(h, &value.to_le_bytes(), offset).expect("write");
}

fn get(h: Handle, offset: u64) -> u32 {
    let mut b = [0u8; 4];
    zx::vmo_read(h, &mut b, offset).expect("read");
    u32::from_le_bytes(b)
}

/// `populated_scaled_bytes`, what the core tests' `VmoPopulatedBytes` reads.
fn scaled(h: Handle) -> u64 {
    vmo_info(h).populated_scaled_bytes
}

fn fraction(h: Handle) -> u64 {
    vmo_info(h).populated_fractional_scaled_bytes
}

fn snap(h: Handle, offset: u64, size: u64, resizable: bool) -> Handle {
    let o = child_opt::SNAPSHOT | if resizable { child_opt::RESIZABLE } else { 0 };
    zx::vmo_create_child(h, o, offset, size).expect("snapshot")
}

/// A resizable VMO of `pages` pages, page i holding i + 1.
fn tagged(pages: u32) -> Handle {
    let h = vmo(u64::from(pages) * P, vmo_opt::RESIZABLE);
    for i in 0..pages {
        put(h, i + 1, u64::from(i) * P);
    }
    h
}

/// vmo-clone2.cc `ObjMemAccounting`: a clone and its parent share, then
/// fork, their pages.
fn obj_mem_accounting() {
    let v = vmo(2 * P, 0);
    put(v, 1, 0);
    put(v, 1, P);
    assert_eq!(scaled(v), 2 * P);
    let c = snap(v, 0, 2 * P, false);
    for h in [v, c] {
        let i = vmo_info(h);
        assert_eq!(
            (i.committed_bytes, i.committed_private_bytes),
            (2 * P, 0),
            "all shared"
        );
        assert_eq!(
            (
                i.committed_scaled_bytes,
                i.committed_fractional_scaled_bytes
            ),
            (P, 0)
        );
    }
    put(v, 2, 0);
    assert_eq!(
        (scaled(v), scaled(c)),
        (3 * P / 2, 3 * P / 2),
        "one page forked"
    );
    assert_eq!(vmo_info(v).committed_private_bytes, P);
    assert_eq!(vmo_info(c).committed_private_bytes, P);
    put(c, 2, P);
    assert_eq!((scaled(v), scaled(c)), (2 * P, 2 * P), "both forked");
    close(c);
    assert_eq!(vmo_info(v).committed_private_bytes, 2 * P);
    close(v);
}

/// vmo-clone2.cc `Offset` (with `OverflowWithFractionalThirds`): a page
/// shared three ways gives thirds with Zircon's truncated fraction; closing
/// the middle clone merges its share into the others.
fn thirds_and_merge() {
    let v = tagged(1);
    let c = snap(v, 0, 2 * P, false);
    assert_eq!((get(c, 0), get(c, P)), (1, 0));
    assert_eq!((scaled(v), scaled(c)), (P / 2, P / 2));
    put(c, 2, P);
    let c2 = snap(c, 0, 3 * P, false);
    assert_eq!((get(c2, 0), get(c2, P), get(c2, 2 * P)), (1, 2, 0));
    assert_eq!(scaled(v), P / 3, "1/3");
    assert_eq!(scaled(c), 5 * P / 6, "1/3 + 1/2");
    assert_eq!(scaled(c2), 5 * P / 6, "1/3 + 1/2 + 0");
    for h in [v, c, c2] {
        assert_eq!(fraction(h), THIRD, "a third of a byte left over");
    }
    assert_eq!(
        scaled(v) + scaled(c) + scaled(c2) + 1,
        2 * P,
        "one byte less a hair"
    );
    put(c2, 4, 0);
    put(c2, 5, P);
    assert_eq!(
        (scaled(v), scaled(c), scaled(c2)),
        (P / 2, 3 * P / 2, 2 * P)
    );
    for h in [v, c, c2] {
        assert_eq!(fraction(h), 0, "halves and wholes are exact");
    }
    close(c);
    assert_eq!(get(v, 0), 1);
    assert_eq!(
        (scaled(v), scaled(c2)),
        (P, 2 * P),
        "the middle clone's share merged"
    );
    close(c2);
    close(v);
}

/// vmo-clone2.cc `ResizeGrow` and `ResizeOffsetChild`: a shrink hides
/// pages from the shrunk VMO's share, a grow shows zeros.
fn resize() {
    let v = tagged(2);
    let c = snap(v, 0, P, true);
    assert_eq!(get(c, 0), 1);
    zx::vmo_set_size(c, 2 * P).expect("grow the clone");
    assert_eq!(get(c, P), 0, "zeros past the old end");
    put(v, 3, P);
    assert_eq!(get(c, P), 0);
    assert_eq!(
        (scaled(v), scaled(c)),
        (3 * P / 2, P / 2),
        "1/2 + 1 and 1/2 + 0"
    );
    close(c);
    close(v);

    let v = tagged(3);
    let c = snap(v, P, P, false);
    zx::vmo_set_size(v, 0).expect("shrink the parent to nothing");
    assert_eq!(get(c, 0), 2);
    assert_eq!(
        (scaled(v), scaled(c)),
        (0, P),
        "the clone owns what it sees"
    );
    close(c);
    close(v);
}

fn main(_root: Handle) -> i64 {
    assert_no_leak("attribution", || {
        obj_mem_accounting();
        thirds_and_merge();
        resize();
    });
    zx::println!("vmo_attribution: shared pages split between sharers through clone, write, close, resize and merge");
    0
}

zx::entry!(main);
