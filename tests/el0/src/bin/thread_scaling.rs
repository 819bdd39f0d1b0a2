//! Benchmark: page-fault throughput of 1, 2 and 4 threads faulting
//! disjoint pages of one VMO. Each measurement maps one fresh 64 MiB VMO
//! once; thread `i` of `n` writes one byte to each page of its own `1/n`
//! of it. The time runs from the moment this thread releases the (already
//! started, waiting) workers until the last one has finished its range.
//! One untimed 4-thread measurement comes first (QEMU translates the fault
//! path on first use).
//!
//! Meant for wall-clock time (scripts/bench.sh boots it with `-smp 4` and
//! multi-threaded TCG, without -icount): under -icount QEMU runs the cores
//! one after another and no thread count can go faster. bench.sh boots it
//! under -icount too, for the other figure that gives: every core's
//! instructions per page, whose ratio to one thread's is the work that
//! faulting at once adds (ideal: none). Prints, for each
//! thread count, the median of 5 measurements as `benchrow:
//! fault_threads_N NS` (wall-clock ns per page); the script turns them into
//! throughput ratios to one thread and sets Linux's (the peer's
//! `fault-scaling` set, the same work) beside them.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use el0_tests::bench::{benchrow, ticks_to_ns};
use el0_tests::zx::{self, Handle, ZxStatus, ZX_HANDLE_INVALID, ZX_TIME_INFINITE};
use el0_tests::{Mapping, PAGE, RW};

const SIZE: usize = 64 << 20;
const PAGES: usize = SIZE / PAGE;
const RUNS: usize = 5;
/// Thread counts, each with its `benchrow` key.
const THREADS: [(usize, &str); 3] = [
    (1, "fault_threads_1"),
    (2, "fault_threads_2"),
    (4, "fault_threads_4"),
];
const MAX_THREADS: usize = 4;

/// The measurement the workers may start (0: none yet).
static GO: AtomicU32 = AtomicU32::new(0);
/// The mapping's base address and each worker's share, in pages.
static BASE: AtomicUsize = AtomicUsize::new(0);
static SHARE: AtomicUsize = AtomicUsize::new(0);
/// The counter when each worker finished its range.
static END: [AtomicU64; MAX_THREADS] = [const { AtomicU64::new(0) }; MAX_THREADS];

/// Worker `arg % MAX_THREADS` of measurement `arg / MAX_THREADS`.
fn worker(arg: usize) {
    let (run, index) = ((arg / MAX_THREADS) as u32, arg % MAX_THREADS);
    loop {
        let go = GO.load(Ordering::Acquire);
        if go == run {
            break;
        }
        match zx::futex_wait(&GO, go, ZX_HANDLE_INVALID, ZX_TIME_INFINITE) {
            Ok(()) | Err(ZxStatus::BadState) => {}
            Err(e) => panic!("futex_wait: {}", e.name()),
        }
    }
    let share = SHARE.load(Ordering::Relaxed);
    let first = BASE.load(Ordering::Relaxed) + index * share * PAGE;
    for page in 0..share {
        let p = (first + page * PAGE) as *mut u8;
        // SAFETY: the page lies inside the mapping `measure` made, which
        // it unmaps only after joining this thread.
        unsafe { p.write_volatile(1) };
    }
    END[index].store(zx::counter(), Ordering::Release);
}

/// Ns per page for `threads` workers, measurement number `run` (from 1).
fn measure(root: Handle, threads: usize, run: u32) -> u64 {
    let vmo = zx::vmo_create(SIZE as u64, 0).expect("vmo_create");
    let map = Mapping::new(root, vmo, SIZE, RW);
    BASE.store(map.addr, Ordering::Relaxed);
    SHARE.store(PAGES / threads, Ordering::Relaxed);
    let mut handles = [const { None }; MAX_THREADS];
    for (i, h) in handles.iter_mut().take(threads).enumerate() {
        let arg = run as usize * MAX_THREADS + i;
        *h = Some(zx::thread::spawn("faulter", worker, arg).expect("spawn"));
    }
    let t0 = zx::counter();
    GO.store(run, Ordering::Release);
    zx::futex_wake(&GO, u32::MAX).expect("futex_wake");
    let mut last = t0;
    for (i, h) in handles.iter_mut().take(threads).enumerate() {
        h.take().expect("spawned").join().expect("join");
        last = last.max(END[i].load(Ordering::Acquire));
    }
    map.unmap();
    zx::handle_close(vmo).expect("close");
    ticks_to_ns(last - t0) / PAGES as u64
}

fn main(root: Handle) -> i64 {
    el0_tests::prefault_stack();
    let mut samples = [[0u64; THREADS.len()]; RUNS];
    // One untimed measurement first: QEMU translates the fault path (for
    // every core) on first use.
    measure(root, MAX_THREADS, 1);
    let mut run = 1;
    // Thread counts interleaved, so that a burst of host load spreads over
    // all of them.
    for one_run in samples.iter_mut() {
        for (sample, &(threads, _)) in one_run.iter_mut().zip(THREADS.iter()) {
            run += 1;
            *sample = measure(root, threads, run);
        }
    }
    for (k, &(threads, key)) in THREADS.iter().enumerate() {
        let mut s: [u64; RUNS] = core::array::from_fn(|r| samples[r][k]);
        let s = &mut s;
        s.sort_unstable();
        zx::println!(
            "bench: thread_scaling: {} thread(s), wall ns per page: median {} (of {:?})",
            threads,
            s[RUNS / 2],
            s
        );
        benchrow(key, s[RUNS / 2]);
    }
    zx::println!("bench: thread_scaling done");
    0
}

zx::entry!(main);
