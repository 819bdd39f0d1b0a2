//! The kernel heap: `buddy_system_allocator`'s heap over a block of RAM
//! carved out at boot, sized from the amount of RAM.

use buddy_system_allocator::LockedHeap;

#[global_allocator]
static HEAP: LockedHeap<32> = LockedHeap::empty();

/// Heap size for a machine with `ram_bytes` of RAM: 1/64th, between 4 and
/// 64 MiB, so that large VMO page maps fit without starving user memory.
pub fn size_for(ram_bytes: u64) -> u64 {
    (ram_bytes / 64).clamp(4 << 20, 64 << 20) & !0xfff
}

/// Hands `[start, start + size)` (kernel virtual addresses) to the heap.
///
/// # Safety
/// The range must be mapped, writable, unused by anything else, and never
/// handed out again.
pub unsafe fn init(start: usize, size: usize) {
    // SAFETY: the caller guarantees the range is ours for good.
    unsafe { HEAP.lock().init(start, size) };
}

/// Bytes currently allocated from the heap.
pub fn used_bytes() -> usize {
    HEAP.lock().stats_alloc_actual()
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
    let heap = HEAP.lock();
    let free = heap.stats_total_bytes() - heap.stats_alloc_actual();
    if free < RESERVE.saturating_add(bytes) {
        Err(zx_abi::ZxStatus::NoMemory)
    } else {
        Ok(())
    }
}
