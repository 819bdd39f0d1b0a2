//! Expects the kernel to kill the program: it moves SP off its 16-byte
//! alignment (`sub sp, sp, #8`) and loads through it. The kernel enables
//! EL0 stack-alignment checking (SCTLR_EL1.SA0), so on hardware the load
//! raises an SP alignment fault ("misaligned stack pointer").
//!
//! QEMU does not implement SP alignment checks (its translator omits them
//! for speed), so there the load completes. The program then says so and
//! makes an access through the same misaligned SP that faults on every
//! implementation: an exclusive pair load (`ldxp`), which needs 16-byte
//! alignment ("alignment fault"). If that completes too, SP is put back and
//! the program returns 1.
#![no_std]
#![no_main]

use el0_tests::{fault_missing, zx};
use zx::Handle;

fn main(_root: Handle) -> i64 {
    zx::println!("misaligned_sp: loading through an SP 8 bytes off alignment");
    let v: u64;
    // SAFETY: the load reads the 8 bytes just below the stack pointer:
    // mapped stack that Rust does not use (nothing is stored below SP). If
    // alignment checking works the kernel kills the process at the load.
    // SP is restored before the block ends.
    unsafe {
        core::arch::asm!(
            "sub sp, sp, #8",
            "ldr {v}, [sp]",
            "add sp, sp, #8",
            v = out(reg) v,
        )
    };
    zx::println!(
        "misaligned_sp: the CPU did not check SP alignment (QEMU omits the check); \
         trying an exclusive pair load through the misaligned SP"
    );
    let (a, b): (u64, u64);
    // SAFETY: as above, for the 16 bytes below SP + 8; `ldxp` needs 16-byte
    // alignment, which SP - 8 lacks, so the kernel kills the process here.
    // Were it to complete, `clrex` drops the exclusive monitor and SP is
    // restored.
    unsafe {
        core::arch::asm!(
            "sub sp, sp, #8",
            "ldxp {a}, {b}, [sp]",
            "clrex",
            "add sp, sp, #8",
            a = out(reg) a,
            b = out(reg) b,
        )
    };
    zx::println!("loaded {:#x}, {:#x}, {:#x}", v, a, b);
    fault_missing("a load through a misaligned SP")
}

zx::entry!(main);
