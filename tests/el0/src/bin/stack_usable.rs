//! Tests that the initial stack really is 64 KiB: 48 KiB below `main` can
//! be written and read back (the guard page below the stack is exercised by
//! `stack_overflow`).
#![no_std]
#![no_main]

use el0_tests::{zx, PAGE};
use zx::Handle;

const DEPTH: usize = 48 * 1024;

#[inline(never)]
fn use_stack() {
    let mut big = [0u8; DEPTH];
    let base = big.as_mut_ptr();
    for i in (0..DEPTH).step_by(PAGE / 2) {
        // SAFETY: `i` is in bounds of `big`; volatile so every page is
        // really touched.
        unsafe { core::ptr::write_volatile(base.add(i), (i / 64) as u8) };
    }
    for i in (0..DEPTH).step_by(PAGE / 2) {
        // SAFETY: as above.
        let v = unsafe { core::ptr::read_volatile(base.add(i)) };
        assert_eq!(v, (i / 64) as u8, "stack byte {} below the frame", i);
    }
    core::hint::black_box(&mut big);
    zx::println!(
        "stack_usable: {} KiB of stack from {:#x} up work",
        DEPTH / 1024,
        base as usize
    );
}

fn main(_root: Handle) -> i64 {
    use_stack();
    0
}

zx::entry!(main);
