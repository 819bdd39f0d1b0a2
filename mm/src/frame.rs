//! The page allocator: [`FrameAllocator`], a buddy allocator over physical
//! pages (the buddy logic is `buddy_system_allocator`'s) with a small cache of
//! single pages in front, and [`Frame`], one owned page that returns itself
//! when dropped.
//!
//! The two methods whose callers must vouch for memory,
//! [`FrameAllocator::add_range`] and [`FrameAllocator::dealloc`], and
//! [`Frame::from_raw`] are declared in [`crate::phys`], the crate's only
//! `unsafe` module; they forward to the crate-private methods here.

use core::fmt;

use spin::mutex::{SpinMutex, SpinMutexGuard};
use zx_abi::ZxStatus;

use crate::addr::PhysAddr;

/// The largest order [`FrameAllocator::alloc`] serves: blocks of up to 2^31
/// pages (8 TiB), far more than any board we boot has.
pub const MAX_ORDER: usize = 31;

/// `buddy_system_allocator`'s `ORDER` parameter is one more than its largest
/// order.
const BUDDY_ORDER: usize = MAX_ORDER + 1;

/// Single pages kept out of the buddy for fast allocation and freeing.
const CACHE_CAPACITY: usize = 64;

/// An empty cache is refilled with one block of this order (64 pages, the
/// whole cache), so the buddy's tree operations (about 700 instructions a
/// refill) are paid once per 64 single-page allocations.
const REFILL_ORDER: usize = 6;
const _: () = assert!(1 << REFILL_ORDER <= CACHE_CAPACITY);

/// How many times an exhausted allocation asks the reclaim hook for memory
/// before failing; bounds the work when the hook keeps reporting progress
/// that does not help this allocation.
const RECLAIM_ROUNDS: usize = 8;

/// A physical page allocator. Usable as a `static`; every method takes `&self`
/// and locks a spin lock internally.
///
/// Pages come in with [`add_range`](Self::add_range) and go out as owned
/// [`Frame`]s ([`Frame::alloc_zeroed`]) or as raw naturally aligned blocks of
/// `2^order` pages ([`alloc`](Self::alloc) / [`dealloc`](Self::dealloc)).
///
/// The lock is a plain spin lock: do not allocate from an interrupt handler
/// that can interrupt an allocation on the same CPU. The buddy's free lists
/// live on the kernel heap, so the heap must not grow by allocating from this
/// allocator while it is locked (give the heap its own memory).
// `repr(C)`: the lock first, at the allocator's own address, which saves
// the fault path an address computation per lock.
#[repr(C)]
pub struct FrameAllocator {
    inner: SpinMutex<Inner>,
    /// One turn of a wait for the lock. This crate knows no machine: the
    /// kernel passes its own (`yield`, then `isb`; see
    /// [`with_relax`](Self::with_relax)).
    relax: fn(),
}

/// The state behind the lock. Page numbers are `usize` because that is what
/// the buddy crate counts in.
struct Inner {
    buddy: buddy_system_allocator::FrameAllocator<BUDDY_ORDER>,
    /// Free single pages (page numbers) held back from the buddy. The buddy
    /// counts them as allocated; `free` counts them as free.
    cache: [usize; CACHE_CAPACITY],
    cached: usize,
    total: usize,
    /// Every free page, in the buddy or in the cache.
    free: usize,
    /// The span `[lowest, highest)` of page numbers ever added: a freed block
    /// outside it cannot be ours.
    lowest: usize,
    highest: usize,
    reclaim: Option<fn() -> bool>,
}

impl FrameAllocator {
    /// An allocator with no memory, whose lock waits with the host's spin
    /// hint.
    pub const fn new() -> Self {
        Self::with_relax(core::hint::spin_loop)
    }

    /// An allocator with no memory, whose lock waits by calling `relax`
    /// between looks at it: the kernel's lets another vCPU of QEMU's
    /// round-robin TCG run instead of spinning out its turn.
    pub const fn with_relax(relax: fn()) -> Self {
        Self {
            relax,
            inner: SpinMutex::new(Inner {
                buddy: buddy_system_allocator::FrameAllocator::new(),
                cache: [0; CACHE_CAPACITY],
                cached: 0,
                total: 0,
                free: 0,
                lowest: usize::MAX,
                highest: 0,
                reclaim: None,
            }),
        }
    }

