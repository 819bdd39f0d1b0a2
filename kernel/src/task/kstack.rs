//! Kernel stacks for threads: each in its own slot of the kernel-stack
//! region (`platform::layout`), its pages mapped above an unmapped guard,
//! so an overflow faults there and is reported (the vectors switch to the
//! per-CPU emergency stack when the stack is exhausted). The stack owns its
//! frames: dropping it unmaps the pages, invalidates their TLB entries on
//! every core, and only then frees them, unless the cache of mapped stacks
//! takes it for the next thread.

use crate::memory::FRAMES;
use alloc::vec::Vec;
use mm::frame::Frame;
use platform::arch::trap::EXCEPTION_FRAME_SIZE;
use platform::layout::{KSTACK_REGION_BASE, KSTACK_REGION_SIZE};
use spin::Mutex;
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

pub struct KernelStack {
    slot: usize,
    frames: Vec<Frame>,
}

/// Stacks of finished threads kept mapped, at most this many: a new thread
/// takes one and pays for no zeroing and no page-table change (a kernel
/// stack is the kernel's own memory: what the last thread left on it is
/// nobody else's to read).
const CACHED_STACKS: usize = 8;

/// A mapped stack no thread uses: its slot and its frames.
struct Cached {
    slot: usize,
    frames: Vec<Frame>,
}

/// The cache. Its room is reserved once (`fill_cache`), so `Drop` never
/// allocates to keep a stack. Lock order: taken alone, never with
/// `SLOTS_IN_USE`.
static CACHE: Mutex<Vec<Cached>> = Mutex::new(Vec::new());

/// Fills the cache before the programs start, so that the pages it holds
/// are already counted when the boot takes its `free pages` figure: a
/// program's page balance is then the same whether its threads found
/// cached stacks or not (taking one and giving it back leaves the cache as
/// full as before; stacks beyond it are freed). Without memory the cache
/// stays smaller, which only costs speed.
pub fn fill_cache() {
    if CACHE.lock().try_reserve_exact(CACHED_STACKS).is_err() {
        return;
    }
    let mut fresh = Vec::new();
    if fresh.try_reserve_exact(CACHED_STACKS).is_err() {
        return;
    }
    while fresh.len() < CACHED_STACKS {
        match KernelStack::map_new() {
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
        if let Some(Cached { slot, frames }) = CACHE.lock().pop() {
            return Ok(Self { slot, frames });
        }
        Self::map_new()
    }

    /// A new stack: zeroed frames mapped into a free slot.
    fn map_new() -> Result<Self, ZxStatus> {
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
        // them first.
        unsafe { platform::arch::mmu::map_kernel_stack(stack.bottom(), &pas) }
            .map_err(|_| ZxStatus::NoMemory)?;
        Ok(stack)
    }

    fn bottom(&self) -> u64 {
        KSTACK_REGION_BASE + self.slot as u64 * SLOT_SIZE + SLOT_SIZE / 2
    }

    /// The initial stack pointer.
    pub fn top(&self) -> u64 {
        KSTACK_REGION_BASE + (self.slot as u64 + 1) * SLOT_SIZE
    }

    /// The per-CPU stack limit while this stack runs: room for one exception
    /// frame above the guard.
    pub fn limit(&self) -> u64 {
        self.bottom() + EXCEPTION_FRAME_SIZE
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        {
            let mut cache = CACHE.lock();
            if cache.len() < cache.capacity() {
                // Within the reserved room: no allocation.
                cache.push(Cached {
                    slot: self.slot,
                    frames: core::mem::take(&mut self.frames),
                });
                return;
            }
        }
        // SAFETY: the owner (a thread that has finished) no longer runs on
        // this stack; the frames are freed only after the unmap returns.
        unsafe { platform::arch::mmu::unmap_kernel_stack(self.bottom(), STACK_PAGES) };
        self.frames.clear();
        // Never allocates: `new` reserved the room.
        SLOTS_IN_USE.lock().free.push(self.slot);
    }
}
