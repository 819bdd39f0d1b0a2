//! The scheduler: a run queue per core, time slices from each core's timer,
//! an idle loop in `wfi`, and the sleep/wake protocol threads block with.
//!
//! Every core runs [`run_cpu`] on its own scheduler stack (the boot stack,
//! or the stack `cpus.rs` gave a secondary). It takes the next thread from
//! its own queue, or steals one from the longest other queue, and switches
//! to it; the thread switches back when its slice ends, when it sleeps, or
//! when it has ended, and the scheduler, now off the thread's stack, does
//! what that needs: requeue it, finish its sleep ([`park::Park::finish`]) or
//! reap it. A thread is never on two cores: it is on a queue, running, or
//! asleep, and only the scheduler that ran it (after the switch) or a waker
//! that got `true` from `notify` queues it.
//!
//! Where a woken thread goes: the core it last ran on if that core is idle,
//! else any idle core, else the waker's core. An idle core is woken with the
//! reschedule interrupt. The kernel itself is not preemptible (interrupts
//! stay masked at EL1): a slice ends when the timer interrupts EL0.
//!
//! Sleeping with a deadline puts the thread on its core's timer list; the
//! core's timer is armed for the earliest of that list, the running
//! thread's slice end, and its process's time limit.
//!
//! The blocking calls built on this (object waits, futexes) are in
//! `crate::wait`; threads themselves in `crate::task`.
//!
//! Lock order: the run-queue and timer-list locks are leaves (taken under
//! an object's signal lock or the futex table's lock by wakers, never the
//! other way round).

pub mod park;

#[cfg(target_os = "none")]
mod cpu;

#[cfg(target_os = "none")]
pub use cpu::*;

/// What the scheduler runs: a thread, as far as queues, switches and
/// sleeps need to know it (the thread type lives above, in `task`, and
/// implements this).
#[cfg(target_os = "none")]
pub trait Runnable: Send + Sync {
    /// Its sleep/wake state.
    fn park(&self) -> &park::Park;
    /// A counted reference (run queues and timer lists hold one).
    fn arc(&self) -> alloc::sync::Arc<dyn Runnable>;
    /// The core it last ran on, where wakers prefer to queue it.
    fn last_cpu(&self) -> usize;
    fn set_last_cpu(&self, cpu: usize);
    /// The lowest address the vectors may push an exception frame at on
    /// its kernel stack.
    fn stack_limit(&self) -> u64;
    /// Where its kernel stack was switched away from.
    fn kernel_context(&self) -> *mut platform::arch::trap::KernelContext;
    /// Why it last switched back to the scheduler.
    fn take_switch_reason(&self) -> Switch;
    /// The counter value by which its process must have ended.
    fn deadline(&self) -> u64;
    /// It gets a core, or leaves it, at counter value `now`.
    fn running_from(&self, now: u64);
    fn stopped_running_at(&self, now: u64);
    /// Leaves its stack for the core's scheduler, saying why; returns when
    /// it runs again. Called by the thread itself, on its stack.
    fn switch_out(&self, why: Switch);
    /// The scheduler's last act for an ended thread, off its stack.
    fn reap(self: alloc::sync::Arc<Self>);
}
