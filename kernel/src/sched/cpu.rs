//! Each core's run queue, scheduler loop, idle loop and timer list (see
//! the `sched` module's description).

use super::Runnable;
use crate::sync::spin_lock::Mutex;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use platform::arch::cpu;
use platform::arch::percpu::{this_cpu, MAX_CPUS};
use platform::arch::trap::{self, KernelContext};
use platform::{irq, timer};

/// A time slice: 10 ms of counter time.
const SLICE_NS: u64 = 10_000_000;

/// Why a thread switched back to its scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    /// Its slice ended, or it yielded: queue it again.
    Preempted,
    /// It is going to sleep (`Park::prepare` said so).
    Parked,
    /// It has ended: reap it.
    Exited,
}

/// One core's scheduling state.
struct Core {
    /// Where the core's scheduler stack was switched away from.
    context: UnsafeCell<KernelContext>,
    queue: Mutex<VecDeque<Arc<dyn Runnable>>>,
    /// `queue.len()`, for choosing cores without taking their locks.
    queued: AtomicUsize,
    /// The core is in (or about to enter) `wfi` with nothing to run.
    idle: AtomicBool,
    /// The core takes threads (its scheduler runs, its interrupts work).
    online: AtomicBool,
    /// Sleepers with a deadline: (counter deadline, thread).
    timers: Mutex<Vec<(u64, Arc<dyn Runnable>)>>,
    /// The earliest deadline in `timers` (u64::MAX: none).
    next_timer: AtomicU64,
    /// The running thread's slice end (u64::MAX: none running).
    slice_end: AtomicU64,
    /// The running thread's process time limit (u64::MAX: none).
    limit: AtomicU64,
}

// SAFETY: `context` is only used by the core that owns it (its scheduler
// loop and the threads it switches to); everything else is atomics and
// locks.
unsafe impl Sync for Core {}

impl Core {
    const fn new() -> Self {
        Self {
            context: UnsafeCell::new(KernelContext::ZERO),
            queue: Mutex::new(VecDeque::new()),
            queued: AtomicUsize::new(0),
            idle: AtomicBool::new(false),
            online: AtomicBool::new(false),
            timers: Mutex::new(Vec::new()),
            next_timer: AtomicU64::new(u64::MAX),
            slice_end: AtomicU64::new(u64::MAX),
            limit: AtomicU64::new(u64::MAX),
        }
    }

    fn push(&self, t: Arc<dyn Runnable>) {
        let mut q = self.queue.lock();
        q.push_back(t);
        self.queued.store(q.len(), Ordering::Release);
    }

    fn pop(&self) -> Option<Arc<dyn Runnable>> {
        let mut q = self.queue.lock();
        let t = q.pop_front();
        self.queued.store(q.len(), Ordering::Release);
        t
    }
}

static CORES: [Core; MAX_CPUS] = [const { Core::new() }; MAX_CPUS];

fn me() -> usize {
    this_cpu().index()
}

/// Counter ticks in `ns` nanoseconds.
pub fn ns_to_ticks(ns: u64) -> u64 {
    let t = u128::from(ns) * u128::from(cpu::counter_frequency()) / 1_000_000_000;
    u64::try_from(t).unwrap_or(u64::MAX)
}

/// Nanoseconds in `ticks` counter ticks.
pub fn ticks_to_ns(ticks: u64) -> i64 {
    let t = u128::from(ticks) * 1_000_000_000 / u128::from(cpu::counter_frequency());
    i64::try_from(t).unwrap_or(i64::MAX)
}

/// The monotonic clock in nanoseconds (`zx_clock_get_monotonic`).
pub fn now_ns() -> i64 {
    ticks_to_ns(cpu::counter())
}

/// The counter value at which the monotonic clock reaches `deadline_ns`
/// (None: never, for `ZX_TIME_INFINITE`; 0 for a deadline in the past).
pub fn deadline_ticks(deadline_ns: i64) -> Option<u64> {
    if deadline_ns == zx_abi::ZX_TIME_INFINITE {
        return None;
    }
    let Ok(ns) = u128::try_from(deadline_ns) else {
        return Some(0);
    };
    let t = (ns * u128::from(cpu::counter_frequency())).div_ceil(1_000_000_000);
    Some(u64::try_from(t).unwrap_or(u64::MAX))
}

/// Makes the calling core take threads. Call once per core, when its
/// interrupts (timer and reschedule) work.
pub fn core_online() {
    CORES[me()].online.store(true, Ordering::Release);
}

/// Cores taking threads.
pub fn cores_online() -> usize {
    CORES
        .iter()
        .filter(|c| c.online.load(Ordering::Acquire))
        .count()
}

