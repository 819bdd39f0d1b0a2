//! Concurrent first touches: in every round `THREADS` threads leave a start
//! barrier together and touch the same fresh pages of one mapped VMO in the
//! same order, so that several cores fault on one page at once. Half the
//! threads read first, half write first; every thread writes its own u64
//! slot in each page. Then, after a second barrier, every thread reads every
//! slot of every page.
//!
//! Checked: no thread is killed (a racing fault that finds the page already
//! mapped is not an error); the VMO holds exactly one page per page touched
//! (`committed_bytes`, and the free-page drop is those pages plus at most
//! the page tables); every thread reads the same bytes, every other thread's
//! write included (two frames for one page would lose some of them); and
//! every page is back after unmap and close.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicUsize, Ordering};
use el0_tests::smp::{rounds, Barrier, Group};
use el0_tests::{
    assert_no_leak, close, committed, free_pages, prefault_stack, touch_stack, vmo, zx, Mapping,
    PAGE, RW,
};
use zx::Handle;

const THREADS: usize = 4;
const PAGES: usize = 16;
/// Page tables a 16-page mapping may need (levels 1 to 3 of a fresh range).
const MAX_TABLE_PAGES: u64 = 3;

/// The round's mapping address, published by the main thread before the
/// start barrier.
static ADDR: AtomicUsize = AtomicUsize::new(0);
static READY: Barrier = Barrier::new(THREADS as u32 + 1);
static START: Barrier = Barrier::new(THREADS as u32 + 1);
static WROTE: Barrier = Barrier::new(THREADS as u32);
static CHECKED: Barrier = Barrier::new(THREADS as u32 + 1);

/// The value thread `t` writes into page `p` in round `r`.
fn value(r: u64, t: usize, p: usize) -> u64 {
    0x5afe_0000_0000_0000 | (r << 24) | ((t as u64) << 16) | p as u64
}

fn slot(p: usize, t: usize) -> usize {
    p * PAGE + t * 8
}

/// Reads a u64 of the mapping (the caller keeps `off` inside it).
fn load(addr: usize, off: usize) -> u64 {
    // SAFETY: `addr` is the round's mapping of PAGES pages, alive until the
    // main thread has passed CHECKED; `off` is inside it and 8-aligned.
    unsafe { core::ptr::read_volatile((addr + off) as *const u64) }
}

fn store(addr: usize, off: usize, v: u64) {
    // SAFETY: as in `load`; no Rust reference points into the mapping.
    unsafe { core::ptr::write_volatile((addr + off) as *mut u64, v) }
}

fn toucher(t: usize) {
    // The stack's pages are committed before any round counts pages.
    touch_stack();
    READY.wait();
    let mut r = 0;
    loop {
        START.wait();
        let addr = ADDR.load(Ordering::Acquire);
        if addr == 0 {
            return;
        }
        for p in 0..PAGES {
            if t.is_multiple_of(2) {
                // A read fault first: the page must read zero.
                let v = load(addr, slot(p, t));
                assert_eq!(v, 0, "round {r}: thread {t}: fresh page {p} reads {v:#x}");
            }
            store(addr, slot(p, t), value(r, t, p));
        }
        WROTE.wait();
        for p in 0..PAGES {
            for other in 0..THREADS {
                let v = load(addr, slot(p, other));
                assert_eq!(
                    v,
                    value(r, other, p),
                    "round {r}: thread {t} reads thread {other}'s slot of page {p}"
                );
            }
            let spare = load(addr, p * PAGE + PAGE - 8);
            assert_eq!(
                spare, 0,
                "round {r}: thread {t}: untouched word of page {p}"
            );
        }
        CHECKED.wait();
        r += 1;
    }
}

fn main(root: Handle) -> i64 {
    prefault_stack();
    let n = rounds(24);
    let mut max_drop = 0;
    let mut cores = 0;
    assert_no_leak("smp_first_touch", || {
        let mut threads = Group::new();
        threads.spawn_n("toucher", THREADS, toucher);
        READY.wait();
        for _ in 0..n {
            assert_no_leak("one round", || {
                let h = vmo((PAGES * PAGE) as u64, 0);
                let m = Mapping::new(root, h, PAGES * PAGE, RW);
                let before = free_pages();
                ADDR.store(m.addr, Ordering::Release);
                START.wait();
                CHECKED.wait();
                let dropped = before - free_pages();
                assert_eq!(
                    committed(h),
                    (PAGES * PAGE) as u64,
                    "committed bytes after {THREADS} threads touched {PAGES} pages"
                );
                assert!(
                    (PAGES as u64..=PAGES as u64 + MAX_TABLE_PAGES).contains(&dropped),
                    "free pages dropped by {dropped} for {PAGES} pages"
                );
                max_drop = max_drop.max(dropped);
                m.unmap();
                close(h);
            });
        }
        ADDR.store(0, Ordering::Release);
        START.wait();
        cores = threads.join();
    });
    zx::println!(
        "smp_first_touch: {n} rounds of {THREADS} threads (last on {cores} cores) racing on {PAGES} fresh pages: no thread killed"
    );
    zx::println!(
        "smp_first_touch: exactly one page committed per page ({PAGES} pages, free pages down by at most {max_drop})"
    );
    zx::println!(
        "smp_first_touch: every thread read the same bytes, every other thread's writes included"
    );
    zx::println!("smp_first_touch: every page back after unmap and close");
    0
}

zx::entry!(main);
