//! Exceptions: the saved state of an EL0 program (`UserContext`) and the
//! call that runs it until its next trap, the switch between kernel stacks
//! (`KernelContext`), the decoding of ESR_EL1, and the handler for
//! exceptions taken in the kernel itself, which report and stop. The vector
//! assembly gets every offset and trap kind from here as `const` operands.

use super::percpu::CpuLocal;
use core::fmt;
use core::mem::{offset_of, size_of};
use core::sync::atomic::AtomicBool;

/// An EL0 program's general and special registers while it is not running.
/// Its FP/SIMD registers stay live in the CPU: the kernel never uses them
/// (see `vectors.S`).
#[repr(C)]
#[derive(Clone, Debug, Default)]
pub struct UserContext {
    pub x: [u64; 31],
    pub sp: u64,
    pub pc: u64,
    pub spsr: u64,
    /// ESR_EL1 and FAR_EL1 of the last trap.
    pub esr: u64,
    pub far: u64,
}

/// Why `run_user` returned; the values are the vectors' `kind` argument
/// (none is zero: a `SyncHandler`'s zero means resume).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Trap {
    /// A synchronous exception the `SyncHandler` left to the caller: a
    /// fault it did not resolve, an undefined instruction... (see
    /// `UserContext::esr` and `far`).
    Sync = 1,
    Irq = 2,
    Fiq = 3,
    SError = 4,
    /// A synchronous exception the `UserEntry`'s handlers handled (a system
    /// call, a resolved page fault), after which the thread must not resume.
    Handled = 5,
}

impl Trap {
    fn name(kind: u64) -> &'static str {
        match kind {
            k if k == Trap::Sync as u64 => "sync",
            k if k == Trap::Irq as u64 => "irq",
            k if k == Trap::Fiq as u64 => "fiq",
            k if k == Trap::SError as u64 => "serror",
            _ => "?",
        }
    }
}

/// What a `SyncHandler` tells the trap path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum SyncOutcome {
    /// Handled: the program resumes at once.
    Resume = 0,
    /// Handled, but the thread must not resume: `enter_user` returns
    /// `Trap::Handled`.
    Leave = Trap::Handled as u64,
    /// Not handled: `enter_user` returns `Trap::Sync`.
    Unhandled = Trap::Sync as u64,
}

/// Handles a synchronous exception from AArch64 EL0 (`ctx.esr`,
/// `ctx.far`) that is not a system call in the table, called by the vectors
/// on the thread's kernel stack, inside `enter_user`, with the argument
/// given to it. Page faults end here: the program resumes from the
/// handler's return.
pub type SyncHandler<T> = extern "C" fn(ctx: &mut UserContext, arg: &T) -> SyncOutcome;

/// A system call, as the vectors call it: with the program's registers (the
/// arguments from x0, the number in x16) and `enter_user`'s argument; it
/// returns the program's x0. (The registers come first because the vectors
/// have the context's address in x0 already.)
pub type SyscallFn<T> = extern "C" fn(regs: &[u64; 31], arg: &T) -> u64;

/// How `enter_user` runs a program: what handles its traps, and when a
/// system call must not resume it.
pub struct UserEntry<'a, T> {
    /// Synchronous exceptions other than the system calls of `syscalls`.
    pub on_sync: SyncHandler<T>,
    pub arg: &'a T,
    /// Indexed by the number in x16: the vectors call the entry without
    /// leaving assembly and put its result in x0. A number past the end
    /// goes to `on_sync`.
    pub syscalls: &'a [SyscallFn<T>],
    /// Checked after each of those calls: once set, `enter_user` returns
    /// `Trap::Handled` instead of resuming the program.
    pub stop: &'a AtomicBool,
}

/// `UserEntry` as the assembly reads it; `run_user` copies it into its
/// frame.
#[repr(C)]
struct EntryWords {
    stop: u64,
    on_sync: u64,
    arg: u64,
    syscalls: u64,
    syscall_count: u64,
}

/// What `run_user` keeps on the kernel stack while EL0 runs: the context,
/// the entry's words and the kernel's callee-saved registers x19..x30.
#[repr(C)]
struct RunUserFrame {
    ctx: u64,
    entry: EntryWords,
    callee_saved: [u64; 12],
}

