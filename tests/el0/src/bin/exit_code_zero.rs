//! Tests `zx_process_exit(0)` called from a nested function: the process
//! ends there with status 0, and `main` (which would return 1) never
//! finishes.
#![no_std]
#![no_main]

use core::arch::asm;
use el0_tests::zx;
use zx::{sys, Handle};

/// Calls `zx_process_exit(0)` with a plain `svc`: if the kernel ever
/// returned from it, execution continues here and the test fails.
#[inline(never)]
fn exit_zero(depth: u32) -> i64 {
    if core::hint::black_box(depth) > 0 {
        return exit_zero(depth - 1) + 1;
    }
    zx::println!("exit_code_zero: calling process_exit(0) three calls below main");
    let ret: i64;
    // SAFETY: process_exit takes no pointers; the kernel preserves every
    // register but x0 (if it returns at all, which it must not).
    unsafe {
        asm!("svc #0", in("x16") sys::PROCESS_EXIT, inout("x0") 0i64 => ret, options(nostack))
    };
    zx::println!("exit_code_zero: FAIL: process_exit returned {:#x}", ret);
    1
}

fn main(_root: Handle) -> i64 {
    let r = exit_zero(3);
    zx::println!("exit_code_zero: FAIL: back in main");
    // Non-zero whatever happened above.
    r.max(1)
}

zx::entry!(main);
