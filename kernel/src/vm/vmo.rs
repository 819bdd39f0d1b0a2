//! A VMO as a kernel object: the page store (`mm::Vmo`) behind a lock, its
//! koid and signals, its relatives (parent, live children: the
//! `ZX_VMO_ZERO_CHILDREN` signal) and the mappings that must lose their
//! page-table entries before pages are freed or replaced (the protocol in
//! `vm::mapping`, which every page-changing method here follows).
//!
//! The content size (Zircon's stream size) changes only under the VMO's
//! `stream_lock`, taken before the VMO's page lock: a stream write reads the
//! content size, writes and grows it under one hold of it, so concurrent
//! appends and `set_size`/`set_stream_size`/`ZX_PROP_VMO_CONTENT_SIZE`
//! never interleave with one (lock order in `object::stream`).
//!
//! A slice has no pages of its own: it is a window `[base, base + size)`
//! onto a root VMO (slices of slices point at the root directly), and every
//! page operation goes to the root. Mappings are always recorded on the root,
//! with root offsets, so unmapping pages there covers slices too.
//!
//! A reference (`ZX_VMO_CHILD_REFERENCE`) is a window onto the whole of its
//! root that also takes the root's size, content size and `stream_lock`: it
//! is the root seen through another object (its own koid, name, rights,
//! children and signals). Its own record holds no page, so nothing is
//! attributed to it (Zircon's rule), and every page, size or content-size
//! change goes to the root under the root's locks: no lock of its own is
//! ever taken together with the root's.

use super::mapping::{try_unmap_all, unmap_refs, MappingRefs};
use crate::cold_drop::{ColdDrop, OwnsNothing};
use crate::object::ObjectBase;
use crate::sync::spin_lock::Mutex;
use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use mm::vmo::Vmo;
use zx_abi::{obj_type, Rights, Signals, ZxStatus, PAGE_SIZE};

pub struct VmoInner {
    /// The pages (for a slice: only its size, content size and name).
    pub vmo: Vmo,
    /// Mappings of this root VMO and of its slices (root offsets), by
    /// mapping id: removing one is logarithmic however many there are.
    pub mappings: MappingRefs,
}

impl VmoInner {
    /// Runs `f`, a write that may commit or replace pages in `[offset,
    /// offset + len)`, with the two duties every such write has: committing
    /// a page may need a page-list node from the kernel heap, so a missing
    /// (or shared) page first needs heap headroom; and a shared page is
    /// about to be replaced by a private copy, so the mappings that show it
    /// lose their entries first (the protocol's step 1).
    pub fn change<R>(
        &mut self,
        offset: u64,
        len: u64,
        f: impl FnOnce(&mut Vmo) -> Result<R, ZxStatus>,
    ) -> Result<R, ZxStatus> {
        if len > 0 {
            let (first, last) = (offset / PAGE_SIZE, (offset + len - 1) / PAGE_SIZE);
            let mut commits = false;
            let mut replaces = false;
            for i in first..=last {
                match self.vmo.lookup_page(i) {
                    None => commits = true,
                    Some(_) if self.vmo.is_page_shared(i) => replaces = true,
                    Some(_) => {}
                }
            }
            if commits || replaces {
                crate::heap::ensure_headroom()?;
            }
            if replaces {
                unmap_refs(&self.mappings, offset, len);
            }
        }
        f(&mut self.vmo)
    }

