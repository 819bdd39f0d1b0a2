//! Sparse first touches exhaust the kernel's bookkeeping, not just pages:
//! one byte every 64 KiB of a huge mapping costs a page and a page-list node
//! (kernel heap) per touch. The kernel must kill the program ("out of
//! memory") long before its heap runs out, stay up, and get every page back
//! (the runner's leak check). Booted alone on little memory by
//! scripts/test.sh.
#![no_std]
#![no_main]

use el0_tests::zx::{self, vm_opt};

fn main(root: zx::Handle) -> i64 {
    const SIZE: u64 = 1 << 40;
    let vmo = zx::vmo_create(SIZE, 0).expect("vmo_create");
    let base = zx::vmar_map(
        root,
        vm_opt::PERM_READ | vm_opt::PERM_WRITE,
        0,
        vmo,
        0,
        SIZE as usize,
    )
    .expect("map 1 TiB");
    zx::println!(
        "sparse_touch: touching one byte every 64 KiB of a 1 TiB mapping until the kernel stops it"
    );
    let mut offset = 0u64;
    while offset < SIZE {
        // SAFETY: inside the mapping made above.
        unsafe { ((base as u64 + offset) as *mut u8).write_volatile(1) };
        offset += 64 * 1024;
    }
    zx::println!("sparse_touch: 16 M touches and never stopped");
    1
}

zx::entry!(main);
