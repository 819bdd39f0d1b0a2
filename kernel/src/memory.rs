//! The machine's memory, as the kernel manages it: the page allocator over
//! every free RAM range and the kernel heap carved from it at boot.

use mm::frame::FrameAllocator;
use mm::phys::PhysAddr;
use platform::dt::Range;

/// Every free page of RAM. Its lock waits as the kernel's spin locks do.
pub static FRAMES: FrameAllocator = FrameAllocator::with_relax(platform::arch::cpu::relax);

/// What `init` did with RAM, for the boot log.
pub struct MemoryReport {
    pub heap: Range,
}

/// Sets up the linear-map access for `mm`, carves the heap out of the largest
/// usable range, and gives the rest to the page allocator.
///
/// # Safety
/// Call once at boot, after the kernel tables map all RAM linearly; `usable`
/// must be RAM that nothing else uses.
pub unsafe fn init(usable: &[Range], ram_bytes: u64) -> MemoryReport {
    // SAFETY: the linear map covers all RAM from here on; `dc zva` zeroing is
    // valid on normal memory the caller owns.
    unsafe {
        mm::phys::init(
            platform::layout::LINEAR_BASE,
            Some(platform::arch::cpu::zero_page),
        )
    };

    let heap_size = crate::heap::size_for(ram_bytes);
    let largest = usable
        .iter()
        .copied()
        .max_by_key(|r| r.size)
        .expect("no usable RAM");
    assert!(
        largest.size > heap_size,
        "not enough RAM for the kernel heap"
    );
    let heap = Range {
        base: largest.base,
        size: heap_size,
    };
    // SAFETY: `heap` is usable RAM, mapped by the linear map, and excluded
    // from the page allocator below.
    unsafe {
        crate::heap::init(
            platform::layout::phys_to_virt(heap.base) as usize,
            heap_size as usize,
        )
    };

    for r in usable {
        let (mut start, end) = (r.base, r.base + r.size);
        if start == heap.base {
            start += heap.size;
        }
        if end > start {
            // SAFETY: usable RAM, given to the allocator exactly once.
            unsafe { FRAMES.add_range(PhysAddr::new(start), PhysAddr::new(end)) };
        }
    }
    MemoryReport { heap }
}
