//! A thread's EL0 side, the body every user thread runs on its kernel
//! stack: run EL0 until it traps, handle the trap (a system call, a page
//! fault, an interrupt, a fault), and repeat until the thread must stop. A
//! fault the address space does not resolve becomes an exception
//! (`crate::task::exception`); one no handler takes kills the process, with
//! a report that names the process and the thread. Debuggers hear of the
//! thread's start and end.

use crate::manifest::{self, Cause, FaultKind};
use crate::sched;
use crate::task::exception::{self, Resolution, Route};
use crate::task::Thread;
use crate::vm::{Access, UserFault};
use alloc::format;
use alloc::string::String;
use platform::arch::trap::{enter_user, Esr, SyncKind, SyncOutcome, Trap, UserContext, UserEntry};
use platform::irq;
use zx_abi::exception as excp;
use zx_abi::ZxStatus;

/// The body of a user thread.
pub fn run(thread: &Thread) {
    // SAFETY: this loop is the only user of the context while the thread
    // runs (see `Thread::user_context`).
    let ctx = unsafe { thread.user_context() };
    starting(thread, ctx);
    let entry = UserEntry {
        on_sync: synchronous,
        arg: thread,
        syscalls: &crate::syscall::TABLE,
        stop: thread.stop_flag(),
    };
    while !thread.stop_requested() {
        let trap = enter_user(ctx, &entry);
        handle_trap(thread, ctx, trap);
    }
    if thread.process.debug_exceptionate.is_bound() {
        // The thread is stopping: the debugger hears of it, and the thread
        // does not wait for the answer.
        let _ = exception::raise(
            thread,
            ctx,
            Route::ThreadLifecycle,
            zx_abi::exception::THREAD_EXITING,
            (0, 0, 0),
        );
    }
}

/// A synchronous exception other than a system call in the table (which
/// the vectors run), handled by the trap path inside `enter_user`: page
/// faults that resolve end here and the program resumes from the return
/// (unless the thread is to stop). Anything else is left to `handle_trap`.
extern "C" fn synchronous(ctx: &mut UserContext, thread: &Thread) -> SyncOutcome {
    let access = match Esr(ctx.esr).kind() {
        SyncKind::Svc(_) => {
            ctx.x[0] = crate::syscall::dispatch(thread, &ctx.x);
            None
        }
        SyncKind::DataAbort {
            write,
            alignment: false,
            ..
        } => Some(if write { Access::Write } else { Access::Read }),
        SyncKind::InstructionAbort { .. } => Some(Access::Execute),
        _ => return SyncOutcome::Unhandled,
    };
    // A fault that does not resolve goes to `handle_trap`, which tries it
    // once more (nothing has changed if it fails again) for the reason.
    if let Some(access) = access {
        if thread.process.aspace.handle_fault(ctx.far, access).is_err() {
            return SyncOutcome::Unhandled;
        }
    }
    if thread.stop_requested() {
        SyncOutcome::Leave
    } else {
        SyncOutcome::Resume
    }
}

/// Before the first instruction: a process's first thread tells its jobs'
/// debuggers, then every thread tells the process's debugger.
fn starting(thread: &Thread, ctx: &mut UserContext) {
    let lifecycle = [
        (
            thread.is_initial(),
            Route::ProcessStarting,
            zx_abi::exception::PROCESS_STARTING,
        ),
        (
            thread.process.debug_exceptionate.is_bound(),
            Route::ThreadLifecycle,
            zx_abi::exception::THREAD_STARTING,
        ),
    ];
    for (due, route, excp_type) in lifecycle {
        if due {
            match exception::raise(thread, ctx, route, excp_type, (0, 0, 0)) {
                Resolution::ThreadExit => return thread.request_stop(),
                Resolution::Stopping => return,
                Resolution::Resume | Resolution::Unhandled => {}
            }
        }
    }
}

