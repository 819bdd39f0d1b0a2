//! Tests events and blocking waits: `zx_event_create` (options INVALID_ARGS,
//! default rights, user signals and SIGNALED allowed, others not), a
//! `zx_object_wait_one` that blocks until another thread signals, deadlines
//! (TIMED_OUT with the signals observed), and `zx_object_wait_many`
//! (pending for every item, OUT_OF_RANGE past 64 items, BAD_HANDLE and
//! ACCESS_DENIED, no items sleeps until the deadline), and closing the
//! handle a thread waits through ends its wait with CANCELED and
//! `ZX_SIGNAL_HANDLE_CLOSED` observed.
#![no_std]
#![no_main]

use el0_tests::{assert_err, dup, handle_basic, zx, GARBAGE_HANDLE};
use zx::{obj_type, rights, signals, thread, Handle, WaitItem, ZxStatus, ZX_TIME_INFINITE};

fn create() {
    let mut out = 0;
    assert_err(
        // SAFETY: `out` is a live local.
        zx::to_result(unsafe { zx::raw::event_create(1, &mut out) }),
        ZxStatus::InvalidArgs,
        "options other than 0",
    );
    let e = zx::event_create().unwrap();
    let b = handle_basic(e);
    assert_eq!(b.obj_type, obj_type::EVENT);
    assert_eq!(b.rights, rights::DEFAULT_EVENT);
    assert_eq!(
        zx::object_signal(e, 0, signals::EVENT_SIGNALED | signals::USER_5),
        Ok(())
    );
    assert_err(
        zx::object_signal(e, 0, signals::THREAD_RUNNING),
        ZxStatus::InvalidArgs,
        "a kernel signal",
    );
    let (s, seen) = zx::object_wait_one(e, signals::EVENT_SIGNALED, 0);
    assert_eq!(
        (s, seen),
        (Ok(()), signals::EVENT_SIGNALED | signals::USER_5)
    );
    zx::handle_close(e).unwrap();
    zx::println!("event_wait: events have default rights and take SIGNALED and user signals");
}

fn signal_later(event: usize) {
    zx::nanosleep(zx::deadline_after(3_000_000));
    zx::object_signal(event as Handle, 0, signals::USER_1).unwrap();
}

fn blocking_wait_one() {
    let e = zx::event_create().unwrap();
    let start = zx::clock_get_monotonic();
    let (s, seen) = zx::object_wait_one(e, signals::USER_0, zx::deadline_after(2_000_000));
    assert_eq!((s, seen), (Err(ZxStatus::TimedOut), 0), "a deadline");
    assert!(
        zx::clock_get_monotonic() - start >= 2_000_000,
        "waited until the deadline"
    );
    let j = thread::spawn("signaller", signal_later, e as usize).unwrap();
    let (s, seen) = zx::object_wait_one(e, signals::USER_1, ZX_TIME_INFINITE);
    assert_eq!(
        (s, seen),
        (Ok(()), signals::USER_1),
        "woken by the other thread"
    );
    j.join().unwrap();
    zx::handle_close(e).unwrap();
    zx::println!("event_wait: wait_one blocks until another thread signals, or times out");
}

fn wait_many() {
    let a = zx::event_create().unwrap();
    let b = zx::event_create().unwrap();
    let mut items = [
        WaitItem {
            handle: a,
            waitfor: signals::USER_0,
            pending: 0,
        },
        WaitItem {
            handle: b,
            waitfor: signals::USER_1,
            pending: 0,
        },
    ];
    assert_eq!(zx::object_wait_many(&mut items, 0), Err(ZxStatus::TimedOut));
    let j = thread::spawn("signaller", signal_later, b as usize).unwrap();
    zx::object_signal(a, 0, signals::USER_2).unwrap();
    assert_eq!(zx::object_wait_many(&mut items, ZX_TIME_INFINITE), Ok(()));
    assert_eq!(
        items[0].pending,
        signals::USER_2,
        "pending for an item not satisfied"
    );
    assert_eq!(
        items[1].pending,
        signals::USER_1,
        "pending for the one that was"
    );
    j.join().unwrap();

    let mut many = [WaitItem {
        handle: a,
        waitfor: signals::USER_0,
        pending: 0,
    }; 65];
    assert_err(
        zx::object_wait_many(&mut many, 0),
        ZxStatus::OutOfRange,
        "65 items",
    );
    assert_eq!(
        zx::object_wait_many(&mut many[..64], 0),
        Err(ZxStatus::TimedOut),
        "64 items are fine"
    );
    items[1].handle = GARBAGE_HANDLE;
    assert_err(
        zx::object_wait_many(&mut items, 0),
        ZxStatus::BadHandle,
        "a bad handle",
    );
    let no_wait = dup(b, rights::DEFAULT_EVENT & !rights::WAIT);
    items[1].handle = no_wait;
    assert_err(
        zx::object_wait_many(&mut items, 0),
        ZxStatus::AccessDenied,
        "a handle without WAIT",
    );
    let start = zx::clock_get_monotonic();
    assert_eq!(
        zx::object_wait_many(&mut [], zx::deadline_after(2_000_000)),
        Err(ZxStatus::TimedOut),
        "no items"
    );
    assert!(
        zx::clock_get_monotonic() - start >= 2_000_000,
        "no items sleeps until the deadline"
    );
    zx::handle_close_many(&[a, b, no_wait]).unwrap();
    zx::println!("event_wait: wait_many fills every pending, checks count, handles and rights");
}

