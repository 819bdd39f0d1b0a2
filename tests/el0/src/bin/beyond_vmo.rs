//! Expects the kernel to kill the program: a one-page VMO is mapped with a
//! four-page mapping (allowed); page 0 works, then the program touches
//! page 2, which lies beyond the VMO's end.
#![no_std]
#![no_main]

use el0_tests::{fault_missing, vmo, zx, Mapping, PAGE, RW};
use zx::Handle;

fn main(root: Handle) -> i64 {
    let h = vmo(PAGE as u64, 0);
    let m = Mapping::new(root, h, 4 * PAGE, RW);
    m.write_u8(0, 1);
    assert_eq!(m.read_u8(0), 1, "page 0 of the mapping");
    zx::println!(
        "beyond_vmo: reading {:#x}, past the one-page VMO",
        m.addr + 2 * PAGE
    );
    let v = m.read_u8(2 * PAGE);
    zx::println!("read {:#x}", v);
    fault_missing("a read beyond the VMO's end")
}

zx::entry!(main);
