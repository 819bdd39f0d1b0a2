//! A thread: its register context (general and FP/SIMD), its own kernel
//! stack (with a guard page), and its state; it belongs to a process, which
//! it shares with its siblings. The thread's kernel side is a loop on its
//! own stack: run EL0 until it traps, handle the trap (a system call, a
//! fault, an interrupt), repeat until the thread must stop. System calls
//! receive the thread.
//!
//! Life: created (`zx_thread_create`, or the process's first thread), then
//! started once, then running, asleep or queued (see `crate::sched`) until
//! it stops; the scheduler that ran it last reaps it: its kernel stack is
//! freed, `ZX_THREAD_TERMINATED` asserted, and the process told.

use super::kstack::KernelStack;
use super::process::{Process, Stop};
use crate::manifest::{self, Cause, FaultKind};
use crate::object::ObjectBase;
use crate::sched::{self, park::Park, Switch};
use crate::vm::{Access, UserFault};
use alloc::format;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use platform::arch::percpu::this_cpu;
use platform::arch::trap;
use platform::arch::trap::{enter_user, Esr, FpState, KernelContext, SyncKind, Trap, UserContext};
use platform::irq;
use platform::println;
use zx_abi::{obj_type, Rights, Signals, ZxStatus};

/// Created, not yet started.
const NEW: u8 = 0;
/// Started: running, queued or asleep.
const STARTED: u8 = 1;
/// Reaped (or never started and its process ended).
const DEAD: u8 = 2;

pub struct Thread {
    base: ObjectBase,
    pub process: Arc<Process>,
    /// `ZX_PROP_NAME`, as given to `zx_thread_create`.
    pub name: String,
    me: Weak<Thread>,
    /// EL0 registers. Touched only by the thread's own kernel loop, on its
    /// own stack (and by `start`, before the thread first runs).
    ctx: UnsafeCell<UserContext>,
    /// FP/SIMD registers while the thread is switched out.
    fp: UnsafeCell<FpState>,
    /// `None` once reaped. Touched by `new` and by `reap`, when the thread
    /// runs nowhere.
    kstack: UnsafeCell<Option<KernelStack>>,
    /// Where the thread's kernel stack was switched away from. Touched only
    /// by the switches, on the core that runs the thread.
    kctx: UnsafeCell<KernelContext>,
    pub park: Park,
    lifecycle: AtomicU8,
    /// The thread must leave its loop (killed, exiting, process ending).
    stopping: AtomicBool,
    /// Set by the thread before it switches to the scheduler, read by the
    /// scheduler after.
    switch_reason: AtomicU8,
    /// The core it last ran on (where wakers prefer to queue it).
    last_cpu: AtomicUsize,
    /// Counter ticks it has run (`ZX_INFO_THREAD_STATS`), not counting
    /// the stretch it is in now, if it runs.
    runtime_ticks: AtomicU64,
    /// Counter value when it last got a core (0: not running).
    running_since: AtomicU64,
    /// `ZX_THREAD_STATE_BLOCKED_*` while in a blocking call, else 0.
    blocked: AtomicU32,
    /// In a wait with no deadline that nothing has woken yet (the process
    /// counts these; see `Process::wait_forever`).
    pub(crate) forever: AtomicBool,
}

// SAFETY: the `UnsafeCell`s are only used by the core that runs the thread
// (its loop, and the switches in and out of it), or while it runs nowhere
// (`start` before it first runs, `reap` after it last ran), never by two
// cores at once.
unsafe impl Sync for Thread {}

crate::kernel_object!(Thread, obj_type::THREAD, Rights::DEFAULT_THREAD);

impl Thread {
    /// A new thread of `process`, not started.
    pub fn new(process: Arc<Process>, name: String) -> Result<Arc<Self>, ZxStatus> {
        let kstack = KernelStack::new()?;
        let top = kstack.top();
        let thread = Arc::new_cyclic(|me| Self {
            base: ObjectBase::new(Signals::empty()),
            process,
            name,
            me: me.clone(),
            ctx: UnsafeCell::new(UserContext::default()),
            fp: UnsafeCell::new(FpState::default()),
            kstack: UnsafeCell::new(Some(kstack)),
            kctx: UnsafeCell::new(KernelContext::default()),
            park: Park::new(),
            lifecycle: AtomicU8::new(NEW),
            stopping: AtomicBool::new(false),
            switch_reason: AtomicU8::new(0),
            last_cpu: AtomicUsize::new(0),
            runtime_ticks: AtomicU64::new(0),
            running_since: AtomicU64::new(0),
            blocked: AtomicU32::new(0),
            forever: AtomicBool::new(false),
        });
        let kctx = KernelContext::new_thread(top, thread_entry, Arc::as_ptr(&thread) as usize);
        // SAFETY: the thread has not run yet: nothing else uses its context.
        unsafe { *thread.kctx.get() = kctx };
        Ok(thread)
    }

