//! Expects the kernel to kill the program: it waits with
//! `ZX_TIME_INFINITE` for `ZX_VMO_ZERO_CHILDREN` on a VMO that has a
//! child. No other thread exists to close the child, so the signal can
//! never become active and the wait can never end. Returning (status 1)
//! means the wait came back.
#![no_std]
#![no_main]

use el0_tests::{child, fault_missing, vmo, zero_children, zx};
use zx::{child_opt, signals, Handle, ZX_TIME_INFINITE};

fn main(_root: Handle) -> i64 {
    let parent = vmo(4096, 0);
    let ch = child(parent, child_opt::SNAPSHOT, 0, 4096);
    assert!(
        !zero_children(parent),
        "ZERO_CHILDREN active on a VMO with a child"
    );
    zx::println!("wait_forever: waiting forever for ZERO_CHILDREN on a VMO with a child");
    let (s, observed) = zx::object_wait_one(parent, signals::VMO_ZERO_CHILDREN, ZX_TIME_INFINITE);
    zx::println!(
        "wait_one returned {:?}, observed {:#x} (child handle {:#x})",
        s,
        observed,
        ch
    );
    fault_missing("an endless wait")
}

zx::entry!(main);
