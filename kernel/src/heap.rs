//! The kernel heap: a buddy allocator (`crate::buddy`, whose free does not
//! walk a free list) over a block of RAM carved out at boot, sized from the
//! amount of RAM, with a small cache of recently freed blocks per size class
//! and per core in front of it. A system call that
//! creates and closes an object would otherwise make the buddy allocator
//! split and merge the same blocks every time (its cost then depends on
//! whether a block's buddy happens to be free).
//!
//! Each core's cache is its own and takes no lock: the kernel is not
//! preemptible and runs with interrupts masked (docs/architecture.md), so
//! between a cache operation's first read and last write nothing else runs
//! on the core, and no other core touches that cache's lists. A block freed
//! on another core than the one that allocated it goes to the freeing
//! core's cache.

use crate::buddy::Buddy;
use crate::sync::spin_lock::Mutex;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};
use platform::arch::percpu::{this_cpu, MAX_CPUS};

/// Size classes the cache keeps: 32, 64, ..., 512 bytes.
const CLASSES: usize = 5;
const SMALLEST: usize = 32;
/// Blocks kept per class and core at most (at most 31 KiB cached per core).
const PER_CLASS: usize = 32;

/// A freed block waiting in the cache; the link lives in the block itself.
struct FreeBlock {
    next: Option<NonNull<FreeBlock>>,
}

/// One core's cache. Its lists are read and written only by its core (see
/// the module's comment); the counts are atomics only so that
/// [`used_bytes`] may read them from any core (a plain load or store each:
/// no core but the owner writes them).
struct CpuCache {
    heads: [Cell<Option<NonNull<FreeBlock>>>; CLASSES],
    counts: [AtomicUsize; CLASSES],
}

// SAFETY: a cache's lists (`heads`, and the blocks they link) are used by
// its own core only, with nothing else running there meanwhile (the
// module's comment): never by two threads at once. The counts are atomic.
unsafe impl Sync for CpuCache {}

impl CpuCache {
    const fn new() -> Self {
        Self {
            heads: [const { Cell::new(None) }; CLASSES],
            counts: [const { AtomicUsize::new(0) }; CLASSES],
        }
    }

    /// The running core's cache; `None` before [`init_this_cpu`] ran on
    /// it (then allocations go to the buddy allocator).
    #[inline(always)]
    fn here() -> Option<&'static CpuCache> {
        let cache = this_cpu().heap_cache.load(Ordering::Relaxed) as *const CpuCache;
        // SAFETY: the slot is null or was set by `init_this_cpu` to an
        // element of `CACHES`, a static.
        unsafe { cache.as_ref() }
    }

    fn bytes(&self) -> usize {
        (0..CLASSES)
            .map(|c| self.counts[c].load(Ordering::Relaxed) * (SMALLEST << c))
            .sum()
    }
}

static CACHES: [CpuCache; MAX_CPUS] = [const { CpuCache::new() }; MAX_CPUS];

struct CachedHeap {
    buddy: Mutex<Buddy>,
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
            if let Some(cache) = CpuCache::here() {
                if let Some(block) = cache.heads[class].get() {
                    // SAFETY: a cached block is a live, unused allocation of
                    // its class, holding its link.
                    cache.heads[class].set(unsafe { block.as_ref().next });
                    let count = &cache.counts[class];
                    count.store(count.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
                    return block.as_ptr().cast();
                }
            }
            return self.buddy_alloc(class_layout(class));
        }
        self.buddy_alloc(layout)
    }

    /// Inlined too, for the same reason: only the class is found here, and
    /// the cache's path stays out of line.
    #[inline(always)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(&layout) {
            // SAFETY: forwarded as is; the block's layout has this class.
            Some(class) => unsafe { self.cache_dealloc(ptr, class) },
            // SAFETY: forwarded as is.
            None => unsafe { self.buddy_dealloc(ptr, layout) },
        }
    }
}

impl CachedHeap {
    /// Frees a block of cache class `class` into the cache, or to the
    /// buddy allocator when the class's cache is full.
    ///
    /// # Safety
    /// As [`GlobalAlloc::dealloc`], for a layout of class `class`.
    #[inline(never)]
    unsafe fn cache_dealloc(&self, ptr: *mut u8, class: usize) {
        // `class < CLASSES` (`class_of`); matched rather than indexed, so
        // that no panic path gives this leaf a stack frame.
        if let Some((head, count)) =
            CpuCache::here().and_then(|c| Some((c.heads.get(class)?, c.counts.get(class)?)))
        {
            let n = count.load(Ordering::Relaxed);
            if n < PER_CLASS {
                let block = ptr.cast::<FreeBlock>();
                // SAFETY: the caller hands back a block of at least
                // `SMALLEST` bytes, aligned for a pointer, that it no
                // longer uses.
                unsafe { block.write(FreeBlock { next: head.get() }) };
                head.set(NonNull::new(block));
                count.store(n + 1, Ordering::Relaxed);
                return;
            }
        }
        // SAFETY: the block was allocated with the class layout.
        unsafe { self.buddy_dealloc_class(ptr, class) }
    }

    /// [`Self::buddy_dealloc`] of a class's block: apart, so that the class
    /// layout's checks give `cache_dealloc` no stack frame.
    ///
    /// # Safety
    /// As [`Buddy::dealloc`], for a block of class `class`.
    #[inline(never)]
    unsafe fn buddy_dealloc_class(&self, ptr: *mut u8, class: usize) {
        // SAFETY: the caller's promise.
        unsafe { self.buddy_dealloc(ptr, class_layout(class)) }
    }

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
    #[inline(never)]
    unsafe fn buddy_dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(p) = NonNull::new(ptr) {
            let mut buddy = self.buddy.lock();
            // SAFETY: the caller's promise.
            unsafe { buddy.dealloc(p, layout) };
            self.note_free(&buddy);
        }
    }

    /// Bytes held in the cores' caches (allocated from the buddy allocator,
    /// free for the kernel). A snapshot: other cores' caches change under
    /// it.
    fn cached_bytes(&self) -> usize {
        CACHES.iter().map(CpuCache::bytes).sum()
    }
}

#[global_allocator]
static HEAP: CachedHeap = CachedHeap {
    buddy: Mutex::new(Buddy::new()),
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
    drop(buddy);
    init_this_cpu();
}

/// Gives the running core its heap cache. Call once per core, after the
/// core's per-CPU block is set up (the boot core's in [`init`]).
pub fn init_this_cpu() {
    let cpu = this_cpu();
    let cache = &CACHES[cpu.index()] as *const CpuCache as *mut ();
    cpu.heap_cache.store(cache, Ordering::Relaxed);
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
