//! Tests `zx_object_signal` on VMOs: user signals set and clear (clear
//! first, then set), `zx_object_wait_one` sees them through every handle
//! to the object, the kernel's own signal (ZERO_CHILDREN) is untouched,
//! non-user bits are INVALID_ARGS, a handle without SIGNAL is
//! ACCESS_DENIED, and BAD_HANDLE comes first.
#![no_std]
#![no_main]

use el0_tests::{dup, vmo, zx, GARBAGE_HANDLE, PAGE};
use zx::{rights, signals, Handle, ZxStatus, ZX_TIME_INFINITE_PAST};

/// The signals asserted on `h` now (a wait that polls).
fn observed(h: Handle) -> u32 {
    zx::object_wait_one(h, 0, ZX_TIME_INFINITE_PAST).1
}

fn set_and_clear() {
    let h = vmo(PAGE as u64, 0);
    let d = dup(h, rights::SAME_RIGHTS);
    assert_eq!(observed(h), signals::VMO_ZERO_CHILDREN, "a new VMO");
    assert_eq!(
        zx::object_signal(h, 0, signals::USER_0 | signals::USER_7),
        Ok(())
    );
    assert_eq!(
        observed(d),
        signals::VMO_ZERO_CHILDREN | signals::USER_0 | signals::USER_7,
        "seen through another handle"
    );
    let (status, seen) = zx::object_wait_one(d, signals::USER_7, ZX_TIME_INFINITE_PAST);
    assert_eq!(status, Ok(()), "a wait for a set user signal is satisfied");
    assert_eq!(seen & signals::USER_7, signals::USER_7);
    // Clear happens before set: the same bit in both ends up set.
    assert_eq!(
        zx::object_signal(h, signals::USER_0 | signals::USER_1, signals::USER_1),
        Ok(())
    );
    assert_eq!(
        observed(h),
        signals::VMO_ZERO_CHILDREN | signals::USER_1 | signals::USER_7
    );
    assert_eq!(zx::object_signal(h, signals::USER_ALL, 0), Ok(()));
    assert_eq!(
        observed(h),
        signals::VMO_ZERO_CHILDREN,
        "all user signals cleared"
    );
    let (status, _) = zx::object_wait_one(h, signals::USER_3, ZX_TIME_INFINITE_PAST);
    assert_eq!(
        status,
        Err(ZxStatus::TimedOut),
        "a cleared signal does not satisfy a wait"
    );
    zx::handle_close(d).expect("close");
    zx::handle_close(h).expect("close");
    zx::println!("object_signal: user signals set and clear, clear first, seen by every handle");
}

fn only_user_signals() {
    let h = vmo(PAGE as u64, 0);
    for bad in [
        signals::VMO_ZERO_CHILDREN,
        signals::HANDLE_CLOSED,
        1,
        1 << 22,
    ] {
        assert_eq!(
            zx::object_signal(h, 0, bad),
            Err(ZxStatus::InvalidArgs),
            "set {:#x}",
            bad
        );
        assert_eq!(
            zx::object_signal(h, bad, 0),
            Err(ZxStatus::InvalidArgs),
            "clear {:#x}",
            bad
        );
    }
    assert_eq!(
        zx::object_signal(h, 0, signals::USER_2 | 1),
        Err(ZxStatus::InvalidArgs),
        "a user bit with a non-user bit"
    );
    assert_eq!(
        observed(h),
        signals::VMO_ZERO_CHILDREN,
        "a refused call changes nothing"
    );
    zx::handle_close(h).expect("close");
    zx::println!("object_signal: only ZX_USER_SIGNAL_* may change; the rest is INVALID_ARGS");
}

fn rights_and_handles(root: Handle) {
    let h = vmo(PAGE as u64, 0);
    let no_signal = dup(h, rights::DEFAULT_VMO & !rights::SIGNAL);
    assert_eq!(
        zx::object_signal(no_signal, 0, signals::USER_0),
        Err(ZxStatus::AccessDenied),
        "without ZX_RIGHT_SIGNAL"
    );
    // A bad mask does not hide the missing right.
    assert_eq!(
        zx::object_signal(no_signal, 0, 1),
        Err(ZxStatus::AccessDenied),
        "rights come before the mask"
    );
    assert_eq!(
        zx::object_signal(GARBAGE_HANDLE, 0, 1),
        Err(ZxStatus::BadHandle),
        "BAD_HANDLE first"
    );
    assert_eq!(
        zx::object_signal(zx::ZX_HANDLE_INVALID, 0, signals::USER_0),
        Err(ZxStatus::BadHandle)
    );
    // The root VMAR handle has no SIGNAL right.
    assert_eq!(
        zx::object_signal(root, 0, signals::USER_0),
        Err(ZxStatus::AccessDenied),
        "root VMAR"
    );
    zx::handle_close(no_signal).expect("close");
    zx::handle_close(h).expect("close");
    zx::println!("object_signal: BAD_HANDLE, then ACCESS_DENIED without SIGNAL, then the mask");
}

fn kernel_signal_kept() {
    let parent = vmo(PAGE as u64, 0);
    assert_eq!(zx::object_signal(parent, 0, signals::USER_4), Ok(()));
    let child =
        zx::vmo_create_child(parent, zx::child_opt::SNAPSHOT, 0, PAGE as u64).expect("snapshot");
    assert_eq!(
        observed(parent),
        signals::USER_4,
        "ZERO_CHILDREN drops, USER_4 stays"
    );
    zx::handle_close(child).expect("close child");
    assert_eq!(
        observed(parent),
        signals::VMO_ZERO_CHILDREN | signals::USER_4,
        "ZERO_CHILDREN comes back beside the user signal"
    );
    zx::handle_close(parent).expect("close");
    zx::println!("object_signal: the kernel's ZERO_CHILDREN and user signals live side by side");
}

fn main(root: Handle) -> i64 {
    set_and_clear();
    only_user_signals();
    rights_and_handles(root);
    kernel_signal_kept();
    0
}

zx::entry!(main);