fn handle_interrupt(thread: &Thread) {
    match irq::take() {
        irq::Interrupt::Timer => {
            let tick = sched::timer_tick();
            if tick.over_limit {
                thread.process.time_limit_reached();
            } else if tick.preempt {
                thread.preempted();
            }
        }
        irq::Interrupt::Reschedule if sched::others_waiting() => thread.preempted(),
        _ => {}
    }
}

fn handle_trap(thread: &Thread, ctx: &mut UserContext, trap: Trap) {
    match trap {
        Trap::Sync => {}
        Trap::Handled => return,
        Trap::Irq | Trap::Fiq => return handle_interrupt(thread),
        Trap::SError => {
            return thread.kill(
                Some(FaultKind::SError),
                String::from("SError (asynchronous external abort)"),
            );
        }
    }
    let esr = Esr(ctx.esr);
    let far = ctx.far;
    let aspace = &thread.process.aspace;
    let (kind, report, excp_type, synth_code) = match esr.kind() {
        // `synchronous` runs every system call.
        SyncKind::Svc(_) => unreachable!("svc reached the trap loop"),
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
            excp::UNALIGNED_ACCESS,
            0,
        ),
        SyncKind::PcAlignment => (
            Some(FaultKind::Alignment),
            format!("misaligned PC {far:#x}"),
            excp::UNALIGNED_ACCESS,
            0,
        ),
        SyncKind::SpAlignment => (
            Some(FaultKind::Alignment),
            format!("misaligned stack pointer {:#x}", ctx.sp),
            excp::UNALIGNED_ACCESS,
            0,
        ),
        SyncKind::Undefined => (
            Some(FaultKind::Undefined),
            String::from("undefined instruction"),
            excp::UNDEFINED_INSTRUCTION,
            0,
        ),
        SyncKind::Breakpoint => (
            Some(FaultKind::Breakpoint),
            String::from("breakpoint (brk)"),
            // BRK; the rest of the class is the debug hardware's.
            if esr.class() == 0x3c {
                excp::SW_BREAKPOINT
            } else {
                excp::HW_BREAKPOINT
            },
            0,
        ),
        SyncKind::FpTrap | SyncKind::Other(_) => (
            None,
            format!("unexpected exception, {esr}"),
            // A trapped system register or instruction reads as an
            // undefined instruction in Zircon; the rest (a trapped WFI, an
            // illegal state) is general.
            if esr.class() == 0x18 {
                excp::UNDEFINED_INSTRUCTION
            } else {
                excp::GENERAL
            },
            0,
        ),
    };
    let fault = (ctx.esr, far, synth_code);
    match exception::raise(thread, ctx, Route::Architectural, excp_type, fault) {
        Resolution::Resume | Resolution::Stopping => {}
        Resolution::ThreadExit => thread.request_stop(),
        Resolution::Unhandled => thread.kill(kind, report),
    }
}

/// A page fault no mapping resolves: its kind, its report, its exception
/// and the status the exception reports (as Zircon's page-fault handler
/// returns it).
fn page_fault(access: Access, far: u64, f: UserFault) -> (Option<FaultKind>, String, u32, u32) {
    let (name, manifest_access) = match access {
        Access::Read => ("read", manifest::Access::Read),
        Access::Write => ("write", manifest::Access::Write),
        Access::Execute => ("execute", manifest::Access::Execute),
    };
    let (kind, status) = match f {
        UserFault::Unmapped => (
            FaultKind::PageFault(manifest_access, Cause::Unmapped),
            ZxStatus::NotFound,
        ),
        UserFault::Permission => (
            FaultKind::PageFault(manifest_access, Cause::Permission),
            ZxStatus::AccessDenied,
        ),
        UserFault::BeyondVmo => (
            FaultKind::PageFault(manifest_access, Cause::BeyondVmo),
            ZxStatus::OutOfRange,
        ),
        UserFault::NoMemory => (FaultKind::OutOfMemory, ZxStatus::NoMemory),
    };
    (
        Some(kind),
        format!("page fault: {name} at {far:#x}, {}", f.describe()),
        excp::FATAL_PAGE_FAULT,
        status.raw() as u32,
    )
}
