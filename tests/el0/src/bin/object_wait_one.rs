//! Tests `zx_object_wait_one` on VMOs: bad handles, the WAIT right, the
//! root VMAR refused, polling (deadlines 0, 1, i64::MIN and now: OK if a
//! requested signal is active, else TIMED_OUT, with the current signals
//! observed), an optional `observed` pointer and bad ones, and a finite
//! deadline 5 ms ahead that times out no earlier than the deadline.
#![no_std]
#![no_main]

use el0_tests::{
    assert_no_leak, child, close, dup, now_ns, st, ticks_to_ns_i64, vmo, zx, ReadOnlyPage,
    BAD_POINTERS, GARBAGE_HANDLE,
};
use zx::{child_opt, rights, signals, Handle, ZxStatus, ZX_TIME_INFINITE_PAST};

const ZERO_CHILDREN: u32 = signals::VMO_ZERO_CHILDREN;
/// `ZX_USER_SIGNAL_0`: never raised on a VMO here.
const USER_SIGNAL_0: u32 = 1 << 24;

fn raw_wait(h: Handle, sig: u32, deadline: i64, observed: usize) -> zx::Status {
    // SAFETY: `observed` is NULL, an address the kernel must refuse (no
    // Rust memory touched), or a live `u32`.
    st(unsafe { zx::raw::object_wait_one(h, sig, deadline, observed as *mut u32) })
}

fn handle_checks(root: Handle) {
    let closed = vmo(4096, 0);
    close(closed);
    for h in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
        let (s, _) = zx::object_wait_one(h, ZERO_CHILDREN, 0);
        assert_eq!(
            s,
            Err(ZxStatus::BadHandle),
            "wait_one(invalid handle {:#x})",
            h
        );
    }
    let h = vmo(4096, 0);
    let no_wait = dup(h, rights::DEFAULT_VMO & !rights::WAIT);
    for deadline in [0, ZX_TIME_INFINITE_PAST, now_ns() + 5_000_000] {
        let (s, _) = zx::object_wait_one(no_wait, ZERO_CHILDREN, deadline);
        assert_eq!(s, Err(ZxStatus::AccessDenied), "wait_one without WAIT");
    }
    close(no_wait);
    let wait_only = dup(h, rights::WAIT);
    let (s, observed) = zx::object_wait_one(wait_only, ZERO_CHILDREN, 0);
    assert_eq!(s, Ok(()), "wait_one with WAIT alone");
    assert_ne!(observed & ZERO_CHILDREN, 0);
    close(wait_only);
    close(h);
    // The root VMAR cannot be waited on (it lacks WAIT, and a VMAR has no
    // signals to wait for).
    let (s, _) = zx::object_wait_one(root, ZERO_CHILDREN, 0);
    assert!(s.is_err(), "wait_one on the root VMAR succeeded");
    zx::println!("object_wait_one: BAD_HANDLE, ACCESS_DENIED without WAIT, the VMAR refused");
}

fn polling() {
    let active = vmo(4096, 0);
    let parent = vmo(4096, 0);
    let ch = child(parent, child_opt::SNAPSHOT, 0, 4096);
    let past = [0, 1, ZX_TIME_INFINITE_PAST, now_ns()];
    for deadline in past {
        let (s, observed) = zx::object_wait_one(active, ZERO_CHILDREN, deadline);
        assert_eq!(s, Ok(()), "poll an active signal, deadline {}", deadline);
        assert_ne!(observed & ZERO_CHILDREN, 0, "observed {:#x}", observed);
        let (s, observed) = zx::object_wait_one(active, ZERO_CHILDREN | USER_SIGNAL_0, deadline);
        assert_eq!(s, Ok(()), "poll active | inactive, deadline {}", deadline);
        assert_ne!(observed & ZERO_CHILDREN, 0, "observed {:#x}", observed);
        assert_eq!(observed & USER_SIGNAL_0, 0, "observed {:#x}", observed);

        let (s, observed) = zx::object_wait_one(active, USER_SIGNAL_0, deadline);
        assert_eq!(
            s,
            Err(ZxStatus::TimedOut),
            "poll an inactive signal, deadline {}",
            deadline
        );
        assert_ne!(
            observed & ZERO_CHILDREN,
            0,
            "observed holds the current signals, not just the requested ones"
        );
        let (s, _) = zx::object_wait_one(active, signals::NONE, deadline);
        assert_eq!(
            s,
            Err(ZxStatus::TimedOut),
            "poll for no signals, deadline {}",
            deadline
        );

        let (s, observed) = zx::object_wait_one(parent, ZERO_CHILDREN, deadline);
        assert_eq!(s, Err(ZxStatus::TimedOut), "poll a parent's ZERO_CHILDREN");
        assert_eq!(observed & ZERO_CHILDREN, 0, "observed {:#x}", observed);
    }
    close(ch);
    close(parent);
    close(active);
    zx::println!("object_wait_one: deadlines in the past poll; observed gets the current signals");
}

