//! Tests the loader with a program linked at 2^39 - 2 MiB, the highest address the loader promises:
//! `_start` and `main` are where the link put them, `.data` and
//! `.rodata` hold their initial values, `.bss` is zero, and the writable
//! statics can be written and read back.
#![no_std]
#![no_main]

use el0_tests::zx;
use zx::Handle;

/// The address `tests/el0/build.rs` links this program at.
const LINK_BASE: usize = (1 << 39) - (2 << 20);

fn main(_root: Handle) -> i64 {
    el0_tests::check_image("load_high_address", LINK_BASE, main as *const () as usize);
    0
}

zx::entry!(main);
