//! Virtual memory as EL0 sees it: VMO objects (an `mm::Vmo` plus who maps
//! it), address spaces (a translation table, the mappings in it, the fault
//! handler and the user-copy routines), and ASIDs.

pub mod asid;
pub mod aspace;
pub mod fastcopy;
pub mod mapping;
pub mod vmo;

pub use aspace::{Access, AddressSpace, UserFault};
pub use vmo::VmoObject;

use crate::memory::FRAMES;
use mm::frame::Frame;
use mm::phys::PhysAddr;
use platform::arch::user_pt::TableAllocator;

/// Translation-table pages come from the page allocator, zeroed.
pub struct FrameTables;

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
