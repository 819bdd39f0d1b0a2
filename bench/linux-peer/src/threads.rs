//! The Linux side of `thread_costs` (the `threads` set) and
//! `thread_scaling` (the `fault-scaling` set): musl's pthreads and raw
//! futex calls doing the same work as `zx::thread::spawn`/`join` and
//! `zx_futex_wait`/`wake` on the EL0 side, with the same iteration counts.

use crate::sys::{self, AnonMap, Pthread};
use crate::{median, median_ns_per_unit, row, ticks_to_ns, BATCHES, PAGE};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

// ---- the threads set: thread_costs' rows -----------------------------

/// Thread create + join iterations per batch.
const SPAWN_ITERS: u64 = 100;
/// Ping-pong round trips per batch.
const PINGPONG_ITERS: u64 = 500;
/// Round trips before timing starts.
const WARMUP: u32 = 16;

/// The round the main thread has started, and the one the partner has
/// answered.
static PING: AtomicU32 = AtomicU32::new(0);
static PONG: AtomicU32 = AtomicU32::new(0);

extern "C" fn nothing(_: usize) -> usize {
    0
}

/// `pthread_create` of a thread that returns at once, then `pthread_join`.
fn create_join() -> u64 {
    median_ns_per_unit(SPAWN_ITERS, 1, |_| {
        let t = Pthread::spawn(nothing, 0).expect("pthread_create");
        t.join().expect("pthread_join");
    })
}

/// Sleeps until `word` holds `target`.
fn wait_for(word: &AtomicU32, target: u32) {
    loop {
        let v = word.load(Ordering::Acquire);
        if v == target {
            return;
        }
        // EAGAIN: it changed before the kernel looked; look again.
        match sys::futex_wait(word, v) {
            Ok(_) | Err(11) => {}
            Err(e) => panic!("futex_wait: errno {e}"),
        }
    }
}

/// Sets `word` to `value` and wakes its waiter.
fn post(word: &AtomicU32, value: u32) {
    word.store(value, Ordering::Release);
    sys::futex_wake(word, 1).expect("futex_wake");
}

/// The CPU the partner is pinned to (0 with one CPU).
static PARTNER_CPU: AtomicUsize = AtomicUsize::new(0);

/// The partner: pins itself, then answers rounds 1..=`rounds`.
extern "C" fn partner(rounds: usize) -> usize {
    sys::pin_to_cpu(PARTNER_CPU.load(Ordering::Relaxed)).expect("pin partner");
    for round in 1..=rounds as u32 {
        wait_for(&PING, round);
        post(&PONG, round);
    }
    0
}

/// One round trip between this thread (pinned to CPU 0) and a partner
/// pinned to CPU 1, or to CPU 0 as well with one CPU.
fn pingpong(cpus: usize) -> u64 {
    sys::pin_to_cpu(0).expect("pin main");
    PARTNER_CPU.store(1 % cpus, Ordering::Relaxed);
    let rounds = WARMUP + BATCHES as u32 * PINGPONG_ITERS as u32;
    PING.store(0, Ordering::Relaxed);
    PONG.store(0, Ordering::Relaxed);
    let t = Pthread::spawn(partner, rounds as usize).expect("pthread_create");
    let mut round = 0u32;
    let mut trip = || {
        round += 1;
        post(&PING, round);
        wait_for(&PONG, round);
    };
    for _ in 0..WARMUP {
        trip();
    }
    let ns = median_ns_per_unit(PINGPONG_ITERS, 1, |_| trip());
    t.join().expect("pthread_join");
    assert_eq!(PONG.load(Ordering::Relaxed), rounds);
    ns
}

pub fn threads_set() {
    let cpus = sys::cpus_allowed();
    // Thread creation first, unpinned: the kernel places the new thread
    // where it likes, as on the EL0 side.
    row("thread_create_join", create_join());
    println!(
        "benchinfo: linux threads: {cpus} CPU(s); ping-pong pinned to CPUs 0 and {}",
        1 % cpus
    );
    row("futex_pingpong", pingpong(cpus));
}

