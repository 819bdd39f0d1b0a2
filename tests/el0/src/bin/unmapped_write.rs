//! Expects the kernel to kill the program: it maps a page, writes it (so
//! the translation may be cached in the TLB), unmaps it and writes it
//! again. The second write must fault.
#![no_std]
#![no_main]

use el0_tests::{close, fault_missing, raw_store, vmo, zx, Mapping, PAGE, RW};
use zx::Handle;

fn main(root: Handle) -> i64 {
    let h = vmo(PAGE as u64, 0);
    let m = Mapping::new(root, h, PAGE, RW);
    m.write_u64(64, 1);
    let addr = m.addr + 64;
    m.unmap();
    close(h);
    zx::println!(
        "unmapped_write: storing to {:#x}, unmapped a moment ago",
        addr
    );
    // SAFETY: the page was just unmapped and no Rust reference points into
    // it: the kernel must kill the process at this store.
    unsafe { raw_store(core::hint::black_box(addr), 2) };
    fault_missing("a store to an unmapped page")
}

zx::entry!(main);