    /// Runs `f`, which frees or replaces frames in `[offset, offset + len)`
    /// (decommit, zero, shrink, snapshot), after the mappings that show them
    /// lost their entries on every core: the protocol in one call.
    pub fn remove_pages<R>(&mut self, offset: u64, len: u64, f: impl FnOnce(&mut Vmo) -> R) -> R {
        unmap_refs(&self.mappings, offset, len);
        f(&mut self.vmo)
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
    /// A `ZX_VMO_CHILD_REFERENCE` child: the whole root, sized as it is.
    Reference,
}

#[repr(C)]
pub struct VmoObject {
    base: ObjectBase,
    pub kind: Kind,
    /// The pages and the mappings. Its drop (and the lineage's) is out of
    /// line and skipped when there is nothing to free, so that a VMO that
    /// dies with no page, mapping or parent pays no stack frame for them.
    pub inner: ColdDrop<Mutex<VmoInner>>,
    /// Where a child comes from; `None` for a VMO of `zx_vmo_create`. Boxed:
    /// it would take 56 of a plain VMO's bytes, and without them the record
    /// fits a 256-byte heap block instead of a 512-byte one.
    lineage: ColdDrop<Option<Box<Lineage>>>,
    /// Live children (their handles or mappings keep them alive); changed
    /// only under the signal lock, with `ZX_VMO_ZERO_CHILDREN`.
    children: AtomicU32,
    /// Mappings of this object itself.
    pub mapping_count: AtomicU32,
    /// Whether any page may be shared copy-on-write (this VMO was
    /// snapshotted or is a snapshot): writes may replace frames.
    pub has_cow: core::sync::atomic::AtomicBool,
    /// `ZX_CACHE_POLICY_*`: set only while nothing maps, shares or holds a
    /// page of the VMO (`zx_vmo_set_cache_policy`), so a mapping sees one
    /// value for its whole life.
    cache_policy: AtomicU32,
    /// Held by whatever changes the content size (streams): taken before
    /// `inner`, never while holding it. A reference uses its root's
    /// (see [`VmoObject::stream_lock`]).
    own_stream_lock: Mutex<()>,
}

/// A child VMO's relatives.
struct Lineage {
    /// For a slice or reference: the root VMO and where the window starts
    /// in it (0 for a reference).
    window: Option<(Arc<VmoObject>, u64)>,
    /// The VMO this one was created from, and its koid.
    parent: (Weak<VmoObject>, u64),
    /// For a slice or reference: its parent, kept alive while the child
    /// lives, so a grandparent's `ZX_VMO_ZERO_CHILDREN` stays off while any
    /// descendant exists.
    /// Held, never read: the reference is the point.
    _kept_parent: Option<Arc<VmoObject>>,
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
    /// Inlined into each constructor, so that the record is written once,
    /// into its allocation, rather than built on the stack and copied.
    #[inline(always)]
    fn build(
        vmo: Vmo,
        kind: Kind,
        window: Option<(Arc<VmoObject>, u64)>,
        parent: Option<&Arc<VmoObject>>,
    ) -> Arc<Self> {
        LIVE_VMOS.fetch_add(1, Ordering::Relaxed);
        if let Some(p) = parent {
            p.change_children(1);
        }
        // A window belongs to a child (a slice or a reference).
        debug_assert!(window.is_none() || parent.is_some());
        let discardable = vmo.options().contains(mm::vmo::VmoOptions::DISCARDABLE);
        let base = ObjectBase::new(Signals::VMO_ZERO_CHILDREN);
        let object = Arc::new(Self {
            base,
            kind,
            inner: ColdDrop::new(Mutex::new(VmoInner {
                vmo,
                mappings: MappingRefs::new(),
            })),
            lineage: ColdDrop::new(parent.map(|p| {
                Box::new(Lineage {
                    window,
                    parent: (Arc::downgrade(p), p.base.koid),
                    _kept_parent: matches!(kind, Kind::Slice | Kind::Reference).then(|| p.clone()),
                })
            })),
            children: AtomicU32::new(0),
            mapping_count: AtomicU32::new(0),
            has_cow: core::sync::atomic::AtomicBool::new(matches!(kind, Kind::Snapshot { .. })),
            cache_policy: AtomicU32::new(zx_abi::cache_policy::CACHED),
            own_stream_lock: Mutex::new(()),
        });
        if discardable {
            Self::register_discardable(&object);
        }
        object
    }