/// ESR_EL1's exception class field, and the class of `svc` from AArch64.
const ESR_EC_SHIFT: u64 = 26;
const ESR_EC_SVC64: u64 = 0x15;

/// The SPSR bits a program keeps across a trap: the condition flags. The
/// rest is zero: EL0t with interrupts unmasked, whatever the program put in
/// the flags, so it never gets a higher level or masked interrupts.
const SPSR_EL0_KEEP: u64 = 0xf000_0000;

/// What `switch_context` saves of a kernel stack that is switched away
/// from: the callee-saved registers, the frame pointer, the return address
/// and the stack pointer.
#[repr(C)]
#[derive(Clone, Debug, Default)]
pub struct KernelContext {
    pub x19_x28: [u64; 10],
    pub fp: u64,
    pub lr: u64,
    pub sp: u64,
}

impl KernelContext {
    pub const ZERO: Self = Self {
        x19_x28: [0; 10],
        fp: 0,
        lr: 0,
        sp: 0,
    };

    /// The context of a stack that has never run: switching to it calls
    /// `entry(arg)` on the stack whose top is `stack_top`.
    pub fn new_thread(stack_top: u64, entry: extern "C" fn(usize) -> !, arg: usize) -> Self {
        unsafe extern "C" {
            fn kernel_thread_start();
        }
        let mut c = Self::default();
        c.x19_x28[0] = entry as *const () as u64;
        c.x19_x28[1] = arg as u64;
        c.lr = kernel_thread_start as *const () as u64;
        c.sp = stack_top;
        c
    }
}

/// The EL0 registers a thread keeps while another thread has the core
/// beyond those every trap saves: FP/SIMD, and TPIDR_EL0 (its thread
/// pointer, which EL0 writes without trapping). Zero is the state a new
/// thread starts with.
#[repr(C, align(16))]
#[derive(Clone, Debug, Default)]
pub struct FpState {
    pub q: [u128; 32],
    pub fpcr: u64,
    pub fpsr: u64,
    pub tpidr: u64,
}

unsafe extern "C" {
    fn run_user(ctx: *mut UserContext, entry: *const EntryWords) -> u64;
    fn clear_fp_state();
    fn switch_context(save: *mut KernelContext, load: *const KernelContext);
    fn save_fp_state(state: *mut FpState);
    fn load_fp_state(state: *const FpState);
}

// The shared register layout: x0..x29 at 0..240, x30 at 240.
const _: () = {
    assert!(size_of::<UserContext>() == 288);
    assert!(offset_of!(UserContext, x) == 0 && offset_of!(KernelFrame, x) == 0);
    assert!(offset_of!(KernelFrame, lr) == 240);
    assert!(size_of::<KernelFrame>() == 288);
    assert!(size_of::<KernelFrame>().is_multiple_of(16));
    assert!(offset_of!(UserContext, spsr) + 8 == offset_of!(UserContext, esr));
    assert!(offset_of!(UserContext, sp) + 8 == offset_of!(UserContext, pc));
    assert!(offset_of!(KernelFrame, elr) + 8 == offset_of!(KernelFrame, spsr));
    assert!(offset_of!(KernelFrame, esr) + 8 == offset_of!(KernelFrame, far));
    assert!(offset_of!(KernelContext, fp) + 8 == offset_of!(KernelContext, lr));
    // CALLEE_X19_X30: x19..x28, fp (x29), lr (x30) in a row.
    assert!(offset_of!(KernelContext, x19_x28) + 10 * 8 == offset_of!(KernelContext, fp));
    assert!(offset_of!(FpState, fpcr) + 8 == offset_of!(FpState, fpsr));
    assert!(offset_of!(FpState, fpsr) + 8 == offset_of!(FpState, tpidr));
    // The pairs the vectors load with one ldp: (ctx, stop), (on_sync, arg)
    // and (syscalls, syscall_count).
    assert!(offset_of!(RunUserFrame, ctx) + 8 == offset_of!(RunUserFrame, entry));
    assert!(offset_of!(EntryWords, stop) == 0);
    assert!(offset_of!(EntryWords, on_sync) + 8 == offset_of!(EntryWords, arg));
    assert!(offset_of!(EntryWords, syscalls) + 8 == offset_of!(EntryWords, syscall_count));
    // run_user copies the entry as two pairs and one word.
    assert!(size_of::<EntryWords>() == 5 * 8);
    assert!(size_of::<RunUserFrame>().is_multiple_of(16));
};

