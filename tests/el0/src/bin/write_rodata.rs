//! Expects the kernel to kill the program: it stores to a `static` in
//! `.rodata` (mapped read-only).
#![no_std]
#![no_main]

use el0_tests::{fault_missing, raw_store, zx};
use zx::Handle;

static CONSTANT: [u64; 4] = [0x1111, 0x2222, 0x3333, 0x4444];

fn main(_root: Handle) -> i64 {
    let addr = core::hint::black_box(&CONSTANT) as *const [u64; 4] as usize;
    assert_eq!(core::hint::black_box(&CONSTANT)[2], 0x3333, "rodata reads");
    zx::println!("write_rodata: storing to .rodata at {:#x}", addr);
    // SAFETY: .rodata is mapped read-only: the kernel must kill the process
    // at this store. Rust only reads CONSTANT; nothing reads it afterwards.
    unsafe { raw_store(core::hint::black_box(addr), 0) };
    fault_missing("a store to .rodata")
}

zx::entry!(main);
