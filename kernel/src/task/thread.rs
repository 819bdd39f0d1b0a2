//! A thread: its register context (general and FP/SIMD), its own kernel
//! stack (with a guard page), and its state; it belongs to a process, which
//! it shares with its siblings. On its kernel stack a thread runs its body
//! (the EL0 loop of `crate::el0`, given when it is created) until the body
//! returns; the scheduler (`crate::sched`) sees it through `Runnable`.
//!
//! Life: created (`zx_thread_create`, or the process's first thread), then
//! started once, then running, asleep or queued (see `crate::sched`) until
//! it stops; the scheduler that ran it last reaps it: its kernel stack is
//! freed, `ZX_THREAD_TERMINATED` asserted, and the process told.

use super::kstack::KernelStack;
use super::process::{Process, Stop};
use crate::manifest::FaultKind;
use crate::object::exception::{ExceptionWaiter, Exceptionate};
use crate::object::ObjectBase;
use crate::sched::{self, park::Park, Switch};
use crate::sync::spin_lock::Mutex;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use platform::arch::percpu::this_cpu;
use platform::arch::trap;
use platform::arch::trap::{FpState, KernelContext, UserContext};
use platform::irq;
use platform::println;
use zx_abi::{obj_type, Rights, Signals, ZxStatus};

/// Created, not yet started.
const NEW: u8 = 0;
/// Started: running, queued or asleep.
const STARTED: u8 = 1;
/// Reaped (or never started and its process ended).
const DEAD: u8 = 2;

#[repr(C)]
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
    /// What the thread runs on its kernel stack (the EL0 loop).
    body: fn(&Thread),
    /// In a wait with no deadline that nothing has woken yet (the process
    /// counts these; see `Process::wait_forever`).
    pub(crate) forever: AtomicBool,
    /// `zx_task_create_exception_channel` on the thread.
    pub exceptionate: Exceptionate,
    /// Set while the thread is stopped in an exception.
    stopped: Mutex<Option<Stopped>>,
    /// `ZX_EXCEPTION_CHANNEL_TYPE_*` whose answer it waits for (0: none).
    exception_channel: AtomicU32,
    /// Started as its process's first thread.
    initial: AtomicBool,
}

// SAFETY: the `UnsafeCell`s are only used by the core that runs the thread
// (its loop, and the switches in and out of it), or while it runs nowhere
// (`start` before it first runs, `reap` after it last ran), never by two
// cores at once.
unsafe impl Sync for Thread {}

crate::kernel_object!(Thread, obj_type::THREAD, Rights::DEFAULT_THREAD);

/// A thread stopped in an exception, as debuggers see it (see
/// `crate::task::exception`).
pub struct Stopped {
    pub report: zx_abi::ExceptionReport,
    pub regs: zx_abi::GeneralRegs,
    /// `zx_thread_write_state` changed `regs`.
    pub regs_written: bool,
}

/// An exception the thread waits on was answered.
impl ExceptionWaiter for Thread {
    fn answered(&self) {
        self.wake();
    }
}

