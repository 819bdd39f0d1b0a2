//! Tests event pairs and `zx_object_signal_peer`: `zx_eventpair_create`
//! (options NOT_SUPPORTED, bad out-pointers INVALID_ARGS, default rights,
//! type, each endpoint's related koid is the other's koid), user signals and
//! EVENTPAIR_SIGNALED on the endpoint itself and on its peer (other bits
//! INVALID_ARGS), SIGNAL_PEER needed (ACCESS_DENIED; an event has no such
//! right), PEER_CLOSED raised when the peer's last handle goes (not its
//! first, not through handle_replace) and kept with the user signals, a
//! waiter woken by it, signal_peer PEER_CLOSED afterwards, and nothing
//! leaked (pages, VMOs, and the kernel heap where no thread comes and goes).
#![no_std]
#![no_main]

#[allow(dead_code)] // each program uses part of it
#[path = "../peer_leak.rs"]
mod leak;

use el0_tests::{assert_err, assert_no_leak, close, dup, handle_basic, zx, BAD_POINTERS};
use zx::peer::{eventpair_create, object_signal_peer};
use zx::{
    obj_type, rights, signals, thread, Handle, ZxStatus, ZX_HANDLE_INVALID, ZX_TIME_INFINITE,
    ZX_TIME_INFINITE_PAST,
};

/// The signals asserted on `h` now (a wait that polls).
fn observed(h: Handle) -> u32 {
    let (s, seen) = zx::object_wait_one(h, 0, ZX_TIME_INFINITE_PAST);
    assert_eq!(s, Err(ZxStatus::TimedOut), "a poll times out");
    seen
}

fn create() {
    let (mut a, mut b) = (ZX_HANDLE_INVALID, ZX_HANDLE_INVALID);
    assert_err(
        // SAFETY: both out-pointers name live locals.
        zx::to_result(unsafe { zx::raw::eventpair_create(1, &mut a, &mut b) }),
        ZxStatus::NotSupported,
        "options other than 0",
    );
    assert_eq!((a, b), (ZX_HANDLE_INVALID, ZX_HANDLE_INVALID), "no handles");
    for (what, p) in BAD_POINTERS {
        assert_err(
            // SAFETY: the kernel must reject the bad pointer, whichever.
            zx::to_result(unsafe { zx::raw::eventpair_create(0, &mut a, p as *mut Handle) }),
            ZxStatus::InvalidArgs,
            what,
        );
        assert_err(
            // SAFETY: as above.
            zx::to_result(unsafe { zx::raw::eventpair_create(0, p as *mut Handle, &mut b) }),
            ZxStatus::InvalidArgs,
            what,
        );
    }
    let (a, b) = eventpair_create().unwrap();
    let (ia, ib) = (handle_basic(a), handle_basic(b));
    for i in [ia, ib] {
        assert_eq!(i.obj_type, obj_type::EVENTPAIR);
        assert_eq!(i.rights, rights::DEFAULT_EVENTPAIR);
        assert_eq!(
            i.rights,
            rights::BASIC | rights::SIGNAL | rights::SIGNAL_PEER
        );
        assert_ne!(i.related_koid, 0);
    }
    assert_ne!(ia.koid, ib.koid);
    assert_eq!(ia.related_koid, ib.koid, "a's peer is b");
    assert_eq!(ib.related_koid, ia.koid, "b's peer is a");
    assert_eq!((observed(a), observed(b)), (0, 0), "no signal at start");
    close(a);
    assert_eq!(
        handle_basic(b).related_koid,
        ia.koid,
        "the peer's koid stays after it is gone"
    );
    close(b);
}

fn signals_on_self_and_peer() {
    let (a, b) = eventpair_create().unwrap();
    zx::object_signal(a, 0, signals::USER_0 | signals::EVENTPAIR_SIGNALED).unwrap();
    assert_eq!(observed(a), signals::USER_0 | signals::EVENTPAIR_SIGNALED);
    assert_eq!(observed(b), 0, "signal touches only the endpoint");
    zx::object_signal(a, signals::USER_0 | signals::EVENTPAIR_SIGNALED, 0).unwrap();
    assert_eq!(observed(a), 0);

    object_signal_peer(a, 0, signals::USER_0).unwrap();
    assert_eq!((observed(a), observed(b)), (0, signals::USER_0));
    object_signal_peer(b, 0, signals::USER_1 | signals::USER_2).unwrap();
    assert_eq!(observed(a), signals::USER_1 | signals::USER_2);
    // Clear first, then set.
    object_signal_peer(a, signals::USER_0, signals::USER_3 | signals::USER_4).unwrap();
    assert_eq!(observed(b), signals::USER_3 | signals::USER_4);
    object_signal_peer(a, signals::USER_3, signals::USER_3).unwrap();
    assert_eq!(observed(b), signals::USER_3 | signals::USER_4);
    object_signal_peer(b, 0, signals::EVENTPAIR_SIGNALED).unwrap();
    assert_eq!(
        observed(a),
        signals::USER_1 | signals::USER_2 | signals::EVENTPAIR_SIGNALED
    );
    for bad in [
        signals::PEER_CLOSED,
        signals::READABLE,
        signals::THREAD_RUNNING,
        signals::HANDLE_CLOSED,
    ] {
        assert_err(
            object_signal_peer(a, 0, bad),
            ZxStatus::InvalidArgs,
            "set a kernel bit on the peer",
        );
        assert_err(
            object_signal_peer(a, bad, 0),
            ZxStatus::InvalidArgs,
            "clear a kernel bit on the peer",
        );
        assert_err(
            zx::object_signal(a, 0, bad),
            ZxStatus::InvalidArgs,
            "set a kernel bit",
        );
    }
    assert_eq!(observed(b), signals::USER_3 | signals::USER_4, "unchanged");
    close(a);
    close(b);
    zx::println!("eventpair: user signals and SIGNALED on the endpoint and its peer");
}

