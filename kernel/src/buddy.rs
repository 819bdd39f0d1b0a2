//! The kernel heap's block allocator: a binary buddy allocator over one
//! range of memory whose free path does not depend on how many blocks are
//! free. Each order keeps its free blocks in an intrusive doubly-linked list
//! (the links live in the free block) and a bitmap with one bit per block of
//! that order saying whether it is on the list, so that freeing a block
//! finds out whether its buddy is free, and unlinks it, in constant time per
//! order. (A singly-linked list has to be walked to find the buddy: on a
//! fragmented heap every free cost as much as the list was long.)
//!
//! Blocks are aligned to their size in absolute addresses, as in the
//! `buddy_system_allocator` crate this replaces, and the accounting is the
//! same: every allocation counts the power of two it was rounded to, so
//! [`Buddy::allocated`] returns to the same value when what was allocated
//! is freed, whatever became of the blocks. The bitmaps are carved from the
//! start of the range at [`Buddy::init`].
//!
//! Portable: host tests run it over a buffer.

use core::alloc::Layout;
use core::ptr::NonNull;

/// The smallest block: 32 bytes (a free block holds two links).
pub const MIN_ORDER: usize = 5;
/// Orders `MIN_ORDER..ORDERS`; the largest block is 2^(ORDERS - 1) bytes.
pub const ORDERS: usize = 32;

/// The links a free block holds.
#[repr(C)]
struct Links {
    next: usize,
    prev: usize,
}

/// One order's bitmap: bit `i` stands for the block at `lo + i << order`.
#[derive(Clone, Copy)]
struct Bits {
    words: *mut u64,
    /// Bits in the map (blocks of this order between `lo` and the end).
    len: usize,
    /// The first address the map covers, aligned to the order.
    lo: usize,
}

pub struct Buddy {
    heads: [usize; ORDERS],
    bits: [Bits; ORDERS],
    /// `[start, end)`: where blocks may lie.
    start: usize,
    end: usize,
    allocated: usize,
    total: usize,
}

// SAFETY: the raw pointers point into the range the heap owns, reached only
// through `&mut Buddy` (the kernel keeps it behind a lock).
unsafe impl Send for Buddy {}

const NO_BITS: Bits = Bits {
    words: core::ptr::null_mut(),
    len: 0,
    lo: 0,
};

impl Default for Buddy {
    fn default() -> Self {
        Self::new()
    }
}

impl Buddy {
    pub const fn new() -> Self {
        Self {
            heads: [0; ORDERS],
            bits: [NO_BITS; ORDERS],
            start: 0,
            end: 0,
            allocated: 0,
            total: 0,
        }
    }

    /// The order of the block that serves `layout`: its size rounded up to
    /// a power of two, at least its alignment and `2^MIN_ORDER`.
    fn order_of(layout: &Layout) -> usize {
        let size = layout
            .size()
            .max(layout.align())
            .max(1 << MIN_ORDER)
            .next_power_of_two();
        size.trailing_zeros() as usize
    }

    /// Takes `[start, start + size)` as the heap: the bitmaps first, then
    /// every aligned block that fits in the rest.
    ///
    /// # Safety
    /// The range must be writable memory that nothing else uses, for as long
    /// as this heap is used; `init` is called once.
    pub unsafe fn init(&mut self, start: usize, size: usize) {
        let end = start + size;
        // Bitmaps for the whole range (a little more than the blocks need).
        let mut cursor = start.next_multiple_of(8);
        for order in MIN_ORDER..ORDERS {
            let lo = start & !((1usize << order) - 1);
            let len = (end - lo).div_ceil(1 << order);
            let words = len.div_ceil(64);
            self.bits[order] = Bits {
                words: cursor as *mut u64,
                len,
                lo,
            };
            cursor += words * 8;
        }
        assert!(cursor <= end, "heap too small for its bitmaps");
        // SAFETY: `[start, cursor)` is ours (the caller's promise) and
        // aligned for u64.
        unsafe {
            core::ptr::write_bytes(
                start.next_multiple_of(8) as *mut u8,
                0,
                cursor - start.next_multiple_of(8),
            )
        };
        let first = cursor.next_multiple_of(1 << MIN_ORDER);
        self.start = first;
        self.end = end;
        let mut at = first;
        while at + (1 << MIN_ORDER) <= end {
            let lowbit = at & at.wrapping_neg();
            let fits = 1usize << (usize::BITS - 1 - (end - at).leading_zeros());
            let order = (lowbit.min(fits).trailing_zeros() as usize).min(ORDERS - 1);
            // SAFETY: `[at, at + 2^order)` lies in the range, unused.
            unsafe { self.push(order, at) };
            self.total += 1 << order;
            at += 1 << order;
        }
    }

    /// Bit index of block `addr` of `order`, if the map covers it.
    fn bit(&self, order: usize, addr: usize) -> Option<usize> {
        if addr < self.start || addr.checked_add(1 << order)? > self.end {
            return None;
        }
        let b = &self.bits[order];
        let i = (addr - b.lo) >> order;
        (i < b.len).then_some(i)
    }

    fn is_free(&self, order: usize, addr: usize) -> bool {
        match self.bit(order, addr) {
            // SAFETY: `i` is inside the map, which lives as long as the heap.
            Some(i) => unsafe { *self.bits[order].words.add(i / 64) & (1 << (i % 64)) != 0 },
            None => false,
        }
    }

    fn set_free(&mut self, order: usize, addr: usize, free: bool) {
        let i = self.bit(order, addr).expect("a heap block");
        // SAFETY: as in `is_free`.
        let w = unsafe { &mut *self.bits[order].words.add(i / 64) };
        if free {
            *w |= 1 << (i % 64);
        } else {
            *w &= !(1 << (i % 64));
        }
    }

