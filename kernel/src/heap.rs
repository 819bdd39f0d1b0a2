//! The kernel heap: a buddy allocator (`crate::buddy`, whose free does not
//! walk a free list) over a block of RAM carved out at boot, sized from the
//! amount of RAM, with a small cache of recently freed blocks per size class
//! in front of it. A system call that
//! creates and closes an object would otherwise make the buddy allocator
//! split and merge the same blocks every time (its cost then depends on
//! whether a block's buddy happens to be free).

use crate::buddy::Buddy;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};
use spin::Mutex;

/// Size classes the cache keeps: 32, 64, ..., 512 bytes.
const CLASSES: usize = 5;
const SMALLEST: usize = 32;
/// Blocks kept per class at most (at most 31 KiB cached in all).
const PER_CLASS: usize = 32;

/// A freed block waiting in the cache; the link lives in the block itself.
struct FreeBlock {
    next: Option<NonNull<FreeBlock>>,
}

struct Cache {
    heads: [Option<NonNull<FreeBlock>>; CLASSES],
    counts: [usize; CLASSES],
}

// SAFETY: the cached blocks belong to the cache alone (they were freed to
// it); the lock around `Cache` serialises every use.
unsafe impl Send for Cache {}

struct CachedHeap {
    buddy: Mutex<Buddy>,
    cache: Mutex<Cache>,
    /// The buddy allocator's free bytes, stored under its lock after every
    /// change, so that `ensure_headroom` (on every commit and fault) reads
    /// them without taking it: a snapshot either way.
    buddy_free: AtomicUsize,
}

/// The cache class of a layout: the buddy allocator rounds every request to
/// a power of two at least as large as its alignment, so a block of class
/// `c` serves any layout whose rounded size is `SMALLEST << c`. That class
/// is the bit length of `(size - 1) / SMALLEST` (0 up to `SMALLEST`), which
/// takes a shift and a count of leading zeros where rounding the size up
/// first takes twice as many instructions, on every allocation and free.
#[inline(always)]
fn class_of(layout: &Layout) -> Option<usize> {
    // At least 1: an alignment is.
    let size = layout.size().max(layout.align());
    let class = (usize::BITS - ((size - 1) / SMALLEST).leading_zeros()) as usize;
    (class < CLASSES).then_some(class)
}

fn class_layout(class: usize) -> Layout {
    let size = SMALLEST << class;
    Layout::from_size_align(size, size).expect("a power-of-two layout")
}

// SAFETY: blocks come from the buddy allocator with a layout at least as
// large and as aligned as the request (`class_layout`), and go back to it
// with that same layout; a cached block is handed out to one caller only.
unsafe impl GlobalAlloc for CachedHeap {
    /// Inlined, so that a constant layout's class is found at compile time
    /// (objects are allocated with their type's layout); the buddy
    /// allocator's path stays out of line.
    #[inline(always)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if let Some(class) = class_of(&layout) {
            let mut cache = self.cache.lock();
            if let Some(block) = cache.heads[class] {
                // SAFETY: a cached block is a live, unused allocation of its
                // class, holding its link.
                cache.heads[class] = unsafe { block.as_ref().next };
                cache.counts[class] -= 1;
                return block.as_ptr().cast();
            }
            drop(cache);
            return self.buddy_alloc(class_layout(class));
        }
        self.buddy_alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(class) = class_of(&layout) {
            let mut cache = self.cache.lock();
            if cache.counts[class] < PER_CLASS {
                let block = ptr.cast::<FreeBlock>();
                // SAFETY: the caller hands back a block of at least
                // `SMALLEST` bytes, aligned for a pointer, that it no
                // longer uses.
                unsafe {
                    block.write(FreeBlock {
                        next: cache.heads[class],
                    })
                };
                cache.heads[class] = NonNull::new(block);
                cache.counts[class] += 1;
                return;
            }
            drop(cache);
            // SAFETY: the block was allocated with the class layout.
            return unsafe { self.buddy_dealloc(ptr, class_layout(class)) };
        }
        // SAFETY: forwarded as is.
        unsafe { self.buddy_dealloc(ptr, layout) }
    }
}

