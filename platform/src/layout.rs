//! The kernel's virtual address layout: where the linear map of physical
//! memory and the kernel image live in the upper half, and where EL0 lives.

/// Physical address `pa` is visible at `LINEAR_BASE + pa` (RAM as normal
/// memory, device registers as device memory).
pub const LINEAR_BASE: u64 = 0xFFFF_0000_0000_0000;

/// Bottom of the region the kernel image is linked in (see `linker/kernel.ld`).
pub const KIMAGE_BASE: u64 = 0xFFFF_FFFF_8000_0000;

/// Kernel stacks of threads live in the `KSTACK_REGION_SIZE` bytes from
/// `KSTACK_REGION_BASE`, between the linear map and the image, each in a
/// slot whose lowest pages stay unmapped (its guard).
pub const KSTACK_REGION_BASE: u64 = 0xFFFF_FFFF_0000_0000;
pub const KSTACK_REGION_SIZE: u64 = 128 << 20;

/// Whether `va` is in the kernel-stack region.
pub const fn is_kernel_stack_region(va: u64) -> bool {
    va >= KSTACK_REGION_BASE && va < KSTACK_REGION_BASE + KSTACK_REGION_SIZE
}

/// EL0 addresses are below this (TTBR0, 48 bits).
pub const USER_TOP: u64 = 1 << 48;

/// The virtual address of physical address `pa` in the linear map.
pub const fn phys_to_virt(pa: u64) -> u64 {
    LINEAR_BASE + pa
}

/// The physical address behind a linear-map address, if it is one.
pub const fn virt_to_phys(va: u64) -> Option<u64> {
    if va >= LINEAR_BASE && va < KSTACK_REGION_BASE {
        Some(va - LINEAR_BASE)
    } else {
        None
    }
}
