//! Expects the kernel to kill the program: it executes `brk #0` (a
//! software breakpoint; with no debugger attached the process dies).
#![no_std]
#![no_main]

use el0_tests::{fault_missing, zx};
use zx::Handle;

fn main(_root: Handle) -> i64 {
    zx::println!("brk: executing brk #0");
    // SAFETY: the instruction traps; the kernel must kill the process. It
    // touches no memory or registers.
    unsafe { core::arch::asm!("brk #0", options(nomem, nostack)) };
    fault_missing("brk #0")
}

zx::entry!(main);
