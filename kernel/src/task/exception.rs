//! Exceptions: the channels tasks hand them out on (an [`Exceptionate`]
//! per thread, two per process, and per job one plus its debuggers'), the
//! exception object a handler holds ([`Exception`]), and the course of one
//! exception through its handlers ([`raise`]).
//!
//! A faulting thread stops in its own trap handler: it offers the fault to
//! each bound channel in Zircon's order (the process's debugger, the
//! thread, the process, the debugger again if it asked for a second chance,
//! then the job and its ancestors), and waits until the handler closes the
//! exception it was sent. `ZX_EXCEPTION_STATE_HANDLED` resumes the thread
//! (with any registers `zx_thread_write_state` changed meanwhile),
//! `THREAD_EXIT` ends it, `TRY_NEXT` (the default) moves on; when no
//! handler is left the caller kills the process with its report, as it did
//! before exceptions existed. An exception channel's unread message holds
//! the exception: closing the channel drops it, which is a `TRY_NEXT`.
//!
//! While it waits, the thread's registers live in its [`Stopped`] record,
//! which `zx_thread_read_state`/`_write_state` use; the thread copies them
//! back when it goes on, so no other core ever touches its context.
//!
//! Lock order: a task's exceptionate lock is a leaf (channels are created
//! and dropped outside it); a thread's stopped-state lock is a leaf. The
//! exception's last handle wakes the thread (task lock, run queues) from
//! under a handle lock, as a channel's zero-handles hook does.

use super::job::Job;
use super::process::Process;
use super::thread::Thread;
use crate::object::channel::{Channel, InFlight, Message};
use crate::object::{KernelObject, ObjectBase};
use crate::sched::park_current;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use platform::arch::trap::{self, UserContext};
use spin::Mutex;
use zx_abi::exception::{
    CHANNEL_TYPE_DEBUGGER, CHANNEL_TYPE_JOB, CHANNEL_TYPE_PROCESS, CHANNEL_TYPE_THREAD,
    CPSR_USER_FLAGS, STATE_HANDLED, STATE_THREAD_EXIT, STATE_TRY_NEXT, STRATEGY_FIRST_CHANCE,
    STRATEGY_SECOND_CHANCE,
};
use zx_abi::{
    obj_type, ExceptionHeader, ExceptionInfo, ExceptionReport, GeneralRegs, Rights, Signals,
    ZxStatus,
};

/// One task's exception channel of one kind.
pub struct Exceptionate {
    /// `ZX_EXCEPTION_CHANNEL_TYPE_*`.
    kind: u32,
    slot: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    bound: Option<Bound>,
    /// The task is gone: no channel can be bound any more.
    shut: bool,
}

struct Bound {
    /// The kernel's end; the handler reads the other.
    kernel: Arc<Channel>,
    /// The handler's end, to tell a live binding from one whose end never
    /// reached a handle table.
    user: Weak<Channel>,
    /// The rights of the handles `zx_exception_get_thread`/`_process` give.
    thread_rights: Rights,
    process_rights: Rights,
}

impl Bound {
    /// The handler still holds its end.
    fn is_live(&self) -> bool {
        self.user.strong_count() > 0 && !self.kernel.signals().contains(Signals::PEER_CLOSED)
    }
}

impl Exceptionate {
    pub fn new(kind: u32) -> Self {
        Self {
            kind,
            slot: Mutex::new(Slot::default()),
        }
    }

    /// Binds a new channel and returns the handler's end: `ALREADY_BOUND`
    /// while a handler holds the last one, `BAD_STATE` once the task is
    /// gone. The exception handles it sends give the task with
    /// `thread_rights` and its process with `process_rights` (none: refused).
    pub fn create_channel(
        &self,
        thread_rights: Rights,
        process_rights: Rights,
    ) -> Result<Arc<Channel>, ZxStatus> {
        let (kernel, user) = Channel::create();
        let old = {
            let mut slot = self.slot.lock();
            if slot.shut {
                return Err(ZxStatus::BadState);
            }
            if slot.bound.as_ref().is_some_and(Bound::is_live) {
                return Err(ZxStatus::AlreadyBound);
            }
            slot.bound.replace(Bound {
                kernel,
                user: Arc::downgrade(&user),
                thread_rights,
                process_rights,
            })
        };
        release(old);
        Ok(user)
    }

