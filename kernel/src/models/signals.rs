//! Signal state and observers: a waiter that registers while a signaller
//! changes the bits either sees the change in what `observe` returns or is
//! notified (no lost wake-up), and an observer that unregistered is never
//! notified afterwards.

use super::check;
use crate::object::signals::{Observer, SignalState};
use crate::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use loom::thread;
use zx_abi::Signals;

/// A waiter that records what it was told, and fails if it is told after
/// it said it was gone.
struct Waiter {
    want: Signals,
    notified: AtomicU32,
    gone: AtomicBool,
}

impl Observer for Waiter {
    fn interest(&self) -> Signals {
        self.want
    }
    fn notify(&self, now: Signals) {
        assert!(!self.gone.load(SeqCst), "notified after unobserve returned");
        assert!(
            now.intersects(self.want),
            "notified for bits it does not want"
        );
        self.notified.fetch_or(now.bits(), SeqCst);
    }
}

fn waiter(want: Signals) -> Arc<Waiter> {
    Arc::new(Waiter {
        want,
        notified: AtomicU32::new(0),
        gone: AtomicBool::new(false),
    })
}

#[test]
fn loom_signals_observe_vs_update_never_loses_the_change() {
    check("signals observe/update", || {
        let state = Arc::new(SignalState::new(Signals::empty()));
        let w = waiter(Signals::USER_0);

        let s = state.clone();
        let signaller = thread::spawn(move || {
            s.update(Signals::empty(), Signals::USER_0);
        });
        let obs: Arc<dyn Observer> = w.clone();
        let seen = state.observe(&obs);
        signaller.join().unwrap();

        let notified = Signals::from_bits_retain(w.notified.load(SeqCst));
        assert!(
            seen.contains(Signals::USER_0) || notified.contains(Signals::USER_0),
            "lost wake-up: observe returned {seen:?} and no notification came"
        );
        state.unobserve(&obs);
        assert_eq!(state.observer_count(), 0);
    });
}

#[test]
fn loom_signals_two_signallers_one_waiter() {
    check("signals two signallers", || {
        let state = Arc::new(SignalState::new(Signals::empty()));
        let w = waiter(Signals::USER_0 | Signals::USER_1);
        let spawn = |bit| {
            let s = state.clone();
            thread::spawn(move || {
                s.update(Signals::empty(), bit);
            })
        };
        let t0 = spawn(Signals::USER_0);
        let t1 = spawn(Signals::USER_1);
        let obs: Arc<dyn Observer> = w.clone();
        let seen = state.observe(&obs);
        t0.join().unwrap();
        t1.join().unwrap();
        // Every bit set is seen at registration or notified after it.
        let notified = Signals::from_bits_retain(w.notified.load(SeqCst));
        assert_eq!(seen | notified, Signals::USER_0 | Signals::USER_1);
        state.unobserve(&obs);
    });
}

#[test]
fn loom_signals_unobserve_vs_update() {
    check("signals unobserve/update", || {
        let state = Arc::new(SignalState::new(Signals::empty()));
        let w = waiter(Signals::USER_0);
        let obs: Arc<dyn Observer> = w.clone();
        assert_eq!(state.observe(&obs), Signals::empty());

        let s = state.clone();
        let signaller = thread::spawn(move || {
            s.update(Signals::empty(), Signals::USER_0);
        });
        state.unobserve(&obs);
        w.gone.store(true, SeqCst);
        assert_eq!(state.observer_count(), 0);
        signaller.join().unwrap();
        assert_eq!(
            state.observer_count(),
            0,
            "the registry forgot the observer"
        );
        assert_eq!(state.get(), Signals::USER_0);
    });
}
