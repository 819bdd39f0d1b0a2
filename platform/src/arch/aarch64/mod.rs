//! The AArch64 CPU: entry and vector assembly, system registers (through
//! `aarch64-cpu`), translation tables, traps and firmware calls.

pub mod cpu;
pub mod mmu;
pub mod percpu;
pub mod trap;
pub mod user_pt;
pub mod usercopy;

core::arch::global_asm!(
    include_str!("entry.S"),
    PFR0_GIC_SHIFT = const crate::drivers::gicv3::PFR0_GIC_SHIFT,
    PFR0_GIC_BITS = const crate::drivers::gicv3::PFR0_GIC_BITS,
    ICC_SRE_EL2_ENABLE = const crate::drivers::gicv3::ICC_SRE_EL2_ENABLE,
    ICC_SRE_SRE = const crate::drivers::gicv3::ICC_SRE_SRE,
);
// vectors.S is assembled in trap.rs, with its offsets as const operands.
core::arch::global_asm!(include_str!("mem.S"));
core::arch::global_asm!(include_str!("hyp.S"));
core::arch::global_asm!(include_str!("usercopy.S"));