    /// Whether a handler holds this channel.
    pub fn is_bound(&self) -> bool {
        self.slot.lock().bound.as_ref().is_some_and(Bound::is_live)
    }

    /// The task is gone: its channel closes (the handler sees
    /// `PEER_CLOSED`) and none can be bound again.
    pub fn shutdown(&self) {
        let old = {
            let mut slot = self.slot.lock();
            slot.shut = true;
            slot.bound.take()
        };
        release(old);
    }

    /// Sends `thread`'s exception of `excp_type` to the bound handler: the
    /// exception, if the handler got it.
    fn send(&self, thread: &Thread, excp_type: u32) -> Option<Arc<Exception>> {
        let (kernel, thread_rights, process_rights) = {
            let slot = self.slot.lock();
            let bound = slot.bound.as_ref().filter(|b| b.is_live())?;
            (
                bound.kernel.clone(),
                bound.thread_rights,
                bound.process_rights,
            )
        };
        let exception = Arc::new(Exception {
            base: ObjectBase::new(Signals::empty()),
            thread: thread.arc(),
            kind: self.kind,
            thread_rights,
            process_rights,
            state: AtomicU32::new(STATE_TRY_NEXT),
            strategy: AtomicU32::new(STRATEGY_FIRST_CHANCE),
            closed: AtomicBool::new(false),
        });
        let info = ExceptionInfo {
            pid: thread.process.koid(),
            tid: thread.koid(),
            type_: excp_type,
            ..Default::default()
        };
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(size_of::<ExceptionInfo>()).ok()?;
        bytes.extend_from_slice(&info.pid.to_le_bytes());
        bytes.extend_from_slice(&info.tid.to_le_bytes());
        bytes.extend_from_slice(&info.type_.to_le_bytes());
        bytes.extend_from_slice(&info.padding1);
        let mut handles = Vec::new();
        handles.try_reserve_exact(1).ok()?;
        handles.push(InFlight::fresh(
            exception.clone(),
            Rights::DEFAULT_EXCEPTION,
        ));
        let msg = Message { bytes, handles };
        match kernel.write(msg) {
            Ok(()) => Some(exception),
            // Dropped after the pair's lock: the exception's last handle
            // goes, which is a TRY_NEXT nobody waits for.
            Err((_, msg)) => {
                drop(msg);
                None
            }
        }
    }
}

/// Lets go of a binding's kernel end, outside the exceptionate's lock. The
/// kernel's end is in no handle table, so nothing else closes it: giving it
/// up is its zero-handles moment, which tells the handler `PEER_CLOSED`.
fn release(old: Option<Bound>) {
    if let Some(b) = old {
        b.kernel.on_zero_handles();
        drop(b);
        crate::object::channel::reap();
    }
}

/// The exception object (`ZX_OBJ_TYPE_EXCEPTION`) a handler holds.
pub struct Exception {
    base: ObjectBase,
    thread: Arc<Thread>,
    /// The kind of channel it was sent on.
    kind: u32,
    thread_rights: Rights,
    process_rights: Rights,
    /// `ZX_PROP_EXCEPTION_STATE`.
    state: AtomicU32,
    /// `ZX_PROP_EXCEPTION_STRATEGY`.
    strategy: AtomicU32,
    /// Its last handle is gone: the thread goes on.
    closed: AtomicBool,
}

crate::kernel_object!(Exception, obj_type::EXCEPTION, Rights::DEFAULT_EXCEPTION;
    fn on_zero_handles(&self) {
        self.closed.store(true, Ordering::Release);
        self.thread.wake();
    }
);

impl Exception {
    /// `zx_exception_get_thread`: the thread, with the rights of the task
    /// handle the channel was made from.
    pub fn thread(&self) -> (Arc<Thread>, Rights) {
        (self.thread.clone(), self.thread_rights)
    }

    /// `zx_exception_get_process`: `ACCESS_DENIED` for a thread's channel.
    pub fn process(&self) -> Result<(Arc<Process>, Rights), ZxStatus> {
        if self.process_rights.is_empty() {
            return Err(ZxStatus::AccessDenied);
        }
        Ok((self.thread.process.clone(), self.process_rights))
    }

    pub fn state(&self) -> u32 {
        self.state.load(Ordering::Acquire)
    }