    /// A counted reference to this thread.
    pub fn arc(&self) -> Arc<Self> {
        self.me.upgrade().expect("a live thread has a reference")
    }

    /// Starts the thread at `pc` with stack `sp` and x0..x2 = `args`
    /// (`BadState` if it was started before or its process is ending).
    pub fn start(&self, pc: u64, sp: u64, args: [u64; 3]) -> Result<(), ZxStatus> {
        self.lifecycle
            .compare_exchange(NEW, STARTED, Ordering::AcqRel, Ordering::Acquire)
            .map_err(|_| ZxStatus::BadState)?;
        if let Err(e) = self.process.thread_started() {
            self.lifecycle.store(NEW, Ordering::Release);
            return Err(e);
        }
        // SAFETY: the thread has never run (it was NEW), and only this call
        // won the switch to STARTED: nothing else uses its context.
        let ctx = unsafe { &mut *self.ctx.get() };
        ctx.x[..3].copy_from_slice(&args);
        ctx.sp = sp;
        ctx.pc = pc;
        self.base
            .signals
            .update(Signals::empty(), Signals::THREAD_RUNNING);
        sched::enqueue(self.arc());
        Ok(())
    }

    /// Whether the thread was started (and may still run).
    pub fn is_started(&self) -> bool {
        self.lifecycle.load(Ordering::Acquire) != NEW
    }

    /// Asks the thread to leave its loop: after the current trap if it
    /// runs, at once if it sleeps.
    pub fn request_stop(&self) {
        self.stopping.store(true, Ordering::Release);
        // It will run again: whatever it waited for no longer matters.
        self.process.wait_forever_ended(self);
        self.wake();
        let cpu = self.last_cpu();
        if cpu != this_cpu().index() {
            // It may be in EL0 there: the interrupt brings it to its loop.
            irq::send_reschedule(cpu);
        }
    }

