//! Each core's spare page: one zero-filled frame that a page fault takes
//! before it takes any lock, so that the VMO's lock, which every fault of
//! that VMO on every core needs, covers the page-list insert and the entry
//! but not the allocation and the zeroing. A fault that finds its page
//! already committed gives the spare back for the next one.
//!
//! Spares are free memory as far as anyone can tell: [`free_pages`] adds
//! them to the page allocator's count, and that is the count the leak
//! checks compare before and after each program. Under memory pressure the
//! reclaim hook takes them back first ([`release_all`]).
//!
//! Owner: each slot belongs to its core, which alone fills it, in a fault.
//! Emptying it is one atomic swap, so [`release_all`] may empty any core's
//! slot from any core, and whoever swaps a frame out owns it.

use crate::memory::FRAMES;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use mm::frame::Frame;
use mm::phys::PhysAddr;
use platform::arch::percpu::{this_cpu, MAX_CPUS};

/// The physical address of each core's spare (a `Frame` given up with
/// `into_raw`), 0 for none.
static SLOTS: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
/// Frames in the slots.
static HELD: AtomicUsize = AtomicUsize::new(0);

fn slot() -> &'static AtomicU64 {
    &SLOTS[this_cpu().index()]
}

/// Empties `slot`: the frame it held, now the caller's.
#[inline]
fn empty(slot: &AtomicU64) -> Option<Frame> {
    let pa = slot.swap(0, Ordering::Acquire);
    if pa == 0 {
        return None;
    }
    HELD.fetch_sub(1, Ordering::Relaxed);
    // SAFETY: `keep` stored `pa` from `Frame::into_raw` of a frame of
    // FRAMES, and the swap took it out of the slot: nobody else can rebuild
    // it, and the frame was idle (free memory) while it sat there.
    Some(unsafe { Frame::from_raw(PhysAddr::new(pa), &FRAMES) })
}

/// This core's spare, or a fresh zero-filled frame; `None` only when no
/// frame can be had (the fault then allocates under the VMO's lock, and
/// fails there if it must).
#[inline]
pub fn take() -> Option<Frame> {
    empty(slot()).or_else(|| Frame::alloc_zeroed(&FRAMES).ok())
}

/// Keeps `spare`, still zero-filled, for this core's next fault.
#[inline]
pub fn keep(spare: Option<Frame>) {
    if let Some(frame) = spare {
        keep_frame(frame);
    }
}

#[inline(never)]
fn keep_frame(frame: Frame) {
    debug_assert!(core::ptr::eq(frame.allocator(), &FRAMES));
    HELD.fetch_add(1, Ordering::Relaxed);
    let old = slot().swap(frame.into_raw().as_u64(), Ordering::Release);
    // Only this core fills its slot, and `take` emptied it first; but if it
    // ever held one, that one goes back to the allocator.
    if old != 0 {
        HELD.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: as in `empty`: the swap took `old` out of the slot.
        drop(unsafe { Frame::from_raw(PhysAddr::new(old), &FRAMES) });
    }
}

/// Free pages: the page allocator's and the cores' spares. What the boot
/// log, the leak checks and the kernel statistics report.
pub fn free_pages() -> usize {
    FRAMES.free_pages() + HELD.load(Ordering::Relaxed)
}

/// Frees every core's spare; how many. For the reclaim hook, which runs
/// when an allocation finds no memory, on any core (the swap makes taking
/// another core's spare safe).
pub fn release_all() -> usize {
    SLOTS.iter().filter_map(empty).count()
}
