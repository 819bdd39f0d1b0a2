//! Expects the kernel to kill the program: it stores to the address of its
//! own `main`, in the text segment (mapped read and execute, never write).
#![no_std]
#![no_main]

use el0_tests::{fault_missing, raw_store, zx};
use zx::Handle;

fn main(_root: Handle) -> i64 {
    let addr = (main as *const () as usize) & !7;
    zx::println!("write_text: storing to main's code at {:#x}", addr);
    // SAFETY: text is mapped without write permission: the kernel must kill
    // the process at this store. Were it writable, the store would only
    // overwrite `main`'s first instruction (already run) or the last one of
    // the function before it, which nothing calls afterwards; the program
    // then reports failure.
    unsafe { raw_store(core::hint::black_box(addr), 0) };
    fault_missing("a store to the text segment")
}

zx::entry!(main);
