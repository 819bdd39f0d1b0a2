//! Kernel stacks for threads: each in its own slot of the kernel-stack
//! region (`platform::layout`), its pages mapped above an unmapped guard,
//! so an overflow faults there and is reported (the vectors switch to the
//! per-CPU emergency stack when the stack is exhausted). The stack owns its
//! frames: dropping it unmaps the pages, invalidates their TLB entries on
//! every core, and only then frees them.

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

impl KernelStack {
    /// A new, mapped stack; `NoMemory` without frames, `NoResources` when
    /// every slot is taken.
    pub fn new() -> Result<Self, ZxStatus> {
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
        // SAFETY: the owner (a thread that has finished) no longer runs on
        // this stack; the frames are freed only after the unmap returns.
        unsafe { platform::arch::mmu::unmap_kernel_stack(self.bottom(), STACK_PAGES) };
        self.frames.clear();
        // Never allocates: `new` reserved the room.
        SLOTS_IN_USE.lock().free.push(self.slot);
    }
}
