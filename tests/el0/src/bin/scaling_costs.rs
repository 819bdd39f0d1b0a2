//! Benchmark: costs that should not grow with the amount of memory in use.
//! The fault cost with 1 K and with 256 K pages already committed in the VMO
//! (the page list is a tree: the figure should stay flat), and page
//! allocation and free through a small VMO (create, map, fault in 16 pages,
//! unmap, close; per page) with the allocator nearly empty and nearly full
//! (32 MiB left after committing the rest with one big VMO).
//!
//! 256 K pages are 1 GiB, so scripts/bench.sh boots this one with 2 GiB of
//! RAM (and the Linux peer's `scaling` set likewise). Figures are ns per page
//! (= instructions under `-icount shift=0,sleep=off`), medians of batches,
//! printed as a `bench:` table and as `benchrow: KEY NS` lines. The Linux
//! figures in the table are the peer's on Debian's 6.1 kernel in the same
//! QEMU; scripts/bench.sh measures them afresh.
#![no_std]
#![no_main]

use el0_tests::bench::{median_ns_per_unit, Table};
use el0_tests::zx::{self, stats, Handle};
use el0_tests::{Mapping, PAGE, RW};

const BATCHES: usize = 7;
/// Pages faulted in per batch when measuring the fault cost after N.
const FAULT_BATCH_PAGES: usize = 256;
/// Free memory left when memory counts as "nearly full", in pages (32 MiB).
const HEADROOM_PAGES: u64 = (32 << 20) / PAGE as u64;
/// The small VMO of the alloc/free rows, in pages.
const SMALL_PAGES: usize = 16;

/// A VMO mapped read-write over its whole size; unmapped and closed on
/// `release`.
struct MappedVmo {
    vmo: Handle,
    map: Mapping,
}

impl MappedVmo {
    fn new(root: Handle, len: usize) -> Self {
        let vmo = zx::vmo_create(len as u64, 0).expect("vmo_create");
        let map = Mapping::new(root, vmo, len, RW);
        Self { vmo, map }
    }

    /// Writes one byte in page `page`, faulting it in the first time.
    fn touch(&self, page: usize) {
        self.map.write_u8(page * PAGE, 1);
    }

    fn release(self) {
        self.map.unmap();
        zx::handle_close(self.vmo).expect("close");
    }
}

/// With pages `0..n` of `m` already committed, the cost of faulting in the
/// next ones, per page. Returns the figure and the first untouched page.
fn fault_after(m: &MappedVmo, n: usize) -> (u64, usize) {
    for page in 0..n {
        m.touch(page);
    }
    let mut next = n;
    let ns = median_ns_per_unit(BATCHES, 1, FAULT_BATCH_PAGES as u64, |_| {
        for page in next..next + FAULT_BATCH_PAGES {
            m.touch(page);
        }
        next += FAULT_BATCH_PAGES;
    });
    (ns, next)
}

/// Bytes `fault_after(_, n)` touches.
fn fault_span(n: usize) -> usize {
    (n + BATCHES * FAULT_BATCH_PAGES) * PAGE
}

/// Page allocation and free through a small VMO: create 64 KiB, map it,
/// fault in its 16 pages, unmap, close; per page.
fn alloc_free(root: Handle) -> u64 {
    median_ns_per_unit(BATCHES, 64, SMALL_PAGES as u64, |_| {
        let m = MappedVmo::new(root, SMALL_PAGES * PAGE);
        for page in 0..SMALL_PAGES {
            m.touch(page);
        }
        m.release();
    })
}

fn main(root: Handle) -> i64 {
    el0_tests::prefault_stack();
    let total_pages = zx::kernel_stats()[stats::TOTAL_PAGES];
    let mut t = Table::new("scaling_costs");
    t.keyed_row(
        "allocfree_empty",
        "alloc+free per page, 16-page VMO, mem empty",
        alloc_free(root),
        5_290,
    );

    let small = MappedVmo::new(root, fault_span(1024));
    let (ns, _) = fault_after(&small, 1024);
    small.release();
    t.keyed_row(
        "fault_after_1k",
        "fault, 1 K pages already committed",
        ns,
        3_260,
    );

    const N: usize = 256 * 1024;
    let big_len = total_pages as usize * PAGE;
    if fault_span(N) >= big_len {
        zx::println!(
            "scaling_costs: needs more than 1 GiB of RAM (have {} pages); boot with --mem 2G",
            total_pages
        );
        return 1;
    }
    let big = MappedVmo::new(root, big_len);
    let (ns, mut next) = fault_after(&big, N);
    t.keyed_row(
        "fault_after_256k",
        "fault, 256 K pages already committed",
        ns,
        3_270,
    );

    // Commit the rest of memory but HEADROOM_PAGES, through the same VMO.
    while zx::free_pages() > HEADROOM_PAGES {
        for page in next..next + 256 {
            assert!(
                page * PAGE < big_len,
                "the whole VMO is committed and memory is not full"
            );
            big.touch(page);
        }
        next += 256;
    }
    zx::println!(
        "benchinfo: zkernel nearly full: {} MiB committed, {} MiB free",
        (next * PAGE) >> 20,
        (zx::free_pages() * PAGE as u64) >> 20
    );
    t.keyed_row(
        "allocfree_full",
        "alloc+free per page, 16-page VMO, mem full",
        alloc_free(root),
        5_370,
    );
    big.release();
    t.finish();
    0
}

zx::entry!(main);
