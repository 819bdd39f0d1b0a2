//! Expects the kernel to kill the program: it maps a VMO read-write (no
//! PERM_EXECUTE), writes a `ret` instruction there and branches to it. If
//! the page were executable, the `ret` would come back and the program
//! returns 1.
#![no_std]
#![no_main]

use el0_tests::{fault_missing, raw_jump, vmo, zx, Mapping, PAGE, RET_INSN, RW};
use zx::Handle;

fn main(root: Handle) -> i64 {
    let h = vmo(PAGE as u64, 0);
    let m = Mapping::new(root, h, PAGE, RW);
    let two_rets = (RET_INSN as u64) << 32 | RET_INSN as u64;
    for off in (0..64).step_by(8) {
        m.write_u64(off, two_rets);
    }
    zx::println!("exec_no_perm: branching to non-executable {:#x}", m.addr);
    // SAFETY: the page is mapped without execute permission: the kernel must
    // kill the process at the instruction fetch. Were it executable, it
    // holds only `ret`, making this an ordinary call.
    unsafe { raw_jump(core::hint::black_box(m.addr)) };
    fault_missing("executing a mapping without PERM_EXECUTE")
}

zx::entry!(main);