    /// The lock over the allocator's state.
    #[inline]
    fn lock(&self) -> SpinMutexGuard<'_, Inner> {
        match self.inner.try_lock_weak() {
            Some(guard) => guard,
            None => self.lock_contended(),
        }
    }

    /// [`lock`](Self::lock) when the first try failed: out of line, so the
    /// uncontended path stays as short as a plain spin lock's.
    #[cold]
    #[inline(never)]
    fn lock_contended(&self) -> SpinMutexGuard<'_, Inner> {
        loop {
            while self.inner.is_locked() {
                (self.relax)();
            }
            if let Some(guard) = self.inner.try_lock_weak() {
                return guard;
            }
        }
    }

    /// Pages ever added.
    pub fn total_pages(&self) -> usize {
        self.lock().total
    }

    /// Pages free right now, including those in the single-page cache.
    pub fn free_pages(&self) -> usize {
        self.lock().free
    }

    /// Free pages currently held in the single-page cache (a subset of
    /// [`free_pages`](Self::free_pages)); for diagnostics and tests.
    pub fn cached_pages(&self) -> usize {
        self.lock().cached
    }

    /// Installs the memory-pressure hook: when an allocation finds no memory,
    /// it calls `reclaim` (without holding the allocator's lock, so the hook
    /// may free pages) and retries if it returns `true` ("I freed
    /// something"). Later: discardable VMOs give up their pages here.
    pub fn set_reclaim(&self, reclaim: fn() -> bool) {
        self.lock().reclaim = Some(reclaim);
    }

    /// Allocates `2^order` contiguous pages aligned to their size. The pages
    /// are not zeroed. Give them back with [`dealloc`](Self::dealloc) and the
    /// same `order`, or prefer [`Frame`] for single pages.
    ///
    /// # Errors
    ///
    /// [`ZxStatus::NoMemory`] when no such block is free, even after the
    /// reclaim hook, or `order` exceeds [`MAX_ORDER`].
    #[inline]
    pub fn alloc(&self, order: usize) -> Result<PhysAddr, ZxStatus> {
        if order > MAX_ORDER {
            return Err(ZxStatus::NoMemory);
        }
        if let Some(pfn) = self.lock().alloc(order) {
            return Ok(page(pfn));
        }
        self.alloc_reclaiming(order)
    }

    /// `alloc` once the free pages ran out: asks the reclaim hook for
    /// memory and tries again.
    #[inline(never)]
    fn alloc_reclaiming(&self, order: usize) -> Result<PhysAddr, ZxStatus> {
        for _ in 0..RECLAIM_ROUNDS {
            // Copy the hook out so it runs unlocked.
            let Some(reclaim) = self.lock().reclaim else {
                break;
            };
            if !reclaim() {
                break;
            }
            if let Some(pfn) = self.lock().alloc(order) {
                return Ok(page(pfn));
            }
        }
        Err(ZxStatus::NoMemory)
    }

    /// The body of the `unsafe` [`add_range`](Self::add_range) (declared in
    /// [`crate::phys`]), whose caller vouches for the memory.
    pub(crate) fn add_trusted_range(&self, start: PhysAddr, end: PhysAddr) {
        let Some(first) = start.align_up() else {
            return;
        };
        let first = pfn(first);
        let last = pfn(end.align_down());
        if first >= last {
            return;
        }
        let mut inner = self.lock();
        inner.buddy.add_frame(first, last);
        inner.total += last - first;
        inner.free += last - first;
        inner.lowest = inner.lowest.min(first);
        inner.highest = inner.highest.max(last);
    }

    /// The body of the `unsafe` [`dealloc`](Self::dealloc) (declared in
    /// [`crate::phys`]), and how a dropped [`Frame`] goes home. The caller
    /// guarantees the block is allocated and unused.
    pub(crate) fn free_trusted(&self, pa: PhysAddr, order: usize) {
        assert!(order <= MAX_ORDER, "freeing order {order}");
        let first = pfn(pa);
        let count = 1usize << order;
        let mut inner = self.lock();
        // A cheap check against freeing memory that was never ours, always on.
        assert!(
            pa.is_page_aligned()
                && first.is_multiple_of(count)
                && first >= inner.lowest
                && first + count <= inner.highest,
            "freeing {pa:?} order {order}: not a block of this allocator"
        );
        if cfg!(debug_assertions) {
            inner.assert_allocated(first, count);
        }
        if order == 0 {
            inner.cache_push(first);
        } else {
            inner.buddy.dealloc(first, count);
        }
        inner.free += count;
    }
}

impl Default for FrameAllocator {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for FrameAllocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("FrameAllocator")
            .field("total_pages", &inner.total)
            .field("free_pages", &inner.free)
            .field("cached_pages", &inner.cached)
            .finish()
    }
}

impl Inner {
    /// One allocation attempt: the first page number of a free `2^order`
    /// block, taken out of the free count. A single page from the cache is
    /// the usual case (every fault), found inline; the rest is `alloc_slow`.
    #[inline]
    fn alloc(&mut self, order: usize) -> Option<usize> {
        if order == 0 && self.cached > 0 {
            self.cached -= 1;
            self.free -= 1;
            return Some(self.cache[self.cached]);
        }
        self.alloc_slow(order)
    }

