//! A VMO as a kernel object: the page store (`mm::Vmo`) behind a lock, its
//! koid, its relatives (parent, live children: the `ZX_VMO_ZERO_CHILDREN`
//! signal) and the mappings that must lose their page-table entries before
//! pages are freed or replaced.
//!
//! A slice has no pages of its own: it is a window `[base, base + size)`
//! onto a root VMO (slices of slices point at the root directly), and every
//! page operation goes to the root. Mappings are always recorded on the root,
//! with root offsets, so unmapping pages there covers slices too.

use super::aspace::AddressSpace;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use mm::vmo::Vmo;
use spin::Mutex;
use zx_abi::{ZxStatus, PAGE_SIZE};

/// Where one mapping of a VMO lives, so the VMO can reach its page tables.
#[derive(Clone)]
pub struct MappingRef {
    pub id: u64,
    pub aspace: Weak<AddressSpace>,
    pub base: u64,
    /// Offset in the root VMO.
    pub vmo_offset: u64,
    pub len: u64,
}

/// A VMO's mappings, by mapping id.
pub type MappingRefs = alloc::collections::BTreeMap<u64, MappingRef>;

pub struct VmoInner {
    /// The pages (for a slice: only its size, content size and name).
    pub vmo: Vmo,
    /// Mappings of this root VMO and of its slices (root offsets), by
    /// mapping id: removing one is logarithmic however many there are.
    pub mappings: MappingRefs,
}

impl VmoInner {
    /// Runs `f`, an operation that may commit or replace pages in
    /// `[offset, offset + len)`, with the two duties every such operation
    /// has: committing a page may need a page-list node from the kernel heap,
    /// so a missing (or shared) page first needs heap headroom; and if `f`
    /// replaced a frame, mappings that still show the old one lose it.
    pub fn change<R>(
        &mut self,
        offset: u64,
        len: u64,
        f: impl FnOnce(&mut Vmo) -> Result<R, ZxStatus>,
    ) -> Result<R, ZxStatus> {
        if len > 0 {
            let (first, last) = (offset / PAGE_SIZE, (offset + len - 1) / PAGE_SIZE);
            let commits = (first..=last)
                .any(|i| self.vmo.lookup_page(i).is_none() || self.vmo.is_page_shared(i));
            if commits {
                crate::heap::ensure_headroom()?;
            }
        }
        let generation = self.vmo.generation();
        let result = f(&mut self.vmo);
        if self.vmo.generation() != generation {
            unmap_refs(&self.mappings, offset, len);
        }
        result
    }
}

/// How a VMO came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Plain,
    /// A copy-on-write snapshot child; `immutable` if created `NO_WRITE`.
    Snapshot {
        immutable: bool,
    },
    Slice,
}

pub struct VmoObject {
    pub koid: u64,
    pub kind: Kind,
    pub inner: Mutex<VmoInner>,
    /// For a slice: the root VMO and where the window starts in it.
    pub window: Option<(Arc<VmoObject>, u64)>,
    /// The VMO this one was created from, and its koid.
    pub parent: Option<(Weak<VmoObject>, u64)>,
    /// Live children (their handles or mappings keep them alive).
    pub children: AtomicUsize,
    /// Mappings of this object itself.
    pub mapping_count: AtomicUsize,
    /// Whether any page may be shared copy-on-write (this VMO was
    /// snapshotted or is a snapshot): writes may replace frames.
    pub has_cow: core::sync::atomic::AtomicBool,
}

static LIVE_VMOS: AtomicUsize = AtomicUsize::new(0);

/// VMO objects alive right now (for the leak statistics).
pub fn live_count() -> usize {
    LIVE_VMOS.load(Ordering::Relaxed)
}

/// Orders unlocked discardable VMOs: smaller is older, reclaimed first.
static UNLOCK_SEQUENCE: AtomicU64 = AtomicU64::new(1);

pub fn next_unlock_sequence() -> u64 {
    UNLOCK_SEQUENCE.fetch_add(1, Ordering::Relaxed)
}

/// Every discardable VMO, for reclaim.
static DISCARDABLE: Mutex<Vec<Weak<VmoObject>>> = Mutex::new(Vec::new());

impl VmoObject {
    fn build(
        vmo: Vmo,
        kind: Kind,
        window: Option<(Arc<VmoObject>, u64)>,
        parent: Option<&Arc<VmoObject>>,
    ) -> Arc<Self> {
        LIVE_VMOS.fetch_add(1, Ordering::Relaxed);
        if let Some(p) = parent {
            p.children.fetch_add(1, Ordering::AcqRel);
        }
        let discardable = vmo.options().contains(mm::vmo::VmoOptions::DISCARDABLE);
        let object = Arc::new(Self {
            koid: crate::object::new_koid(),
            kind,
            inner: Mutex::new(VmoInner {
                vmo,
                mappings: MappingRefs::new(),
            }),
            window,
            parent: parent.map(|p| (Arc::downgrade(p), p.koid)),
            children: AtomicUsize::new(0),
            mapping_count: AtomicUsize::new(0),
            has_cow: core::sync::atomic::AtomicBool::new(matches!(kind, Kind::Snapshot { .. })),
        });
        if discardable {
            let mut list = DISCARDABLE.lock();
            list.retain(|w| w.strong_count() > 0);
            list.push(Arc::downgrade(&object));
        }
        object
    }