    /// Lists a new discardable VMO for reclaim.
    #[inline(never)]
    fn register_discardable(object: &Arc<Self>) {
        let mut list = DISCARDABLE.lock();
        list.retain(|w| w.strong_count() > 0);
        list.push(Arc::downgrade(object));
    }

    /// A VMO with its own pages.
    #[inline]
    pub fn new(vmo: Vmo) -> Arc<Self> {
        Self::build(vmo, Kind::Plain, None, None)
    }

    /// A copy-on-write snapshot of `parent` (`vmo` was made by
    /// `mm::Vmo::snapshot` from the parent's pages).
    pub fn new_snapshot(vmo: Vmo, parent: &Arc<VmoObject>, immutable: bool) -> Arc<Self> {
        parent.has_cow.store(true, Ordering::Release);
        // The pages shared are the root's when the parent is a reference.
        if let Some(root) = parent.reference_root() {
            root.has_cow.store(true, Ordering::Release);
        }
        Self::build(vmo, Kind::Snapshot { immutable }, None, Some(parent))
    }

    /// A slice of `parent` at `offset`; `shape` carries its size and name.
    pub fn new_slice(shape: Vmo, parent: &Arc<VmoObject>, offset: u64) -> Arc<Self> {
        let (root, base) = parent.root(offset);
        Self::build(shape, Kind::Slice, Some((root, base)), Some(parent))
    }

    /// A reference to `parent` (not a slice; the caller checked): a window
    /// onto all of `parent`'s root. `shape` carries its name and the root's
    /// resizability; its size is never read.
    pub fn new_reference(shape: Vmo, parent: &Arc<VmoObject>) -> Arc<Self> {
        debug_assert!(parent.kind != Kind::Slice);
        let (root, _) = parent.root(0);
        Self::build(shape, Kind::Reference, Some((root, 0)), Some(parent))
    }

    /// For a slice or reference: the root VMO and where the window starts
    /// in it (0 for a reference).
    #[inline]
    pub fn window(&self) -> Option<&(Arc<VmoObject>, u64)> {
        self.lineage.as_ref()?.window.as_ref()
    }

    /// The VMO this one was created from, and its koid.
    pub fn parent(&self) -> Option<&(Weak<VmoObject>, u64)> {
        self.lineage.as_ref().map(|l| &l.parent)
    }

    /// For a reference: the root whose pages, size and content size it
    /// shows.
    pub fn reference_root(&self) -> Option<&Arc<VmoObject>> {
        match (self.window(), self.kind) {
            (Some((root, _)), Kind::Reference) => Some(root),
            _ => None,
        }
    }

    /// The object whose record holds this one's size and content size: the
    /// root for a reference, else itself.
    pub fn size_holder(&self) -> &VmoObject {
        self.reference_root().map_or(self, |root| root)
    }

    /// The lock whatever changes the content size holds (a reference's is
    /// its root's: they share the content size).
    pub fn stream_lock(&self) -> &Mutex<()> {
        &self.size_holder().own_stream_lock
    }

    /// The VMO holding the pages at `offset` of this one, and the offset
    /// there.
    pub fn root(self: &Arc<Self>, offset: u64) -> (Arc<VmoObject>, u64) {
        match self.window() {
            Some((root, base)) => (root.clone(), base + offset),
            None => (self.clone(), offset),
        }
    }

    /// The page-rounded size (a slice's own, not its root's; a reference's
    /// root's).
    pub fn size(&self) -> u64 {
        self.size_holder().inner.lock().vmo.size()
    }

    /// `ZX_CACHE_POLICY_*` of the VMO's pages.
    pub fn cache_policy(&self) -> u32 {
        self.cache_policy.load(Ordering::Acquire)
    }