    #[inline(never)]
    fn alloc_slow(&mut self, order: usize) -> Option<usize> {
        let count = 1usize << order;
        if order == 0 {
            if self.cached == 0 {
                self.refill_cache();
            }
            if self.cached == 0 {
                return None;
            }
            self.cached -= 1;
            self.free -= 1;
            return Some(self.cache[self.cached]);
        }
        let block = match self.buddy.alloc(count) {
            Some(block) => block,
            None if self.cached > 0 => {
                // Cached pages may be the buddies that would complete the
                // block: give them back so the buddy can coalesce, and retry.
                self.drain_cache(self.cached);
                self.buddy.alloc(count)?
            }
            None => return None,
        };
        self.free -= count;
        Some(block)
    }

    /// Moves a block of 2^REFILL_ORDER pages (or, when memory is that
    /// fragmented, one page) from the buddy into the empty cache.
    fn refill_cache(&mut self) {
        debug_assert_eq!(self.cached, 0);
        let batch = 1usize << REFILL_ORDER;
        let (first, count) = match self.buddy.alloc(batch) {
            Some(first) => (first, batch),
            None => match self.buddy.alloc(1) {
                Some(first) => (first, 1),
                None => return,
            },
        };
        // Push in reverse so the lowest page is handed out first.
        for pfn in (first..first + count).rev() {
            self.cache[self.cached] = pfn;
            self.cached += 1;
        }
    }

    /// Caches a freed page; when the cache is full, first returns its older
    /// half to the buddy (the newer half is likelier to be in the CPU cache).
    fn cache_push(&mut self, pfn: usize) {
        if self.cached == CACHE_CAPACITY {
            self.drain_cache(CACHE_CAPACITY / 2);
        }
        self.cache[self.cached] = pfn;
        self.cached += 1;
    }

    /// Returns the `n` oldest cached pages to the buddy.
    fn drain_cache(&mut self, n: usize) {
        for &pfn in &self.cache[..n] {
            self.buddy.dealloc(pfn, 1);
        }
        self.cache.copy_within(n..self.cached, 0);
        self.cached -= n;
    }

    /// Debug check that no page of `[first, first + count)` is already free.
    /// Catches double frees of whole blocks and of cached pages; costs a scan
    /// of the cache and one buddy probe per order, so debug builds only.
    fn assert_allocated(&mut self, first: usize, count: usize) {
        let range = first..first + count;
        if let Some(pfn) = self.cache[..self.cached].iter().find(|p| range.contains(p)) {
            panic!("double free: page {pfn:#x} is already free");
        }
        // `alloc_at` succeeds only if the block lies wholly inside a free
        // buddy block; undo it before complaining so the state stays intact.
        if self.buddy.alloc_at(first, count).is_some() {
            self.buddy.dealloc(first, count);
            panic!("double free: block at page {first:#x} is already free");
        }
    }
}

/// Page number of `pa` in the buddy's unit. Physical addresses fit `usize` on
/// every target this kernel (or its host tests) runs on.
fn pfn(pa: PhysAddr) -> usize {
    pa.page_number() as usize
}

fn page(pfn: usize) -> PhysAddr {
    PhysAddr::from_page_number(pfn as u64)
}

/// One owned 4 KiB page of physical memory. Not `Clone`; dropping it gives the
/// page back to the allocator it came from. The page's contents are reached
/// through [`phys::read`], [`phys::write`] and friends, which take a `Frame`
/// as proof of ownership.
pub struct Frame {
    pa: PhysAddr,
    frames: &'static FrameAllocator,
}

impl Frame {
    /// The page's physical address.
    pub fn pa(&self) -> PhysAddr {
        self.pa
    }

    /// The allocator the page goes back to.
    pub fn allocator(&self) -> &'static FrameAllocator {
        self.frames
    }

    /// Gives up ownership without freeing the page (e.g. for a page table
    /// that hardware walks); [`Frame::from_raw`] takes it back.
    pub fn into_raw(self) -> PhysAddr {
        let pa = self.pa;
        core::mem::forget(self);
        pa
    }

    /// Wraps a page the caller owns and nobody else uses: a fresh allocation,
    /// or the `unsafe` [`Frame::from_raw`] (declared in [`crate::phys`]).
    pub(crate) fn from_owned_page(pa: PhysAddr, frames: &'static FrameAllocator) -> Frame {
        Frame { pa, frames }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        self.frames.free_trusted(self.pa, 0);
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Frame").field(&self.pa).finish()
    }
}
