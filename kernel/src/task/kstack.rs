//! Kernel stacks for threads: each in its own slot of the kernel-stack
//! region (`platform::layout`), its pages mapped above an unmapped guard,
//! so an overflow faults there and is reported (the vectors switch to the
//! per-CPU emergency stack when the stack is exhausted). The stack owns its
//! frames: dropping it unmaps the pages, invalidates their TLB entries on
//! every core, and only then frees them, unless the cache of mapped stacks
//! takes it for the next thread.

use crate::memory::FRAMES;
use crate::sync::spin_lock::Mutex;
use alloc::vec::Vec;
use mm::frame::Frame;
use platform::arch::trap::EXCEPTION_FRAME_SIZE;
use platform::layout::{KSTACK_REGION_BASE, KSTACK_REGION_SIZE};
use zx_abi::{ZxStatus, PAGE_SIZE};

/// Pages of one kernel stack (32 KiB).
pub const STACK_PAGES: usize = 8;
/// One slot: the stack on top, at least as much unmapped guard below.
const SLOT_SIZE: u64 = 2 * STACK_PAGES as u64 * PAGE_SIZE;
const SLOTS: usize = (KSTACK_REGION_SIZE / SLOT_SIZE) as usize;

struct Slots {
    next: usize,
    free: Vec<usize>,
}

static SLOTS_IN_USE: Mutex<Slots> = Mutex::new(Slots {
    next: 0,
    free: Vec::new(),
});

/// A thread's stack: its slot, and the mapping, which it gives back to the
/// cache or drops when it is dropped.
pub struct KernelStack {
    slot: usize,
    mapped: Option<MappedStack>,
}

/// A slot with its frames mapped, whoever holds it (a stack or the cache);
/// dropping it unmaps the pages, invalidates their TLB entries on every
/// core, and only then frees them and the slot.
struct MappedStack {
    slot: usize,
    frames: Vec<Frame>,
}

/// Stacks of finished threads kept mapped, at most this many: a new thread
/// takes one and pays for no zeroing and no page-table change (a kernel
/// stack is the kernel's own memory: what the last thread left on it is
/// nobody else's to read).
const CACHED_STACKS: usize = 8;

/// The cache, and how many stacks exist (`KernelStack`s not dropped). It
/// keeps a dropped stack only while the stacks in use and in the cache
/// together stay below `target` (set by `fill_cache`): the stacks' pages
/// are then always `max(alive, target)` stacks' worth, a function of how
/// many are in use, whatever order threads came and went in. Its room is
/// reserved once, so `Drop` never allocates to keep a stack. Lock order:
/// taken alone, never with `SLOTS_IN_USE`.
struct Cache {
    stacks: Vec<MappedStack>,
    alive: usize,
    target: usize,
}

static CACHE: Mutex<Cache> = Mutex::new(Cache {
    stacks: Vec::new(),
    alive: 0,
    target: 0,
});

/// Fills the cache before the programs start, so that the pages it holds
/// are already counted when the boot takes its `free pages` figure: a
/// program that ends with as many threads as it started with leaves as many
/// pages free (see `Cache`). Without memory the cache stays smaller, which
/// only costs speed.
pub fn fill_cache() {
    {
        let mut cache = CACHE.lock();
        if cache.stacks.try_reserve_exact(CACHED_STACKS).is_err() {
            return;
        }
        cache.target = cache.alive + CACHED_STACKS;
    }
    let mut fresh = Vec::new();
    if fresh.try_reserve_exact(CACHED_STACKS).is_err() {
        return;
    }
    while fresh.len() < CACHED_STACKS {
        match KernelStack::new() {
            Ok(stack) => fresh.push(stack),
            Err(_) => break,
        }
    }
    // Each goes into the cache as it drops.
    drop(fresh);
}

impl KernelStack {
    /// A mapped stack: a cached one, or else a new one; `NoMemory` without
    /// frames, `NoResources` when every slot is taken.
    pub fn new() -> Result<Self, ZxStatus> {
        let mut cache = CACHE.lock();
        let mapped = match cache.stacks.pop() {
            Some(m) => m,
            None => {
                // Made without the lock held (it maps and allocates).
                drop(cache);
                let m = MappedStack::new()?;
                cache = CACHE.lock();
                m
            }
        };
        cache.alive += 1;
        Ok(Self {
            slot: mapped.slot,
            mapped: Some(mapped),
        })
    }

    /// The initial stack pointer.
    pub fn top(&self) -> u64 {
        KSTACK_REGION_BASE + (self.slot as u64 + 1) * SLOT_SIZE
    }

    /// The per-CPU stack limit while this stack runs: room for one exception
    /// frame above the guard.
    pub fn limit(&self) -> u64 {
        bottom(self.slot) + EXCEPTION_FRAME_SIZE
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        let Some(mapped) = self.mapped.take() else {
            return;
        };
        let mut cache = CACHE.lock();
        cache.alive -= 1;
        let kept = cache.stacks.len() + cache.alive;
        if kept < cache.target && cache.stacks.len() < cache.stacks.capacity() {
            // Within the reserved room: no allocation.
            cache.stacks.push(mapped);
            return;
        }
        drop(cache);
        // The thread that owned it no longer runs on it.
        drop(mapped);
    }
}

impl MappedStack {
    /// Zeroed frames mapped into a free slot.
    fn new() -> Result<Self, ZxStatus> {
        let mut frames = Vec::new();
        frames
            .try_reserve_exact(STACK_PAGES)
            .map_err(|_| ZxStatus::NoMemory)?;
        for _ in 0..STACK_PAGES {
            frames.push(Frame::alloc_zeroed(&FRAMES)?);
        }
        let slot = {
            let mut s = SLOTS_IN_USE.lock();
            match s.free.pop() {
                Some(slot) => slot,
                None if s.next < SLOTS => {
                    let room = s.next + 1 - s.free.len();
                    s.free.try_reserve(room).map_err(|_| ZxStatus::NoMemory)?;
                    s.next += 1;
                    s.next - 1
                }
                None => return Err(ZxStatus::NoResources),
            }
        };
        let stack = Self { slot, frames };
        let pas: Vec<u64> = stack.frames.iter().map(|f| f.pa().as_u64()).collect();
        // SAFETY: the slot is ours alone (taken from the slot allocator) and
        // the frames belong to the stack until it is dropped, which unmaps
        // them first (a failed map's drop unmaps what it mapped).
        unsafe { platform::arch::mmu::map_kernel_stack(bottom(slot), &pas) }
            .map_err(|_| ZxStatus::NoMemory)?;
        Ok(stack)
    }
}

impl Drop for MappedStack {
    fn drop(&mut self) {
        // SAFETY: nothing runs on the stack: its thread has finished, or it
        // sat in the cache, or it never ran; the frames are freed only
        // after the unmap returns.
        unsafe { platform::arch::mmu::unmap_kernel_stack(bottom(self.slot), STACK_PAGES) };
        self.frames.clear();
        // Never allocates: `new` reserved the room.
        SLOTS_IN_USE.lock().free.push(self.slot);
    }
}

/// The lowest mapped address of slot `slot`'s stack.
fn bottom(slot: usize) -> u64 {
    KSTACK_REGION_BASE + slot as u64 * SLOT_SIZE + SLOT_SIZE / 2
}
