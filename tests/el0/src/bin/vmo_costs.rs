//! Benchmark: the cost of the basic VMO operations, as counter ticks per
//! operation converted to nanoseconds. Under QEMU with `-icount
//! shift=0,sleep=off` one nanosecond is one instruction, so the figures are
//! instruction counts (scripts/bench.sh runs it that way). Each figure is the
//! median of several batches. Besides the human-readable `bench:` table it
//! prints `benchrow: KEY NS` lines, which scripts/bench.sh joins with the
//! Linux peer's (bench/linux-peer) by KEY.
#![no_std]
#![no_main]

use el0_tests::bench::{median_ns_per_op, Table};
use el0_tests::zx::{self, vm_opt, Handle};

const BATCHES: usize = 7;

fn null_syscall() -> u64 {
    median_ns_per_op(BATCHES, 2000, |_| {
        let _ = zx::handle_close(zx::ZX_HANDLE_INVALID);
    })
}

fn create_close(size: u64) -> u64 {
    median_ns_per_op(BATCHES, 500, |_| {
        let h = zx::vmo_create(size, 0).expect("vmo_create");
        zx::handle_close(h).expect("close");
    })
}

/// A 4 KiB VMO made, mapped, unmapped and closed, no page touched: the
/// nearest equal of Linux's anonymous `mmap` + `munmap`.
fn map_cycle(root: Handle) -> u64 {
    let rw = vm_opt::PERM_READ | vm_opt::PERM_WRITE;
    median_ns_per_op(BATCHES, 500, |_| {
        let vmo = zx::vmo_create(4096, 0).expect("vmo_create");
        let base = zx::vmar_map(root, rw, 0, vmo, 0, 4096).expect("map");
        zx::vmar_unmap(root, base, 4096).expect("unmap");
        zx::handle_close(vmo).expect("close");
    })
}

/// First touch of each page of a fresh 64 MiB mapping, per page.
fn first_touch(root: Handle) -> u64 {
    const SIZE: u64 = 64 << 20;
    const PAGES: u64 = SIZE / 4096;
    let mut samples = [0u64; 3];
    for s in samples.iter_mut() {
        let vmo = zx::vmo_create(SIZE, 0).expect("vmo_create");
        let rw = vm_opt::PERM_READ | vm_opt::PERM_WRITE;
        let base = zx::vmar_map(root, rw, 0, vmo, 0, SIZE as usize).expect("map");
        let t0 = zx::counter();
        for page in 0..PAGES {
            let p = (base + (page * 4096) as usize) as *mut u8;
            // SAFETY: the page lies inside the mapping made above.
            unsafe { p.write_volatile(1) };
        }
        let ticks = zx::counter() - t0;
        *s = el0_tests::bench::ticks_to_ns(ticks) / PAGES;
        zx::vmar_unmap(root, base, SIZE as usize).expect("unmap");
        zx::handle_close(vmo).expect("close");
    }
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// Reads one byte of every page of a committed 64 MiB mapping, in a
/// scattered order, per page: no faults, nearly every access a TLB miss
/// (with a stage-2 walk under the EL2 layer). The EL2 layer's cost on a
/// TLB-miss-heavy program (scripts/bench-hyp.sh); not a Linux row.
fn retouch(root: Handle) -> u64 {
    const SIZE: u64 = 64 << 20;
    const PAGES: u64 = SIZE / 4096;
    let vmo = zx::vmo_create(SIZE, 0).expect("vmo_create");
    zx::vmo_op_range(vmo, zx::vmo_op::COMMIT, 0, SIZE, &mut []).expect("commit");
    let base = zx::vmar_map(root, vm_opt::PERM_READ, 0, vmo, 0, SIZE as usize).expect("map");
    let read_all = || {
        let mut sum = 0u8;
        // A stride that is odd in pages visits every page once, far apart.
        for i in 0..PAGES {
            let page = (i * 4099) % PAGES;
            let p = (base + (page * 4096) as usize) as *const u8;
            // SAFETY: the page lies inside the mapping made above.
            sum = sum.wrapping_add(unsafe { p.read_volatile() });
        }
        core::hint::black_box(sum);
    };
    read_all(); // map every page first: later passes take no faults
    let mut samples = [0u64; 3];
    for s in samples.iter_mut() {
        let t0 = zx::counter();
        read_all();
        *s = el0_tests::bench::ticks_to_ns(zx::counter() - t0) / PAGES;
    }
    zx::vmar_unmap(root, base, SIZE as usize).expect("unmap");
    zx::handle_close(vmo).expect("close");
    samples.sort_unstable();
    samples[1]
}

fn write_4k() -> u64 {
    let vmo = zx::vmo_create(4096, 0).expect("vmo_create");
    let buf = [0x5au8; 4096];
    let ns = median_ns_per_op(BATCHES, 300, |_| {
        zx::vmo_write(vmo, &buf, 0).expect("write")
    });
    zx::handle_close(vmo).expect("close");
    ns
}

fn read_4k() -> u64 {
    let vmo = zx::vmo_create(4096, 0).expect("vmo_create");
    zx::vmo_write(vmo, &[1u8; 4096], 0).expect("write");
    let mut buf = [0u8; 4096];
    let ns = median_ns_per_op(BATCHES, 300, |_| {
        zx::vmo_read(vmo, &mut buf, 0).expect("read")
    });
    zx::handle_close(vmo).expect("close");
    ns
}

fn main(root: Handle) -> i64 {
    let mut t = Table::new("vmo_costs");
    t.keyed_row(
        "null_syscall",
        "null syscall (zx_handle_close(INVALID))",
        null_syscall(),
        475,
    );
    t.keyed_row(
        "create_4k",
        "zx_vmo_create 4 KiB + zx_handle_close",
        create_close(4096),
        11_000,
    );
    t.keyed_row(
        "map_cycle_4k",
        "zx_vmo_create 4 KiB + map + unmap + close",
        map_cycle(root),
        0,
    );
    t.keyed_row(
        "create_1t",
        "zx_vmo_create 1 TiB + zx_handle_close",
        create_close(1 << 40),
        11_000,
    );
    t.keyed_row(
        "fault_64m",
        "first-touch page fault (per page, 64 MiB)",
        first_touch(root),
        3_500,
    );
    t.keyed_row(
        "retouch_64m",
        "re-read of a mapped 64 MiB VMO (per page, TLB misses)",
        retouch(root),
        0,
    );
    t.keyed_row("write_4k", "zx_vmo_write 4 KiB", write_4k(), 3_200);
    t.keyed_row("read_4k", "zx_vmo_read 4 KiB", read_4k(), 2_700);
    t.finish();
    0
}

zx::entry!(main);
