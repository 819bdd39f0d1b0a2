//! The AArch64 CPU: entry and vector assembly, system registers (through
//! `aarch64-cpu`), translation tables, traps and firmware calls.

pub mod cpu;
pub mod mmu;
pub mod percpu;
pub mod trap;
pub mod user_pt;
pub mod usercopy;

core::arch::global_asm!(include_str!("entry.S"));
// vectors.S is assembled in trap.rs, with its offsets as const operands.
core::arch::global_asm!(include_str!("mem.S"));
core::arch::global_asm!(include_str!("hyp.S"));
// usercopy.S is assembled in usercopy.rs, with its per-CPU offsets.
