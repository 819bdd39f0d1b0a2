//! A program that never ends: the kernel must kill it when its time limit
//! (the boot argument `el0.time_limit`) runs out, through the timer
//! interrupt, and go on. Booted on its own by scripts/test.sh with a
//! one-second limit.
#![no_std]
#![no_main]

use el0_tests::zx;

fn main(_root_vmar: zx::Handle) -> i64 {
    zx::println!("limit: spinning until the kernel's time limit kills this program");
    let mut n: u64 = 0;
    loop {
        n = core::hint::black_box(n.wrapping_add(1));
    }
}

zx::entry!(main);
