//! Expects the kernel to kill the program: it maps a 1 TiB VMO read-write
//! and writes one byte to each page in turn, faulting in page after page
//! until no page is left. The kernel must kill it with a page-fault report
//! ("... out of memory"), give every page back, and run the next program.
//! Run on its own boot with little RAM (`-m 128M`,
//! tests/suites/hostile.sh), not in the default suite.
#![no_std]
#![no_main]

use el0_tests::{fault_missing, prefault_stack, vmo, zx, Mapping, PAGE, RW};
use zx::Handle;

const HUGE: usize = 1 << 40;

fn main(root: Handle) -> i64 {
    prefault_stack();
    let free = zx::free_pages();
    zx::println!(
        "fault_exhaustion: {} free pages; touching the pages of a 1 TiB mapping",
        free
    );
    let big = vmo(HUGE as u64, 0);
    let map = Mapping::new(root, big, HUGE, RW);
    let mut page = 0;
    while page * PAGE < HUGE {
        map.write_u8(page * PAGE, 1);
        page += 1;
        if page % 8192 == 0 {
            zx::println!(
                "fault_exhaustion: {} MiB touched, {} pages free",
                (page * PAGE) >> 20,
                zx::free_pages()
            );
        }
    }
    fault_missing("running out of memory in page faults")
}

zx::entry!(main);
