//! A kernel bug found while building the fuzzer (kept as its reproducer).
//! `zx_vmo_create_child` documents that a child's offset and size "may
//! start or extend beyond the original VMO's size". For a plain parent the
//! kernel agrees; for a slice parent, a snapshot starting past the slice's
//! end fails with ZX_ERR_OUT_OF_RANGE: create_child computes
//! `parent_size - offset` without a check, which wraps. The snapshot must
//! succeed and read zero there, not the bytes the slice's root VMO holds
//! beyond the slice's window.
#![no_std]
#![no_main]

use el0_tests::{assert_no_leak, assert_vmo_bytes, child, close, vmo, write, zx, PAGE};
use zx::{child_opt, Handle};

const P: u64 = PAGE as u64;

fn main(_root: Handle) -> i64 {
    assert_no_leak("snapshot past the end of a slice", || {
        let root = vmo(8 * P, 0);
        write(root, &[0xAA; PAGE], 3 * P);
        let slice = child(root, child_opt::SLICE, 0, 2 * P);
        let plain = vmo(2 * P, 0);
        for (what, parent) in [("a plain VMO", plain), ("a slice", slice)] {
            for opt in [child_opt::SNAPSHOT, child_opt::SNAPSHOT_AT_LEAST_ON_WRITE] {
                let c = match zx::vmo_create_child(parent, opt, 3 * P, P) {
                    Ok(c) => c,
                    Err(e) => panic!(
                        "snapshot (options {:#x}) of {} (2 pages) at offset 3 pages: {}",
                        opt,
                        what,
                        e.name()
                    ),
                };
                assert_vmo_bytes(c, 0, P, 0, "a snapshot past its parent's end");
                close(c);
            }
        }
        close(plain);
        close(slice);
        close(root);
    });
    0
}

zx::entry!(main);
