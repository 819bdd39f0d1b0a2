//! Expects the kernel to kill the program: a resizable two-page VMO is
//! mapped and both pages are written; the VMO is then shrunk to one page
//! and the program reads the second page again. The kernel must have
//! removed that page from the mapping (its memory is free now).
#![no_std]
#![no_main]

use el0_tests::{fault_missing, vmo, zx, Mapping, PAGE, RW};
use zx::{vmo_opt, Handle};

fn main(root: Handle) -> i64 {
    let h = vmo(2 * PAGE as u64, vmo_opt::RESIZABLE);
    let m = Mapping::new(root, h, 2 * PAGE, RW);
    m.write_u8(0, 1);
    m.write_u8(PAGE, 2);
    assert_eq!(m.read_u8(PAGE), 2, "second page before shrinking");
    assert_eq!(
        zx::vmo_set_size(h, PAGE as u64),
        Ok(()),
        "shrink to one page"
    );
    assert_eq!(m.read_u8(0), 1, "first page after shrinking");
    zx::println!(
        "after_shrink: reading {:#x}, cut off by vmo_set_size",
        m.addr + PAGE
    );
    let v = m.read_u8(PAGE);
    zx::println!("read {:#x}", v);
    fault_missing("a read of a page removed by shrinking")
}

zx::entry!(main);