    /// `INVALID_ARGS` for a value that is no state.
    pub fn set_state(&self, state: u32) -> Result<(), ZxStatus> {
        if !matches!(state, STATE_TRY_NEXT | STATE_HANDLED | STATE_THREAD_EXIT) {
            return Err(ZxStatus::InvalidArgs);
        }
        self.state.store(state, Ordering::Release);
        Ok(())
    }

    pub fn strategy(&self) -> u32 {
        self.strategy.load(Ordering::Acquire)
    }

    /// `INVALID_ARGS` for a value that is no strategy, `BAD_STATE` unless
    /// the exception came through a process's debugger channel.
    pub fn set_strategy(&self, strategy: u32) -> Result<(), ZxStatus> {
        if !matches!(strategy, STRATEGY_FIRST_CHANCE | STRATEGY_SECOND_CHANCE) {
            return Err(ZxStatus::InvalidArgs);
        }
        if self.kind != CHANNEL_TYPE_DEBUGGER {
            return Err(ZxStatus::BadState);
        }
        self.strategy.store(strategy, Ordering::Release);
        Ok(())
    }
}

/// A thread stopped in an exception, as debuggers see it.
pub struct Stopped {
    pub report: ExceptionReport,
    /// The kind of channel whose answer it waits for (0: none yet).
    pub channel_kind: u32,
    pub regs: GeneralRegs,
    /// `zx_thread_write_state` changed `regs`.
    pub regs_written: bool,
}

/// How an exception ended.
pub enum Resolution {
    /// A handler resolved it: go on (at the faulting instruction, unless a
    /// handler moved the program counter).
    Resume,
    /// A handler asked the thread to exit.
    ThreadExit,
    /// The thread must stop (killed while it waited).
    Stopping,
    /// No handler took it.
    Unhandled,
}

/// The exceptionates an architectural exception of `thread` goes to, in
/// Zircon's order; the process's debugger is first and may come back (a
/// second chance) after the process.
fn handlers(thread: &Thread) -> Vec<&Exceptionate> {
    let process = &thread.process;
    let mut list = Vec::new();
    list.push(&thread.exceptionate);
    list.push(&process.exceptionate);
    let mut job: Option<&Arc<Job>> = Some(&process.job);
    while let Some(j) = job {
        list.push(&j.exceptionate);
        job = j.parent();
    }
    list
}

/// Who an exception goes to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A fault: the process's debugger, the thread, the process, the
    /// debugger's second chance, the jobs.
    Architectural,
    /// `THREAD_STARTING`/`_EXITING`: the process's debugger only.
    ThreadLifecycle,
    /// `PROCESS_STARTING`: the debuggers of the process's job and of every
    /// job above it.
    ProcessStarting,
}

/// Raises an exception of `excp_type` in `thread` (stopped at `ctx`) with
/// the fault's syndrome, address and synthetic code, and waits for its
/// handlers along `route`.
pub fn raise(
    thread: &Thread,
    ctx: &mut UserContext,
    route: Route,
    excp_type: u32,
    fault: (u64, u64, u32),
) -> Resolution {
    let (esr, far, synth_code) = fault;
    let mut report = ExceptionReport {
        header: ExceptionHeader {
            size: size_of::<ExceptionReport>() as u32,
            type_: excp_type,
        },
        synth_code,
        ..Default::default()
    };
    report.arch.esr = esr as u32;
    report.arch.far = far;
    thread.enter_exception(Stopped {
        report,
        channel_kind: 0,
        regs: regs_of(ctx),
        regs_written: false,
    });
    let resolution = match route {
        Route::Architectural => offer(thread, excp_type),
        Route::ThreadLifecycle => {
            offer_each(thread, [&thread.process.debug_exceptionate], excp_type)
        }
        Route::ProcessStarting => {
            let mut debuggers = Vec::new();
            let mut job: Option<&Arc<Job>> = Some(&thread.process.job);
            while let Some(j) = job {
                debuggers.extend(j.debuggers());
                job = j.parent();
            }
            offer_each(thread, debuggers.iter().map(|d| &**d), excp_type)
        }
    };
    if let Some(stopped) = thread.leave_exception() {
        if stopped.regs_written {
            apply_regs(ctx, &stopped.regs);
        }
    }
    resolution
}