core::arch::global_asm!(
    include_str!("vectors.S"),
    CTX_X30 = const 30 * 8,
    CTX_SP = const offset_of!(UserContext, sp),
    CTX_SPSR = const offset_of!(UserContext, spsr),
    CTX_FAR = const offset_of!(UserContext, far),
    KFRAME_SIZE = const size_of::<KernelFrame>(),
    KFRAME_LR = const offset_of!(KernelFrame, lr),
    KFRAME_ELR = const offset_of!(KernelFrame, elr),
    KFRAME_ESR = const offset_of!(KernelFrame, esr),
    KCTX_X19 = const offset_of!(KernelContext, x19_x28),
    KCTX_SP = const offset_of!(KernelContext, sp),
    RUF_SIZE = const size_of::<RunUserFrame>(),
    RUF_CTX = const offset_of!(RunUserFrame, ctx),
    RUF_ENTRY = const offset_of!(RunUserFrame, entry),
    RUF_ON_SYNC = const offset_of!(RunUserFrame, entry) + offset_of!(EntryWords, on_sync),
    RUF_ARG = const offset_of!(RunUserFrame, entry) + offset_of!(EntryWords, arg),
    RUF_SYSCALLS = const offset_of!(RunUserFrame, entry) + offset_of!(EntryWords, syscalls),
    ESR_EC_SHIFT = const ESR_EC_SHIFT,
    ESR_EC_SVC64 = const ESR_EC_SVC64,
    TRAP_HANDLED = const Trap::Handled as u64,
    RUF_SAVED = const offset_of!(RunUserFrame, callee_saved),
    SPSR_EL0_KEEP = const SPSR_EL0_KEEP,
    FP_Q = const offset_of!(FpState, q),
    FP_FPCR = const offset_of!(FpState, fpcr),
    FP_TPIDR = const offset_of!(FpState, tpidr),
    TRAP_SYNC = const Trap::Sync as u64,
    TRAP_IRQ = const Trap::Irq as u64,
    TRAP_FIQ = const Trap::Fiq as u64,
    TRAP_SERROR = const Trap::SError as u64,
    PERCPU_STACK_LIMIT = const offset_of!(CpuLocal, stack_limit),
    PERCPU_EMERGENCY_TOP = const offset_of!(CpuLocal, emergency_stack_top),
    PERCPU_USER_TTBR0 = const offset_of!(CpuLocal, user_ttbr0),
    PERCPU_KERNEL_TTBR0 = const offset_of!(CpuLocal, kernel_ttbr0),
);

/// Stack space the vectors need below `CpuLocal::stack_limit`'s stack
/// bottom: one exception frame.
pub const EXCEPTION_FRAME_SIZE: u64 = size_of::<KernelFrame>() as u64;

/// Saves the running kernel stack's registers in `save` and continues on
/// the one `load` describes; returns when something switches back to
/// `save`.
///
/// # Safety
/// `load` must describe a live kernel stack that is not running on any core
/// (saved by an earlier switch, or made by `KernelContext::new_thread` for a
/// stack nothing else uses), and the per-CPU stack limit must already be set
/// for it. `save` must stay valid until something switches back to it.
pub unsafe fn switch(save: *mut KernelContext, load: *const KernelContext) {
    // SAFETY: the caller guarantees both contexts; the assembly saves and
    // restores exactly the registers the AAPCS64 requires a callee to keep.
    unsafe { switch_context(save, load) }
}

/// Zeroes the FP/SIMD registers before a new program first runs.
pub fn reset_fp_state() {
    // SAFETY: the kernel itself keeps no values in FP/SIMD registers (it is
    // built soft-float); only the next program's state is affected.
    unsafe { clear_fp_state() };
}

/// Saves this core's FP/SIMD registers (an EL0 thread's: the kernel uses
/// none) into `state`.
pub fn save_fp(state: &mut FpState) {
    // SAFETY: `state` is a valid, exclusive FpState with the layout the
    // assembly uses (offsets are const operands); only memory it names is
    // written.
    unsafe { save_fp_state(state) }
}

