//! Copy-on-write snapshots of a VMO that other threads are writing.
//!
//! `WRITERS` threads own `PAGES / WRITERS` pages each of a mapped parent
//! VMO. A writer rewrites its pages through the mapping again and again:
//! generation `g` of page `p` is the word `value(p, g)` stored into all 512
//! u64s of the page in address order, each store a release store (so any
//! observer that sees a word of generation `g` also sees every earlier word
//! of it), and then `g` is published as the page's finished generation.
//! Meanwhile the main thread takes `ZX_VMO_CHILD_SNAPSHOT` children.
//!
//! A snapshot is a copy of the parent at one instant of each page, so each
//! page of it must look like a page at some moment of its writer's loop:
//! - every word is `value(p, g)` for that page (tagged with the page);
//! - the page is a prefix of generation `g` followed by generation `g - 1`
//!   (the page being rewritten at that moment), or one generation whole;
//! - `g - 1` is at least the generation finished before the snapshot call,
//!   and `g` at most one past the generation finished after it returned;
//! - it does not change afterwards: read again after the writers have
//!   moved on (and a snapshot taken from it), it holds the same words.
//!
//! Every page is back when the snapshots and the parent are closed.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use el0_tests::smp::{rounds, Group};
use el0_tests::{
    assert_no_leak, child, close, prefault_stack, read, touch_stack, vmo, write, zx, Mapping, PAGE,
    RW,
};
use zx::{child_opt, Handle};

const WRITERS: usize = 4;
const PAGES: usize = 8;
const WORDS: usize = PAGE / 8;

static ADDR: AtomicU64 = AtomicU64::new(0);
static STOP: AtomicBool = AtomicBool::new(false);
/// The last generation written whole, per page.
static FINISHED: [AtomicU64; PAGES] = [const { AtomicU64::new(0) }; PAGES];

fn value(page: usize, g: u64) -> u64 {
    0xC0A0_0000_0000_0000 | ((page as u64) << 40) | g
}

fn generation_of(page: usize, v: u64) -> Option<u64> {
    let g = v & ((1 << 40) - 1);
    (value(page, g) == v).then_some(g)
}

fn writer(w: usize) {
    touch_stack();
    let base = ADDR.load(Ordering::Relaxed) as usize;
    while !STOP.load(Ordering::Acquire) {
        for page in (w..PAGES).step_by(WRITERS) {
            let g = FINISHED[page].load(Ordering::Relaxed) + 1;
            let v = value(page, g);
            for word in 0..WORDS {
                let p = (base + page * PAGE + word * 8) as *const AtomicU64;
                // SAFETY: the parent's mapping lives until every writer is
                // joined; the word is 8-aligned and only this writer
                // stores to this page.
                unsafe { (*p).store(v, Ordering::Release) };
            }
            FINISHED[page].store(g, Ordering::Release);
        }
    }
}

/// One page as it is at an instant: generation `first` in words
/// `[0, split)` and `first - 1` after them.
type Shape = (u64, usize);

/// Checks one snapshot page: every word this page's, a prefix of one
/// generation and the rest of the one before, within `[before, after + 1]`.
fn check_page(snap: usize, page: usize, words: &[u64], before: u64, after: u64) -> Shape {
    let first = generation_of(page, words[0]).unwrap_or_else(|| {
        panic!(
            "snapshot {snap} page {page}: word 0 is {:#x}, not this page's",
            words[0]
        )
    });
    let mut split = words.len();
    for (i, &v) in words.iter().enumerate() {
        let g = generation_of(page, v).unwrap_or_else(|| {
            panic!("snapshot {snap} page {page}: word {i} is {v:#x}, never written there")
        });
        let expected = if i < split { first } else { first - 1 };
        if g != expected && i < split && g + 1 == first {
            split = i;
            continue;
        }
        assert_eq!(
            g, expected,
            "snapshot {snap} page {page}: word {i} is generation {g} (word 0 is {first}): not one instant of the page"
        );
    }
    let oldest = if split < words.len() {
        first - 1
    } else {
        first
    };
    assert!(
        oldest >= before,
        "snapshot {snap} page {page}: holds generation {oldest}, older than {before}, finished before the snapshot"
    );
    assert!(
        first <= after + 1,
        "snapshot {snap} page {page}: holds generation {first}, newer than {after} + 1 after it"
    );
    (first, split)
}

