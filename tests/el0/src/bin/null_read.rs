//! Expects the kernel to kill the program: it loads from address 0, which
//! is never mapped. Returning (status 1) means the load did not fault.
#![no_std]
#![no_main]

use el0_tests::{fault_missing, raw_load, zx};
use zx::Handle;

fn main(_root: Handle) -> i64 {
    zx::println!("null_read: loading a u64 from address 0");
    // SAFETY: address 0 is not mapped: the kernel must kill the process at
    // this load, and no Rust memory is touched.
    let v = unsafe { raw_load(core::hint::black_box(0)) };
    zx::println!("read {:#x}", v);
    fault_missing("a load from NULL")
}

zx::entry!(main);
