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
//! Lock order: the run-queue and timer-list locks are leaves (taken under
//! an object's signal lock or the futex table's lock by wakers, never the
//! other way round).

pub mod park;

#[cfg(target_os = "none")]
mod cpu;
#[cfg(target_os = "none")]
pub mod futex;
#[cfg(target_os = "none")]
pub mod wait;

#[cfg(target_os = "none")]
pub use cpu::*;
