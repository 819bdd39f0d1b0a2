//! Exceptions: the saved state of an EL0 program (`UserContext`) and the
//! call that runs it until its next trap, the decoding of ESR_EL1, and the
//! handler for exceptions taken in the kernel itself, which report and stop.

use core::fmt;

/// An EL0 program's general and special registers while it is not running.
/// Its FP/SIMD registers stay live in the CPU: the kernel never uses them
/// (see `vectors.S`). The layout is shared with `vectors.S` (offsets `CTX_*`).
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

const _: () = assert!(core::mem::size_of::<UserContext>() == 288);

/// Why `run_user` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    /// A synchronous exception: system call, fault, undefined instruction...
    /// (see `UserContext::esr`).
    Sync,
    Irq,
    Fiq,
    SError,
}

unsafe extern "C" {
    fn run_user(ctx: *mut UserContext) -> u64;
    fn clear_fp_state();
}

/// Zeroes the FP/SIMD registers before a new program first runs.
pub fn reset_fp_state() {
    // SAFETY: the kernel itself keeps no values in FP/SIMD registers (it is
    // built soft-float); only the next program's state is affected.
    unsafe { clear_fp_state() };
}

/// Runs the program described by `ctx` at EL0 until it traps, then returns
/// with `ctx` holding its registers at the trap. The caller must have
/// installed the program's translation table (`cpu::set_user_table`).
pub fn enter_user(ctx: &mut UserContext) -> Trap {
    // EL0t with interrupts unmasked: whatever the program put in the flags,
    // it never gets a higher level or masked interrupts.
    ctx.spsr &= 0xf000_0000;
    // SAFETY: `ctx` is a valid, exclusive UserContext with the layout the
    // assembly expects; SPSR selects EL0, so the program cannot touch kernel
    // state except through exceptions, which return here.
    match unsafe { run_user(ctx) } {
        0 => Trap::Sync,
        1 => Trap::Irq,
        2 => Trap::Fiq,
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
    pub fn class(self) -> u8 {
        ((self.0 >> 26) & 0x3f) as u8
    }

    pub fn kind(self) -> SyncKind {
        let iss = self.0 & 0x1ff_ffff;
        let class = self.class();
        if class == 0x15 {
            // The hot case first: a system call.
            return SyncKind::Svc((iss & 0xffff) as u16);
        }
        let fsc = (iss & 0x3f) as u8;
        let translation = (0x04..=0x0b).contains(&fsc);
        let permission = (0x0c..=0x0f).contains(&fsc);
        match class {
            0x20 | 0x21 => SyncKind::InstructionAbort {
                translation,
                permission,
            },
            0x24 | 0x25 => SyncKind::DataAbort {
                write: iss & (1 << 6) != 0,
                translation,
                permission,
                alignment: fsc == 0x21,
            },
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

/// The registers saved by `kernel_trap_entry` (layout shared with
/// `vectors.S`).
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

const _: () = assert!(core::mem::size_of::<KernelFrame>() == 288);

/// Exceptions taken at EL1. An interrupt (the kernel runs with them masked,
/// so only a stray one) is acknowledged and ended; a fault inside
/// `user_copy` makes that copy fail; anything else is a kernel bug: report
/// it and stop the machine with a failure.
#[unsafe(no_mangle)]
extern "C" fn kernel_trap(frame: &mut KernelFrame, kind: u64) {
    if kind == 1 {
        let _ = crate::irq::take();
        return;
    }
    let esr = Esr(frame.esr);
    if kind == 0 && matches!(esr.class(), 0x25) && super::usercopy::is_fixable(frame.elr) {
        // A user copy touched EL0 memory its translation table does not map
        // (or does not let the kernel write): the copy fails, the caller
        // takes the slow path.
        frame.elr = super::usercopy::fault_resume_address();
        return;
    }
    crate::println!();
    crate::println!("KERNEL PANIC: unexpected exception in the kernel");
    crate::println!(
        "  kind {kind} ({})",
        ["sync", "irq", "fiq", "serror"][kind.min(3) as usize]
    );
    crate::println!("  {esr}");
    crate::println!(
        "  FAR {:#018x}  ELR {:#018x}  SPSR {:#010x}",
        frame.far,
        frame.elr,
        frame.spsr
    );
    crate::println!("  SP  {:#018x}  LR  {:#018x}", frame.sp, frame.lr);
    let l = super::mmu::image_layout();
    if frame.far >= l.stack_guard && frame.far < l.stack_bottom {
        crate::println!(
            "  (the fault address is in the kernel stack's guard page: stack overflow)"
        );
    }
    crate::power::fail();
}
