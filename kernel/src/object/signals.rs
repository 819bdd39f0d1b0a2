//! An object's signal state: the `zx_signals_t` bits and the observers that
//! want to hear when they change. Waiters (the blocking waits of the
//! scheduler) register an [`Observer`]; every change notifies the observers
//! whose interest it matches, under the state's lock, so that a waiter that
//! checked the bits and then registered cannot miss a change in between.
//!
//! Lock order: an object's signal lock is a leaf: nothing else is taken while
//! it is held, observers only record the wake-up.

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use spin::Mutex;
use zx_abi::Signals;

/// Someone waiting for some of an object's signals.
pub trait Observer: Send + Sync {
    /// The bits this observer waits for.
    fn interest(&self) -> Signals;
    /// Called with the new bits when any of `interest` is now asserted. Runs
    /// under the object's signal lock: record and return.
    fn notify(&self, now: Signals);
}

struct Inner {
    bits: Signals,
    observers: Vec<Weak<dyn Observer>>,
}

pub struct SignalState {
    inner: Mutex<Inner>,
}

impl SignalState {
    pub const fn new(initial: Signals) -> Self {
        Self {
            inner: Mutex::new(Inner {
                bits: initial,
                observers: Vec::new(),
            }),
        }
    }

    pub fn get(&self) -> Signals {
        self.inner.lock().bits
    }

    /// Clears `clear`, then sets `set`, and notifies observers; returns the
    /// new bits.
    pub fn update(&self, clear: Signals, set: Signals) -> Signals {
        self.update_with(|bits| (*bits - clear) | set)
    }

    /// Replaces the bits with `f(bits)` under the lock (for state that
    /// derives a signal from a count kept beside it), and notifies.
    pub fn update_with(&self, f: impl FnOnce(&Signals) -> Signals) -> Signals {
        let mut inner = self.inner.lock();
        let old = inner.bits;
        let new = f(&old);
        inner.bits = new;
        if new != old {
            inner.observers.retain(|w| match w.upgrade() {
                Some(o) => {
                    if o.interest().intersects(new) {
                        o.notify(new);
                    }
                    true
                }
                None => false,
            });
        }
        new
    }

    /// Registers `observer` and returns the bits at that moment: if they
    /// already satisfy it, the caller need not wait (nothing is notified for
    /// bits that were set before).
    pub fn observe(&self, observer: &Arc<dyn Observer>) -> Signals {
        let mut inner = self.inner.lock();
        inner.observers.retain(|w| w.strong_count() > 0);
        inner.observers.push(Arc::downgrade(observer));
        inner.bits
    }

    /// Removes `observer` (its wait ended).
    pub fn unobserve(&self, observer: &Arc<dyn Observer>) {
        let target = Arc::as_ptr(observer) as *const ();
        self.inner
            .lock()
            .observers
            .retain(|w| w.strong_count() > 0 && w.as_ptr() as *const () != target);
    }

    /// Observers still registered (tests and leak checks).
    pub fn observer_count(&self) -> usize {
        self.inner
            .lock()
            .observers
            .iter()
            .filter(|w| w.strong_count() > 0)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::sync::atomic::{AtomicU32, Ordering};

    struct Waiter {
        want: Signals,
        seen: AtomicU32,
    }

    impl Observer for Waiter {
        fn interest(&self) -> Signals {
            self.want
        }
        fn notify(&self, now: Signals) {
            self.seen.store(now.bits(), Ordering::Relaxed);
        }
    }

    fn waiter(want: Signals) -> Arc<Waiter> {
        Arc::new(Waiter {
            want,
            seen: AtomicU32::new(0),
        })
    }

    #[test]
    fn update_clears_then_sets() {
        let s = SignalState::new(Signals::USER_0 | Signals::USER_1);
        assert_eq!(
            s.update(Signals::USER_0 | Signals::USER_2, Signals::USER_2),
            Signals::USER_1 | Signals::USER_2
        );
        // Clearing and setting the same bit leaves it set (Zircon's order).
        assert_eq!(s.update(Signals::USER_1, Signals::USER_1), s.get());
        assert!(s.get().contains(Signals::USER_1));
    }

    #[test]
    fn observers_hear_only_their_interest() {
        let s = SignalState::new(Signals::empty());
        let a = waiter(Signals::USER_0);
        let b = waiter(Signals::USER_1);
        let a_dyn: Arc<dyn Observer> = a.clone();
        let b_dyn: Arc<dyn Observer> = b.clone();
        assert_eq!(s.observe(&a_dyn), Signals::empty());
        s.observe(&b_dyn);
        s.update(Signals::empty(), Signals::USER_0);
        assert_eq!(a.seen.load(Ordering::Relaxed), Signals::USER_0.bits());
        assert_eq!(b.seen.load(Ordering::Relaxed), 0);
        s.unobserve(&a_dyn);
        assert_eq!(s.observer_count(), 1);
        drop(b_dyn);
        drop(b);
        assert_eq!(s.observer_count(), 0);
    }

    #[test]
    fn observe_returns_bits_already_set() {
        let s = SignalState::new(Signals::USER_3);
        let a: Arc<dyn Observer> = waiter(Signals::USER_3);
        assert_eq!(s.observe(&a), Signals::USER_3);
    }

    #[test]
    fn no_notification_without_change() {
        let s = SignalState::new(Signals::USER_0);
        let a = waiter(Signals::USER_0);
        let a_dyn: Arc<dyn Observer> = a.clone();
        s.observe(&a_dyn);
        s.update(Signals::empty(), Signals::USER_0);
        assert_eq!(a.seen.load(Ordering::Relaxed), 0);
    }
}
