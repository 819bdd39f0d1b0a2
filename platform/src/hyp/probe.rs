//! Guest-side probes for the hostile-guest self-test of the EL2 layer: raw
//! SMC/HVC calls (also with a non-zero immediate), and a tiny entry point
//! for cores the test starts with PSCI. A started core arrives at EL1 with
//! its MMU off and x0 = the physical address of its [`Report`]; it writes
//! its CurrentEL there, optionally suspends itself with a power-down
//! `CPU_SUSPEND` whose resume entry writes CurrentEL again, and powers off.

use crate::arch::mmu::kernel_pa;
use core::mem::offset_of;
use core::sync::atomic::{AtomicU64, Ordering};

/// One started core's inputs (written by the boot core before `CPU_ON`)
/// and outputs (written by the core with its MMU off). One cache line.
#[repr(C, align(64))]
pub struct Report {
    /// Out: CurrentEL >> 2 at the start entry (0 until then).
    pub el_start: AtomicU64,
    /// Out: CurrentEL >> 2 at the resume entry.
    pub el_resume: AtomicU64,
    /// Out: what `CPU_SUSPEND` returned, if it returned (all ones: not yet).
    pub suspend_ret: AtomicU64,
    /// In: the `CPU_SUSPEND` function id to use; 0 = power off at once.
    pub suspend_fid: AtomicU64,
    /// In: its power_state argument (a power-down state).
    pub power_state: AtomicU64,
    /// In: the physical resume entry ([`resume_entry_pa`]).
    pub resume_entry: AtomicU64,
    /// In: the GIC CPU interface, physical (enabled so that an SGI wakes the
    /// suspended core), or 0.
    pub gicc: AtomicU64,
    /// In: the `CPU_OFF` function id.
    pub cpu_off_fid: AtomicU64,
}

impl Report {
    pub const fn new() -> Self {
        Self {
            el_start: AtomicU64::new(0),
            el_resume: AtomicU64::new(0),
            suspend_ret: AtomicU64::new(u64::MAX),
            suspend_fid: AtomicU64::new(0),
            power_state: AtomicU64::new(0),
            resume_entry: AtomicU64::new(0),
            gicc: AtomicU64::new(0),
            cpu_off_fid: AtomicU64::new(0),
        }
    }

    /// Pushes the boot core's writes to memory (the core reads with its
    /// MMU off) and, later, drops stale copies of the core's writes.
    pub fn sync(&self) {
        crate::arch::cpu::invalidate_dcache_line(self as *const Self as u64);
    }

    /// Resets the outputs.
    pub fn clear(&self) {
        self.el_start.store(0, Ordering::SeqCst);
        self.el_resume.store(0, Ordering::SeqCst);
        self.suspend_ret.store(u64::MAX, Ordering::SeqCst);
    }
}

impl Default for Report {
    fn default() -> Self {
        Self::new()
    }
}

const GICC_CTLR: u64 = 0x0;
const GICC_PMR: u64 = 0x4;

core::arch::global_asm!(
    r#"
.section .text.hyp_probe, "ax"
.balign 4
.global hyp_probe_entry
hyp_probe_entry:
    mov     x19, x0
    mrs     x9, CurrentEL
    lsr     x9, x9, #2
    str     x9, [x19, #{el_start}]
    dc      civac, x19
    dsb     sy
    ldr     x1, [x19, #{suspend_fid}]
    cbz     x1, 2f
    ldr     x9, [x19, #{gicc}]
    cbz     x9, 1f
    mov     w10, #0xff
    str     w10, [x9, #{pmr}]
    mov     w10, #1
    str     w10, [x9, #{ctlr}]
1:  mov     x0, x1
    ldr     x1, [x19, #{power_state}]
    ldr     x2, [x19, #{resume_entry}]
    mov     x3, x19
    smc     #0
    str     x0, [x19, #{suspend_ret}]
    dc      civac, x19
    dsb     sy
2:  ldr     x0, [x19, #{cpu_off}]
    smc     #0
3:  wfe
    b       3b

.balign 4
.global hyp_probe_resume
hyp_probe_resume:
    mov     x19, x0
    mrs     x9, CurrentEL
    lsr     x9, x9, #2
    str     x9, [x19, #{el_resume}]
    dc      civac, x19
    dsb     sy
    ldr     x9, [x19, #{gicc}]
    cbz     x9, 2b
    str     wzr, [x9, #{ctlr}]
    b       2b
"#,
    el_start = const offset_of!(Report, el_start),
    el_resume = const offset_of!(Report, el_resume),
    suspend_ret = const offset_of!(Report, suspend_ret),
    suspend_fid = const offset_of!(Report, suspend_fid),
    power_state = const offset_of!(Report, power_state),
    resume_entry = const offset_of!(Report, resume_entry),
    gicc = const offset_of!(Report, gicc),
    cpu_off = const offset_of!(Report, cpu_off_fid),
    pmr = const GICC_PMR,
    ctlr = const GICC_CTLR,
);

unsafe extern "C" {
    fn hyp_probe_entry();
    fn hyp_probe_resume();
}

/// The start entry, physically.
pub fn start_entry_pa() -> u64 {
    kernel_pa(hyp_probe_entry as *const () as u64)
}

/// The resume entry, physically.
pub fn resume_entry_pa() -> u64 {
    kernel_pa(hyp_probe_resume as *const () as u64)
}

/// `SMC #1` / `HVC #1`: SMCCC requires immediate 0; x0 out.
pub fn call_imm1(smc: bool, fid: u64) -> u64 {
    let r: u64;
    // SAFETY: an SMCCC-shaped call the layer must refuse; caller-saved
    // registers are clobbered.
    unsafe {
        if smc {
            core::arch::asm!("smc #1", inout("x0") fid => r, clobber_abi("C"), options(nostack));
        } else {
            core::arch::asm!("hvc #1", inout("x0") fid => r, clobber_abi("C"), options(nostack));
        }
    }
    r
}

/// Sends SGI 0 to the core with GIC CPU interface number `target` (GICv2
/// `GICD_SGIR`, through the kernel's device mapping of `gicd_pa`).
pub fn send_sgi(gicd_pa: u64, target: u64) {
    const GICD_SGIR: u64 = 0xf00;
    let va = crate::layout::phys_to_virt(gicd_pa + GICD_SGIR);
    // CPUTargetList in bits 23:16; the INTID field (3:0) is SGI 0.
    let value = (1u32 << (target & 7)) << 16;
    // SAFETY: the distributor is mapped as device memory from the tree; a
    // write to SGIR only raises an SGI.
    unsafe { (va as *mut u32).write_volatile(value) };
}
