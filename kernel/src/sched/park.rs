//! The park/unpark state machine each thread carries: how a thread goes to
//! sleep until something notifies it, without losing a notification that
//! arrives between its last check and its sleep, and without anyone putting
//! it on a run queue while it is still running on its core.
//!
//! The sleeper calls [`Park::prepare`]; if that says so it switches to its
//! core's scheduler, which calls [`Park::finish`] once the thread's stack is
//! no longer in use. A waker calls [`Park::notify`]. Whoever gets `true`
//! from `notify` or `finish` puts the thread on a run queue: exactly one of
//! them does, once per sleep. Notifications do not count: several before a
//! sleep make it return at once, one time.
//!
//! Portable (host tests, and the loom models in `docs/concurrency.md`).

use crate::sync::{AtomicU8, Ordering};

/// Not parked: running, or on a run queue.
const RUNNING: u8 = 0;
/// Running, with a notification the next `prepare` consumes.
const NOTIFIED: u8 = 1;
/// Switching to the scheduler to sleep (its stack still in use).
const PARKING: u8 = 2;
/// Asleep: off every core and every run queue.
const PARKED: u8 = 3;
/// Notified while parking: the scheduler requeues it once it is off.
const WOKEN: u8 = 4;

pub struct Park(AtomicU8);

impl Default for Park {
    fn default() -> Self {
        Self::new()
    }
}

impl Park {
    crate::const_fn! {
        pub fn new() -> Self {
            Self(AtomicU8::new(RUNNING))
        }
    }

    /// Called by the thread itself, after checking that what it waits for
    /// has not happened: `true` if it must now switch to the scheduler,
    /// `false` if a notification came since its last sleep (it re-checks).
    pub fn prepare(&self) -> bool {
        match self
            .0
            .compare_exchange(RUNNING, PARKING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(NOTIFIED) => {
                // A read-modify-write, not a store: it reads the latest
                // notification, so the re-check sees what every notifier
                // published before notifying (see `notify`).
                self.0.swap(RUNNING, Ordering::AcqRel);
                false
            }
            Err(s) => unreachable!("prepare in park state {s}"),
        }
    }

    /// Called by the scheduler once the parking thread is off its stack:
    /// `true` if a notification came meanwhile and the thread must be
    /// queued now.
    pub fn finish(&self) -> bool {
        match self
            .0
            .compare_exchange(PARKING, PARKED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => false,
            Err(WOKEN) => {
                // A read-modify-write, as in `prepare`.
                self.0.swap(RUNNING, Ordering::AcqRel);
                true
            }
            Err(s) => unreachable!("finish in park state {s}"),
        }
    }

    /// Wakes the thread: `true` if the caller must queue it (it was
    /// asleep); otherwise it is running or about to run and will see the
    /// notification.
    pub fn notify(&self) -> bool {
        let mut state = self.0.load(Ordering::Acquire);
        loop {
            let (next, queue) = match state {
                RUNNING => (NOTIFIED, false),
                PARKING => (WOKEN, false),
                PARKED => (RUNNING, true),
                // Already notified: written again all the same, so that
                // the read-modify-write consuming the notification
                // (`prepare`, `finish`) synchronises with this notifier
                // too, and the thread's re-check sees what it published.
                // Returning without a write loses that wake-up to the
                // memory model (found by the loom model
                // `loom_park_two_sleeps_in_a_row`).
                NOTIFIED | WOKEN => (state, false),
                s => unreachable!("notify in park state {s}"),
            };
            match self
                .0
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return queue,
                Err(s) => state = s,
            }
        }
    }

    /// Whether the thread sleeps (off every core and queue) right now.
    pub fn is_parked(&self) -> bool {
        self.0.load(Ordering::Acquire) == PARKED
    }
}

// Under loom the state is a loom atomic, made only inside a model.
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn sleep_then_notify_queues_once() {
        let p = Park::new();
        assert!(p.prepare());
        assert!(!p.finish());
        assert!(p.is_parked());
        assert!(p.notify());
        assert!(!p.notify(), "a second notification queues nothing");
        assert!(!p.is_parked());
    }

    #[test]
    fn notify_before_sleep_is_not_lost() {
        let p = Park::new();
        assert!(!p.notify());
        assert!(!p.prepare(), "the pending notification ends the sleep");
        assert!(p.prepare(), "and is consumed");
        assert!(!p.finish());
    }

    #[test]
    fn notify_while_parking_hands_queueing_to_the_scheduler() {
        let p = Park::new();
        assert!(p.prepare());
        assert!(!p.notify(), "the thread is still on its core");
        assert!(p.finish(), "the scheduler queues it");
        assert!(!p.is_parked());
    }
}