    /// A VMO with its own pages.
    pub fn new(vmo: Vmo) -> Arc<Self> {
        Self::build(vmo, Kind::Plain, None, None)
    }

    /// A copy-on-write snapshot of `parent` (`vmo` was made by
    /// `mm::Vmo::snapshot` from the parent's pages).
    pub fn new_snapshot(vmo: Vmo, parent: &Arc<VmoObject>, immutable: bool) -> Arc<Self> {
        parent.has_cow.store(true, Ordering::Release);
        Self::build(vmo, Kind::Snapshot { immutable }, None, Some(parent))
    }

    /// A slice of `parent` at `offset`; `shape` carries its size and name.
    pub fn new_slice(shape: Vmo, parent: &Arc<VmoObject>, offset: u64) -> Arc<Self> {
        let (root, base) = parent.root(offset);
        Self::build(shape, Kind::Slice, Some((root, base)), Some(parent))
    }

    /// The VMO holding the pages at `offset` of this one, and the offset
    /// there.
    pub fn root(self: &Arc<Self>, offset: u64) -> (Arc<VmoObject>, u64) {
        match &self.window {
            Some((root, base)) => (root.clone(), base + offset),
            None => (self.clone(), offset),
        }
    }

    /// The page-rounded size (a slice's own, not its root's).
    pub fn size(&self) -> u64 {
        self.inner.lock().vmo.size()
    }

    /// Whether `ZX_VMO_ZERO_CHILDREN` is asserted.
    pub fn has_zero_children(&self) -> bool {
        self.children.load(Ordering::Acquire) == 0
    }

    /// Removes the page-table entries of every mapping for the (root) VMO
    /// pages `[offset, offset + len)`, so the pages can be freed or replaced.
    /// The next access faults and maps whatever the VMO holds then.
    pub fn unmap_pages(&self, offset: u64, len: u64) {
        // Under the VMO's lock (VMO before address space is the lock order):
        // the list can be long, and copying it would cost heap.
        unmap_refs(&self.inner.lock().mappings, offset, len);
    }

    /// Like `unmap_pages` but gives up (false) rather than wait for a lock:
    /// for reclaim, which runs inside allocations whose callers hold locks.
    fn try_unmap_all(&self, inner: &VmoInner) -> bool {
        inner.mappings.values().all(|m| match m.aspace.upgrade() {
            Some(aspace) => aspace.try_unmap_ptes(m.base, m.len),
            None => true,
        })
    }
}

/// Drops the page-table entries of `mappings` that show root pages in
/// `[offset, offset + len)`.
pub fn unmap_refs(mappings: &MappingRefs, offset: u64, len: u64) {
    let end = offset.saturating_add(len);
    for m in mappings.values() {
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

impl Drop for VmoObject {
    fn drop(&mut self) {
        LIVE_VMOS.fetch_sub(1, Ordering::Relaxed);
        if let Some((parent, _)) = &self.parent {
            if let Some(p) = parent.upgrade() {
                p.children.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }
}

/// The page allocator's memory-pressure hook: discards the oldest unlocked
/// discardable VMO that can be discarded right now. True if pages were
/// freed. Never waits for a lock (the allocation that ran out may be holding
/// some): a VMO whose locks are taken is skipped.
pub fn reclaim() -> bool {
    let candidates: Vec<Arc<VmoObject>> = match DISCARDABLE.try_lock() {
        Some(list) => list.iter().filter_map(Weak::upgrade).collect(),
        None => return false,
    };
    let mut best: Option<(u64, &Arc<VmoObject>)> = None;
    for vmo in &candidates {
        let Some(inner) = vmo.inner.try_lock() else {
            continue;
        };
        if let mm::vmo::DiscardState::Reclaimable(seq) = inner.vmo.discard_state() {
            if inner.vmo.committed_pages() > 0 && best.is_none_or(|(b, _)| seq < b) {
                best = Some((seq, vmo));
            }
        }
    }
    let Some((_, vmo)) = best else { return false };
    let Some(mut inner) = vmo.inner.try_lock() else {
        return false;
    };
    if !vmo.try_unmap_all(&inner) {
        return false;
    }
    let freed = inner.vmo.discard();
    drop(inner);
    RECLAIMED_PAGES.fetch_add(freed as u64, Ordering::Relaxed);
    freed > 0
}

/// Pages discarded under memory pressure since boot.
pub static RECLAIMED_PAGES: AtomicU64 = AtomicU64::new(0);