fn rights_and_types(root: Handle) {
    let (a, b) = eventpair_create().unwrap();
    let weak = dup(a, rights::DEFAULT_EVENTPAIR & !rights::SIGNAL_PEER);
    assert_err(
        object_signal_peer(weak, 0, signals::USER_0),
        ZxStatus::AccessDenied,
        "no SIGNAL_PEER",
    );
    let no_signal = dup(a, rights::DEFAULT_EVENTPAIR & !rights::SIGNAL);
    assert_err(
        zx::object_signal(no_signal, 0, signals::USER_0),
        ZxStatus::AccessDenied,
        "no SIGNAL",
    );
    object_signal_peer(no_signal, 0, signals::USER_5).unwrap();
    assert_eq!(observed(b), signals::USER_5, "SIGNAL_PEER is enough");
    assert_err(
        object_signal_peer(el0_tests::GARBAGE_HANDLE, 0, 0),
        ZxStatus::BadHandle,
        "a bad handle",
    );
    assert_err(
        object_signal_peer(ZX_HANDLE_INVALID, 0, signals::PEER_CLOSED),
        ZxStatus::BadHandle,
        "BAD_HANDLE before the bits",
    );
    // Objects without a peer have no SIGNAL_PEER right either.
    let e = zx::event_create().unwrap();
    assert_err(
        object_signal_peer(e, 0, signals::USER_0),
        ZxStatus::AccessDenied,
        "an event",
    );
    assert_err(
        object_signal_peer(root, 0, signals::USER_0),
        ZxStatus::AccessDenied,
        "a VMAR",
    );
    // Event pairs have no name and no GET_PROPERTY right.
    let mut name = [0u8; zx::ZX_MAX_NAME_LEN];
    assert_err(
        zx::object_get_property(a, zx::prop::NAME, &mut name),
        ZxStatus::AccessDenied,
        "no GET_PROPERTY",
    );
    for h in [weak, no_signal, e, a, b] {
        close(h);
    }
    zx::println!("eventpair: signal_peer needs SIGNAL_PEER, which peerless objects lack");
}

fn peer_closed() {
    let (a, b) = eventpair_create().unwrap();
    object_signal_peer(a, 0, signals::USER_3).unwrap();
    let a2 = dup(a, rights::SAME_RIGHTS);
    close(a);
    assert_eq!(
        observed(b),
        signals::USER_3,
        "a duplicate keeps the peer open"
    );
    let a3 = zx::handle_replace(a2, rights::SAME_RIGHTS).unwrap();
    assert_eq!(
        observed(b),
        signals::USER_3,
        "replace moves, it does not close"
    );
    object_signal_peer(b, 0, signals::USER_1).unwrap();
    assert_eq!(observed(a3), signals::USER_1);
    close(a3);
    assert_eq!(
        observed(b),
        signals::USER_3 | signals::PEER_CLOSED,
        "the last handle raises PEER_CLOSED; user signals stay"
    );
    assert_eq!(signals::EVENTPAIR_PEER_CLOSED, signals::PEER_CLOSED);
    assert_err(
        object_signal_peer(b, 0, signals::USER_0),
        ZxStatus::PeerClosed,
        "the peer is gone",
    );
    assert_err(
        object_signal_peer(b, 0, signals::READABLE),
        ZxStatus::InvalidArgs,
        "bad bits win over a closed peer",
    );
    zx::object_signal(b, 0, signals::USER_0).unwrap();
    assert_eq!(
        observed(b),
        signals::USER_0 | signals::USER_3 | signals::PEER_CLOSED,
        "the endpoint itself still takes signals"
    );
    close(b);
}

fn close_later(h: usize) {
    zx::nanosleep(zx::deadline_after(2_000_000));
    close(h as Handle);
}

fn waiter_woken_by_peer_closed() {
    let (a, b) = eventpair_create().unwrap();
    let j = thread::spawn("closer", close_later, a as usize).unwrap();
    let (s, seen) = zx::object_wait_one(b, signals::PEER_CLOSED, ZX_TIME_INFINITE);
    assert_eq!((s, seen), (Ok(()), signals::PEER_CLOSED));
    j.join().unwrap();
    close(b);
}

fn main(root: Handle) -> i64 {
    create();
    signals_on_self_and_peer();
    rights_and_types(root);
    leak::check("eventpair: create and close", create);
    leak::check("eventpair: peer closed", peer_closed);
    zx::println!("eventpair: PEER_CLOSED comes with the peer's last handle, not its first");
    // Pages and VMOs only: a thread's kernel memory is freed when the kernel
    // reaps it, which may come after its join, so the heap is not exact here.
    assert_no_leak("eventpair: a waiter woken", waiter_woken_by_peer_closed);
    zx::println!("eventpair: a waiter is woken by PEER_CLOSED; nothing leaked");
    0
}

zx::entry!(main);
