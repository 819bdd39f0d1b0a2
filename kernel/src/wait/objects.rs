//! Blocking on signals: `zx_object_wait_one` and `zx_object_wait_many`
//! register a waiter with each object's signal state, then sleep until an
//! observed change, the deadline, or the thread's end. Registering returns
//! the bits under the object's signal lock, so a change between the check
//! and the sleep is never missed (it notifies the waiter, and a
//! notification before the sleep makes the sleep return at once).

use crate::object::signals::Observer;
use crate::object::ObjectRef;
use crate::sched::{deadline_ticks, park_current};
use crate::task::Thread;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use platform::arch::cpu;
use zx_abi::{Handle, Signals, ZxStatus};

/// One thread waiting for some signals of one object, through one handle.
struct Waiter {
    thread: Arc<Thread>,
    interest: Signals,
    /// The handle waited through (closing it cancels the wait).
    handle: Handle,
    /// Notified at least once (the thread then no longer counts as waiting
    /// forever, and is not counted again in this wait: a conservative
    /// choice, so a wake-up is never mistaken for a deadlock).
    fired: AtomicBool,
    /// The handle was closed.
    canceled: AtomicBool,
}

impl Waiter {
    fn fire(&self) {
        if !self.fired.swap(true, Ordering::AcqRel) {
            self.thread.process.wait_forever_ended(&self.thread);
        }
        self.thread.wake();
    }
}

impl Observer for Waiter {
    fn interest(&self) -> Signals {
        self.interest
    }

    fn notify(&self, _now: Signals) {
        self.fire();
    }

    fn handle_closed(&self, owner: usize, handle: u32) {
        if owner == self.thread.process.key() && handle == self.handle {
            self.canceled.store(true, Ordering::Release);
            self.fire();
        }
    }
}

/// Waits until one of `items` (object, signals wanted, the handle it is
/// waited through) has a wanted signal, or until `deadline_ns`. Returns the
/// outcome (`Ok`, `TimedOut`, or `Canceled` when a handle was closed or the
/// thread must stop) and each object's signals at the end
/// (`ZX_SIGNAL_HANDLE_CLOSED` added for a closed handle).
pub fn wait_any(
    t: &Thread,
    items: &[(ObjectRef, Signals, Handle)],
    deadline_ns: i64,
) -> Result<(Result<(), ZxStatus>, Vec<Signals>), ZxStatus> {
    let deadline = deadline_ticks(deadline_ns);
    let me = t.arc();
    let mut waiters: Vec<Arc<Waiter>> = Vec::new();
    waiters
        .try_reserve_exact(items.len())
        .map_err(|_| ZxStatus::NoMemory)?;
    let mut states = Vec::new();
    states
        .try_reserve_exact(items.len())
        .map_err(|_| ZxStatus::NoMemory)?;
    t.set_blocked(if items.len() == 1 {
        zx_abi::thread_state::BLOCKED_WAIT_ONE
    } else {
        zx_abi::thread_state::BLOCKED_WAIT_MANY
    });
    for (object, wanted, handle) in items {
        let w = Arc::new(Waiter {
            thread: me.clone(),
            interest: *wanted,
            handle: *handle,
            fired: AtomicBool::new(false),
            canceled: AtomicBool::new(false),
        });
        let observer: Arc<dyn Observer> = w.clone();
        states.push(object.base().signals.observe(&observer));
        waiters.push(w);
    }
    // A handle closed between its lookup and the registration above found
    // no observer to cancel: look again now that the waiters are in place
    // (a close removes the handle before it cancels, so one of the two sees
    // the other).
    for ((object, _, handle), w) in items.iter().zip(&waiters) {
        let same = t
            .process
            .get_any(*handle, zx_abi::Rights::NONE)
            .is_ok_and(|(o, _)| core::ptr::addr_eq(Arc::as_ptr(&o), Arc::as_ptr(object)));
        if !same {
            w.canceled.store(true, Ordering::Release);
        }
    }
    let outcome = loop {
        if items
            .iter()
            .zip(&states)
            .any(|((_, wanted, _), now)| now.intersects(*wanted))
        {
            break Ok(());
        }
        if waiters.iter().any(|w| w.canceled.load(Ordering::Acquire)) || t.stop_requested() {
            break Err(ZxStatus::Canceled);
        }
        if deadline.is_some_and(|d| cpu::counter() >= d) {
            break Err(ZxStatus::TimedOut);
        }
        if deadline.is_none() {
            let woken = || waiters.iter().any(|w| w.fired.load(Ordering::Acquire));
            t.process.wait_forever(t, &woken);
        }
        park_current(t, deadline);
        t.process.wait_forever_ended(t);
        for (state, (object, _, _)) in states.iter_mut().zip(items) {
            *state = object.signals();
        }
    };
    for (((object, _, _), w), state) in items.iter().zip(&waiters).zip(states.iter_mut()) {
        let observer: Arc<dyn Observer> = w.clone();
        object.base().signals.unobserve(&observer);
        if w.canceled.load(Ordering::Acquire) {
            *state |= Signals::HANDLE_CLOSED;
        }
    }
    t.set_blocked(0);
    Ok((outcome, states))
}

/// Sleeps until `deadline_ns` (`zx_nanosleep`), or until the thread must
/// stop.
pub fn sleep_until(t: &Thread, deadline_ns: i64) {
    let deadline = deadline_ticks(deadline_ns);
    t.set_blocked(zx_abi::thread_state::BLOCKED_SLEEPING);
    loop {
        if t.stop_requested() || deadline.is_some_and(|d| cpu::counter() >= d) {
            t.set_blocked(0);
            return;
        }
        if deadline.is_none() {
            // Only a kill ends it.
            t.process.wait_forever(t, &|| false);
        }
        park_current(t, deadline);
        t.process.wait_forever_ended(t);
    }
}
