//! Expects the kernel to kill the program: it maps a VMO with PERM_READ
//! only, reads it (which works), then writes it.
#![no_std]
#![no_main]

use el0_tests::{fault_missing, raw_store, vmo, zx, Mapping, PAGE};
use zx::{vm_opt, Handle};

fn main(root: Handle) -> i64 {
    let h = vmo(PAGE as u64, 0);
    let m = Mapping::new(root, h, PAGE, vm_opt::PERM_READ);
    assert_eq!(m.read_u64(8), 0, "read-only mapping reads zero");
    zx::println!(
        "write_readonly_mapping: storing to read-only {:#x}",
        m.addr + 8
    );
    // SAFETY: the mapping is read-only and no Rust reference points into
    // it: the kernel must kill the process at this store.
    unsafe { raw_store(core::hint::black_box(m.addr + 8), 1) };
    fault_missing("a store to a read-only mapping")
}

zx::entry!(main);
