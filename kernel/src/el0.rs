//! A thread's EL0 side, the body every user thread runs on its kernel
//! stack: run EL0 until it traps, handle the trap (a system call, a page
//! fault, an interrupt, a fault that kills), and repeat until the thread
//! must stop. The kill reports name the process and the thread.

use crate::manifest::{self, Cause, FaultKind};
use crate::sched;
use crate::task::Thread;
use crate::vm::{Access, UserFault};
use alloc::format;
use alloc::string::String;
use platform::arch::trap::{enter_user, Esr, SyncKind, Trap, UserContext};
use platform::irq;

/// The body of a user thread.
pub fn run(thread: &Thread) {
    // SAFETY: this loop is the only user of the context while the thread
    // runs (see `Thread::user_context`).
    let ctx = unsafe { thread.user_context() };
    while !thread.stop_requested() {
        let trap = enter_user(ctx);
        handle_trap(thread, ctx, trap);
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
    let (kind, report) = match esr.kind() {
        SyncKind::Svc(_) => {
            crate::syscall::dispatch(thread, ctx);
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
    thread.kill(kind, report);
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
