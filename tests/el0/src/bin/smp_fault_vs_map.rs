//! Faults racing mapping changes in one address space. In every round
//! `FAULTERS` threads fault pages of one mapping over and over: each owns
//! `SHARE` pages of it, reads or writes each, writes a tagged word and
//! reads it back, then decommits the next faulter's pages (which that one
//! may be touching that moment) and starts again. Meanwhile a mapper thread of the same process makes
//! `CYCLES` small mappings of other VMOs in the same root VMAR: it maps,
//! writes and reads one, protects it read-only and reads, protects it back
//! and writes, and unmaps it. When the mapper is done the faulters stop.
//!
//! Faults share the address space's mappings lock; map, protect and unmap
//! take it alone, and a decommit reaches the faulting threads' entries
//! through the VMO. Checked: no thread is killed; every read returns zero
//! (decommitted) or a word its writer wrote, and never an older pass's
//! word once the page was written in this pass unless it was zeroed in
//! between (a read through a stale entry of a decommitted page, or of a
//! frame given to another page, finds another word); the mapper's
//! pages read what it wrote, through every protect; every round ends (the
//! mapper's changes get the lock while the faults go on: a mapper shut out
//! for good would run the program into its time limit); the VMO holds at
//! most the faulters' pages at the end; and every page is back after unmap
//! and close.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use el0_tests::smp::{rounds, Barrier, Group};
use el0_tests::{
    assert_no_leak, close, committed, op_range, prefault_stack, touch_stack, vmo, zx, Mapping,
    PAGE, RW,
};
use zx::{vm_opt, vmo_op, Handle};

const FAULTERS: usize = 3;
/// Pages each faulter owns.
const SHARE: usize = 64;
const PAGES: usize = FAULTERS * SHARE;
/// The mapper's mappings per round, and their size in pages.
const CYCLES: u64 = 12;
const SMALL: usize = 4;

/// The round's mapping and VMO, published before the start barrier (0: the
/// program is done).
static ADDR: AtomicUsize = AtomicUsize::new(0);
static VMO: AtomicUsize = AtomicUsize::new(0);
static ROOT: AtomicUsize = AtomicUsize::new(0);
/// Set by the mapper when its cycles are done.
static STOP: AtomicBool = AtomicBool::new(false);
/// Passes over their pages the faulters made, all rounds together.
static PASSES: AtomicU64 = AtomicU64::new(0);
static READY: Barrier = Barrier::new(FAULTERS as u32 + 2);
static START: Barrier = Barrier::new(FAULTERS as u32 + 2);
static DONE: Barrier = Barrier::new(FAULTERS as u32 + 2);

/// The word faulter `t` writes into its page `p` on pass `pass`.
fn tag(t: usize, p: usize, pass: u64) -> u64 {
    0xfa17_0000_0000_0000 | (pass << 20) | ((t as u64) << 12) | p as u64
}

