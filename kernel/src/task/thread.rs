//! A thread: its register context, its own kernel stack (with a guard
//! page), and its state; it belongs to a process, which it shares with its
//! siblings. The thread's kernel side is a loop on its own stack: run EL0
//! until it traps, handle the trap (a system call, a fault, an interrupt),
//! repeat until a stop is requested. System calls receive the thread.
//!
//! A core runs a thread by switching from its scheduler context (the boot
//! stack for now) to the thread's kernel stack, and the thread switches back
//! when it has stopped. The per-CPU block names the running thread.

use super::kstack::KernelStack;
use super::process::{Process, StartState};
use crate::manifest::{self, Cause, FaultKind};
use crate::object::ObjectBase;
use crate::vm::{Access, UserFault};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};
use platform::arch::percpu::{this_cpu, MAX_CPUS};
use platform::arch::trap::{enter_user, Esr, KernelContext, SyncKind, Trap, UserContext};
use platform::arch::{cpu, trap};
use platform::println;
use platform::{irq, timer};
use spin::Mutex;
use zx_abi::{obj_type, Rights, Signals, ZxStatus};

/// Why a thread stopped running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `zx_process_exit` with this code.
    Exit(i64),
    /// Killed: the kind (None for a fault of no kind the test manifest
    /// names) and the reason the report gave.
    Kill(Option<FaultKind>, String),
}

/// An EL0 program's time limit: the counter value it must end by, and the
/// limit in seconds for the report.
#[derive(Clone, Copy, Debug)]
pub struct TimeLimit {
    pub deadline: u64,
    pub seconds: u64,
}

pub struct Thread {
    base: ObjectBase,
    pub process: Arc<Process>,
    /// EL0 registers. Touched only by the thread's own kernel loop, on its
    /// own stack (and before the thread first runs).
    ctx: UnsafeCell<UserContext>,
    kstack: KernelStack,
    /// Where the thread's kernel stack was switched away from. Touched only
    /// by `switch`, on the core that runs the thread.
    kctx: UnsafeCell<KernelContext>,
    /// A stop requested by a system call or a trap handler.
    stop: Mutex<Option<Stop>>,
    /// Whether `stop` holds a request: the loop checks this after every
    /// trap without taking the lock.
    stopping: AtomicBool,
    limit: Option<TimeLimit>,
}

// SAFETY: the `UnsafeCell`s are only used by the core that runs the thread
// (its loop, and the switches in and out of it), never by two at once.
unsafe impl Sync for Thread {}

crate::kernel_object!(Thread, obj_type::THREAD, Rights::DEFAULT_THREAD);

/// Each core's scheduler context: where a thread switches back to.
struct SchedulerContexts([UnsafeCell<KernelContext>; MAX_CPUS]);
// SAFETY: each core uses only its own entry.
unsafe impl Sync for SchedulerContexts {}
static SCHEDULER: SchedulerContexts =
    SchedulerContexts([const { UnsafeCell::new(KernelContext::ZERO) }; MAX_CPUS]);

impl Thread {
    /// The first thread of `process`, about to start at `start`.
    pub fn new(
        process: Arc<Process>,
        start: &StartState,
        limit: Option<TimeLimit>,
    ) -> Result<Arc<Self>, ZxStatus> {
        let kstack = KernelStack::new()?;
        let mut ctx = UserContext::default();
        ctx.x[0] = start.arg0;
        ctx.sp = start.stack_top;
        ctx.pc = start.entry;
        let thread = Arc::new(Self {
            base: ObjectBase::new(Signals::empty()),
            process,
            ctx: UnsafeCell::new(ctx),
            kctx: UnsafeCell::new(KernelContext::default()),
            kstack,
            stop: Mutex::new(None),
            stopping: AtomicBool::new(false),
            limit,
        });
        let kctx = KernelContext::new_thread(
            thread.kstack.top(),
            thread_entry,
            Arc::as_ptr(&thread) as usize,
        );
        // SAFETY: the thread has not run yet: nothing else uses its context.
        unsafe { *thread.kctx.get() = kctx };
        Ok(thread)
    }

    /// Asks the thread to stop after the current trap; the first request
    /// wins.
    pub fn request_stop(&self, stop: Stop) {
        let mut s = self.stop.lock();
        if s.is_none() {
            *s = Some(stop);
            self.stopping.store(true, Ordering::Release);
        }
    }

    /// Kills the thread's process with a one-line report.
    pub fn kill(&self, kind: Option<FaultKind>, reason: String) {
        // SAFETY: only the thread's own loop calls this (system calls and
        // trap handlers run on the thread's stack).
        let pc = unsafe { (*self.ctx.get()).pc };
        println!("[kill] {}: {reason} (pc {pc:#x})", self.process.name);
        self.request_stop(Stop::Kill(kind, reason));
    }