    /// The memory type its pages are mapped with.
    pub fn memory_type(&self) -> platform::arch::user_pt::MemoryType {
        use platform::arch::user_pt::MemoryType;
        match self.cache_policy() {
            zx_abi::cache_policy::CACHED => MemoryType::Cached,
            zx_abi::cache_policy::WRITE_COMBINING => MemoryType::WriteCombining,
            _ => MemoryType::Device,
        }
    }

    /// `zx_vmo_set_cache_policy` after the argument and rights checks:
    /// `BAD_STATE` while the VMO is mapped, has or is a child, or holds a
    /// page. Under the VMO's lock, which commits and maps take.
    pub fn set_cache_policy(&self, policy: u32) -> Result<(), ZxStatus> {
        let inner = self.inner.lock();
        let busy = self.mapping_count.load(Ordering::Acquire) != 0
            || self.child_count() != 0
            || self.lineage.is_some()
            || inner.vmo.committed_pages() != 0
            || !inner.mappings.is_empty();
        if busy {
            return Err(ZxStatus::BadState);
        }
        self.cache_policy.store(policy, Ordering::Release);
        Ok(())
    }

    /// Whether `ZX_VMO_ZERO_CHILDREN` is asserted.
    pub fn has_zero_children(&self) -> bool {
        self.children.load(Ordering::Acquire) == 0
    }

    /// Live children.
    pub fn child_count(&self) -> usize {
        self.children.load(Ordering::Acquire) as usize
    }

    /// Adds `delta` (±1) to the live children and keeps
    /// `ZX_VMO_ZERO_CHILDREN` in step, both under the signal lock.
    fn change_children(&self, delta: isize) {
        self.base.signals.update_with(|bits| {
            let now = if delta > 0 {
                self.children.fetch_add(1, Ordering::AcqRel) + 1
            } else {
                self.children.fetch_sub(1, Ordering::AcqRel) - 1
            };
            if now == 0 {
                *bits | Signals::VMO_ZERO_CHILDREN
            } else {
                *bits - Signals::VMO_ZERO_CHILDREN
            }
        });
    }
}

crate::kernel_object!(VmoObject, obj_type::VMO, Rights::DEFAULT_VMO);

impl VmoObject {
    /// Sets the content size and zeroes what lies beyond it (through the
    /// root for a slice), the page-table entries of pages that may go
    /// removed first, under the same hold of the root's lock.
    pub fn set_content_size(self: &Arc<Self>, content: u64) -> Result<(), ZxStatus> {
        if let Some(root) = self.reference_root() {
            return root.set_content_size(content);
        }
        let _stream = self.own_stream_lock.lock();
        self.zero_tail_and_set(content, content)
    }

    /// `zx_vmo_set_stream_size`: as Zircon, the stream size may not pass the
    /// VMO's size (`OUT_OF_RANGE`), and everything from the smaller of the
    /// old and new stream size to the VMO's end becomes zero, so a grown
    /// stream reads zeroes past its old end.
    pub fn set_stream_size(self: &Arc<Self>, stream_size: u64) -> Result<(), ZxStatus> {
        if let Some(root) = self.reference_root() {
            return root.set_stream_size(stream_size);
        }
        let _stream = self.own_stream_lock.lock();
        let old = self.content_size();
        if stream_size == old {
            return Ok(());
        }
        if stream_size > self.size() {
            return Err(ZxStatus::OutOfRange);
        }
        self.zero_tail_and_set(stream_size.min(old), stream_size)
    }

    /// Zeroes `[from, size)` and records `content` as the content size.
    /// The caller holds `stream_lock`.
    fn zero_tail_and_set(self: &Arc<Self>, from: u64, content: u64) -> Result<(), ZxStatus> {
        let size = self.size();
        if self.window().is_none() {
            let mut v = self.inner.lock();
            let tail = size.saturating_sub(from);
            return v.remove_pages(from.min(size), tail, |vmo| {
                vmo.zero(from.min(size), tail)?;
                vmo.set_content_size(content)
            });
        }
        self.zero_range(from.min(size), size.saturating_sub(from))?;
        // A slice's own (page-less) record holds its content size.
        let result = self.inner.lock().vmo.set_content_size(content);
        result
    }

