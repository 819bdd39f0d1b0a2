//! Expects the kernel to kill the program: it branches to a writable static
//! (in `.data`) holding a `ret` instruction. Data is mapped without
//! execute permission; if it were executable the `ret` would come back and
//! the program returns 1.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use el0_tests::{fault_missing, raw_jump, zx, RET_INSN};
use zx::Handle;

static CODE: [AtomicU32; 4] = [const { AtomicU32::new(RET_INSN) }; 4];

fn main(_root: Handle) -> i64 {
    assert_eq!(
        CODE[0].load(Ordering::Relaxed),
        RET_INSN,
        ".data holds its initial value"
    );
    let addr = CODE.as_ptr() as usize;
    zx::println!("exec_data: branching to .data at {:#x}", addr);
    // SAFETY: .data is mapped without execute permission: the kernel must
    // kill the process at the instruction fetch. Were it executable, it
    // holds only `ret`, making this an ordinary call.
    unsafe { raw_jump(core::hint::black_box(addr)) };
    fault_missing("executing .data")
}

zx::entry!(main);
