//! Expects the kernel to kill the program: it executes `udf #0`, a
//! permanently undefined instruction.
#![no_std]
#![no_main]

use el0_tests::{fault_missing, zx};
use zx::Handle;

fn main(_root: Handle) -> i64 {
    zx::println!("udf: executing udf #0");
    // SAFETY: the instruction traps; the kernel must kill the process. It
    // touches no memory or registers.
    unsafe { core::arch::asm!("udf #0", options(nomem, nostack)) };
    fault_missing("udf #0")
}

zx::entry!(main);
