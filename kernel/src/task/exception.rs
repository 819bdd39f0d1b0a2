//! The course of one exception through its handlers ([`raise`]): a
//! faulting thread stops in its own trap handler and offers the fault to
//! each bound channel (`crate::object::exception`) in Zircon's order: the
//! process's debugger, the thread, the process, the debugger again if it
//! asked for a second chance, then the job and its ancestors. After each
//! send it waits until the handler closes the exception it got.
//! `ZX_EXCEPTION_STATE_HANDLED` resumes the thread (with any registers
//! `zx_thread_write_state` changed meanwhile), `THREAD_EXIT` ends it,
//! `TRY_NEXT` (the default) moves on; when no handler is left the caller
//! kills the process with its report, as it did before exceptions existed.
//! Synthetic exceptions (a thread starting or exiting, a process starting)
//! go to debuggers only.
//!
//! While it waits, the thread's registers live in its stopped record
//! (`Thread::with_stopped`), which `zx_thread_read_state`/`_write_state`
//! use; the thread copies them back when it goes on, so no other core ever
//! touches its context.

use super::job::Job;
use super::thread::{Stopped, Thread};
use crate::object::exception::{Exceptionate, Raised};
use crate::object::handle::Entry;
use crate::object::ObjectType;
use crate::sched::park_current;
use alloc::sync::Arc;
use alloc::vec::Vec;
use platform::arch::trap::{self, UserContext};
use zx_abi::exception::{
    CPSR_USER_FLAGS, STATE_HANDLED, STATE_THREAD_EXIT, STRATEGY_SECOND_CHANCE,
};
use zx_abi::{ExceptionHeader, ExceptionInfo, ExceptionReport, GeneralRegs, Rights};

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
    // Blocked before the message can be read: a handler that reads it
    // sees the thread waiting for it.
    thread.set_exception_channel(handler.kind());
    thread.set_blocked(zx_abi::thread_state::BLOCKED_EXCEPTION);
    let Some(exception) = handler.send(raised(thread, excp_type)) else {
        thread.set_blocked(0);
        thread.set_exception_channel(0);
        return None;
    };
    let answer = loop {
        if exception.is_closed() {
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

/// What the exception message carries: the info, the thread and its
/// process (the channel gives their handles its rights), and the thread to
/// wake.
fn raised(thread: &Thread, excp_type: u32) -> Raised {
    let me = thread.arc();
    Raised {
        info: ExceptionInfo {
            pid: thread.process.koid(),
            tid: thread.koid(),
            type_: excp_type,
            ..Default::default()
        },
        thread: Entry::new(me.clone(), Rights::NONE),
        process: Entry::new(thread.process.clone(), Rights::NONE),
        waiter: me,
    }
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