/// Wakes `t` if it sleeps: queues it when `notify` says so (see `park`).
pub fn wake(t: &dyn Runnable) {
    if t.park().notify() {
        enqueue(t.arc());
    }
}

/// Puts a runnable thread on a run queue (see the module's placement rule)
/// and wakes that core if it is idle.
pub fn enqueue(t: Arc<dyn Runnable>) {
    let here = me();
    let last = t.last_cpu();
    let idle =
        |i: usize| CORES[i].online.load(Ordering::Acquire) && CORES[i].idle.load(Ordering::Acquire);
    let target = if idle(last) {
        last
    } else if let Some(i) = (0..MAX_CPUS).find(|&i| idle(i)) {
        i
    } else if CORES[here].online.load(Ordering::Acquire) {
        here
    } else {
        0
    };
    CORES[target].push(t);
    kick(target);
}

/// Interrupts core `cpu` if it sleeps in its idle loop, so that it looks at
/// its queue and timers again (and the boot core at its runner's state).
pub fn kick(cpu: usize) {
    // Pairs with the fence in `idle`: either that core sees what the caller
    // did (a queued thread, an ended process), or the caller sees it idle
    // and interrupts its `wfi`.
    fence(Ordering::SeqCst);
    if cpu != me() && CORES[cpu].idle.load(Ordering::Acquire) {
        irq::send_reschedule(cpu);
    }
}

/// Whether a thread waits in any core's queue.
fn anyone_queued() -> bool {
    CORES.iter().any(|c| c.queued.load(Ordering::Acquire) > 0)
}

/// The next thread for core `here`: its own queue first, then the longest
/// other queue.
fn pick(here: usize) -> Option<Arc<dyn Runnable>> {
    if let Some(t) = CORES[here].pop() {
        return Some(t);
    }
    let victim = (0..MAX_CPUS)
        .filter(|&i| i != here)
        .max_by_key(|&i| CORES[i].queued.load(Ordering::Acquire))?;
    if CORES[victim].queued.load(Ordering::Acquire) == 0 {
        return None;
    }
    CORES[victim].pop()
}

/// Runs threads on this core until `done()` holds (checked after every
/// thread switch and wake-up); `wake_at` is a counter value at which the
/// core must look at `done` again even if nothing else happens. Secondaries
/// never return from it.
pub fn run_cpu(done: &dyn Fn() -> bool, wake_at: &dyn Fn() -> u64) {
    let here = me();
    loop {
        expire_timers(here);
        if done() {
            return;
        }
        match pick(here) {
            Some(t) => run(here, t),
            None => idle(here, wake_at(), done),
        }
    }
}

/// Switches to `t` and handles why it came back.
fn run(here: usize, t: Arc<dyn Runnable>) {
    let core = &CORES[here];
    let cpu_local = this_cpu();
    let previous_limit = cpu_local.stack_limit.load(Ordering::Relaxed);
    t.set_last_cpu(here);
    cpu_local
        .current
        .store(Arc::as_ptr(&t) as *mut (), Ordering::Release);
    cpu_local
        .stack_limit
        .store(t.stack_limit(), Ordering::Relaxed);
    let now = cpu::counter();
    core.slice_end
        .store(now.saturating_add(ns_to_ticks(SLICE_NS)), Ordering::Relaxed);
    core.limit.store(t.deadline(), Ordering::Relaxed);
    arm_timer(here);
    t.running_from(now);
    // SAFETY: the thread is on no queue and no other core (it was popped
    // from a queue, where only a scheduler after its switch or a waker that
    // `notify` chose puts it); its stack limit is set; this core's context
    // stays valid; `t` keeps the thread and its stack alive until it
    // switches back.
    unsafe { trap::switch(core.context.get(), t.kernel_context()) };
    t.stopped_running_at(cpu::counter());
    core.slice_end.store(u64::MAX, Ordering::Relaxed);
    core.limit.store(u64::MAX, Ordering::Relaxed);
    cpu_local
        .stack_limit
        .store(previous_limit, Ordering::Relaxed);
    cpu_local
        .current
        .store(core::ptr::null_mut(), Ordering::Release);
    match t.take_switch_reason() {
        // Back on a queue: an idle core's if there is one (it is woken to
        // take it), else this one's.
        Switch::Preempted => enqueue(t),
        Switch::Parked => {
            if t.park().finish() {
                enqueue(t);
            }
        }
        Switch::Exited => t.reap(),
    }
}