fn load(addr: usize) -> u64 {
    // SAFETY: `addr` lies in the round's mapping, which the main thread
    // unmaps only after DONE, and is 8-aligned.
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

fn store(addr: usize, v: u64) {
    // SAFETY: as in `load`; no Rust reference points into the mapping.
    unsafe { core::ptr::write_volatile(addr as *mut u64, v) }
}

fn faulter(t: usize) {
    touch_stack();
    READY.wait();
    loop {
        START.wait();
        let base = ADDR.load(Ordering::Acquire);
        if base == 0 {
            return;
        }
        let vmo = VMO.load(Ordering::Acquire) as Handle;
        let first = t * SHARE;
        let mut pass = 0u64;
        while !STOP.load(Ordering::Acquire) {
            for p in 0..SHARE {
                let word = base + (first + p) * PAGE + t * 8;
                if p % 2 == 0 {
                    // A read fault first: zero, or an earlier pass's word.
                    let v = load(word);
                    assert!(
                        v == 0 || (0..pass).any(|q| v == tag(t, p, q)),
                        "faulter {t}: pass {pass}: page {p} reads {v:#x} before the write"
                    );
                }
                store(word, tag(t, p, pass));
                let v = load(word);
                assert!(
                    v == tag(t, p, pass) || v == 0,
                    "faulter {t}: pass {pass}: page {p} reads back {v:#x}"
                );
            }
            for p in 0..SHARE {
                let v = load(base + (first + p) * PAGE + t * 8);
                assert!(
                    v == tag(t, p, pass) || v == 0,
                    "faulter {t}: pass {pass}: page {p} later reads {v:#x}"
                );
            }
            let next = (t + 1) % FAULTERS * SHARE;
            let status = op_range(
                vmo,
                vmo_op::DECOMMIT,
                (next * PAGE) as u64,
                (SHARE * PAGE) as u64,
            );
            assert_eq!(
                status,
                Ok(()),
                "faulter {t}: decommit of the next one's pages"
            );
            pass += 1;
        }
        PASSES.fetch_add(pass, Ordering::Relaxed);
        DONE.wait();
    }
}

/// One small mapping's life: map, write, read; read-only, read; writable,
/// write, read; unmap.
fn cycle(root: Handle, c: u64) {
    let h = vmo((SMALL * PAGE) as u64, 0);
    let m = Mapping::new(root, h, SMALL * PAGE, RW);
    for p in 0..SMALL {
        m.write_u64(p * PAGE, c << 8 | p as u64);
    }
    let len = SMALL * PAGE;
    assert_eq!(
        zx::vmar_protect(root, vm_opt::PERM_READ, m.addr, len),
        Ok(()),
        "protect read-only"
    );
    for p in 0..SMALL {
        assert_eq!(
            m.read_u64(p * PAGE),
            c << 8 | p as u64,
            "cycle {c}: read-only page {p}"
        );
    }
    assert_eq!(
        zx::vmar_protect(root, RW, m.addr, len),
        Ok(()),
        "protect writable"
    );
    for p in 0..SMALL {
        m.write_u64(p * PAGE + 8, !c);
        assert_eq!(
            m.read_u64(p * PAGE + 8),
            !c,
            "cycle {c}: writable again, page {p}"
        );
    }
    m.unmap();
    close(h);
}

fn mapper(_: usize) {
    touch_stack();
    READY.wait();
    loop {
        START.wait();
        if ADDR.load(Ordering::Acquire) == 0 {
            return;
        }
        let root = ROOT.load(Ordering::Relaxed) as Handle;
        for c in 0..CYCLES {
            cycle(root, c);
        }
        STOP.store(true, Ordering::Release);
        DONE.wait();
    }
}

fn main(root: Handle) -> i64 {
    prefault_stack();
    let n = rounds(4);
    let mut cores = 0;
    ROOT.store(root as usize, Ordering::Relaxed);
    assert_no_leak("smp_fault_vs_map", || {
        let mut threads = Group::new();
        threads.spawn_n("faulter", FAULTERS, faulter);
        threads.spawn("mapper", mapper, 0);
        READY.wait();
        for _ in 0..n {
            assert_no_leak("one round", || {
                let h = vmo((PAGES * PAGE) as u64, 0);
                let m = Mapping::new(root, h, PAGES * PAGE, RW);
                STOP.store(false, Ordering::Relaxed);
                VMO.store(h as usize, Ordering::Relaxed);
                ADDR.store(m.addr, Ordering::Release);
                START.wait();
                DONE.wait();
                let held = committed(h);
                assert!(
                    held <= (PAGES * PAGE) as u64,
                    "the VMO holds {held} bytes, more than its {PAGES} pages"
                );
                m.unmap();
                close(h);
            });
        }
        ADDR.store(0, Ordering::Release);
        START.wait();
        cores = threads.join();
    });
    let passes = PASSES.load(Ordering::Relaxed);
    zx::println!(
        "smp_fault_vs_map: {n} rounds: {FAULTERS} threads faulting and decommitting {SHARE} pages each ({passes} passes) while one thread made {CYCLES} mappings per round (last on {cores} cores): no thread killed"
    );
    zx::println!(
        "smp_fault_vs_map: every read was zero or a word its writer wrote; the mapper's pages kept their bytes through protect"
    );
    zx::println!("smp_fault_vs_map: every page back after unmap and close");
    0
}

zx::entry!(main);
