//! Benchmark: the cost of threads and futexes, as ns per operation (=
//! instructions under QEMU `-icount shift=0,sleep=off`), medians of
//! batches, printed as a `bench:` table and as `benchrow: KEY NS` lines
//! that scripts/bench.sh joins with the Linux peer's `threads` set.
//!
//! - `thread_create_join`: `zx::thread::spawn` of a thread that returns at
//!   once (stack VMO + map, `zx_thread_create`, `zx_thread_start`), then
//!   `join` (wait for `ZX_THREAD_TERMINATED`, close, unmap, close).
//! - `futex_pingpong`: one round trip between two threads on two futex
//!   words: this thread bumps `PING` and wakes it, then sleeps on `PONG`
//!   until the partner has answered (the partner does the mirror image).
//!   Per round trip: two futex wakes, two futex waits and, when both
//!   threads share one core, two context switches.
//!
//! The program cannot choose cores (Zircon has no affinity call): the
//! script boots it once with `-smp 1`, where the round trip is the context
//! switch row, and once with `-smp 2`, where the scheduler puts a woken
//! thread on an idle core, so that the two threads run on different cores
//! (once the scheduler uses more than one core). The `linux` column of the
//! `bench:` table is the peer's figure with `-smp 1` (Debian's 6.1 kernel,
//! same QEMU); scripts/bench.sh measures both sides afresh.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use el0_tests::bench::{median_ns_per_op, Table};
use el0_tests::zx::{self, Handle, ZxStatus, ZX_HANDLE_INVALID, ZX_TIME_INFINITE};

const BATCHES: usize = 7;
/// Thread create + join iterations per batch.
const SPAWN_ITERS: u64 = 100;
/// Ping-pong round trips per batch.
const PINGPONG_ITERS: u64 = 500;
/// Round trips before timing starts (the partner's first faults, the
/// futex table's first entries).
const WARMUP: u32 = 16;

/// The round this thread has started (the partner waits for it).
static PING: AtomicU32 = AtomicU32::new(0);
/// The round the partner has answered.
static PONG: AtomicU32 = AtomicU32::new(0);

fn nothing(_: usize) {}

fn create_join() -> u64 {
    median_ns_per_op(BATCHES, SPAWN_ITERS, |_| {
        let t = zx::thread::spawn("bench", nothing, 0).expect("spawn");
        t.join().expect("join");
    })
}

/// Sleeps until `word` holds `target`.
fn wait_for(word: &AtomicU32, target: u32) {
    loop {
        let v = word.load(Ordering::Acquire);
        if v == target {
            return;
        }
        // BAD_STATE: it changed before the kernel looked; look again.
        match zx::futex_wait(word, v, ZX_HANDLE_INVALID, ZX_TIME_INFINITE) {
            Ok(()) | Err(ZxStatus::BadState) => {}
            Err(e) => panic!("futex_wait: {}", e.name()),
        }
    }
}

/// Sets `word` to `value` and wakes its waiter.
fn post(word: &AtomicU32, value: u32) {
    word.store(value, Ordering::Release);
    zx::futex_wake(word, 1).expect("futex_wake");
}

/// The partner: answers rounds 1..=`rounds`.
fn partner(rounds: usize) {
    for round in 1..=rounds as u32 {
        wait_for(&PING, round);
        post(&PONG, round);
    }
}

fn pingpong() -> u64 {
    let rounds = WARMUP + BATCHES as u32 * PINGPONG_ITERS as u32;
    PING.store(0, Ordering::Relaxed);
    PONG.store(0, Ordering::Relaxed);
    let t = zx::thread::spawn("pong", partner, rounds as usize).expect("spawn");
    let mut round = 0u32;
    let mut trip = || {
        round += 1;
        post(&PING, round);
        wait_for(&PONG, round);
    };
    for _ in 0..WARMUP {
        trip();
    }
    let ns = median_ns_per_op(BATCHES, PINGPONG_ITERS, |_| trip());
    t.join().expect("join");
    assert_eq!(
        PONG.load(Ordering::Relaxed),
        rounds,
        "the partner answered every round"
    );
    ns
}

fn main(_root: Handle) -> i64 {
    el0_tests::prefault_stack();
    zx::println!(
        "benchinfo: zkernel thread_costs: {} core(s) take threads",
        zx::kernel_stats()[zx::stats::CORES_ONLINE]
    );
    let mut t = Table::new("thread_costs");
    t.keyed_row(
        "thread_create_join",
        "thread spawn (create+start) + join",
        create_join(),
        77_600,
    );
    t.keyed_row(
        "futex_pingpong",
        "futex ping-pong, per round trip",
        pingpong(),
        11_770,
    );
    t.finish();
    0
}

zx::entry!(main);
