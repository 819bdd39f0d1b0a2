//! Tests futexes: `zx_futex_wait`'s checks (NULL or misaligned pointers
//! INVALID_ARGS, a value that differs BAD_STATE, the caller as owner
//! INVALID_ARGS, a bad owner handle BAD_HANDLE or WRONG_TYPE), deadlines
//! (TIMED_OUT), `zx_futex_wake` waking exactly the count asked for, and
//! `zx_futex_requeue` (checks, wake some, move the rest). Waiters are known
//! to sleep once `ZX_INFO_THREAD` says `ZX_THREAD_STATE_BLOCKED_FUTEX`.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use el0_tests::{assert_err, wait_for_thread_state, zx, GARBAGE_HANDLE};
use zx::{thread, Handle, ZxStatus, ZX_HANDLE_INVALID, ZX_TIME_INFINITE};

static WORD: AtomicU32 = AtomicU32::new(0);
static OTHER: AtomicU32 = AtomicU32::new(0);
static WOKEN: AtomicU32 = AtomicU32::new(0);

fn checks() {
    let w = &WORD;
    let raw = |p: *const u32, v: u32, owner: Handle, d: i64| {
        // SAFETY: the kernel only reads through the pointer, and rejects
        // the bad ones this test passes.
        zx::to_result(unsafe { zx::raw::futex_wait(p, v, owner, d) })
    };
    assert_err(
        raw(core::ptr::null(), 0, 0, 0),
        ZxStatus::InvalidArgs,
        "NULL",
    );
    let misaligned = (w.as_ptr() as usize + 1) as *const u32;
    assert_err(
        raw(misaligned, 0, 0, 0),
        ZxStatus::InvalidArgs,
        "misaligned",
    );
    assert_err(
        zx::futex_wait(w, 1, ZX_HANDLE_INVALID, ZX_TIME_INFINITE),
        ZxStatus::BadState,
        "a value that differs",
    );
    assert_err(
        zx::futex_wait(w, 0, zx::first_thread(), ZX_TIME_INFINITE),
        ZxStatus::InvalidArgs,
        "the caller as the new owner",
    );
    assert_err(
        zx::futex_wait(w, 0, GARBAGE_HANDLE, ZX_TIME_INFINITE),
        ZxStatus::BadHandle,
        "a garbage owner handle",
    );
    assert_err(
        zx::futex_wait(w, 0, zx::root_vmar(), ZX_TIME_INFINITE),
        ZxStatus::WrongType,
        "a VMAR as the owner",
    );
    let start = zx::clock_get_monotonic();
    assert_err(
        zx::futex_wait(w, 0, ZX_HANDLE_INVALID, zx::deadline_after(3_000_000)),
        ZxStatus::TimedOut,
        "a deadline",
    );
    assert!(
        zx::clock_get_monotonic() - start >= 3_000_000,
        "slept until the deadline"
    );
    assert_err(
        zx::futex_wait(w, 0, ZX_HANDLE_INVALID, 0),
        ZxStatus::TimedOut,
        "a deadline in the past",
    );
    assert_err(
        // SAFETY: as above.
        zx::to_result(unsafe { zx::raw::futex_wake(misaligned, 1) }),
        ZxStatus::InvalidArgs,
        "wake misaligned",
    );
    assert_eq!(zx::futex_wake(w, 1), Ok(()), "waking nobody");
    assert_err(
        zx::futex_requeue(w, 0, 0, w, 1, ZX_HANDLE_INVALID),
        ZxStatus::InvalidArgs,
        "requeue onto itself",
    );
    assert_err(
        zx::futex_requeue(w, 0, 7, &OTHER, 1, ZX_HANDLE_INVALID),
        ZxStatus::BadState,
        "requeue with a value that differs",
    );
    zx::println!("futex: wait/wake/requeue check pointers, values and owners; deadlines time out");
}

/// Waits on the futex named by `which` (0: WORD, 1: OTHER, followed by a
/// requeue) until woken.
fn waiter(which: usize) {
    let f = if which == 0 { &WORD } else { &OTHER };
    match zx::futex_wait(f, 0, ZX_HANDLE_INVALID, ZX_TIME_INFINITE) {
        Ok(()) | Err(ZxStatus::BadState) => {}
        Err(e) => panic!("futex_wait: {e:?}"),
    }
    WOKEN.fetch_add(1, Ordering::SeqCst);
}

/// Waits (without a time limit of its own: the kernel's program limit
/// bounds it) until `n` waiters have woken.
fn wait_until_woken(n: u32) {
    while WOKEN.load(Ordering::SeqCst) < n {
        zx::nanosleep(zx::deadline_after(200_000));
    }
}

/// Gives wrongly woken waiters a moment to show: a check after it can miss
/// a wrong wake on a slow machine, never invent one.
fn settle() {
    zx::nanosleep(zx::deadline_after(10_000_000));
}

/// Waits until every spawned waiter sleeps on a futex (ZX_INFO_THREAD says
/// BLOCKED_FUTEX once it is on the futex's queue).
fn wait_until_waiting(j: &[Option<thread::JoinHandle>]) {
    for h in j.iter().flatten() {
        wait_for_thread_state(h.handle(), zx::thread_state::BLOCKED_FUTEX);
    }
}

fn wake_counts() {
    let mut j: [Option<thread::JoinHandle>; 4] = [const { None }; 4];
    for s in j.iter_mut() {
        *s = Some(thread::spawn("waiter", waiter, 0).unwrap());
    }
    wait_until_waiting(&j);
    assert_eq!(WOKEN.load(Ordering::SeqCst), 0, "nobody woke on its own");
    zx::futex_wake(&WORD, 1).unwrap();
    wait_until_woken(1);
    settle();
    assert_eq!(WOKEN.load(Ordering::SeqCst), 1, "wake(1) woke one");
    zx::futex_wake(&WORD, 2).unwrap();
    wait_until_woken(3);
    settle();
    assert_eq!(WOKEN.load(Ordering::SeqCst), 3, "wake(2) woke two more");
    zx::futex_wake(&WORD, u32::MAX).unwrap();
    for s in j.iter_mut() {
        s.take().unwrap().join().unwrap();
    }
    assert_eq!(WOKEN.load(Ordering::SeqCst), 4);
    zx::println!("futex: wake wakes exactly the count asked for");
}

fn requeue() {
    WOKEN.store(0, Ordering::SeqCst);
    let mut j: [Option<thread::JoinHandle>; 3] = [const { None }; 3];
    for s in j.iter_mut() {
        *s = Some(thread::spawn("waiter", waiter, 0).unwrap());
    }
    wait_until_waiting(&j);
    // Wake one, move the other two to OTHER.
    zx::futex_requeue(&WORD, 1, 0, &OTHER, 2, ZX_HANDLE_INVALID).unwrap();
    wait_until_woken(1);
    settle();
    assert_eq!(WOKEN.load(Ordering::SeqCst), 1, "requeue woke one");
    zx::futex_wake(&WORD, u32::MAX).unwrap();
    settle();
    assert_eq!(
        WOKEN.load(Ordering::SeqCst),
        1,
        "the others are no longer on WORD"
    );
    zx::futex_wake(&OTHER, u32::MAX).unwrap();
    for s in j.iter_mut() {
        s.take().unwrap().join().unwrap();
    }
    assert_eq!(
        WOKEN.load(Ordering::SeqCst),
        3,
        "waking OTHER woke the moved two"
    );
    zx::println!("futex: requeue wakes wake_count and moves requeue_count to the other futex");
}

fn main(_root: Handle) -> i64 {
    checks();
    wake_counts();
    requeue();
    0
}

zx::entry!(main);