/// Nothing to run: sleep in `wfi` until an interrupt (the timer, or a
/// reschedule from a core that queued a thread here or `kick`ed it).
/// Everything that would end the sleep is looked at again after the core
/// says it is idle: a waker that looked before saw it busy and sent
/// nothing, so what it did must be seen here.
fn idle(here: usize, wake_at: u64, done: &dyn Fn() -> bool) {
    let core = &CORES[here];
    core.idle.store(true, Ordering::Release);
    fence(Ordering::SeqCst);
    if !anyone_queued() && !done() {
        let deadline = core.next_timer.load(Ordering::Acquire).min(wake_at);
        if deadline == u64::MAX {
            timer::disarm();
        } else {
            timer::arm(deadline);
        }
        if deadline > cpu::counter() {
            aarch64_cpu::asm::wfi();
        }
        // What woke the core matters only through the queues and timers
        // the loop looks at next; the interrupt itself is acknowledged.
        let _ = irq::take();
    }
    core.idle.store(false, Ordering::Release);
}

/// Arms this core's timer for the earliest of its deadlines.
fn arm_timer(here: usize) {
    let core = &CORES[here];
    let at = core
        .slice_end
        .load(Ordering::Relaxed)
        .min(core.limit.load(Ordering::Relaxed))
        .min(core.next_timer.load(Ordering::Acquire));
    if at == u64::MAX {
        timer::disarm();
    } else {
        timer::arm(at);
    }
}

/// Wakes this core's sleepers whose deadline has passed.
fn expire_timers(here: usize) {
    let core = &CORES[here];
    let now = cpu::counter();
    if core.next_timer.load(Ordering::Acquire) > now {
        return;
    }
    let due: Vec<Arc<dyn Runnable>> = {
        let mut timers = core.timers.lock();
        let mut due = Vec::new();
        timers.retain(|(at, t)| {
            if *at <= now {
                due.push(t.clone());
                false
            } else {
                true
            }
        });
        core.next_timer.store(earliest(&timers), Ordering::Release);
        due
    };
    for t in due {
        wake(&*t);
    }
}

/// What the timer interrupt means for the thread running on this core:
/// sleepers are woken, and the answer says whether its process overran its
/// time limit and whether its slice is over (with something else to run).
pub struct Tick {
    pub over_limit: bool,
    pub preempt: bool,
}

/// Handles a timer interrupt taken from EL0 on this core.
pub fn timer_tick() -> Tick {
    let here = me();
    let core = &CORES[here];
    expire_timers(here);
    let now = cpu::counter();
    let over_limit = now >= core.limit.load(Ordering::Relaxed);
    let mut preempt = false;
    if now >= core.slice_end.load(Ordering::Relaxed) {
        if anyone_queued() {
            preempt = true;
        } else {
            core.slice_end
                .store(now.saturating_add(ns_to_ticks(SLICE_NS)), Ordering::Relaxed);
        }
    }
    arm_timer(here);
    Tick {
        over_limit,
        preempt,
    }
}

/// Whether a thread is waiting for this core (a reschedule interrupt came
/// while a thread ran here).
pub fn others_waiting() -> bool {
    CORES[me()].queued.load(Ordering::Acquire) > 0
}

/// This core's scheduler context, which a thread switches back to.
pub(crate) fn scheduler_context() -> *mut KernelContext {
    CORES[me()].context.get()
}

/// Sleeps the running thread `t` until something notifies it or the
/// counter reaches `deadline`. It may return early (a notification meant
/// for an earlier sleep): callers re-check what they wait for.
///
/// Inline, with the timed sleep out of line: the untimed one (every wait
/// with an infinite deadline, a futex ping-pong's) is a check and a switch.
#[inline]
pub fn park_current(t: &dyn Runnable, deadline: Option<u64>) {
    match deadline {
        None => {
            if t.park().prepare() {
                t.switch_out(Switch::Parked);
            }
        }
        Some(at) => park_until(t, at),
    }
}

/// [`park_current`] with a deadline: the sleep is on this core's timer
/// list while it lasts.
#[inline(never)]
fn park_until(t: &dyn Runnable, at: u64) {
    if at <= cpu::counter() {
        return;
    }
    let here = me();
    {
        let core = &CORES[here];
        let mut timers = core.timers.lock();
        timers.push((at, t.arc()));
        core.next_timer.fetch_min(at, Ordering::AcqRel);
    }
    if t.park().prepare() {
        t.switch_out(Switch::Parked);
    }
    let core = &CORES[here];
    let mut timers = core.timers.lock();
    let me_ptr = t as *const dyn Runnable as *const ();
    timers.retain(|(_, x)| Arc::as_ptr(x) as *const () != me_ptr);
    core.next_timer.store(earliest(&timers), Ordering::Release);
}

/// The earliest deadline of a timer list (u64::MAX: none).
fn earliest(timers: &[(u64, Arc<dyn Runnable>)]) -> u64 {
    timers.iter().map(|(at, _)| *at).min().unwrap_or(u64::MAX)
}
