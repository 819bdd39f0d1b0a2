//! Futexes: queues of threads keyed by (address space, user address), with
//! Zircon's semantics. A wait checks the futex's value and joins its queue
//! under the table's lock, and wakes and requeues take waiters off under
//! the same lock, so a wake after the value changed cannot miss a waiter
//! that saw the old value. The owner arguments are validated by the system
//! calls; no priority inheritance follows from them here.
//!
//! Lock order: the table's lock, then (reading the value) the locks of a
//! user copy's fault path, and run-queue locks (waking).

use crate::sched::{deadline_ticks, park_current};
use crate::sync::spin_lock::Mutex;
use crate::task::Thread;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use platform::arch::cpu;
use zx_abi::ZxStatus;

/// (address space, user address).
type Key = (usize, u64);

struct FutexWaiter {
    thread: Arc<Thread>,
    /// Taken off its queue by a wake.
    woken: AtomicBool,
    /// The address of the queue it is on (requeues move it).
    address: AtomicU64,
}

static TABLE: Mutex<BTreeMap<Key, VecDeque<Arc<FutexWaiter>>>> = Mutex::new(BTreeMap::new());

fn space_of(t: &Thread) -> usize {
    Arc::as_ptr(&t.process.aspace) as usize
}

/// `zx_futex_wait`: if `read()` (the futex's value) equals `expected`,
/// sleeps until woken (`Ok`), the deadline (`TimedOut`), or the thread's
/// end; `BadState` at once if it differs.
pub fn wait(
    t: &Thread,
    address: u64,
    read: impl FnOnce() -> Result<u32, ZxStatus>,
    expected: u32,
    deadline_ns: i64,
) -> Result<(), ZxStatus> {
    let space = space_of(t);
    let waiter = Arc::new(FutexWaiter {
        thread: t.arc(),
        woken: AtomicBool::new(false),
        address: AtomicU64::new(address),
    });
    {
        let mut table = TABLE.lock();
        if read()? != expected {
            return Err(ZxStatus::BadState);
        }
        let queue = table.entry((space, address)).or_default();
        queue.try_reserve(1).map_err(|_| ZxStatus::NoMemory)?;
        queue.push_back(waiter.clone());
        // Queued: from here a wake finds it (what ZX_INFO_THREAD reports).
        t.set_blocked(zx_abi::thread_state::BLOCKED_FUTEX);
    }
    let result = wait_queued(t, space, &waiter, deadline_ns);
    t.set_blocked(0);
    result
}

fn wait_queued(
    t: &Thread,
    space: usize,
    waiter: &Arc<FutexWaiter>,
    deadline_ns: i64,
) -> Result<(), ZxStatus> {
    let deadline = deadline_ticks(deadline_ns);
    loop {
        if waiter.woken.load(Ordering::Acquire) {
            return Ok(());
        }
        let timed_out = deadline.is_some_and(|d| cpu::counter() >= d);
        if timed_out || t.stop_requested() {
            let mut table = TABLE.lock();
            if waiter.woken.load(Ordering::Acquire) {
                return Ok(());
            }
            let key = (space, waiter.address.load(Ordering::Relaxed));
            remove(&mut table, key, waiter);
            return Err(if timed_out {
                ZxStatus::TimedOut
            } else {
                ZxStatus::Canceled
            });
        }
        if deadline.is_none() {
            let woken = || waiter.woken.load(Ordering::Acquire);
            t.process.wait_forever(t, &woken);
        }
        park_current(t, deadline);
        t.process.wait_forever_ended(t);
    }
}

fn remove(table: &mut BTreeMap<Key, VecDeque<Arc<FutexWaiter>>>, key: Key, w: &Arc<FutexWaiter>) {
    if let Some(q) = table.get_mut(&key) {
        q.retain(|x| !Arc::ptr_eq(x, w));
        if q.is_empty() {
            table.remove(&key);
        }
    }
}

/// Takes up to `count` waiters off `key`'s queue and wakes them.
fn wake_locked(table: &mut BTreeMap<Key, VecDeque<Arc<FutexWaiter>>>, key: Key, count: u32) {
    let Some(q) = table.get_mut(&key) else {
        return;
    };
    for _ in 0..count {
        let Some(w) = q.pop_front() else { break };
        w.woken.store(true, Ordering::Release);
        w.thread.process.wait_forever_ended(&w.thread);
        w.thread.wake();
    }
    if q.is_empty() {
        table.remove(&key);
    }
}

/// `zx_futex_wake`: wakes up to `count` waiters (`u32::MAX`: all).
pub fn wake(t: &Thread, address: u64, count: u32) {
    let mut table = TABLE.lock();
    wake_locked(&mut table, (space_of(t), address), count);
}

/// `zx_futex_requeue`: if `read()` equals `expected`, wakes up to
/// `wake_count` waiters of `address` and moves up to `requeue_count` of
/// the rest to `requeue_address`; `BadState` if it differs.
pub fn requeue(
    t: &Thread,
    address: u64,
    read: impl FnOnce() -> Result<u32, ZxStatus>,
    expected: u32,
    wake_count: u32,
    requeue_address: u64,
    requeue_count: u32,
) -> Result<(), ZxStatus> {
    let space = space_of(t);
    let mut table = TABLE.lock();
    if read()? != expected {
        return Err(ZxStatus::BadState);
    }
    let from = (space, address);
    wake_locked(&mut table, from, wake_count);
    let mut moved = VecDeque::new();
    if let Some(q) = table.get_mut(&from) {
        for _ in 0..requeue_count {
            let Some(w) = q.pop_front() else { break };
            w.address.store(requeue_address, Ordering::Relaxed);
            moved.push_back(w);
        }
        if q.is_empty() {
            table.remove(&from);
        }
    }
    if !moved.is_empty() {
        let to = table.entry((space, requeue_address)).or_default();
        to.append(&mut moved);
    }
    Ok(())
}

/// Waiters on every futex (tests and leak checks).
pub fn waiter_count() -> usize {
    TABLE.lock().values().map(VecDeque::len).sum()
}
