//! Benchmark: costs that should not grow with the number of objects a
//! program holds, each printed as a pair of figures and their ratio
//! (instructions under `-icount shift=0,sleep=off`; scripts/bench.sh boots
//! it with -smp 1 -m 1G):
//! - map+unmap of one page at a kernel-chosen address, with 1 and with
//!   10 000 other one-page mappings in the root VMAR (choosing the address
//!   must not walk the mappings);
//! - first-touch fault per page, with 1 and with 10 000 mappings;
//! - `zx_vmo_create` 4 KiB + a 1-byte write + close, 64 created before they
//!   are closed (more than the heap's cache of freed blocks absorbs), on a
//!   fresh kernel heap and on one fragmented by closing every other one of
//!   10 000 such VMOs (freeing must not scan a free list);
//! - closing a 10 000-deep snapshot chain (each VMO a snapshot of the one
//!   before, per close) leaf first, root first and interleaved (every even
//!   link, then every odd one): the worst order against the best;
//! - kernel heap bytes per one-page mapping and per handle, and whether
//!   100 000 one-page mappings fit (the kernel heap is 1/32nd of RAM: 32 MiB
//!   on a 1 GiB board).
//!
//! Output: a `bench:` table and `benchrow: KEY VALUE` lines; the ratios are
//! also printed as `benchratio: KEY X.YY TARGET` lines.
#![no_std]
#![no_main]

use el0_tests::bench::{benchrow, median_ns_per_op, median_ns_per_unit, ticks_to_ns};
use el0_tests::zx::{self, child_opt, stats, Handle};
use el0_tests::{PAGE, RW};

const BATCHES: usize = 7;
/// Objects held while measuring the "many" figures.
const MANY: usize = 10_000;
/// The mapping count that must fit in the heap of a 1 GiB board.
const HUGE: usize = 100_000;
/// Pages faulted in per fault sample.
const FAULT_PAGES: usize = 256;

fn heap_used() -> u64 {
    zx::kernel_stats()[stats::HEAP_USED_BYTES]
}

/// A scratch array of `n` words in a VMO of its own (the stack is too small
/// for 100 000 addresses).
struct Words {
    vmo: Handle,
    base: usize,
    len: usize,
}

impl Words {
    fn new(n: usize) -> Self {
        let len = (n * 8).div_ceil(PAGE) * PAGE;
        let vmo = zx::vmo_create(len as u64, 0).expect("vmo_create");
        let base = zx::vmar_map(zx::root_vmar(), RW, 0, vmo, 0, len).expect("map words");
        // Commit it now: its faults are not what is measured.
        for off in (0..len).step_by(PAGE) {
            // SAFETY: inside the mapping just made.
            unsafe { ((base + off) as *mut u8).write_volatile(0) };
        }
        Self { vmo, base, len }
    }

    fn set(&self, i: usize, v: usize) {
        assert!(i * 8 < self.len);
        // SAFETY: inside the mapping, aligned.
        unsafe { ((self.base + i * 8) as *mut usize).write_volatile(v) }
    }

    fn get(&self, i: usize) -> usize {
        assert!(i * 8 < self.len);
        // SAFETY: inside the mapping, aligned.
        unsafe { ((self.base + i * 8) as *const usize).read_volatile() }
    }

    fn release(self) {
        zx::vmar_unmap(zx::root_vmar(), self.base, self.len).expect("unmap words");
        zx::handle_close(self.vmo).expect("close words");
    }
}

/// Map + unmap of one page of `vmo` at a kernel-chosen address.
fn map_unmap(root: Handle, vmo: Handle) -> u64 {
    median_ns_per_op(BATCHES, 100, |_| {
        let a = zx::vmar_map(root, RW, 0, vmo, 0, PAGE).expect("map");
        zx::vmar_unmap(root, a, PAGE).expect("unmap");
    })
}