    fn stop_requested(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Runs the thread on this core until it stops; returns why.
    pub fn run(self: &Arc<Self>) -> Stop {
        let cpu_local = this_cpu();
        let sched = SCHEDULER.0[cpu_local.index()].get();
        let previous_limit = cpu_local.stack_limit.load(Ordering::Relaxed);
        cpu_local
            .current
            .store(Arc::as_ptr(self) as *mut (), Ordering::Release);
        cpu_local
            .stack_limit
            .store(self.kstack.limit(), Ordering::Relaxed);
        // SAFETY: the thread's stack is live and runs nowhere else (it is
        // new, or switched back here when it stopped, and never resumed);
        // the stack limit is set for it; `sched` is this core's own context,
        // valid for as long as the kernel runs; `self` (and with it the
        // stack) stays alive until the thread switches back.
        unsafe { trap::switch(sched, self.kctx.get()) };
        cpu_local
            .stack_limit
            .store(previous_limit, Ordering::Relaxed);
        cpu_local
            .current
            .store(core::ptr::null_mut(), Ordering::Release);
        self.stop
            .lock()
            .take()
            .unwrap_or(Stop::Kill(None, String::from("stopped without a reason")))
    }

    /// The thread's kernel side, on its own stack.
    fn main(&self) {
        self.process.aspace.activate();
        trap::reset_fp_state();
        if let Some(l) = self.limit {
            timer::arm(l.deadline);
        }
        // SAFETY: this loop is the only user of the context while the
        // thread runs (see the field).
        let ctx = unsafe { &mut *self.ctx.get() };
        while !self.stop_requested() {
            let trap = enter_user(ctx);
            self.handle_trap(ctx, trap);
        }
        timer::disarm();
        crate::vm::asid::ASIDS.deactivate(this_cpu().index());
    }

    fn handle_trap(&self, ctx: &mut UserContext, trap: Trap) {
        match trap {
            Trap::Sync => {}
            Trap::Irq | Trap::Fiq => {
                if irq::take() == irq::Interrupt::Timer {
                    match self.limit {
                        Some(l) if cpu::counter() >= l.deadline => {
                            self.kill(
                                Some(FaultKind::TimeLimit),
                                format!("time limit exceeded ({} s)", l.seconds),
                            );
                        }
                        Some(l) => timer::arm(l.deadline),
                        None => timer::disarm(),
                    }
                }
                return;
            }
            Trap::SError => {
                return self.kill(
                    Some(FaultKind::SError),
                    String::from("SError (asynchronous external abort)"),
                );
            }
        }
        let esr = Esr(ctx.esr);
        let far = ctx.far;
        let aspace = &self.process.aspace;
        let (kind, report) = match esr.kind() {
            SyncKind::Svc(_) => {
                crate::syscall::dispatch(self, ctx);
                return;
            }
            SyncKind::DataAbort {
                write,
                alignment: false,
                ..
            } => {
                let access = if write { Access::Write } else { Access::Read };
                match aspace.handle_fault(far, access) {
                    Ok(()) => return,
                    Err(f) => page_fault(access, far, f),
                }
            }
            SyncKind::InstructionAbort { .. } => match aspace.handle_fault(far, Access::Execute) {
                Ok(()) => return,
                Err(f) => page_fault(Access::Execute, far, f),
            },
            SyncKind::DataAbort {
                alignment: true, ..
            } => (
                Some(FaultKind::Alignment),
                format!("alignment fault at {far:#x}"),
            ),
            SyncKind::PcAlignment => (
                Some(FaultKind::Alignment),
                format!("misaligned PC {far:#x}"),
            ),
            SyncKind::SpAlignment => (
                Some(FaultKind::Alignment),
                format!("misaligned stack pointer {:#x}", ctx.sp),
            ),
            SyncKind::Undefined => (
                Some(FaultKind::Undefined),
                String::from("undefined instruction"),
            ),
            SyncKind::Breakpoint => (
                Some(FaultKind::Breakpoint),
                String::from("breakpoint (brk)"),
            ),
            SyncKind::FpTrap | SyncKind::Other(_) => (None, format!("unexpected exception, {esr}")),
        };
        self.kill(kind, report);
    }
}

/// A page fault no mapping resolves: its kind and its report.
fn page_fault(access: Access, far: u64, f: UserFault) -> (Option<FaultKind>, String) {
    let (name, manifest_access) = match access {
        Access::Read => ("read", manifest::Access::Read),
        Access::Write => ("write", manifest::Access::Write),
        Access::Execute => ("execute", manifest::Access::Execute),
    };
    let kind = match f {
        UserFault::Unmapped => FaultKind::PageFault(manifest_access, Cause::Unmapped),
        UserFault::Permission => FaultKind::PageFault(manifest_access, Cause::Permission),
        UserFault::BeyondVmo => FaultKind::PageFault(manifest_access, Cause::BeyondVmo),
        UserFault::NoMemory => FaultKind::OutOfMemory,
    };
    (
        Some(kind),
        format!("page fault: {name} at {far:#x}, {}", f.describe()),
    )
}

/// The first function on a thread's kernel stack.
extern "C" fn thread_entry(arg: usize) -> ! {
    // SAFETY: `run` passed the thread's address and keeps the thread alive
    // until the switch back below.
    let thread = unsafe { &*(arg as *const Thread) };
    thread.main();
    let sched = SCHEDULER.0[this_cpu().index()].get();
    // SAFETY: the scheduler context was saved by `run` on this core, which
    // is waiting there; this stack is never resumed.
    unsafe { trap::switch(thread.kctx.get(), sched) };
    unreachable!("a stopped thread was resumed")
}
