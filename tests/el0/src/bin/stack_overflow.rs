//! Expects the kernel to kill the program: it recurses with a 1 KiB frame
//! until the 64 KiB stack runs into the unmapped guard page below it.
#![no_std]
#![no_main]

use el0_tests::{fault_missing, zx};
use zx::Handle;

/// Recursion deep enough to use 1 MiB, far past the stack, in case it does
/// not fault.
const MAX_DEPTH: u32 = 1024;

#[inline(never)]
fn recurse(depth: u32) -> u32 {
    let mut frame = [0u8; 1024];
    frame[(depth as usize) % 1024] = depth as u8;
    core::hint::black_box(&mut frame);
    if depth >= MAX_DEPTH {
        return depth;
    }
    // Using the frame after the call keeps this from being a tail call.
    recurse(depth + 1) + frame[0] as u32
}

fn main(_root: Handle) -> i64 {
    zx::println!("stack_overflow: recursing 1 KiB per call");
    let d = recurse(0);
    zx::println!("returned {}", d);
    fault_missing("a stack overflow")
}

zx::entry!(main);
