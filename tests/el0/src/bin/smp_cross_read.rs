//! Copies between two VMOs through each other's mappings, in both
//! directions at once: the lock-order test. VMOs A and B have `4 * K` pages
//! each, both mapped; their first `K` pages hold fixed patterns. At once:
//! - thread 0: DECOMMIT B[K, 2K), then `zx_vmo_read(A[0, K))` into the
//!   mapping of B at K (the copy must fault in B while reading A);
//! - thread 1: the mirror image, B into the mapping of A;
//! - thread 2: DECOMMIT A[2K, 3K), then `zx_vmo_write(A at 2K)` from the
//!   mapping of B's first K pages;
//! - thread 3: the mirror image, into B from the mapping of A;
//! - thread 4: `zx_vmo_read(A[0, K))` into A's own mapping at 3K (the
//!   kernel cannot lock A twice) and the same for B.
//!
//! Checked: it finishes (a lock-order deadlock would hang it until the
//! runner's time limit kills it), every call returns OK, each thread reads
//! its destination back through the mapping and finds exactly the source's
//! pattern, and every page is back at the end.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use el0_tests::smp::{rounds, Barrier, Group};
use el0_tests::{
    assert_no_leak, close, op_range, prefault_stack, touch_stack, vmo, write, zx, Mapping, PAGE, RW,
};
use zx::{vmo_op as op, Handle};

const K: usize = 4;
const LEN: usize = K * PAGE;
const THREADS: usize = 5;

static VMOS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static ADDRS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static START: Barrier = Barrier::new(THREADS as u32);
static COPIES: AtomicU64 = AtomicU64::new(0);
static CORES: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// The byte at `off` of VMO `which`'s first K pages.
fn pattern(which: usize, off: usize) -> u8 {
    (off / 8 * 13 + which * 0x55 + 1) as u8
}

/// The u64 at 8-aligned `off` of the pattern.
fn pattern_u64(which: usize, off: usize) -> u64 {
    let mut b = [0u8; 8];
    for (i, x) in b.iter_mut().enumerate() {
        *x = pattern(which, off + i);
    }
    u64::from_le_bytes(b)
}

fn vmo_h(which: usize) -> Handle {
    VMOS[which].load(Ordering::Relaxed) as Handle
}

fn addr(which: usize) -> usize {
    ADDRS[which].load(Ordering::Relaxed) as usize
}

/// A mutable view of `LEN` bytes of VMO `which`'s mapping at `at`, handed
/// only to the kernel as a copy buffer.
fn buf_mut(which: usize, at: usize) -> &'static mut [u8] {
    // SAFETY: the mapping (4K pages) lives until every thread is joined;
    // each region [at, at + LEN) is the destination of exactly one thread,
    // and Rust code never reads it through this slice (the checks use
    // volatile loads), so the kernel's writes alias nothing Rust assumes.
    unsafe { core::slice::from_raw_parts_mut((addr(which) + at) as *mut u8, LEN) }
}

/// A view of the fixed first K pages of VMO `which`'s mapping.
fn buf(which: usize) -> &'static [u8] {
    // SAFETY: those pages are written before the threads start and never
    // again, and the mapping lives until every thread is joined.
    unsafe { core::slice::from_raw_parts(addr(which) as *const u8, LEN) }
}

/// Asserts the mapping of `which` holds the pattern of `source` at `at`.
#[track_caller]
fn check(which: usize, at: usize, source: usize, what: &str, round: u64) {
    for off in (0..LEN).step_by(8) {
        // SAFETY: inside the mapping, 8-aligned; see `buf_mut`.
        let v = unsafe { core::ptr::read_volatile((addr(which) + at + off) as *const u64) };
        assert_eq!(
            v,
            pattern_u64(source, off),
            "round {round}: {what}: byte offset {off:#x} of the copy"
        );
    }
    COPIES.fetch_add(1, Ordering::Relaxed);
}

#[track_caller]
fn ok(r: zx::Status, what: &str) {
    if let Err(e) = r {
        panic!("{what}: {}", e.name());
    }
}

fn worker(t: usize) {
    touch_stack();
    START.wait();
    for round in 0..rounds(150) {
        match t {
            // Read one VMO into the other's mapping, each way.
            0 | 1 => {
                let (src, dst) = (t, 1 - t);
                ok(
                    op_range(vmo_h(dst), op::DECOMMIT, LEN as u64, LEN as u64),
                    "DECOMMIT",
                );
                ok(
                    zx::vmo_read(vmo_h(src), buf_mut(dst, LEN), 0),
                    "vmo_read into the other's mapping",
                );
                check(dst, LEN, src, "vmo_read into the other's mapping", round);
            }
            // Write one VMO from the other's mapping, each way.
            2 | 3 => {
                let (dst, src) = (t - 2, 3 - t);
                ok(
                    op_range(vmo_h(dst), op::DECOMMIT, 2 * LEN as u64, LEN as u64),
                    "DECOMMIT",
                );
                ok(
                    zx::vmo_write(vmo_h(dst), buf(src), 2 * LEN as u64),
                    "vmo_write from the other's mapping",
                );
                check(
                    dst,
                    2 * LEN,
                    src,
                    "vmo_write from the other's mapping",
                    round,
                );
            }
            // Into the VMO's own mapping.
            _ => {
                for which in 0..2 {
                    ok(
                        zx::vmo_read(vmo_h(which), buf_mut(which, 3 * LEN), 0),
                        "vmo_read into its own mapping",
                    );
                    check(
                        which,
                        3 * LEN,
                        which,
                        "vmo_read into its own mapping",
                        round,
                    );
                }
            }
        }
    }
}

fn main(root: Handle) -> i64 {
    prefault_stack();
    assert_no_leak("smp_cross_read", || {
        let mut maps = [const { None }; 2];
        for which in 0..2 {
            let h = vmo(4 * LEN as u64, 0);
            let mut page = [0u8; PAGE];
            for p in 0..K {
                for (i, b) in page.iter_mut().enumerate() {
                    *b = pattern(which, p * PAGE + i);
                }
                write(h, &page, (p * PAGE) as u64);
            }
            let m = Mapping::new(root, h, 4 * LEN, RW);
            VMOS[which].store(u64::from(h), Ordering::Relaxed);
            ADDRS[which].store(m.addr as u64, Ordering::Relaxed);
            maps[which] = Some(m);
        }
        let mut threads = Group::new();
        threads.spawn_n("copier", THREADS, worker);
        CORES.store(threads.join(), Ordering::Relaxed);
        for (which, m) in maps.iter_mut().enumerate() {
            check(which, 0, which, "the source pages afterwards", 0);
            if let Some(m) = m.take() {
                m.unmap();
            }
            close(vmo_h(which));
        }
    });
    zx::println!(
        "smp_cross_read: {THREADS} threads (last on {} cores) copied A into B's mapping and B into A's at once (read and write, and into their own): no deadlock",
        CORES.load(Ordering::Relaxed)
    );
    zx::println!(
        "smp_cross_read: all {} copies read back exactly their source's bytes",
        COPIES.load(Ordering::Relaxed) - 2
    );
    zx::println!("smp_cross_read: every page back after unmap and close");
    0
}

zx::entry!(main);