/// This core's TPIDR_EL0: the thread pointer of the EL0 thread it runs
/// (`zx_thread_read_state`'s `tpidr`).
pub fn user_thread_pointer() -> u64 {
    let v: u64;
    // SAFETY: reading TPIDR_EL0 has no side effect.
    unsafe { core::arch::asm!("mrs {}, tpidr_el0", out(reg) v, options(nomem, nostack)) };
    v
}

/// Sets this core's TPIDR_EL0, for the EL0 thread it runs (a debugger's
/// `zx_thread_write_state`).
pub fn set_user_thread_pointer(v: u64) {
    // SAFETY: TPIDR_EL0 is EL0's own register; the kernel keeps nothing in
    // it.
    unsafe { core::arch::asm!("msr tpidr_el0, {}", in(reg) v, options(nomem, nostack)) };
}

/// Loads this core's FP/SIMD registers from `state`, for the EL0 thread
/// about to run.
pub fn load_fp(state: &FpState) {
    // SAFETY: `state` is a valid FpState; the kernel keeps no values in the
    // FP/SIMD registers, so only the next EL0 thread's state changes.
    unsafe { load_fp_state(state) }
}

/// Runs the program described by `ctx` at EL0 until it traps with
/// something the entry's handlers do not resume from, then returns with
/// `ctx` holding its registers at the trap. A system call in
/// `entry.syscalls` runs from the vectors, and any other synchronous
/// exception goes to `entry.on_sync(ctx, arg)`, on this stack, without
/// leaving: when the handler says resume, the program goes on with none of
/// the kernel's registers to restore. The caller must have installed the
/// program's translation table (`cpu::set_user_table`).
#[inline]
pub fn enter_user<T>(ctx: &mut UserContext, entry: &UserEntry<'_, T>) -> Trap {
    let words = EntryWords {
        stop: entry.stop as *const AtomicBool as u64,
        on_sync: entry.on_sync as usize as u64,
        arg: entry.arg as *const T as u64,
        syscalls: entry.syscalls.as_ptr() as u64,
        syscall_count: entry.syscalls.len() as u64,
    };
    // SAFETY: `ctx` is a valid, exclusive UserContext with the layout the
    // assembly expects, lent to the handlers only while they run; `words`
    // comes from a `UserEntry` whose borrows outlive this call, and its
    // handlers have the types the vectors call them with. SPSR is limited
    // to EL0t with interrupts unmasked, so the program cannot touch kernel
    // state except through exceptions, which come back here or to the
    // handlers.
    match unsafe { run_user(ctx, &words) } {
        k if k == Trap::Sync as u64 => Trap::Sync,
        k if k == Trap::Irq as u64 => Trap::Irq,
        k if k == Trap::Fiq as u64 => Trap::Fiq,
        k if k == Trap::Handled as u64 => Trap::Handled,
        _ => Trap::SError,
    }
}

/// The exception class and details of an ESR value.
#[derive(Clone, Copy)]
pub struct Esr(pub u64);

/// What a synchronous exception was, as far as the kernel cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncKind {
    /// `svc` from AArch64; the immediate.
    Svc(u16),
    /// Instruction fetch abort.
    InstructionAbort {
        translation: bool,
        permission: bool,
    },
    /// Data abort.
    DataAbort {
        write: bool,
        translation: bool,
        permission: bool,
        alignment: bool,
    },
    PcAlignment,
    SpAlignment,
    Undefined,
    Breakpoint,
    FpTrap,
    Other(u8),
}

impl Esr {
    /// Exception class (ESR[31:26]).
    #[inline]
    pub fn class(self) -> u8 {
        ((self.0 >> ESR_EC_SHIFT) & 0x3f) as u8
    }

    #[inline]
    pub fn kind(self) -> SyncKind {
        let iss = self.0 & 0x1ff_ffff;
        let fsc = (iss & 0x3f) as u8;
        let translation = (0x04..=0x0b).contains(&fsc);
        let permission = (0x0c..=0x0f).contains(&fsc);
        // The hot case first: a page fault (system calls in the table never
        // come here, see `UserEntry`).
        match self.class() {
            0x24 | 0x25 => SyncKind::DataAbort {
                // Cache maintenance by address reports WnR = 1 (ISS.CM,
                // bit 8, says which); it needs only read access.
                write: iss & (1 << 6) != 0 && iss & (1 << 8) == 0,
                translation,
                permission,
                alignment: fsc == 0x21,
            },
            0x20 | 0x21 => SyncKind::InstructionAbort {
                translation,
                permission,
            },
            c if u64::from(c) == ESR_EC_SVC64 => SyncKind::Svc((iss & 0xffff) as u16),
            0x22 => SyncKind::PcAlignment,
            0x26 => SyncKind::SpAlignment,
            0x00 => SyncKind::Undefined,
            0x3c | 0x30..=0x35 => SyncKind::Breakpoint,
            0x07 => SyncKind::FpTrap,
            c => SyncKind::Other(c),
        }
    }