/// First touch per page of a fresh `FAULT_PAGES`-page VMO mapped anywhere.
fn fault(root: Handle) -> u64 {
    let mut samples = [0u64; BATCHES];
    for s in samples.iter_mut() {
        let len = FAULT_PAGES * PAGE;
        let vmo = zx::vmo_create(len as u64, 0).expect("vmo_create");
        let base = zx::vmar_map(root, RW, 0, vmo, 0, len).expect("map");
        let t0 = zx::counter();
        for page in 0..FAULT_PAGES {
            // SAFETY: inside the mapping just made.
            unsafe { ((base + page * PAGE) as *mut u8).write_volatile(1) };
        }
        *s = ticks_to_ns(zx::counter() - t0) / FAULT_PAGES as u64;
        zx::vmar_unmap(root, base, len).expect("unmap");
        zx::handle_close(vmo).expect("close");
    }
    samples.sort_unstable();
    samples[BATCHES / 2]
}

/// VMOs created (each with one page written) before any is closed, in
/// `create_close`: more than the heap's per-size cache of freed blocks
/// holds, so that the frees reach the allocator behind it.
const BURST: usize = 64;

/// `zx_vmo_create` 4 KiB + a 1-byte write + close, `BURST` created before
/// they are closed; per VMO.
fn create_close() -> u64 {
    let mut held = [0 as Handle; BURST];
    median_ns_per_unit(BATCHES, 8, BURST as u64, |_| {
        for h in held.iter_mut() {
            *h = zx::vmo_create(4096, 0).expect("vmo_create");
            zx::vmo_write(*h, &[1], 0).expect("write");
        }
        for h in held {
            zx::handle_close(h).expect("close");
        }
    })
}

/// How a snapshot chain is closed.
#[derive(Clone, Copy)]
enum Order {
    LeafFirst,
    RootFirst,
    /// Every even link (root first), then every odd one.
    Interleaved,
}

/// Builds a `MANY`-deep chain of snapshots of a one-page VMO with its page
/// committed, closes it in `order`, and returns ns per close.
fn chain_close(chain: &Words, order: Order) -> u64 {
    let root = zx::vmo_create(PAGE as u64, 0).expect("vmo_create");
    zx::vmo_write(root, &[7u8; 16], 0).expect("write");
    chain.set(0, root as usize);
    for i in 1..MANY {
        let parent = chain.get(i - 1) as Handle;
        let child =
            zx::vmo_create_child(parent, child_opt::SNAPSHOT, 0, PAGE as u64).expect("snapshot");
        chain.set(i, child as usize);
    }
    let close = |i: usize| zx::handle_close(chain.get(i) as Handle).expect("close link");
    let t0 = zx::counter();
    match order {
        Order::LeafFirst => (0..MANY).rev().for_each(close),
        Order::RootFirst => (0..MANY).for_each(close),
        Order::Interleaved => {
            (0..MANY).step_by(2).for_each(close);
            (1..MANY).step_by(2).for_each(close);
        }
    }
    ticks_to_ns(zx::counter() - t0) / MANY as u64
}

/// Prints `bench:` and `benchratio:` lines for `many / few` (x100).
fn ratio(key: &str, what: &str, few: u64, many: u64, target_x100: u64) -> u64 {
    let r = many * 100 / few.max(1);
    zx::println!(
        "bench: {:<52} {:>9} {:>9} {:>3}.{:02} (target <= {}.{:02})",
        what,
        few,
        many,
        r / 100,
        r % 100,
        target_x100 / 100,
        target_x100 % 100
    );
    zx::println!(
        "benchratio: {} {}.{:02} {}.{:02}",
        key,
        r / 100,
        r % 100,
        target_x100 / 100,
        target_x100 % 100
    );
    r
}

