//! An object's signal state: the `zx_signals_t` bits and the observers that
//! want to hear when they change. Waiters (the blocking waits of the
//! scheduler) register an [`Observer`]; every change notifies the observers
//! whose interest it matches, under the state's lock, so that a waiter that
//! registers and reads the bits under that lock cannot miss a change. As in
//! Zircon, only a change that makes some signal active notifies (edge
//! triggered port waits depend on it; a level waiter sees no difference).
//!
//! Lock order: an object's signal lock, then the observer registry; both
//! are leaves otherwise (observers only record the wake-up).

use crate::sync::{Arc, AtomicBool, AtomicU32, Mutex, Ordering, Weak};
use alloc::vec::Vec;
use zx_abi::Signals;

/// Someone waiting for some of an object's signals.
pub trait Observer: Send + Sync {
    /// The bits this observer waits for.
    fn interest(&self) -> Signals;
    /// Called with the new bits when any of `interest` is now asserted. Runs
    /// under the object's signal lock: record and return.
    fn notify(&self, now: Signals);
    /// Handle `handle` of the process `owner` (an address, as a key) was
    /// closed: an observer waiting through that handle ends its wait. Runs
    /// under the object's signal lock.
    fn handle_closed(&self, _owner: usize, _handle: u32) {}
}

crate::loom_static! {
    /// Every registered observer, with the address of the signal state it
    /// observes. Waits are rare next to signal reads and changes, so the
    /// list lives here rather than in every object (a VMO stays small).
    static REGISTRY: Mutex<Vec<(usize, Weak<dyn Observer>)>> = Mutex::new(Vec::new());
}

/// The bits (read without a lock), a small lock that serialises changes
/// with registrations, and whether anyone may be observing.
pub struct SignalState {
    bits: AtomicU32,
    lock: Mutex<()>,
    observed: AtomicBool,
}

impl SignalState {
    crate::const_fn! {
        pub fn new(initial: Signals) -> Self {
            Self {
                bits: AtomicU32::new(initial.bits()),
                lock: Mutex::new(()),
                observed: AtomicBool::new(false),
            }
        }
    }

    fn key(&self) -> usize {
        self as *const Self as usize
    }

    pub fn get(&self) -> Signals {
        Signals::from_bits_retain(self.bits.load(Ordering::Acquire))
    }

    /// Clears `clear`, then sets `set`, and notifies observers; returns the
    /// new bits.
    pub fn update(&self, clear: Signals, set: Signals) -> Signals {
        self.update_with(|bits| (*bits - clear) | set)
    }

    /// Replaces the bits with `f(bits)` under the lock (for state that
    /// derives a signal from a count kept beside it), and notifies.
    pub fn update_with(&self, f: impl FnOnce(&Signals) -> Signals) -> Signals {
        let _guard = self.lock.lock();
        let old = self.get();
        let new = f(&old);
        self.bits.store(new.bits(), Ordering::Release);
        // Zircon's rule: only a signal becoming active notifies (a change
        // that only clears cannot satisfy a waiter that was not already).
        if !(new - old).is_empty() && self.observed.load(Ordering::Acquire) {
            let key = self.key();
            REGISTRY.lock().retain(|(k, w)| match w.upgrade() {
                Some(o) => {
                    if *k == key && o.interest().intersects(new) {
                        o.notify(new);
                    }
                    drop(o);
                    // A one-shot observer its owner dropped when notified.
                    w.strong_count() > 0
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
        let _guard = self.lock.lock();
        self.observed.store(true, Ordering::Release);
        let mut registry = REGISTRY.lock();
        registry.retain(|(_, w)| w.strong_count() > 0);
        registry.push((self.key(), Arc::downgrade(observer)));
        self.get()
    }

    /// Tells the observers that handle `handle` of process `owner` to this
    /// object is gone (`zx_object_wait_*` through it end with
    /// `ZX_ERR_CANCELED`).
    #[inline]
    pub fn handle_closed(&self, owner: usize, handle: u32) {
        if self.observed.load(Ordering::Acquire) {
            self.tell_handle_closed(owner, handle);
        }
    }

    /// [`handle_closed`](Self::handle_closed) when someone may be
    /// observing: apart, so that the usual close (no one observes) keeps
    /// its arguments in registers.
    #[inline(never)]
    fn tell_handle_closed(&self, owner: usize, handle: u32) {
        let _guard = self.lock.lock();
        let key = self.key();
        REGISTRY.lock().retain(|(k, w)| {
            if *k == key {
                if let Some(o) = w.upgrade() {
                    o.handle_closed(owner, handle);
                }
            }
            // An observer its owner dropped when its handle closed.
            w.strong_count() > 0
        });
    }

    /// Removes `observer` (its wait ended).
    pub fn unobserve(&self, observer: &Arc<dyn Observer>) {
        let target = Arc::as_ptr(observer) as *const ();
        let key = self.key();
        REGISTRY.lock().retain(|(k, w)| {
            w.strong_count() > 0 && !(*k == key && w.as_ptr() as *const () == target)
        });
    }

    /// Observers still registered (tests and leak checks).
    pub fn observer_count(&self) -> usize {
        let key = self.key();
        REGISTRY
            .lock()
            .iter()
            .filter(|(k, w)| *k == key && w.strong_count() > 0)
            .count()
    }
}

impl Drop for SignalState {
    /// Only the check is inline: most objects were never waited on, and
    /// their drop then builds no frame for the registry's lock and scan.
    #[inline(always)]
    fn drop(&mut self) {
        if self.observed.load(Ordering::Acquire) {
            self.forget_observers();
        }
    }
}

impl SignalState {
    /// Drops the registry's records of this state's observers.
    #[cold]
    #[inline(never)]
    fn forget_observers(&self) {
        let key = self.key();
        REGISTRY.lock().retain(|(k, _)| *k != key);
    }
}

// Under loom the state holds loom primitives, made only inside a model.
#[cfg(all(test, not(loom)))]
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
