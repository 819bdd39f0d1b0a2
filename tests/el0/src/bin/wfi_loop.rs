//! A program that sleeps in `wfi` forever: only an interrupt wakes the core,
//! so the kernel kills it at its time limit (the boot argument
//! `el0.time_limit`) only if the timer interrupt really reaches it, on
//! GICv2 and GICv3 alike. Without one the boot hangs until QEMU's timeout.
//! Booted on its own (boot `wfi-limit` in tests/el0/manifest.txt) by
//! tests/suites/gic.sh.
#![no_std]
#![no_main]

use core::arch::asm;
use el0_tests::zx;

fn main(_root_vmar: zx::Handle) -> i64 {
    zx::println!(
        "wfi_loop: waiting for interrupts until the kernel's time limit kills this program"
    );
    loop {
        // SAFETY: `wfi` only waits; EL0 may execute it (SCTLR_EL1.nTWI).
        unsafe { asm!("wfi", options(nomem, nostack, preserves_flags)) };
    }
}

zx::entry!(main);