/// Reads and checks every page of snapshot `h`.
fn shapes(snap: usize, h: Handle, before: &[u64; PAGES], after: &[u64; PAGES]) -> [Shape; PAGES] {
    let mut out = [(0, 0); PAGES];
    let mut buf = [0u8; PAGE];
    let mut words = [0u64; WORDS];
    for (page, shape) in out.iter_mut().enumerate() {
        read(h, &mut buf, (page * PAGE) as u64);
        for (w, b) in words.iter_mut().zip(buf.chunks_exact(8)) {
            let mut le = [0u8; 8];
            le.copy_from_slice(b);
            *w = u64::from_le_bytes(le);
        }
        *shape = check_page(snap, page, &words, before[page], after[page]);
    }
    out
}

fn main(root: Handle) -> i64 {
    prefault_stack();
    let n = rounds(60);
    let mut torn = 0;
    assert_no_leak("smp_cow_snapshot", || {
        let parent = vmo((PAGES * PAGE) as u64, 0);
        for page in 0..PAGES {
            let mut buf = [0u8; PAGE];
            for b in buf.chunks_exact_mut(8) {
                b.copy_from_slice(&value(page, 0).to_le_bytes());
            }
            write(parent, &buf, (page * PAGE) as u64);
        }
        let m = Mapping::new(root, parent, PAGES * PAGE, RW);
        ADDR.store(m.addr as u64, Ordering::Relaxed);
        let mut writers = Group::new();
        writers.spawn_n("writer", WRITERS, writer);

        let mut previous: Option<(Handle, [Shape; PAGES])> = None;
        let any = [0u64; PAGES];
        let never = [u64::MAX - 1; PAGES];
        for snap in 0..n as usize {
            let before: [u64; PAGES] =
                core::array::from_fn(|p| FINISHED[p].load(Ordering::Acquire));
            let s = child(parent, child_opt::SNAPSHOT, 0, (PAGES * PAGE) as u64);
            let after: [u64; PAGES] = core::array::from_fn(|p| FINISHED[p].load(Ordering::Acquire));
            let now = shapes(snap, s, &before, &after);
            torn += now.iter().filter(|&&(_, split)| split < WORDS).count();
            // The previous snapshot has not changed since it was read,
            // though the writers went on (and a snapshot of it is taken).
            if let Some((h, old)) = previous.take() {
                let grandchild = child(h, child_opt::SNAPSHOT, 0, (PAGES * PAGE) as u64);
                assert!(
                    shapes(snap - 1, h, &any, &never) == old,
                    "snapshot {} changed after it was taken",
                    snap - 1
                );
                assert!(
                    shapes(snap - 1, grandchild, &any, &never) == old,
                    "a snapshot of snapshot {} differs from it",
                    snap - 1
                );
                close(grandchild);
                close(h);
            }
            previous = Some((s, now));
        }
        STOP.store(true, Ordering::Release);
        let cores = writers.join();
        if let Some((h, old)) = previous.take() {
            assert!(
                shapes(n as usize - 1, h, &any, &never) == old,
                "the last snapshot changed after it was taken"
            );
            close(h);
        }
        let last: [u64; PAGES] = core::array::from_fn(|p| FINISHED[p].load(Ordering::Relaxed));
        for (page, &g) in last.iter().enumerate() {
            for word in [0, WORDS - 1] {
                assert!(
                    m.read_u64(page * PAGE + word * 8) == value(page, g),
                    "parent page {page} word {word} after the writers"
                );
            }
        }
        zx::println!(
            "smp_cow_snapshot: {n} snapshots while {WRITERS} threads (last on {cores} cores) rewrote {PAGES} pages (generations up to {}): every page one instant of its writer ({torn} caught mid-rewrite), within the call",
            last.iter().max().copied().unwrap_or(0)
        );
        m.unmap();
        close(parent);
    });
    zx::println!(
        "smp_cow_snapshot: no snapshot changed after it was taken; its own snapshot matched it"
    );
    zx::println!("smp_cow_snapshot: every page back after closing the snapshots and the parent");
    0
}

zx::entry!(main);