    /// The content (stream) size.
    pub fn content_size(&self) -> u64 {
        self.size_holder().inner.lock().vmo.content_size()
    }

    /// Records the content size a stream write reached (no byte changes).
    /// The caller holds `stream_lock`.
    pub fn record_content_size(&self, content: u64) {
        self.size_holder()
            .inner
            .lock()
            .vmo
            .record_content_size(content);
    }

    /// Zeroes `[offset, offset + len)` (through the root for a slice),
    /// page-table entries first: `ZX_VMO_OP_ZERO`'s effect.
    pub fn zero_range(self: &Arc<Self>, offset: u64, len: u64) -> Result<(), ZxStatus> {
        if len == 0 {
            return Ok(());
        }
        let (root, root_offset) = self.root(offset);
        let mut r = root.inner.lock();
        r.remove_pages(root_offset, len, |vmo| vmo.zero(root_offset, len))
    }

    /// Grows a resizable VMO to `size` bytes (a page multiple, larger than
    /// now) for a stream write, keeping its content size. The caller holds
    /// `stream_lock`.
    pub fn grow_for_stream(&self, size: u64) -> Result<(), ZxStatus> {
        let mut v = self.size_holder().inner.lock();
        let content = v.vmo.content_size();
        v.vmo.set_size(size)?;
        v.vmo.record_content_size(content);
        Ok(())
    }

    /// Distinct address spaces among the mappings of this VMO's root,
    /// counted in place with a small fixed set (the list can be long: no
    /// heap, linear time).
    pub fn mapping_address_spaces(self: &Arc<Self>) -> u64 {
        let (root, _) = self.root(0);
        let inner = root.inner.lock();
        let mut seen = [0usize; 16];
        let mut distinct = 0;
        for m in inner.mappings.values() {
            let id = m.owner.as_ptr() as *const () as usize;
            if !seen[..distinct.min(16)].contains(&id) {
                if distinct < 16 {
                    seen[distinct] = id;
                }
                distinct += 1;
            }
        }
        distinct.max(1) as u64
    }
}

impl Drop for VmoObject {
    #[inline(always)]
    fn drop(&mut self) {
        LIVE_VMOS.fetch_sub(1, Ordering::Relaxed);
    }
}

impl OwnsNothing for Mutex<VmoInner> {
    #[inline(always)]
    fn owns_nothing(&mut self) -> bool {
        let inner = self.get_mut();
        inner.vmo.owns_nothing() && inner.mappings.owns_nothing()
    }
}

impl Drop for Lineage {
    /// The child is gone: its parent, if it is still alive, has one live
    /// child fewer (and may raise `ZX_VMO_ZERO_CHILDREN`). After the
    /// child's pages are freed (the record's fields drop in order).
    fn drop(&mut self) {
        if let Some(p) = self.parent.0.upgrade() {
            p.change_children(-1);
        }
    }
}

/// The page allocator's memory-pressure hook: frees the cores' spare pages
/// if there are any, else discards the oldest unlocked
/// discardable VMO that can be discarded right now. True if pages were
/// freed. Never waits for a lock (the allocation that ran out may be holding
/// some): a VMO whose locks are taken is skipped.
pub fn reclaim() -> bool {
    // The cores' spare pages first: they are free memory already.
    if super::spare::release_all() > 0 {
        return true;
    }
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
    if !try_unmap_all(&inner.mappings) {
        return false;
    }
    let freed = inner.vmo.discard();
    drop(inner);
    RECLAIMED_PAGES.fetch_add(freed as u64, Ordering::Relaxed);
    freed > 0
}

/// Pages discarded under memory pressure since boot.
pub static RECLAIMED_PAGES: AtomicU64 = AtomicU64::new(0);
