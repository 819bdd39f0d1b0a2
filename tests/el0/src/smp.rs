//! Helpers for the concurrency stress programs (`smp_*`): a start barrier
//! that makes threads really race (they spin on one word and leave it
//! together; on one core they sleep on its futex instead), a group of
//! threads spawned and joined together, and the iteration scale.
//!
//! The scale multiplies every program's round count: 1 in the suite (each
//! program finishes in a few seconds under QEMU TCG), more for the long runs
//! of `scripts/stress.sh`, which builds the programs with
//! `ZK_STRESS_SCALE=K` in the environment (read when they are compiled).

use core::sync::atomic::{AtomicU32, Ordering};
use zx::thread::{spawn, JoinHandle};
use zx::{futex_wait, futex_wake, ZX_HANDLE_INVALID, ZX_TIME_INFINITE};

/// The most threads a [`Group`] holds.
pub const MAX_THREADS: usize = 16;

/// The round multiplier: `ZK_STRESS_SCALE` at build time, else 1.
pub fn scale() -> u64 {
    let Some(s) = option_env!("ZK_STRESS_SCALE") else {
        return 1;
    };
    let mut v: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return 1;
        }
        v = v.saturating_mul(10).saturating_add(u64::from(b - b'0'));
    }
    v.max(1)
}

/// `n` times the scale.
pub fn rounds(n: u64) -> u64 {
    n.saturating_mul(scale())
}

/// How long [`Barrier::wait`] spins before it sleeps: long enough that
/// threads on other cores arriving within a few milliseconds of each other
/// (QEMU's cores share the host's) leave together, without a wake-up each.
const BARRIER_SPIN_NS: u64 = 5_000_000;

/// A reusable barrier for `n` threads.
pub struct Barrier {
    n: u32,
    arrived: AtomicU32,
    generation: AtomicU32,
}

impl Barrier {
    pub const fn new(n: u32) -> Self {
        Self {
            n,
            arrived: AtomicU32::new(0),
            generation: AtomicU32::new(0),
        }
    }

    /// Waits until all `n` threads have called `wait` for this round.
    pub fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            // The others wait for the generation to move, so the count is
            // reset before it does.
            self.arrived.store(0, Ordering::Relaxed);
            self.generation
                .store(generation.wrapping_add(1), Ordering::Release);
            let _ = futex_wake(&self.generation, u32::MAX);
            return;
        }
        let start = zx::counter();
        let limit = BARRIER_SPIN_NS * zx::counter_frequency() / 1_000_000_000;
        while self.generation.load(Ordering::Acquire) == generation {
            if zx::counter() - start < limit {
                core::hint::spin_loop();
            } else {
                // BAD_STATE: the generation moved meanwhile.
                let _ = futex_wait(
                    &self.generation,
                    generation,
                    ZX_HANDLE_INVALID,
                    ZX_TIME_INFINITE,
                );
            }
        }
    }
}

/// Threads spawned together and joined together.
pub struct Group {
    threads: [Option<JoinHandle>; MAX_THREADS],
    count: usize,
}

impl Group {
    pub const fn new() -> Self {
        Self {
            threads: [const { None }; MAX_THREADS],
            count: 0,
        }
    }

    /// Starts `f(arg)` on a new thread (must succeed).
    #[track_caller]
    pub fn spawn(&mut self, name: &str, f: fn(usize), arg: usize) {
        assert!(self.count < MAX_THREADS, "more than {MAX_THREADS} threads");
        match spawn(name, f, arg) {
            Ok(t) => self.threads[self.count] = Some(t),
            Err(e) => panic!("spawn {name}: {}", e.name()),
        }
        self.count += 1;
    }

    /// Starts `f(i)` for `i` in `0..n`.
    #[track_caller]
    pub fn spawn_n(&mut self, name: &str, n: usize, f: fn(usize)) {
        for i in 0..n {
            self.spawn(name, f, i);
        }
    }

    /// Waits for every thread and frees their stacks and handles. Returns
    /// on how many distinct cores the threads last ran
    /// (`ZX_INFO_THREAD_STATS`), for the programs' reports.
    #[track_caller]
    pub fn join(mut self) -> u32 {
        let mut cores = 0u64;
        for t in self.threads.iter_mut().take(self.count) {
            if let Some(t) = t.take() {
                let (s, _) = zx::object_wait_one(
                    t.handle(),
                    zx::signals::THREAD_TERMINATED,
                    ZX_TIME_INFINITE,
                );
                assert_eq!(s, Ok(()), "waiting for a thread to end");
                if let Ok(stats) = crate::try_info::<zx::InfoThreadStats>(
                    t.handle(),
                    zx::topic::THREAD_STATS,
                    core::mem::size_of::<zx::InfoThreadStats>(),
                ) {
                    cores |= 1 << (stats.last_scheduled_cpu % 64);
                }
                if let Err(e) = t.join() {
                    panic!("join: {}", e.name());
                }
            }
        }
        cores.count_ones()
    }
}

impl Default for Group {
    fn default() -> Self {
        Self::new()
    }
}

/// A small fast generator (xorshift64*), for threads that pick offsets.
pub struct Rng(u64);

impl Rng {
    pub const fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// How long [`wait_while`] spins before it sleeps: long enough that a
/// waiter on another core keeps spinning (and keeps its TLB and caches as
/// they are) across a few system calls of the thread it waits for, short
/// enough that on one core it soon gives the core away.
const SPIN_NS: u64 = 2_000_000;

/// Waits while `word` holds `value`: spins for up to [`SPIN_NS`], then
/// sleeps on the futex (woken by [`publish`]).
pub fn wait_while(word: &AtomicU32, value: u32) {
    wait_while_spinning(word, value, SPIN_NS);
}

/// [`wait_while`] with a spin of up to `spin_ns` before the sleep.
pub fn wait_while_spinning(word: &AtomicU32, value: u32, spin_ns: u64) {
    let start = zx::counter();
    let limit = spin_ns * zx::counter_frequency() / 1_000_000_000;
    while word.load(Ordering::Acquire) == value {
        if zx::counter() - start < limit {
            core::hint::spin_loop();
        } else {
            // BAD_STATE: it changed meanwhile.
            let _ = futex_wait(word, value, ZX_HANDLE_INVALID, ZX_TIME_INFINITE);
        }
    }
}

/// Stores `value` in `word` and wakes every thread in [`wait_while`] on it.
pub fn publish(word: &AtomicU32, value: u32) {
    word.store(value, Ordering::Release);
    let _ = futex_wake(word, u32::MAX);
}