impl Thread {
    /// A new thread of `process`, not started.
    pub fn new(
        process: Arc<Process>,
        name: String,
        body: fn(&Thread),
    ) -> Result<Arc<Self>, ZxStatus> {
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
            body,
            forever: AtomicBool::new(false),
            exceptionate: Exceptionate::new(zx_abi::exception::CHANNEL_TYPE_THREAD),
            stopped: Mutex::new(None),
            exception_channel: AtomicU32::new(0),
            initial: AtomicBool::new(false),
        });
        let kctx = KernelContext::new_thread(top, thread_entry, Arc::as_ptr(&thread) as usize);
        // SAFETY: the thread has not run yet: nothing else uses its context.
        unsafe { *thread.kctx.get() = kctx };
        Ok(thread)
    }

    /// The EL0 registers, for the thread's own body (the EL0 loop).
    ///
    /// # Safety
    /// Only the thread's body, running on the thread's own stack, may call
    /// this, and only once: it is then the one user of the context.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn user_context(&self) -> &mut UserContext {
        // SAFETY: the caller's guarantee.
        unsafe { &mut *self.ctx.get() }
    }

    /// A counted reference to this thread.
    pub fn arc(&self) -> Arc<Self> {
        self.me.upgrade().expect("a live thread has a reference")
    }

    /// Starts the thread at `pc` with stack `sp` and x0.. = `args` (at
    /// most four), as its process's first thread (`initial`) or a later
    /// one (`BadState` if it was started before, if its process has or has
    /// not started yet, or if it is ending).
    pub fn start(&self, pc: u64, sp: u64, args: &[u64], initial: bool) -> Result<(), ZxStatus> {
        let args = &args[..args.len().min(4)];
        self.lifecycle
            .compare_exchange(NEW, STARTED, Ordering::AcqRel, Ordering::Acquire)
            .map_err(|_| ZxStatus::BadState)?;
        if let Err(e) = self.process.thread_started(self, initial) {
            self.lifecycle.store(NEW, Ordering::Release);
            return Err(e);
        }
        self.initial.store(initial, Ordering::Release);
        // SAFETY: the thread has never run (it was NEW), and only this call
        // won the switch to STARTED: nothing else uses its context.
        let ctx = unsafe { &mut *self.ctx.get() };
        ctx.x[..args.len()].copy_from_slice(args);
        ctx.sp = sp;
        ctx.pc = pc;
        self.base
            .signals
            .update(Signals::empty(), Signals::THREAD_RUNNING);
        sched::enqueue(self.arc());
        Ok(())
    }

    /// Whether it was started as its process's first thread.
    pub fn is_initial(&self) -> bool {
        self.initial.load(Ordering::Acquire)
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

    /// The flag `stop_requested` reads, for the vectors to check after each
    /// system call (`UserEntry::stop`).
    pub fn stop_flag(&self) -> &AtomicBool {
        &self.stopping
    }

    /// Wakes the thread if it sleeps (see `sched::park`).
    pub fn wake(&self) {
        sched::wake(self);
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

    /// The thread stops in an exception, with these registers and report.
    pub(crate) fn enter_exception(&self, stopped: Stopped) {
        *self.stopped.lock() = Some(stopped);
    }

    /// The thread goes on: what a debugger may have changed.
    pub(crate) fn leave_exception(&self) -> Option<Stopped> {
        self.stopped.lock().take()
    }

    /// Runs `f` on the thread's stopped state: `BAD_STATE` unless it is
    /// stopped in an exception.
    pub fn with_stopped<R>(&self, f: impl FnOnce(&mut Stopped) -> R) -> Result<R, ZxStatus> {
        self.stopped
            .lock()
            .as_mut()
            .map(f)
            .ok_or(ZxStatus::BadState)
    }

    pub(crate) fn set_exception_channel(&self, kind: u32) {
        self.exception_channel.store(kind, Ordering::Release);
    }

    /// `zx_info_thread_t.wait_exception_channel_type`.
    pub fn exception_channel(&self) -> u32 {
        self.exception_channel.load(Ordering::Acquire)
    }

    /// The core it last ran on.
    pub fn last_cpu(&self) -> usize {
        self.last_cpu.load(Ordering::Relaxed)
    }

    /// Yields its core to the scheduler (its slice is over), from its own
    /// loop; returns when it runs again.
    pub fn preempted(&self) {
        sched::Runnable::switch_out(self, Switch::Preempted);
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

    /// What a thread does each time it gets a core: its FP/SIMD registers
    /// and its address space.
    pub(crate) fn resume(&self) {
        // SAFETY: as in `switch_out`.
        trap::load_fp(unsafe { &*self.fp.get() });
        self.process.aspace.activate();
    }

    /// A thread that never started, of a process that ended.
    pub(crate) fn end_unstarted(&self) {
        if self
            .lifecycle
            .compare_exchange(NEW, DEAD, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.exceptionate.shutdown();
            self.base
                .signals
                .update(Signals::empty(), Signals::TASK_TERMINATED);
        }
    }
}

/// How the scheduler sees a thread.
impl sched::Runnable for Thread {
    fn park(&self) -> &Park {
        &self.park
    }

    fn arc(&self) -> Arc<dyn sched::Runnable> {
        Thread::arc(self)
    }

    fn last_cpu(&self) -> usize {
        Thread::last_cpu(self)
    }

    fn set_last_cpu(&self, cpu: usize) {
        self.last_cpu.store(cpu, Ordering::Relaxed);
    }

    fn stack_limit(&self) -> u64 {
        // SAFETY: read by the scheduler about to run the thread, which is
        // not reaped (it is on no queue once reaped).
        unsafe { (*self.kstack.get()).as_ref().map_or(0, KernelStack::limit) }
    }

    fn kernel_context(&self) -> *mut KernelContext {
        self.kctx.get()
    }

    fn take_switch_reason(&self) -> Switch {
        match self.switch_reason.load(Ordering::Acquire) {
            0 => Switch::Preempted,
            1 => Switch::Parked,
            _ => Switch::Exited,
        }
    }

    fn deadline(&self) -> u64 {
        self.process.deadline()
    }

    fn running_from(&self, now: u64) {
        self.running_since.store(now, Ordering::Relaxed);
    }

    fn stopped_running_at(&self, now: u64) {
        let since = self.running_since.swap(0, Ordering::Relaxed);
        self.runtime_ticks
            .fetch_add(now.saturating_sub(since), Ordering::Relaxed);
    }

    /// Returns with the thread's FP/SIMD registers and address space back,
    /// on whichever core it runs then.
    fn switch_out(&self, why: Switch) {
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

    fn reap(self: Arc<Self>) {
        // SAFETY: the thread switched back for the last time; it runs
        // nowhere and is on no queue, so nothing uses its stack.
        drop(unsafe { (*self.kstack.get()).take() });
        self.lifecycle.store(DEAD, Ordering::Release);
        self.exceptionate.shutdown();
        self.base
            .signals
            .update(Signals::THREAD_RUNNING, Signals::TASK_TERMINATED);
        self.process.thread_reaped(&self);
    }
}

/// The first function on a thread's kernel stack.
extern "C" fn thread_entry(arg: usize) -> ! {
    // SAFETY: the scheduler passed the thread's address (`new` recorded it)
    // and holds a reference for as long as the thread runs.
    let thread = unsafe { &*(arg as *const Thread) };
    thread.resume();
    (thread.body)(thread);
    sched::Runnable::switch_out(thread, Switch::Exited);
    unreachable!("an ended thread was resumed")
}