static CANCELED_SEEN: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// Waits for ever on the event whose handle is `h`, through that handle.
fn wait_on(h: usize) {
    let (s, seen) = zx::object_wait_one(h as Handle, signals::USER_0, ZX_TIME_INFINITE);
    assert_eq!(s, Err(ZxStatus::Canceled), "a wait whose handle was closed");
    assert_ne!(
        seen & signals::HANDLE_CLOSED,
        0,
        "observed has HANDLE_CLOSED"
    );
    CANCELED_SEEN.fetch_add(1, core::sync::atomic::Ordering::SeqCst);
}

/// The same through wait_many, with a second handle that stays open.
fn wait_many_on(h: usize) {
    let other = zx::event_create().unwrap();
    let mut items = [
        WaitItem {
            handle: other,
            waitfor: signals::USER_0,
            pending: 0,
        },
        WaitItem {
            handle: h as Handle,
            waitfor: signals::USER_0,
            pending: 0,
        },
    ];
    assert_eq!(
        zx::object_wait_many(&mut items, ZX_TIME_INFINITE),
        Err(ZxStatus::Canceled)
    );
    assert_eq!(
        items[0].pending & signals::HANDLE_CLOSED,
        0,
        "the open handle's item"
    );
    assert_ne!(
        items[1].pending & signals::HANDLE_CLOSED,
        0,
        "the closed handle's item"
    );
    zx::handle_close(other).unwrap();
    CANCELED_SEEN.fetch_add(1, core::sync::atomic::Ordering::SeqCst);
}

fn close_during_wait() {
    for (i, f) in [wait_on as fn(usize), wait_many_on].into_iter().enumerate() {
        let e = zx::event_create().unwrap();
        let keep = dup(e, rights::SAME_RIGHTS);
        let j = thread::spawn("waiter", f, e as usize).unwrap();
        let blocked = if i == 0 {
            zx::thread_state::BLOCKED_WAIT_ONE
        } else {
            zx::thread_state::BLOCKED_WAIT_MANY
        };
        el0_tests::wait_for_thread_state(j.handle(), blocked);
        // Signalling through another handle to the same object would end
        // the wait differently; closing this one cancels it.
        zx::handle_close(e).unwrap();
        j.join().unwrap();
        zx::handle_close(keep).unwrap();
    }
    assert_eq!(CANCELED_SEEN.load(core::sync::atomic::Ordering::SeqCst), 2);
    zx::println!("event_wait: closing the handle a wait uses ends it with CANCELED, HANDLE_CLOSED");
}

fn clocks() {
    let k1 = zx::clock_get_monotonic_via_kernel();
    let u = zx::clock_get_monotonic();
    let k2 = zx::clock_get_monotonic_via_kernel();
    assert!(
        k1 > 0 && k1 <= u && u <= k2,
        "the kernel's clock and the counter agree"
    );
    let start = zx::clock_get_monotonic();
    zx::nanosleep(zx::deadline_after(4_000_000));
    assert!(
        zx::clock_get_monotonic() - start >= 4_000_000,
        "nanosleep slept"
    );
    zx::nanosleep(0);
    zx::println!("event_wait: the monotonic clock agrees with the counter; nanosleep sleeps");
}

fn main(_root: Handle) -> i64 {
    create();
    blocking_wait_one();
    wait_many();
    close_during_wait();
    clocks();
    0
}

zx::entry!(main);
