//! The smallest program: prints a line and exits 0.
#![no_std]
#![no_main]

use el0_tests::zx;

fn main(_root_vmar: zx::Handle) -> i64 {
    zx::println!("hello from EL0");
    0
}

zx::entry!(main);
