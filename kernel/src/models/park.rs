//! Sleeping and waking: the scheduler's park/unpark state machine
//! (`sched::park`, the code the kernel runs), alone and under the two
//! protocols built on it, the blocking signal wait (`wait::objects`, with the
//! real `SignalState`) and the futex queue (`wait::futex`). Those two are
//! bare-metal modules (they hold `Thread`s); their protocol is restated
//! here step for step over a stand-in thread, so the model checks the
//! protocol, not the file.
//!
//! The stand-in scheduler: a thread whose `prepare` says sleep leaves its
//! core (its stack is free), the core's scheduler calls `finish`, and the
//! thread runs again once someone put it on a run queue. The checks: a
//! thread is queued only when off its core, at most once per sleep, and
//! every sleep ends (a lost wake-up leaves the sleeper blocked for ever,
//! which loom reports as a deadlock).

use super::check;
use crate::object::signals::{Observer, SignalState};
use crate::sched::park::Park;
use crate::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use loom::sync::{Condvar, Mutex};
use loom::thread;
use std::collections::VecDeque;
use zx_abi::{Signals, ZxStatus};

/// One thread as the scheduler sees it.
struct Sim {
    park: Park,
    /// Its stack is in use (running, or switching away).
    on_cpu: AtomicBool,
    /// Times it is on a run queue, not yet picked.
    queued: Mutex<u32>,
    picked: Condvar,
}

impl Sim {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            park: Park::new(),
            on_cpu: AtomicBool::new(true),
            queued: Mutex::new(0),
            picked: Condvar::new(),
        })
    }

    /// `sched::enqueue`.
    fn enqueue(&self) {
        assert!(!self.on_cpu.load(SeqCst), "queued while still on its core");
        let mut q = self.queued.lock().unwrap();
        *q += 1;
        assert_eq!(*q, 1, "queued twice for one sleep");
        self.picked.notify_one();
    }

    /// `park_current` without a deadline, and the scheduler's side of it.
    fn park(&self) {
        if self.park.prepare() {
            // switch_out(Parked); the scheduler, off the thread's stack:
            self.on_cpu.store(false, SeqCst);
            if self.park.finish() {
                self.enqueue();
            }
            // Some core picks it from a run queue and switches to it.
            let mut q = self.queued.lock().unwrap();
            while *q == 0 {
                q = self.picked.wait(q).unwrap();
            }
            *q -= 1;
            self.on_cpu.store(true, SeqCst);
        }
    }

    /// `Thread::wake`.
    fn wake(&self) {
        if self.park.notify() {
            self.enqueue();
        }
    }
}

#[test]
fn loom_park_sleep_vs_notify() {
    check("park sleep/notify", || {
        let sim = Sim::new();
        let ready = Arc::new(AtomicBool::new(false));
        let (s, r) = (sim.clone(), ready.clone());
        let waker = thread::spawn(move || {
            r.store(true, SeqCst);
            s.wake();
        });
        while !ready.load(SeqCst) {
            sim.park();
        }
        waker.join().unwrap();
    });
}

#[test]
fn loom_park_two_wakers_queue_once() {
    check("park two wakers", || {
        let sim = Sim::new();
        let ready = Arc::new(AtomicBool::new(false));
        // A signaller and, say, the timer list: both wake the same thread.
        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let (s, r) = (sim.clone(), ready.clone());
                thread::spawn(move || {
                    r.store(true, SeqCst);
                    s.wake();
                })
            })
            .collect();
        while !ready.load(SeqCst) {
            sim.park();
        }
        for w in wakers {
            w.join().unwrap();
        }
    });
}

#[test]
fn loom_park_two_sleeps_in_a_row() {
    check("park two sleeps", || {
        let sim = Sim::new();
        let step = Arc::new(AtomicU32::new(0));
        let (s, st) = (sim.clone(), step.clone());
        // One waker makes two conditions true in turn; a notification left
        // over from the first must not end the second sleep for nothing
        // more than one extra check.
        let waker = thread::spawn(move || {
            st.store(1, SeqCst);
            s.wake();
            st.store(2, SeqCst);
            s.wake();
        });
        while step.load(SeqCst) < 1 {
            sim.park();
        }
        while step.load(SeqCst) < 2 {
            sim.park();
        }
        waker.join().unwrap();
    });
}

/// `wait::objects::Waiter`: notified under the object's signal lock, wakes
/// the thread.
struct SignalWaiter {
    sim: Arc<Sim>,
    interest: Signals,
}

impl Observer for SignalWaiter {
    fn interest(&self) -> Signals {
        self.interest
    }
    fn notify(&self, _now: Signals) {
        self.sim.wake();
    }
}

#[test]
fn loom_wait_one_vs_signal() {
    check("wait_one vs signal", || {
        let sim = Sim::new();
        let state = Arc::new(SignalState::new(Signals::empty()));
        let s = state.clone();
        let signaller = thread::spawn(move || {
            s.update(Signals::empty(), Signals::USER_0);
        });
        // `wait_any` with one item and no deadline.
        let w: Arc<dyn Observer> = Arc::new(SignalWaiter {
            sim: sim.clone(),
            interest: Signals::USER_0,
        });
        let mut now = state.observe(&w);
        while !now.intersects(Signals::USER_0) {
            sim.park();
            now = state.get();
        }
        state.unobserve(&w);
        signaller.join().unwrap();
        assert_eq!(state.observer_count(), 0);
    });
}

/// `wait::futex::FutexWaiter`.
struct FutexWaiter {
    sim: Arc<Sim>,
    woken: AtomicBool,
    /// The futex whose queue it is on (a requeue moves it).
    address: AtomicUsize,
}