    /// The name of the exception class.
    pub fn class_name(self) -> &'static str {
        match self.class() {
            0x00 => "unknown reason (undefined instruction)",
            0x01 => "WFI/WFE",
            0x07 => "SIMD/FP access trapped",
            0x0e => "illegal execution state",
            0x15 => "SVC from AArch64",
            0x16 => "HVC from AArch64",
            0x17 => "SMC from AArch64",
            0x18 => "system register access trapped",
            0x20 => "instruction abort from a lower EL",
            0x21 => "instruction abort from the same EL",
            0x22 => "PC alignment fault",
            0x24 => "data abort from a lower EL",
            0x25 => "data abort from the same EL",
            0x26 => "SP alignment fault",
            0x2f => "SError",
            0x3c => "BRK instruction",
            _ => "other",
        }
    }

    /// For aborts: the fault status code's meaning.
    pub fn fault_status(self) -> &'static str {
        match self.0 & 0x3f {
            0x00..=0x03 => "address size fault",
            0x04..=0x07 => "translation fault",
            0x08..=0x0b => "access flag fault",
            0x0c..=0x0f => "permission fault",
            0x10 => "synchronous external abort",
            0x21 => "alignment fault",
            0x30 => "TLB conflict abort",
            _ => "other fault",
        }
    }
}

impl fmt::Display for Esr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ESR {:#010x} (EC {:#04x}: {}",
            self.0,
            self.class(),
            self.class_name()
        )?;
        if matches!(self.class(), 0x20 | 0x21 | 0x24 | 0x25) {
            write!(f, ", {}", self.fault_status())?;
            if matches!(self.class(), 0x24 | 0x25) {
                let write = self.0 & (1 << 6) != 0;
                write!(f, ", {}", if write { "write" } else { "read" })?;
            }
        }
        write!(f, ")")
    }
}

/// The registers saved by `kernel_trap_entry`.
#[repr(C)]
pub struct KernelFrame {
    pub x: [u64; 30],
    pub lr: u64,
    pub sp: u64,
    pub elr: u64,
    pub spsr: u64,
    pub esr: u64,
    pub far: u64,
}

/// Exceptions taken at EL1. An interrupt (the kernel runs with them masked,
/// so only a stray one) is acknowledged and ended; a fault inside
/// `user_copy` makes that copy fail; anything else is a kernel bug: report
/// it and stop the machine with a failure.
#[unsafe(no_mangle)]
extern "C" fn kernel_trap(frame: &mut KernelFrame, kind: u64) {
    if kind == Trap::Irq as u64 {
        let _ = crate::irq::take();
        return;
    }
    let esr = Esr(frame.esr);
    if kind == Trap::Sync as u64
        && matches!(esr.class(), 0x25)
        && super::usercopy::is_fixable(frame.elr)
    {
        // A user copy touched EL0 memory its translation table does not map
        // (or does not let the kernel write): the copy fails, the caller
        // takes the slow path.
        frame.elr = super::usercopy::fault_resume_address();
        return;
    }
    crate::println!();
    crate::println!("KERNEL PANIC: unexpected exception in the kernel");
    crate::println!("  kind {kind} ({})", Trap::name(kind));
    crate::println!("  {esr}");
    crate::println!(
        "  FAR {:#018x}  ELR {:#018x}  SPSR {:#010x}",
        frame.far,
        frame.elr,
        frame.spsr
    );
    crate::println!("  SP  {:#018x}  LR  {:#018x}", frame.sp, frame.lr);
    if super::mmu::is_stack_guard(frame.far) {
        crate::println!(
            "  (the fault address is in the kernel stack's guard page: stack overflow)"
        );
    }
    crate::power::fail();
}
