//! A VMO as a kernel object: the page store (`mm::Vmo`) behind a lock, its
//! koid, and the list of mappings that must lose their page-table entries
//! before pages are freed (shrinking, decommitting, zeroing).

use super::aspace::AddressSpace;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use mm::vmo::Vmo;
use spin::Mutex;

/// Where one mapping of a VMO lives, so the VMO can reach its page tables.
#[derive(Clone)]
pub struct MappingRef {
    pub id: u64,
    pub aspace: Weak<AddressSpace>,
    pub base: u64,
    pub vmo_offset: u64,
    pub len: u64,
}

pub struct VmoInner {
    pub vmo: Vmo,
    pub mappings: Vec<MappingRef>,
}

pub struct VmoObject {
    pub koid: u64,
    pub inner: Mutex<VmoInner>,
}

static LIVE_VMOS: AtomicUsize = AtomicUsize::new(0);

/// VMO objects alive right now (for the leak statistics).
pub fn live_count() -> usize {
    LIVE_VMOS.load(Ordering::Relaxed)
}

impl VmoObject {
    pub fn new(vmo: Vmo) -> Arc<Self> {
        LIVE_VMOS.fetch_add(1, Ordering::Relaxed);
        Arc::new(Self {
            koid: crate::object::new_koid(),
            inner: Mutex::new(VmoInner {
                vmo,
                mappings: Vec::new(),
            }),
        })
    }

    /// Removes the page-table entries of every mapping for the VMO pages
    /// `[offset, offset + len)`, so the pages can be freed or replaced. The
    /// next access faults and maps whatever the VMO holds then.
    pub fn unmap_pages(&self, offset: u64, len: u64) {
        let mappings = self.inner.lock().mappings.clone();
        let end = offset.saturating_add(len);
        for m in mappings {
            let m_end = m.vmo_offset + m.len;
            let (lo, hi) = (offset.max(m.vmo_offset), end.min(m_end));
            if lo >= hi {
                continue;
            }
            if let Some(aspace) = m.aspace.upgrade() {
                aspace.unmap_ptes(m.base + (lo - m.vmo_offset), hi - lo);
            }
        }
    }
}

impl Drop for VmoObject {
    fn drop(&mut self) {
        LIVE_VMOS.fetch_sub(1, Ordering::Relaxed);
    }
}