/// A synthetic exception, offered to each of `handlers`: it goes on
/// whatever they answer, unless one asks the thread to exit.
fn offer_each<'a>(
    thread: &Thread,
    handlers: impl IntoIterator<Item = &'a Exceptionate>,
    excp_type: u32,
) -> Resolution {
    for h in handlers {
        match answer(thread, h, excp_type) {
            Some(Answer::Closed { state, .. }) if state == STATE_THREAD_EXIT => {
                return Resolution::ThreadExit
            }
            Some(Answer::Stopping) => return Resolution::Stopping,
            _ => {}
        }
    }
    Resolution::Resume
}

/// Offers a fault to each handler in turn.
fn offer(thread: &Thread, excp_type: u32) -> Resolution {
    let debugger = &thread.process.debug_exceptionate;
    let mut second_chance = false;
    match answer(thread, debugger, excp_type) {
        Some(Answer::Closed { state, strategy }) => {
            if let Some(r) = decided(state) {
                return r;
            }
            second_chance = strategy == STRATEGY_SECOND_CHANCE;
        }
        Some(Answer::Stopping) => return Resolution::Stopping,
        None => {}
    }
    for (i, handler) in handlers(thread).into_iter().enumerate() {
        // The debugger's second chance comes after the process's channel
        // (the second in the list).
        let turn = if i == 2 && second_chance {
            [Some(debugger), Some(handler)]
        } else {
            [Some(handler), None]
        };
        for h in turn.into_iter().flatten() {
            match answer(thread, h, excp_type) {
                Some(Answer::Closed { state, .. }) => {
                    if let Some(r) = decided(state) {
                        return r;
                    }
                }
                Some(Answer::Stopping) => return Resolution::Stopping,
                None => {}
            }
        }
    }
    Resolution::Unhandled
}

/// What a handler decided, if it did.
fn decided(state: u32) -> Option<Resolution> {
    match state {
        STATE_HANDLED => Some(Resolution::Resume),
        STATE_THREAD_EXIT => Some(Resolution::ThreadExit),
        _ => None,
    }
}

enum Answer {
    /// The handler closed the exception with this state and strategy.
    Closed { state: u32, strategy: u32 },
    /// The thread must stop first.
    Stopping,
}

/// Sends the exception to `handler` and waits for its answer; None if the
/// handler is not bound (or its end went away before the message landed).
fn answer(thread: &Thread, handler: &Exceptionate, excp_type: u32) -> Option<Answer> {
    let exception = handler.send(thread, excp_type)?;
    thread.set_exception_channel(handler.kind);
    thread.set_blocked(zx_abi::thread_state::BLOCKED_EXCEPTION);
    let answer = loop {
        if exception.closed.load(Ordering::Acquire) {
            break Answer::Closed {
                state: exception.state(),
                strategy: exception.strategy(),
            };
        }
        if thread.stop_requested() {
            break Answer::Stopping;
        }
        park_current(thread, None);
    };
    thread.set_blocked(0);
    thread.set_exception_channel(0);
    Some(answer)
}

/// The registers a debugger sees.
fn regs_of(ctx: &UserContext) -> GeneralRegs {
    let mut r = [0u64; 30];
    r.copy_from_slice(&ctx.x[..30]);
    GeneralRegs {
        r,
        lr: ctx.x[30],
        sp: ctx.sp,
        pc: ctx.pc,
        cpsr: ctx.spsr & CPSR_USER_FLAGS,
        tpidr: trap::user_thread_pointer(),
    }
}

/// Puts a debugger's registers back (only the condition flags of `cpsr`:
/// the rest is the kernel's to choose).
fn apply_regs(ctx: &mut UserContext, regs: &GeneralRegs) {
    ctx.x[..30].copy_from_slice(&regs.r);
    ctx.x[30] = regs.lr;
    ctx.sp = regs.sp;
    ctx.pc = regs.pc;
    ctx.spsr = (ctx.spsr & !CPSR_USER_FLAGS) | (regs.cpsr & CPSR_USER_FLAGS);
    trap::set_user_thread_pointer(regs.tpidr);
}

/// The channel kinds, for the tasks that own them.
pub const THREAD: u32 = CHANNEL_TYPE_THREAD;
pub const PROCESS: u32 = CHANNEL_TYPE_PROCESS;
pub const DEBUGGER: u32 = CHANNEL_TYPE_DEBUGGER;
pub const JOB: u32 = CHANNEL_TYPE_JOB;