    /// Puts block `addr` on the free list of `order`.
    ///
    /// # Safety
    /// The block is in the heap and unused.
    unsafe fn push(&mut self, order: usize, addr: usize) {
        let head = self.heads[order];
        // SAFETY: the block is unused and large enough for the links.
        unsafe {
            (addr as *mut Links).write(Links {
                next: head,
                prev: 0,
            });
            if head != 0 {
                (*(head as *mut Links)).prev = addr;
            }
        }
        self.heads[order] = addr;
        self.set_free(order, addr, true);
    }

    /// Takes block `addr` off the free list of `order`.
    ///
    /// # Safety
    /// The block is on that list.
    unsafe fn unlink(&mut self, order: usize, addr: usize) {
        // SAFETY: a listed block holds valid links to listed blocks.
        unsafe {
            let Links { next, prev } = (addr as *const Links).read();
            if prev == 0 {
                self.heads[order] = next;
            } else {
                (*(prev as *mut Links)).next = next;
            }
            if next != 0 {
                (*(next as *mut Links)).prev = prev;
            }
        }
        self.set_free(order, addr, false);
    }

    /// A block for `layout`, or `None` when no free block is large enough.
    pub fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        let order = Self::order_of(&layout);
        let from = (order..ORDERS).find(|&o| self.heads[o] != 0)?;
        let block = self.heads[from];
        // SAFETY: the head is a listed block.
        unsafe { self.unlink(from, block) };
        // Split down, freeing the upper halves.
        for o in (order..from).rev() {
            // SAFETY: the upper half of a block just taken is unused.
            unsafe { self.push(o, block + (1 << o)) };
        }
        self.allocated += 1 << order;
        NonNull::new(block as *mut u8)
    }

    /// Frees a block, merging it with its free buddies.
    ///
    /// # Safety
    /// `ptr` came from [`alloc`](Self::alloc) with the same `layout` and
    /// is not used any more.
    pub unsafe fn dealloc(&mut self, ptr: NonNull<u8>, layout: Layout) {
        let mut order = Self::order_of(&layout);
        self.allocated -= 1 << order;
        let mut addr = ptr.as_ptr() as usize;
        while order < ORDERS - 1 {
            let buddy = addr ^ (1 << order);
            if !self.is_free(order, buddy) {
                break;
            }
            // SAFETY: its bit says the buddy is on this order's list.
            unsafe { self.unlink(order, buddy) };
            addr = addr.min(buddy);
            order += 1;
        }
        // SAFETY: the (merged) block is unused.
        unsafe { self.push(order, addr) };
    }

    /// Bytes handed out (each allocation as its rounded size).
    pub fn allocated(&self) -> usize {
        self.allocated
    }

    /// Bytes the blocks cover.
    pub fn total(&self) -> usize {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    fn heap(bytes: usize) -> (Vec<u64>, Buddy) {
        let mut buf = vec![0u64; bytes / 8];
        let mut b = Buddy::new();
        // SAFETY: the buffer outlives the heap in each test.
        unsafe { b.init(buf.as_mut_ptr() as usize, bytes) };
        (buf, b)
    }

    fn l(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn alloc_free_restores_everything() {
        let (_buf, mut b) = heap(1 << 20);
        let total = b.total();
        assert!(total > (1 << 20) - (64 << 10));
        let mut got = Vec::new();
        for i in 0..1000 {
            let layout = l(24 + (i * 37) % 400, 8);
            let p = b.alloc(layout).expect("room");
            // Every block is aligned to its size and inside the heap.
            let size = Buddy::order_of(&layout);
            assert_eq!(p.as_ptr() as usize % (1 << size), 0);
            assert!(p.as_ptr() as usize >= b.start && (p.as_ptr() as usize) < b.end);
            unsafe { p.as_ptr().write_bytes(0xa5, layout.size()) };
            got.push((p, layout));
        }
        // Blocks do not overlap.
        let mut spans: Vec<(usize, usize)> = got
            .iter()
            .map(|(p, l)| (p.as_ptr() as usize, 1 << Buddy::order_of(l)))
            .collect();
        spans.sort();
        assert!(spans.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0));
        let allocated = b.allocated();
        assert_eq!(allocated, spans.iter().map(|s| s.1).sum::<usize>());
        // Free every other one, then the rest: all merges back.
        for (p, layout) in got.iter().step_by(2) {
            unsafe { b.dealloc(*p, *layout) };
        }
        for (p, layout) in got.iter().skip(1).step_by(2) {
            unsafe { b.dealloc(*p, *layout) };
        }
        assert_eq!(b.allocated(), 0);
        // Fully merged: the largest block the heap had can be had again.
        let largest = (MIN_ORDER..ORDERS)
            .rev()
            .find(|&o| b.heads[o] != 0)
            .unwrap();
        assert!(b.alloc(l(1 << largest, 8)).is_some());
    }

    #[test]
    fn exhaustion_is_none_and_alignment_is_honoured() {
        let (_buf, mut b) = heap(64 << 10);
        let p = b.alloc(l(100, 4096)).unwrap();
        assert_eq!(p.as_ptr() as usize % 4096, 0);
        let mut n = 0;
        while b.alloc(l(32, 8)).is_some() {
            n += 1;
        }
        assert!(n > 1000);
        assert!(b.alloc(l(32, 8)).is_none());
        assert!(b.alloc(l(1 << 20, 8)).is_none());
    }
}
