//! loom models of copy-on-write sharing: a parent and its snapshot, each
//! behind its own lock as the kernel keeps them, write, snapshot and drop a
//! page they share at once. In every interleaving each VMO reads what it
//! last wrote (or what it shared at the snapshot), a snapshot is a copy of
//! one instant, and every frame goes back to the allocator. Listed in
//! `docs/concurrency.md`.
//!
//! The allocator keeps its spin lock: its critical sections contain no
//! loom operation, so they are single steps of the model.

mod vm;

use std::sync::atomic::{AtomicUsize, Ordering};

use loom::sync::{Arc, Mutex};
use loom::thread;
use zx_abi::PAGE_SIZE;

use crate::frame::FrameAllocator;
use crate::phys::testing;
use crate::vmo::Vmo;

const PAGES: u64 = 2;

/// Runs `model` under loom within the preemption bound
/// (`LOOM_MAX_PREEMPTIONS`, else 3), with a fresh allocator of its own, and
/// checks that it explored more than one interleaving.
fn check(name: &str, model: fn(&'static FrameAllocator)) {
    let frames = testing::allocator(16);
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    let bound = builder.preemption_bound;
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let free = frames.free_pages();
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        model(frames);
        assert_eq!(frames.free_pages(), free, "every frame went back");
    });
    let runs = runs.load(Ordering::Relaxed);
    std::println!("loom {name}: {runs} interleavings (preemption bound {bound:?})");
    assert!(runs > 1, "{name}: only {runs} interleaving explored");
}

fn byte(vmo: &Vmo, page: u64) -> u8 {
    let mut b = [0u8];
    vmo.read(page * PAGE_SIZE, &mut b).unwrap();
    b[0]
}

/// A parent with `p` in page 0 and `q` in page 1, and its snapshot.
fn family(frames: &'static FrameAllocator) -> (Arc<Mutex<Vmo>>, Arc<Mutex<Vmo>>) {
    let mut parent = Vmo::create(frames, PAGES * PAGE_SIZE, 0).unwrap();
    parent.write(0, b"p").unwrap();
    parent.write(PAGE_SIZE, b"q").unwrap();
    let child = parent.snapshot(0, PAGES * PAGE_SIZE, 0).unwrap();
    assert!(parent.is_page_shared(0) && child.is_page_shared(0));
    (Arc::new(Mutex::new(parent)), Arc::new(Mutex::new(child)))
}

fn write(vmo: &Mutex<Vmo>, page: u64, b: u8) {
    vmo.lock().unwrap().write(page * PAGE_SIZE, &[b]).unwrap();
}

#[test]
fn loom_cow_parent_and_child_write_the_shared_page() {
    check("cow both write", |frames| {
        let (parent, child) = family(frames);
        let p = parent.clone();
        let t = thread::spawn(move || write(&p, 0, b'A'));
        write(&child, 0, b'B');
        t.join().unwrap();
        let (parent, child) = (parent.lock().unwrap(), child.lock().unwrap());
        assert_eq!((byte(&parent, 0), byte(&parent, 1)), (b'A', b'q'));
        assert_eq!((byte(&child, 0), byte(&child, 1)), (b'B', b'q'));
        // Page 0 is private to each now; page 1 is still shared.
        assert!(!parent.is_page_shared(0) && !child.is_page_shared(0));
        assert!(parent.is_page_shared(1) && child.is_page_shared(1));
    });
}

#[test]
fn loom_cow_write_while_the_relative_closes() {
    check("cow write vs close", |frames| {
        let (parent, child) = family(frames);
        let p = parent.clone();
        let t = thread::spawn(move || write(&p, 0, b'A'));
        drop(child);
        t.join().unwrap();
        let parent = parent.lock().unwrap();
        assert_eq!((byte(&parent, 0), byte(&parent, 1)), (b'A', b'q'));
        assert_eq!(parent.committed_pages(), PAGES as usize);
    });
}

#[test]
fn loom_cow_snapshot_while_both_write() {
    check("cow snapshot vs writes", |frames| {
        let (parent, child) = family(frames);
        let (p, c) = (parent.clone(), child.clone());
        let t1 = thread::spawn(move || write(&p, 0, b'A'));
        let t2 = thread::spawn(move || {
            write(&c, 0, b'B');
            write(&c, 1, b'C');
        });
        // A snapshot of the child while both write: a copy of one instant
        // of the child, page by page in the order the child wrote them.
        let grandchild = child
            .lock()
            .unwrap()
            .snapshot(0, PAGES * PAGE_SIZE, 0)
            .unwrap();
        let seen = (byte(&grandchild, 0), byte(&grandchild, 1));
        assert!(
            [(b'p', b'q'), (b'B', b'q'), (b'B', b'C')].contains(&seen),
            "the snapshot saw {seen:?}"
        );
        t1.join().unwrap();
        t2.join().unwrap();
        assert_eq!(byte(&parent.lock().unwrap(), 0), b'A');
        assert_eq!(
            (grandchild.committed_pages(), byte(&grandchild, 0)),
            (PAGES as usize, seen.0),
            "the relatives' writes did not reach the snapshot"
        );
    });
}