fn observed_pointer(root: Handle) {
    let h = vmo(4096, 0);
    assert_eq!(
        raw_wait(h, ZERO_CHILDREN, 0, 0),
        Ok(()),
        "observed NULL, active"
    );
    let parent = vmo(4096, 0);
    let ch = child(parent, child_opt::SNAPSHOT, 0, 4096);
    assert_eq!(
        raw_wait(parent, ZERO_CHILDREN, 0, 0),
        Err(ZxStatus::TimedOut),
        "observed NULL, inactive"
    );
    close(ch);
    close(parent);
    for (name, bad) in BAD_POINTERS {
        if bad == 0 {
            continue;
        }
        assert_eq!(
            raw_wait(h, ZERO_CHILDREN, 0, bad),
            Err(ZxStatus::InvalidArgs),
            "observed = {}",
            name
        );
    }
    let ro = ReadOnlyPage::new(root);
    assert_eq!(
        raw_wait(h, ZERO_CHILDREN, 0, ro.addr()),
        Err(ZxStatus::InvalidArgs),
        "observed in a read-only page"
    );
    assert_eq!(ro.map.read_u64(0), 0, "read-only page was written");
    ro.release();
    close(h);
    zx::println!("object_wait_one: observed may be NULL; bad observed pointers are INVALID_ARGS");
}

fn finite_deadline() {
    const WAIT_NS: i64 = 5_000_000;
    let parent = vmo(4096, 0);
    let ch = child(parent, child_opt::SNAPSHOT, 0, 4096);
    for (h, sig, what) in [
        (parent, ZERO_CHILDREN, "ZERO_CHILDREN of a parent"),
        (ch, USER_SIGNAL_0, "a user signal"),
    ] {
        let t0 = zx::counter();
        let deadline = ticks_to_ns_i64(t0) + WAIT_NS;
        let (s, observed) = zx::object_wait_one(h, sig, deadline);
        let t1 = zx::counter();
        assert_eq!(s, Err(ZxStatus::TimedOut), "wait 5 ms for {}", what);
        assert_eq!(observed & sig, 0, "observed {:#x} for {}", observed, what);
        let waited = ticks_to_ns_i64(t1) - ticks_to_ns_i64(t0);
        assert!(
            ticks_to_ns_i64(t1) >= deadline,
            "wait for {} returned {} ns after it began, before its 5 ms deadline",
            what,
            waited
        );
        assert!(
            waited < 5_000_000_000,
            "wait for {} took {} ns",
            what,
            waited
        );
        zx::println!(
            "object_wait_one: 5 ms wait for {} returned after {} us",
            what,
            waited / 1000
        );
    }
    // An active signal returns at once, however far the deadline.
    let t0 = now_ns();
    let (s, _) = zx::object_wait_one(ch, ZERO_CHILDREN, t0 + 60_000_000_000);
    assert_eq!(s, Ok(()), "wait for an active signal with a far deadline");
    assert!(
        now_ns() - t0 < 1_000_000_000,
        "an active signal did not return at once"
    );
    // The waits left the handles alone.
    close(ch);
    close(parent);
    zx::println!("object_wait_one: a finite deadline times out no earlier than the deadline");
}

fn main(root: Handle) -> i64 {
    assert_no_leak("object_wait_one", || {
        handle_checks(root);
        polling();
        observed_pointer(root);
        finite_deadline();
    });
    0
}

zx::entry!(main);
