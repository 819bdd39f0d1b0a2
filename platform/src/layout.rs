//! The kernel's virtual address layout: where the linear map of physical
//! memory and the kernel image live in the upper half, and where EL0 lives.

/// Physical address `pa` is visible at `LINEAR_BASE + pa` (RAM as normal
/// memory, device registers as device memory).
pub const LINEAR_BASE: u64 = 0xFFFF_0000_0000_0000;

/// Bottom of the region the kernel image is linked in (see `linker/kernel.ld`).
pub const KIMAGE_BASE: u64 = 0xFFFF_FFFF_8000_0000;

/// EL0 addresses are below this (TTBR0, 48 bits).
pub const USER_TOP: u64 = 1 << 48;

/// The virtual address of physical address `pa` in the linear map.
pub const fn phys_to_virt(pa: u64) -> u64 {
    LINEAR_BASE + pa
}

/// The physical address behind a linear-map address, if it is one.
pub const fn virt_to_phys(va: u64) -> Option<u64> {
    if va >= LINEAR_BASE && va < KIMAGE_BASE {
        Some(va - LINEAR_BASE)
    } else {
        None
    }
}