/// Two futexes of one address space: their queues, under the table's
/// lock, and their user words.
struct Futexes {
    queues: Mutex<[VecDeque<Arc<FutexWaiter>>; 2]>,
    value: [AtomicU32; 2],
}

impl Futexes {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            queues: Mutex::new([VecDeque::new(), VecDeque::new()]),
            value: [AtomicU32::new(0), AtomicU32::new(0)],
        })
    }

    /// `futex::wait` up to the sleep: `Err(BadState)` if the word is not
    /// `expected`, else the waiter, queued.
    fn enter(
        &self,
        sim: &Arc<Sim>,
        address: usize,
        expected: u32,
    ) -> Result<Arc<FutexWaiter>, ZxStatus> {
        let w = Arc::new(FutexWaiter {
            sim: sim.clone(),
            woken: AtomicBool::new(false),
            address: AtomicUsize::new(address),
        });
        let mut q = self.queues.lock().unwrap();
        // The user word is read under the table's lock.
        if self.value[address].load(SeqCst) != expected {
            return Err(ZxStatus::BadState);
        }
        q[address].push_back(w.clone());
        Ok(w)
    }

    /// `futex::wait` with no deadline.
    fn wait(&self, sim: &Arc<Sim>, address: usize, expected: u32) -> Result<(), ZxStatus> {
        let w = self.enter(sim, address, expected)?;
        while !w.woken.load(SeqCst) {
            sim.park();
        }
        Ok(())
    }

    /// `futex::wake_locked`: how many it woke.
    fn wake_locked(q: &mut VecDeque<Arc<FutexWaiter>>, count: u32) -> u32 {
        let mut woken = 0;
        while woken < count {
            let Some(w) = q.pop_front() else { break };
            w.woken.store(true, SeqCst);
            w.sim.wake();
            woken += 1;
        }
        woken
    }

    /// `futex::wake`.
    fn wake(&self, address: usize, count: u32) -> u32 {
        Self::wake_locked(&mut self.queues.lock().unwrap()[address], count)
    }

    /// `futex::requeue` from futex 0 to futex 1: how many it woke.
    fn requeue(&self, expected: u32, wake_count: u32, requeue_count: u32) -> Result<u32, ZxStatus> {
        let mut q = self.queues.lock().unwrap();
        if self.value[0].load(SeqCst) != expected {
            return Err(ZxStatus::BadState);
        }
        let woken = Self::wake_locked(&mut q[0], wake_count);
        for _ in 0..requeue_count {
            let Some(w) = q[0].pop_front() else { break };
            w.address.store(1, SeqCst);
            q[1].push_back(w);
        }
        Ok(woken)
    }

    /// `futex::wait`'s timeout path, decided under the table's lock.
    fn time_out(&self, w: &Arc<FutexWaiter>) -> Result<(), ZxStatus> {
        let mut q = self.queues.lock().unwrap();
        if w.woken.load(SeqCst) {
            return Ok(());
        }
        q[w.address.load(SeqCst)].retain(|x| !Arc::ptr_eq(x, w));
        Err(ZxStatus::TimedOut)
    }

    fn is_empty(&self) -> bool {
        self.queues.lock().unwrap().iter().all(VecDeque::is_empty)
    }
}

#[test]
fn loom_futex_wait_vs_wake() {
    check("futex wait/wake", || {
        let f = Futexes::new();
        let sim = Sim::new();
        let f2 = f.clone();
        // The unlocker: changes the word, then wakes one waiter.
        let waker = thread::spawn(move || {
            f2.value[0].store(1, SeqCst);
            f2.wake(0, 1)
        });
        let r = f.wait(&sim, 0, 0);
        let woke = waker.join().unwrap();
        match r {
            Ok(()) => assert_eq!(woke, 1),
            Err(s) => {
                assert_eq!(s, ZxStatus::BadState);
                assert_eq!(woke, 0);
            }
        }
        assert!(f.is_empty());
    });
}

#[test]
fn loom_futex_timeout_vs_wake() {
    check("futex timeout/wake", || {
        let f = Futexes::new();
        let sim = Sim::new();
        let w = f.enter(&sim, 0, 0).unwrap();
        let f2 = f.clone();
        let waker = thread::spawn(move || f2.wake(0, 1));
        // The deadline passed before any sleep.
        let r = f.time_out(&w);
        let woke = waker.join().unwrap();
        // A wake that took the waiter counts for it; none is lost to a
        // waiter that then reports a timeout.
        assert_eq!(r.is_ok(), woke == 1, "waiter {r:?}, wake woke {woke}");
        assert!(f.is_empty());
    });
}

#[test]
fn loom_futex_requeue_vs_timeout_and_wake() {
    check("futex requeue", || {
        let f = Futexes::new();
        let sim = Sim::new();
        let w = f.enter(&sim, 0, 0).unwrap();
        // A condition variable's broadcast: wake none, move the waiter to
        // the mutex's futex; then the mutex's unlock wakes one there.
        let f2 = f.clone();
        let mover = thread::spawn(move || {
            let woke = f2.requeue(0, 0, 1).unwrap();
            woke + f2.wake(1, 1)
        });
        // Meanwhile the waiter's deadline passes: it leaves whichever
        // queue it is on, unless a wake took it first.
        let r = f.time_out(&w);
        let woke = mover.join().unwrap();
        assert_eq!(r.is_ok(), woke == 1, "waiter {r:?}, wakes woke {woke}");
        assert!(f.is_empty(), "the waiter left no queue entry behind");
    });
}