fn main(root: Handle) -> i64 {
    el0_tests::prefault_stack();
    zx::println!("bench: bench_scaling: figures in ns (= instructions under -icount shift=0)");
    zx::println!(
        "bench: {:<52} {:>9} {:>9} {:>7}",
        "operation",
        "few",
        "many",
        "ratio"
    );
    let page = zx::vmo_create(PAGE as u64, 0).expect("vmo_create");
    let addrs = Words::new(HUGE);

    // ---- heap per handle, first: later phases grow the handle table ----
    let heap0 = heap_used();
    for i in 0..MANY {
        addrs.set(
            i,
            zx::handle_duplicate(page, zx::rights::SAME_RIGHTS).expect("dup") as usize,
        );
    }
    let per_handle = (heap_used() - heap0) / MANY as u64;
    for i in 0..MANY {
        zx::handle_close(addrs.get(i) as Handle).expect("close dup");
    }

    // ---- few objects ----
    let map_few = map_unmap(root, page);
    let fault_few = fault(root);
    let create_fresh = create_close();

    // ---- 10 000 mappings ----
    let heap0 = heap_used();
    for i in 0..MANY {
        addrs.set(
            i,
            zx::vmar_map(root, RW, 0, page, 0, PAGE).expect("map many"),
        );
    }
    let per_mapping = (heap_used() - heap0) / MANY as u64;
    let map_many = map_unmap(root, page);
    let fault_many = fault(root);
    for i in 0..MANY {
        zx::vmar_unmap(root, addrs.get(i), PAGE).expect("unmap many");
    }

    // ---- a fragmented heap: every other one of 10 000 VMOs closed ----
    for i in 0..MANY {
        let h = zx::vmo_create(4096, 0).expect("vmo_create many");
        zx::vmo_write(h, &[1], 0).expect("write");
        addrs.set(i, h as usize);
    }
    for i in (0..MANY).step_by(2) {
        zx::handle_close(addrs.get(i) as Handle).expect("close");
    }
    let create_frag = create_close();
    for i in (1..MANY).step_by(2) {
        zx::handle_close(addrs.get(i) as Handle).expect("close");
    }

    // ---- snapshot chains ----
    let leaf_first = chain_close(&addrs, Order::LeafFirst);
    let root_first = chain_close(&addrs, Order::RootFirst);
    let interleaved = chain_close(&addrs, Order::Interleaved);

    // ---- 100 000 one-page mappings ----
    let mut made = 0;
    let mut failure = None;
    while made < HUGE {
        match zx::vmar_map(root, RW, 0, page, 0, PAGE) {
            Ok(a) => addrs.set(made, a),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        made += 1;
    }
    for i in 0..made {
        zx::vmar_unmap(root, addrs.get(i), PAGE).expect("unmap huge");
    }
    addrs.release();
    zx::handle_close(page).expect("close");

    ratio(
        "map_unmap",
        "map+unmap 1 page, 1 vs 10 000 mappings",
        map_few,
        map_many,
        150,
    );
    ratio(
        "fault_mappings",
        "first-touch fault/page, 1 vs 10 000 mappings",
        fault_few,
        fault_many,
        115,
    );
    ratio(
        "create_close_heap",
        "vmo create+write+close x64, fresh vs fragmented heap",
        create_fresh,
        create_frag,
        120,
    );
    let best = leaf_first.min(root_first).min(interleaved);
    let worst = leaf_first.max(root_first).max(interleaved);
    zx::println!(
        "bench: snapshot chain close/link: leaf first {}, root first {}, interleaved {}",
        leaf_first,
        root_first,
        interleaved
    );
    ratio(
        "chain_close",
        "10 000-deep snapshot chain close, best vs worst order",
        best,
        worst,
        200,
    );
    zx::println!(
        "bench: kernel heap bytes per one-page mapping {}, per handle {}",
        per_mapping,
        per_handle
    );
    zx::println!(
        "bench: one-page mappings made of {}: {} ({})",
        HUGE,
        made,
        failure.map_or("ok", |e| e.name())
    );
    for (key, v) in [
        ("map_unmap_1", map_few),
        ("map_unmap_10k", map_many),
        ("fault_maps_1", fault_few),
        ("fault_maps_10k", fault_many),
        ("create_close_fresh", create_fresh),
        ("create_close_frag", create_frag),
        ("chain_close_leaf_first", leaf_first),
        ("chain_close_root_first", root_first),
        ("chain_close_interleaved", interleaved),
        ("heap_per_mapping", per_mapping),
        ("heap_per_handle", per_handle),
        ("mappings_100k_made", made as u64),
    ] {
        benchrow(key, v);
    }
    zx::println!("bench: bench_scaling done");
    0
}

zx::entry!(main);
