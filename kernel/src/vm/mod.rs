//! Virtual memory as EL0 sees it: VMO objects (an `mm::Vmo` plus who maps
//! it), address spaces (a translation table, the mappings in it, the fault
//! handler and the user-copy routines), and ASIDs.

pub mod asid;
pub mod by_id;
pub mod region;
pub mod vmar;

#[cfg(target_os = "none")]
pub mod aspace;
#[cfg(target_os = "none")]
pub mod fastcopy;
#[cfg(target_os = "none")]
pub mod mapping;
#[cfg(target_os = "none")]
pub mod spare;
#[cfg(target_os = "none")]
pub mod vmo;

#[cfg(target_os = "none")]
pub use aspace::{Access, AddressSpace, UserFault};
#[cfg(target_os = "none")]
pub use vmo::VmoObject;

#[cfg(target_os = "none")]
use crate::memory::FRAMES;
#[cfg(target_os = "none")]
use mm::frame::Frame;
#[cfg(target_os = "none")]
use mm::phys::PhysAddr;
#[cfg(target_os = "none")]
use platform::arch::user_pt::TableAllocator;

/// Translation-table pages come from the page allocator, zeroed.
#[cfg(target_os = "none")]
pub struct FrameTables;

#[cfg(target_os = "none")]
impl TableAllocator for FrameTables {
    fn alloc_table(&mut self) -> Option<u64> {
        Frame::alloc_zeroed(&FRAMES)
            .ok()
            .map(|f| f.into_raw().as_u64())
    }

    fn free_table(&mut self, pa: u64) {
        // SAFETY: `pa` came from `alloc_table` (a `Frame` of FRAMES turned
        // into a raw address) and the table no longer references it.
        drop(unsafe { Frame::from_raw(PhysAddr::new(pa), &FRAMES) });
    }
}
