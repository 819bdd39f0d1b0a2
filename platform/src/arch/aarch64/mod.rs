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
    hyp_launch = const hyp_abi::HypCall::Launch as u32,
    hyp_entry_primary = const hyp_abi::entry::PRIMARY,
    sctlr_el1_reset = const hyp_abi::el1_entry::SCTLR_EL1,
    cptr_el2 = const hyp_abi::el1_entry::CPTR_EL2,
    hcr_el2_rw = const hyp_abi::el1_entry::HCR_EL2_RW,
    spsr_el1h = const hyp_abi::el1_entry::SPSR_EL2,
    PFR0_GIC_SHIFT = const crate::drivers::gicv3::PFR0_GIC_SHIFT,
    PFR0_GIC_BITS = const crate::drivers::gicv3::PFR0_GIC_BITS,
    ICC_SRE_EL2_ENABLE = const crate::drivers::gicv3::ICC_SRE_EL2_ENABLE,
    ICC_SRE_SRE = const crate::drivers::gicv3::ICC_SRE_SRE,
    boot_ttbr1 = const core::mem::offset_of!(crate::smp::SecondaryBoot, ttbr1),
    boot_stack_top = const core::mem::offset_of!(crate::smp::SecondaryBoot, stack_top),
    boot_cpu = const core::mem::offset_of!(crate::smp::SecondaryBoot, cpu),
    boot_main = const core::mem::offset_of!(crate::smp::SecondaryBoot, main),
);
// vectors.S is assembled in trap.rs, with its offsets as const operands.
core::arch::global_asm!(include_str!("mem.S"));
// usercopy.S is assembled in usercopy.rs, with its per-CPU offsets.
