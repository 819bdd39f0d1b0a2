//! Expects the kernel to kill the program: it loads from a kernel address
//! (the upper half), which EL0 must never be able to read.
#![no_std]
#![no_main]

use el0_tests::{fault_missing, raw_load, zx};
use zx::Handle;

fn main(_root: Handle) -> i64 {
    let addr = 0xffff_ffff_8000_0000usize;
    zx::println!("kernel_read: loading from kernel address {:#x}", addr);
    // SAFETY: kernel memory is not accessible at EL0: the kernel must kill
    // the process at this load, and no Rust memory is touched.
    let v = unsafe { raw_load(core::hint::black_box(addr)) };
    zx::println!("read {:#x}", v);
    fault_missing("a load from kernel memory")
}

zx::entry!(main);