    /// Whether the thread must leave its loop.
    pub fn stop_requested(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Wakes the thread if it sleeps (see `sched::park`).
    pub fn wake(&self) {
        if self.park.notify() {
            if let Some(me) = self.me.upgrade() {
                sched::enqueue(me);
            }
        }
    }

    /// Kills the thread's process with a one-line report naming the thread.
    pub fn kill(&self, kind: Option<FaultKind>, reason: String) {
        // SAFETY: only the thread's own loop calls this (system calls and
        // trap handlers run on the thread's stack).
        let pc = unsafe { (*self.ctx.get()).pc };
        println!(
            "[kill] {}: {reason} (thread {:?} koid {}, pc {pc:#x})",
            self.process.name, self.name, self.base.koid
        );
        self.process.kill(Stop::Kill(kind, reason));
    }

    /// Marks the thread as in a blocking call (`ZX_THREAD_STATE_BLOCKED_*`),
    /// or out of it (0).
    pub(crate) fn set_blocked(&self, state: u32) {
        self.blocked.store(state, Ordering::Release);
    }

    /// `ZX_INFO_THREAD`'s state.
    pub fn state(&self) -> u32 {
        use zx_abi::thread_state;
        match self.lifecycle.load(Ordering::Acquire) {
            NEW => thread_state::NEW,
            DEAD => thread_state::DEAD,
            _ if self.stop_requested() => thread_state::DYING,
            _ => match self.blocked.load(Ordering::Acquire) {
                0 => thread_state::RUNNING,
                b => b,
            },
        }
    }

    /// The scheduler gives the thread a core at counter value `now`.
    pub(crate) fn running_from(&self, now: u64) {
        self.running_since.store(now, Ordering::Relaxed);
    }

    /// The thread left its core at counter value `now`.
    pub(crate) fn stopped_running_at(&self, now: u64) {
        let since = self.running_since.swap(0, Ordering::Relaxed);
        self.runtime_ticks
            .fetch_add(now.saturating_sub(since), Ordering::Relaxed);
    }

    /// Nanoseconds the thread has run, the current stretch included.
    pub fn runtime_ns(&self) -> i64 {
        let since = self.running_since.load(Ordering::Relaxed);
        let current = if since == 0 {
            0
        } else {
            platform::arch::cpu::counter().saturating_sub(since)
        };
        sched::ticks_to_ns(self.runtime_ticks.load(Ordering::Relaxed) + current)
    }

    pub fn last_cpu(&self) -> usize {
        self.last_cpu.load(Ordering::Relaxed)
    }

    pub(crate) fn set_last_cpu(&self, cpu: usize) {
        self.last_cpu.store(cpu, Ordering::Relaxed);
    }

    /// The lowest address the vectors may push an exception frame at.
    pub(crate) fn stack_limit(&self) -> u64 {
        // SAFETY: read by the scheduler about to run the thread, which is
        // not reaped (it is on no queue once reaped).
        unsafe { (*self.kstack.get()).as_ref().map_or(0, KernelStack::limit) }
    }

    pub(crate) fn kernel_context(&self) -> *mut KernelContext {
        self.kctx.get()
    }

    pub(crate) fn take_switch_reason(&self) -> Switch {
        match self.switch_reason.load(Ordering::Acquire) {
            0 => Switch::Preempted,
            1 => Switch::Parked,
            _ => Switch::Exited,
        }
    }

    /// Leaves this thread's stack for the core's scheduler, saying why;
    /// returns when it runs again (on whichever core), with its FP/SIMD
    /// registers and address space back.
    pub(crate) fn switch_out(&self, why: Switch) {
        let code = match why {
            Switch::Preempted => 0,
            Switch::Parked => 1,
            Switch::Exited => 2,
        };
        self.switch_reason.store(code, Ordering::Release);
        // SAFETY: the thread's own loop (on its stack) is the only user of
        // `fp` while it runs.
        trap::save_fp(unsafe { &mut *self.fp.get() });
        // SAFETY: this thread runs on this core, on its own stack; the
        // scheduler context was saved by `sched::run` here, which waits for
        // exactly this switch.
        unsafe { trap::switch(self.kctx.get(), sched::scheduler_context()) };
        self.resume();
    }

    /// What a thread does each time it gets a core: its FP/SIMD registers
    /// and its address space.
    fn resume(&self) {
        // SAFETY: as in `switch_out`.
        trap::load_fp(unsafe { &*self.fp.get() });
        self.process.aspace.activate();
    }

    /// The scheduler's last act for an ended thread, off its stack.
    pub(crate) fn reap(self: Arc<Self>) {
        // SAFETY: the thread switched back for the last time; it runs
        // nowhere and is on no queue, so nothing uses its stack.
        drop(unsafe { (*self.kstack.get()).take() });
        self.lifecycle.store(DEAD, Ordering::Release);
        self.base
            .signals
            .update(Signals::THREAD_RUNNING, Signals::TASK_TERMINATED);
        self.process.thread_reaped(&self);
    }

    /// A thread that never started, of a process that ended.
    pub(crate) fn end_unstarted(&self) {
        if self
            .lifecycle
            .compare_exchange(NEW, DEAD, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.base
                .signals
                .update(Signals::empty(), Signals::TASK_TERMINATED);
        }
    }

    /// The thread's kernel side, on its own stack.
    fn main(&self) {
        self.resume();
        // SAFETY: this loop is the only user of the context while the
        // thread runs (see the field).
        let ctx = unsafe { &mut *self.ctx.get() };
        while !self.stop_requested() {
            let trap = enter_user(ctx);
            self.handle_trap(ctx, trap);
        }
    }

    fn handle_interrupt(&self) {
        match irq::take() {
            irq::Interrupt::Timer => {
                let tick = sched::timer_tick();
                if tick.over_limit {
                    self.process.time_limit_reached();
                } else if tick.preempt {
                    self.switch_out(Switch::Preempted);
                }
            }
            irq::Interrupt::Reschedule if sched::others_waiting() => {
                self.switch_out(Switch::Preempted);
            }
            _ => {}
        }
    }

    fn handle_trap(&self, ctx: &mut UserContext, trap: Trap) {
        match trap {
            Trap::Sync => {}
            Trap::Irq | Trap::Fiq => return self.handle_interrupt(),
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
    // SAFETY: the scheduler passed the thread's address (`new` recorded it)
    // and holds a reference for as long as the thread runs.
    let thread = unsafe { &*(arg as *const Thread) };
    thread.main();
    thread.switch_out(Switch::Exited);
    unreachable!("an ended thread was resumed")
}