// ---- the fault-scaling set: thread_scaling's rows --------------------

const SCALE_SIZE: usize = 64 << 20;
const SCALE_PAGES: usize = SCALE_SIZE / PAGE;
const RUNS: usize = 5;
const THREADS: [(usize, &str); 3] = [
    (1, "fault_threads_1"),
    (2, "fault_threads_2"),
    (4, "fault_threads_4"),
];
const MAX_THREADS: usize = 4;

static GO: AtomicU32 = AtomicU32::new(0);
static BASE: AtomicUsize = AtomicUsize::new(0);
static SHARE: AtomicUsize = AtomicUsize::new(0);
static END: [AtomicU64; MAX_THREADS] = [const { AtomicU64::new(0) }; MAX_THREADS];
static CPUS: AtomicUsize = AtomicUsize::new(1);

/// Worker `arg % MAX_THREADS` of measurement `arg / MAX_THREADS`: pinned
/// to its own CPU, waits for the start, writes a byte to each page of its
/// share.
extern "C" fn worker(arg: usize) -> usize {
    let (run, index) = ((arg / MAX_THREADS) as u32, arg % MAX_THREADS);
    sys::pin_to_cpu(index % CPUS.load(Ordering::Relaxed)).expect("pin worker");
    loop {
        let go = GO.load(Ordering::Acquire);
        if go == run {
            break;
        }
        match sys::futex_wait(&GO, go) {
            Ok(_) | Err(11) => {}
            Err(e) => panic!("futex_wait: errno {e}"),
        }
    }
    let share = SHARE.load(Ordering::Relaxed);
    let first = BASE.load(Ordering::Relaxed) + index * share * PAGE;
    for page in 0..share {
        let p = (first + page * PAGE) as *mut u8;
        // SAFETY: inside the mapping `measure` made, which lives until
        // after this thread is joined; no Rust reference points into it.
        unsafe { p.write_volatile(1) };
    }
    END[index].store(sys::counter(), Ordering::Release);
    0
}

/// Wall ns per page for `threads` workers on one fresh 64 MiB mapping,
/// measurement number `run` (from 1).
fn measure(threads: usize, run: u32) -> u64 {
    let map = AnonMap::new(SCALE_SIZE, true).expect("mmap");
    BASE.store(map.addr, Ordering::Relaxed);
    SHARE.store(SCALE_PAGES / threads, Ordering::Relaxed);
    let workers: Vec<Pthread> = (0..threads)
        .map(|i| Pthread::spawn(worker, run as usize * MAX_THREADS + i).expect("pthread_create"))
        .collect();
    let t0 = sys::counter();
    GO.store(run, Ordering::Release);
    sys::futex_wake(&GO, i32::MAX as u32).expect("futex_wake");
    let mut last = t0;
    for (i, w) in workers.into_iter().enumerate() {
        w.join().expect("pthread_join");
        last = last.max(END[i].load(Ordering::Acquire));
    }
    drop(map);
    ticks_to_ns(last - t0) / SCALE_PAGES as u64
}

pub fn fault_scaling_set() {
    let cpus = sys::cpus_allowed();
    CPUS.store(cpus, Ordering::Relaxed);
    println!("benchinfo: linux fault-scaling: {cpus} CPU(s); worker i pinned to CPU i");
    let mut samples = [[0u64; THREADS.len()]; RUNS];
    // One untimed measurement first, as on the EL0 side.
    measure(MAX_THREADS, 1);
    let mut run = 1;
    for one_run in samples.iter_mut() {
        for (sample, &(threads, _)) in one_run.iter_mut().zip(THREADS.iter()) {
            run += 1;
            *sample = measure(threads, run);
        }
    }
    for (k, &(threads, key)) in THREADS.iter().enumerate() {
        let mut s: [u64; RUNS] = std::array::from_fn(|r| samples[r][k]);
        let s = &mut s;
        println!("benchinfo: linux fault-scaling: {threads} thread(s), wall ns per page {s:?}");
        row(key, median(s));
    }
}