impl CachedHeap {
    #[inline(never)]
    fn buddy_alloc(&self, layout: Layout) -> *mut u8 {
        let mut buddy = self.buddy.lock();
        let block = buddy.alloc(layout);
        self.note_free(&buddy);
        block.map_or(core::ptr::null_mut(), NonNull::as_ptr)
    }

    /// Records the buddy allocator's free bytes (its lock is held).
    fn note_free(&self, buddy: &Buddy) {
        self.buddy_free
            .store(buddy.total() - buddy.allocated(), Ordering::Relaxed);
    }

    /// # Safety
    /// As [`Buddy::dealloc`].
    unsafe fn buddy_dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(p) = NonNull::new(ptr) {
            let mut buddy = self.buddy.lock();
            // SAFETY: the caller's promise.
            unsafe { buddy.dealloc(p, layout) };
            self.note_free(&buddy);
        }
    }

    /// Bytes held in the cache (allocated from the buddy allocator, free
    /// for the kernel).
    fn cached_bytes(&self) -> usize {
        let cache = self.cache.lock();
        (0..CLASSES)
            .map(|c| cache.counts[c] * (SMALLEST << c))
            .sum()
    }
}

#[global_allocator]
static HEAP: CachedHeap = CachedHeap {
    buddy: Mutex::new(Buddy::new()),
    cache: Mutex::new(Cache {
        heads: [None; CLASSES],
        counts: [0; CLASSES],
    }),
    buddy_free: AtomicUsize::new(0),
};

/// Heap size for a machine with `ram_bytes` of RAM: 1/32nd, between 4 and
/// 64 MiB, so that large VMO page maps fit without starving user memory.
/// (1/64th was too little for 100 000 one-page mappings, 256 heap bytes
/// each, on a 1 GiB board: scripts/bench.sh's bench_scaling.)
pub fn size_for(ram_bytes: u64) -> u64 {
    (ram_bytes / 32).clamp(4 << 20, 64 << 20) & !0xfff
}

/// Hands `[start, start + size)` (kernel virtual addresses) to the heap.
///
/// # Safety
/// The range must be mapped, writable, unused by anything else, and never
/// handed out again.
pub unsafe fn init(start: usize, size: usize) {
    let mut buddy = HEAP.buddy.lock();
    // SAFETY: the caller guarantees the range is ours for good.
    unsafe { buddy.init(start, size) };
    HEAP.note_free(&buddy);
}

/// Bytes currently allocated from the heap (the cache's free blocks not
/// counted).
pub fn used_bytes() -> usize {
    let cached = HEAP.cached_bytes();
    HEAP.buddy.lock().allocated() - cached
}

/// Bytes the heap keeps free for the kernel's own needs: object-creating
/// system calls fail with `ZX_ERR_NO_MEMORY` below this, so that no user
/// request can exhaust the heap (an allocation failure there is fatal).
const RESERVE: usize = 1 << 20;

/// `Err(NoMemory)` when the heap is within `RESERVE` of full.
pub fn ensure_headroom() -> Result<(), zx_abi::ZxStatus> {
    ensure_headroom_for(0)
}

/// `Err(NoMemory)` unless `bytes` more can be allocated and `RESERVE` still
/// remain. Paths that commit pages call this first: page-list nodes live on
/// the heap, so committing pages sparsely costs heap as well as pages.
pub fn ensure_headroom_for(bytes: usize) -> Result<(), zx_abi::ZxStatus> {
    if HEAP.buddy_free.load(Ordering::Relaxed) < RESERVE.saturating_add(bytes) {
        Err(zx_abi::ZxStatus::NoMemory)
    } else {
        Ok(())
    }
}
