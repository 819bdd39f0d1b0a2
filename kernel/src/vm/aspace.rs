//! An EL0 address space: its translation table and ASID, the mappings of
//! VMOs in it, the page-fault handler that fills them lazily, and the
//! user-copy routines' slow path. The fast path (`fastcopy`) copies through
//! the program's own table; whatever it cannot do comes here, where user
//! memory is reached through the mappings and VMOs, so a copy to a
//! valid-but-untouched page commits it and a bad pointer is an error value,
//! not a kernel fault.
//!
//! Lock order (see `vm::mapping`): an address space's mappings lock, then
//! a VMO's, then an address space's table lock. Faults share the mappings
//! lock, so the faults of one process's threads on different cores meet
//! only at the VMO's lock (for the page-list insert and the entry) and the
//! table's.

use super::asid::{Asid, ASIDS};
use super::mapping::{unmap_refs, MappingRef, PteOwner};
use super::region::{surviving_pieces, Extent, Regions};
use super::spare;
use super::vmar::{Caps, Node, Tree, VmarId, ROOT};
use super::vmo::VmoObject;
use super::FrameTables;
use crate::rwlock::RwLock;
use crate::sync::spin_lock::Mutex;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use mm::frame::Frame;
use mm::page_list::Page;
use platform::arch::cpu;
use platform::arch::user_pt::{MapError, MemoryType, UserPageTable, UserPerms};
use zx_abi::{ZxStatus, PAGE_SIZE};

/// Addresses EL0 can use: `[0, USER_END)`.
pub const USER_END: u64 = 1 << 48;

/// The kind of access that faulted or that a copy needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// Why a user access cannot be satisfied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserFault {
    /// No mapping covers the address.
    Unmapped,
    /// The mapping does not allow the access.
    Permission,
    /// The mapping extends past the end of its VMO and the address is there.
    BeyondVmo,
    /// No page could be allocated.
    NoMemory,
}

impl UserFault {
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Unmapped => "unmapped address",
            Self::Permission => "access not permitted by the mapping",
            Self::BeyondVmo => "address beyond the end of the mapped VMO",
            Self::NoMemory => "out of memory",
        }
    }
}

/// One VMO mapped at `[base, base + len)`.
pub struct Mapping {
    pub id: u64,
    pub base: u64,
    pub len: u64,
    /// What was mapped (a slice maps its window of a root VMO).
    pub object: Arc<VmoObject>,
    pub object_offset: u64,
    /// The VMO holding the pages, and the offset there.
    pub vmo: Arc<VmoObject>,
    pub vmo_offset: u64,
    pub perms: UserPerms,
    /// The most `zx_vmar_protect` may grant: what both handles allowed
    /// when the mapping was made.
    pub max: UserPerms,
    /// The region the mapping was made in.
    pub vmar: VmarId,
}

static NEXT_MAPPING_ID: AtomicU64 = AtomicU64::new(1);

fn new_mapping_id() -> u64 {
    NEXT_MAPPING_ID.fetch_add(1, Ordering::Relaxed)
}

impl Mapping {
    /// The part `[lo, hi)` of this mapping, as a new mapping.
    fn piece(&self, lo: u64, hi: u64) -> Mapping {
        let skip = lo - self.base;
        self.object.mapping_count.fetch_add(1, Ordering::AcqRel);
        Mapping {
            id: new_mapping_id(),
            base: lo,
            len: hi - lo,
            object: self.object.clone(),
            object_offset: self.object_offset + skip,
            vmo: self.vmo.clone(),
            vmo_offset: self.vmo_offset + skip,
            perms: self.perms,
            max: self.max,
            vmar: self.vmar,
        }
    }

    /// What the root VMO records about this mapping.
    fn reference(&self, aspace: &Arc<AddressSpace>) -> MappingRef {
        let owner: Arc<dyn PteOwner> = aspace.clone();
        MappingRef {
            id: self.id,
            owner: Arc::downgrade(&owner),
            base: self.base,
            vmo_offset: self.vmo_offset,
            len: self.len,
        }
    }

    fn allows(&self, access: Access) -> bool {
        match access {
            Access::Read => self.perms.read,
            Access::Write => self.perms.write,
            Access::Execute => self.perms.execute,
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        self.object.mapping_count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Where `map` may put a mapping.
#[derive(Clone, Copy, Debug)]
pub enum Placement {
    /// Anywhere in `[lo, hi)`, aligned to `align` (a power of two ≥ 4 KiB).
    Anywhere { lo: u64, hi: u64, align: u64 },
    /// Exactly here; fails with `AlreadyExists` on overlap.
    Specific(u64),
    /// Exactly here, replacing whatever overlaps.
    SpecificOverwrite(u64),
}

struct Inner {
    /// Every mapping, whichever region it was made in.
    mappings: Regions<Mapping>,
    /// The regions (VMARs).
    tree: Tree,
    /// Set by `destroy`: nothing can be mapped any more.
    destroyed: bool,
}

impl Extent for Mapping {
    fn base(&self) -> u64 {
        self.base
    }
    fn end(&self) -> u64 {
        self.base + self.len
    }
}

pub struct AddressSpace {
    asid: Asid,
    /// The table's root, 0 once destroyed: what `activate` installs, read
    /// without the lock, so that a thread getting a core never waits for
    /// the lock that faults on other cores hold. Set before the address
    /// space is shared, cleared by `destroy` (which runs once no thread of
    /// the process can run: the process is dead).
    root: AtomicU64,
    /// The mappings and regions. Faults read them, and hold the lock until
    /// the page is mapped: a mapping cannot go while a fault uses it. Map,
    /// unmap, protect and destroy change them, alone.
    inner: RwLock<Inner>,
    /// The translation table, `None` once destroyed. The last lock taken:
    /// by a fault to install an entry, by whatever removes entries (under
    /// the mappings lock, or under a VMO's for the protocol's step 1).
    table: Mutex<Option<UserPageTable>>,
}

/// One mapped piece of a range (`zx_vmar_op_range` works piece by piece).
pub struct Segment {
    pub va: u64,
    pub len: u64,
    /// What was mapped there, and the offset of `va` in it.
    pub object: Arc<VmoObject>,
    pub object_offset: u64,
    /// Whether the mapping may ever be writable.
    pub can_write: bool,
    /// Whether the mapping was made in the region asked about (not in one
    /// of its sub-regions).
    pub direct: bool,
}

/// One node of the region tree as `ZX_INFO_PROCESS_MAPS` lists it.
pub enum MapsNode {
    Vmar {
        base: u64,
        size: u64,
        depth: u64,
    },
    Mapping {
        base: u64,
        size: u64,
        depth: u64,
        perms: UserPerms,
        /// What was mapped, and from where in it.
        object: Arc<VmoObject>,
        object_offset: u64,
        /// The VMO holding the pages, and the range there.
        vmo: Arc<VmoObject>,
        vmo_offset: u64,
    },
}

/// What a copy needs to know about the mapping at an address.
struct Target {
    object: Arc<VmoObject>,
    object_offset: u64,
    vmo: Arc<VmoObject>,
    vmo_offset: u64,
}

impl AddressSpace {
    /// An empty address space with its own ASID.
    pub fn new() -> Result<Arc<Self>, ZxStatus> {
        let table = UserPageTable::new(&mut FrameTables).map_err(|_| ZxStatus::NoMemory)?;
        Ok(Arc::new(Self {
            asid: Asid::default(),
            root: AtomicU64::new(table.root()),
            inner: RwLock::new(Inner {
                mappings: Regions::new(),
                tree: Tree::new(zx_abi::ROOT_VMAR_BASE, zx_abi::ROOT_VMAR_SIZE),
                destroyed: false,
            }),
            table: Mutex::new(Some(table)),
        }))
    }

    /// Makes this the EL0 address space of the CPU.
    pub fn activate(&self) {
        let cpu_index = platform::arch::percpu::this_cpu().index() as usize;
        let root = self.root.load(Ordering::Acquire);
        if root != 0 {
            let asid = self.asid.activate(&ASIDS, cpu_index);
            cpu::set_user_table(root, asid);
        }
    }

    /// The ASID the TLB entries of this address space are tagged with.
    fn asid(&self) -> u16 {
        self.asid.current()
    }

    /// Maps `len` bytes (a page multiple) of `object` from `offset` into
    /// the root region, for good with `perms`.
    pub fn map(
        self: &Arc<Self>,
        object: Arc<VmoObject>,
        offset: u64,
        len: u64,
        perms: UserPerms,
        placement: Placement,
    ) -> Result<u64, ZxStatus> {
        self.map_in(ROOT, object, offset, len, perms, perms, placement)
    }

    /// The capabilities of region `vmar`; `BadState` once it is destroyed.
    pub fn vmar_caps(&self, vmar: VmarId) -> Result<Caps, ZxStatus> {
        let inner = self.inner.read();
        inner
            .tree
            .node(vmar)
            .map(|n| n.caps)
            .ok_or(ZxStatus::BadState)
    }

    /// Where `len` bytes go in region `node`: the range must be free of the
    /// region's sub-regions and of every mapping.
    fn place(inner: &Inner, node: &Node, len: u64, placement: Placement) -> Result<u64, ZxStatus> {
        match placement {
            Placement::Anywhere { lo, hi, align } => {
                let mut at = lo;
                loop {
                    let free_of_mappings = inner
                        .mappings
                        .find_gap(at, hi, len, align)
                        .ok_or(ZxStatus::NoResources)?;
                    let free_of_both = node
                        .child_gap(free_of_mappings, hi, len, align)
                        .ok_or(ZxStatus::NoResources)?;
                    if free_of_both == free_of_mappings {
                        return Ok(free_of_both);
                    }
                    at = free_of_both;
                }
            }
            Placement::Specific(addr) | Placement::SpecificOverwrite(addr) => {
                let end = addr + len;
                if inner.mappings.overlaps(addr, end) || node.child_overlaps(addr, end) {
                    return Err(ZxStatus::AlreadyExists);
                }
                Ok(addr)
            }
        }
    }

    /// A new sub-region of `parent`, `size` bytes placed as `placement`
    /// says: its id and base.
    pub fn allocate(
        &self,
        parent: VmarId,
        size: u64,
        caps: Caps,
        placement: Placement,
    ) -> Result<(VmarId, u64), ZxStatus> {
        let mut inner = self.inner.write();
        if inner.destroyed {
            return Err(ZxStatus::BadState);
        }
        let node = inner.tree.node(parent).ok_or(ZxStatus::BadState)?;
        let base = Self::place(&inner, node, size, placement)?;
        let id = inner.tree.insert(parent, base, size, caps);
        Ok((id, base))
    }

    /// Removes every mapping inside `[base, end)` (none may cross its
    /// edges) and their entries; the VMOs learn of it from
    /// [`Self::forget`] once the lock is gone.
    fn take_inside(&self, inner: &mut Inner, base: u64, end: u64) -> Vec<Mapping> {
        let bases: Vec<u64> = inner
            .mappings
            .intersecting(base, end)
            .map(|m| m.base)
            .collect();
        let mut taken = Vec::with_capacity(bases.len());
        for b in bases {
            let m = inner.mappings.remove(b).expect("base was just found");
            debug_assert!(m.base >= base && m.end() <= end);
            self.unmap_ptes(m.base, m.len);
            taken.push(m);
        }
        taken
    }

    /// Tells the VMOs behind `taken` that those mappings are gone.
    fn forget(taken: Vec<Mapping>) {
        for m in taken {
            m.vmo.inner.lock().mappings.remove(&m.id);
        }
    }

    /// `zx_vmar_destroy`: region `vmar` and everything below it go, with
    /// every mapping in its range, in one hold of the lock (no mapping made
    /// in the parent afterwards can be caught).
    pub fn destroy_vmar(&self, vmar: VmarId) -> Result<(), ZxStatus> {
        if vmar == ROOT {
            return Err(ZxStatus::NotSupported);
        }
        let taken = {
            let mut inner = self.inner.write();
            let node = inner.tree.node(vmar).ok_or(ZxStatus::BadState)?;
            let (base, end) = (node.base, node.end());
            inner.tree.remove_subtree(vmar);
            self.take_inside(&mut inner, base, end)
        };
        Self::forget(taken);
        Ok(())
    }

    /// `zx_vmar_unmap` through region `vmar`: the sub-regions wholly inside
    /// the range are destroyed (only with `op_children`: the handle's
    /// OP_CHILDREN right), one crossing its edge refuses the call, and the
    /// region's own mappings are unmapped and split as needed.
    pub fn unmap_in(
        self: &Arc<Self>,
        vmar: VmarId,
        addr: u64,
        len: u64,
        op_children: bool,
    ) -> Result<(), ZxStatus> {
        let end = addr.checked_add(len).ok_or(ZxStatus::InvalidArgs)?;
        let (taken, destroyed_any) = {
            let mut inner = self.inner.write();
            let node = inner.tree.node(vmar).ok_or(ZxStatus::BadState)?;
            if !node.contains(addr, len) {
                return Err(ZxStatus::InvalidArgs);
            }
            let children = node.children_overlapping(addr, end);
            if children
                .iter()
                .any(|&(b, e, _)| !op_children || b < addr || e > end)
            {
                return Err(ZxStatus::InvalidArgs);
            }
            let mut taken = Vec::new();
            for &(b, e, id) in &children {
                inner.tree.remove_subtree(id);
                taken.extend(self.take_inside(&mut inner, b, e));
            }
            (taken, !children.is_empty())
        };
        Self::forget(taken);
        match self.unmap(addr, len) {
            Err(ZxStatus::NotFound) if destroyed_any => Ok(()),
            r => r,
        }
    }

    /// `zx_vmar_protect` through region `vmar`: every page of the range must
    /// be mapped (`NotFound`), `perms` within what each mapping may grant
    /// (`AccessDenied`), and a mapping of a sub-region may only lose access
    /// (and only with `op_children`). Mappings are split at the range's
    /// edges; the range's entries go, and faults bring them back with the
    /// new access.
    pub fn protect(
        self: &Arc<Self>,
        vmar: VmarId,
        addr: u64,
        len: u64,
        perms: UserPerms,
        op_children: bool,
    ) -> Result<(), ZxStatus> {
        let end = addr.checked_add(len).ok_or(ZxStatus::InvalidArgs)?;
        // Splitting allocates.
        crate::heap::ensure_headroom()?;
        let changes = {
            let mut inner = self.inner.write();
            let node = inner.tree.node(vmar).ok_or(ZxStatus::BadState)?;
            if !node.contains(addr, len) {
                return Err(ZxStatus::InvalidArgs);
            }
            let mut expected = addr;
            for m in inner.mappings.intersecting(addr, end) {
                if m.base > expected {
                    return Err(ZxStatus::NotFound);
                }
                if !perms.within(&m.max) {
                    return Err(ZxStatus::AccessDenied);
                }
                if m.vmar != vmar {
                    if !op_children {
                        return Err(ZxStatus::InvalidArgs);
                    }
                    if !perms.within(&m.perms) {
                        return Err(ZxStatus::AccessDenied);
                    }
                }
                expected = m.end();
            }
            if expected < end {
                return Err(ZxStatus::NotFound);
            }
            let bases: Vec<u64> = inner
                .mappings
                .intersecting(addr, end)
                .map(|m| m.base)
                .collect();
            let mut changes: Vec<(Mapping, Vec<MappingRef>)> = Vec::with_capacity(bases.len());
            for b in bases {
                let m = inner.mappings.remove(b).expect("base was just found");
                let (cut_lo, cut_hi) = (addr.max(m.base), end.min(m.end()));
                let (left, right) = surviving_pieces(m.base, m.end(), addr, end);
                let mut middle = m.piece(cut_lo, cut_hi);
                middle.perms = perms;
                let pieces: Vec<Mapping> = left
                    .map(|r| m.piece(r.start, r.end))
                    .into_iter()
                    .chain(core::iter::once(middle))
                    .chain(right.map(|r| m.piece(r.start, r.end)))
                    .collect();
                self.unmap_ptes(cut_lo, cut_hi - cut_lo);
                let references = pieces.iter().map(|p| p.reference(self)).collect();
                for p in pieces {
                    inner.mappings.insert(p);
                }
                changes.push((m, references));
            }
            changes
        };
        for (m, references) in changes {
            let mut v = m.vmo.inner.lock();
            v.mappings.remove(&m.id);
            v.mappings
                .extend(references.into_iter().map(|r: MappingRef| (r.id, r)));
        }
        Ok(())
    }

    /// The region tree, from the root (at `depth` 1) down, depth-first in
    /// address order: each region, then what it holds (its mappings and
    /// sub-regions, in address order). Walks with its own stack: a program
    /// may nest regions deeply.
    pub fn maps(&self) -> Vec<MapsNode> {
        enum Step {
            Region(VmarId, u64),
            Emit(MapsNode),
        }
        let inner = self.inner.read();
        let mut out = Vec::new();
        let mut stack = alloc::vec![Step::Region(ROOT, 1)];
        while let Some(step) = stack.pop() {
            let (id, depth) = match step {
                Step::Emit(n) => {
                    out.push(n);
                    continue;
                }
                Step::Region(id, depth) => (id, depth),
            };
            let Some(node) = inner.tree.node(id) else {
                continue;
            };
            out.push(MapsNode::Vmar {
                base: node.base,
                size: node.size,
                depth,
            });
            let mut items: Vec<(u64, Step)> = node
                .children_overlapping(node.base, node.end())
                .into_iter()
                .map(|(base, _, child)| (base, Step::Region(child, depth + 1)))
                .collect();
            items.extend(
                inner
                    .mappings
                    .intersecting(node.base, node.end())
                    .filter(|m| m.vmar == id)
                    .map(|m| {
                        let n = MapsNode::Mapping {
                            base: m.base,
                            size: m.len,
                            depth: depth + 1,
                            perms: m.perms,
                            object: m.object.clone(),
                            object_offset: m.object_offset,
                            vmo: m.vmo.clone(),
                            vmo_offset: m.vmo_offset,
                        };
                        (m.base, Step::Emit(n))
                    }),
            );
            items.sort_unstable_by_key(|(base, _)| *base);
            stack.extend(items.into_iter().rev().map(|(_, s)| s));
        }
        out
    }

    /// The mapped pieces of `[addr, addr + len)` in region `vmar`, in order,
    /// up to the first hole; and whether the pieces cover the whole range.
    /// `OutOfRange` if the range leaves the region.
    pub fn segments(
        &self,
        vmar: VmarId,
        addr: u64,
        len: u64,
    ) -> Result<(Vec<Segment>, bool), ZxStatus> {
        let end = addr.checked_add(len).ok_or(ZxStatus::OutOfRange)?;
        let inner = self.inner.read();
        let node = inner.tree.node(vmar).ok_or(ZxStatus::BadState)?;
        if !node.contains(addr, len) {
            return Err(ZxStatus::OutOfRange);
        }
        let mut expected = addr;
        let mut out = Vec::new();
        for m in inner.mappings.intersecting(addr, end) {
            if m.base > expected {
                return Ok((out, false));
            }
            let seg_end = end.min(m.end());
            out.push(Segment {
                va: expected,
                len: seg_end - expected,
                object: m.object.clone(),
                object_offset: m.object_offset + (expected - m.base),
                can_write: m.max.write,
                direct: m.vmar == vmar,
            });
            expected = seg_end;
        }
        Ok((out, expected >= end))
    }

    /// Maps the pages of `[va, va + len)` that the VMO already holds, as a
    /// read fault would (`ZX_VM_MAP_RANGE`, `ZX_VMAR_OP_MAP_RANGE`); commits
    /// nothing. Pages the mapping does not allow reading stay unmapped.
    pub fn populate(&self, va: u64, len: u64) {
        let mut at = va;
        while at < va.saturating_add(len) {
            let Ok(t) = self.target(at, Access::Read) else {
                at += PAGE_SIZE;
                continue;
            };
            let held = t
                .vmo
                .inner
                .lock()
                .vmo
                .lookup_page(t.vmo_offset / PAGE_SIZE)
                .is_some();
            if held {
                let _ = self.handle_fault(at, Access::Read);
            }
            at += PAGE_SIZE;
        }
    }

    /// Maps `len` bytes (a page multiple) of `object` from `offset` into
    /// region `vmar` with `perms`; `max` is the most a later protect may
    /// grant. The caller has checked both against the handles' rights.
    #[allow(clippy::too_many_arguments)]
    pub fn map_in(
        self: &Arc<Self>,
        vmar: VmarId,
        object: Arc<VmoObject>,
        offset: u64,
        len: u64,
        perms: UserPerms,
        max: UserPerms,
        placement: Placement,
    ) -> Result<u64, ZxStatus> {
        debug_assert!(len.is_multiple_of(PAGE_SIZE) && offset.is_multiple_of(PAGE_SIZE) && len > 0);
        if let Placement::SpecificOverwrite(addr) = placement {
            {
                // Only the region's own mappings may be replaced.
                let inner = self.inner.read();
                let node = inner.tree.node(vmar).ok_or(ZxStatus::BadState)?;
                if node.child_overlaps(addr, addr + len) {
                    return Err(ZxStatus::InvalidArgs);
                }
            }
            // NotFound only means there was nothing to replace.
            let _ = self.unmap(addr, len);
        }
        let (vmo, vmo_offset) = object.root(offset);
        // The VMO learns of the mapping under the same holds as the address
        // space does (the address space's lock first: the lock order).
        // Otherwise a thread could fault the new mapping in before the VMO
        // knew of it, and a decommit in that gap would free the frame
        // without removing the entry (found by the loom model of map vs
        // fault and decommit).
        let root = vmo.clone();
        let mut inner = self.inner.write();
        let mut root_inner = root.inner.lock();
        if inner.destroyed {
            return Err(ZxStatus::BadState);
        }
        let node = inner.tree.node(vmar).ok_or(ZxStatus::BadState)?;
        let base = Self::place(&inner, node, len, placement)?;
        object.mapping_count.fetch_add(1, Ordering::AcqRel);
        let m = Mapping {
            id: new_mapping_id(),
            base,
            len,
            object,
            object_offset: offset,
            vmo,
            vmo_offset,
            perms,
            max,
            vmar,
        };
        let reference = m.reference(self);
        inner.mappings.insert(m);
        root_inner.mappings.insert(reference.id, reference);
        Ok(base)
    }

    /// Unmaps `[addr, addr + len)`, splitting mappings it partly covers.
    /// `NotFound` if no mapping intersects the range. Uses a fixed amount of
    /// heap whatever the number of mappings in the range.
    pub fn unmap(self: &Arc<Self>, addr: u64, len: u64) -> Result<(), ZxStatus> {
        const BATCH: usize = 16;
        let end = addr.checked_add(len).ok_or(ZxStatus::InvalidArgs)?;
        // Only the mappings across `addr` or `end` are split, and splitting
        // allocates: make sure it can, before anything changes (a hostile
        // program can split one mapping over and over).
        let mut held = Some(self.inner.write());
        let (splits, exact) = {
            let inner = held.as_ref().expect("just taken");
            let first = inner.mappings.find(addr);
            let last = match first {
                // One mapping covers the whole range (unmapping exactly one
                // mapping, usually): no second lookup.
                Some(m) if m.end() >= end => Some(m),
                _ => inner.mappings.find(end.saturating_sub(1)),
            };
            let splits =
                first.is_some_and(|m| m.base < addr) || last.is_some_and(|m| m.end() > end);
            // The range is exactly one mapping: its base is the key, found
            // under this same hold of the lock.
            let exact = first.filter(|m| m.base == addr && m.end() == end);
            (splits, exact.map(|m| m.base))
        };
        let mut exact = exact;
        if splits {
            drop(held.take());
            crate::heap::ensure_headroom()?;
        }
        let mut removed_any = false;
        // Set once the mapping across `addr` (or the lowest one in the
        // range) is gone: nothing else can intersect the range, so no
        // further search is needed.
        let mut done = false;
        while !done {
            // One mapping exactly (the usual unmap) needs room for one: a
            // block small enough for the heap's cache of recent frees.
            let batch = if exact.is_some() { 1 } else { BATCH };
            let mut changes: Vec<(Mapping, Vec<MappingRef>)> = Vec::with_capacity(batch);
            {
                let mut inner = match held.take() {
                    Some(guard) => guard,
                    None => self.inner.write(),
                };
                while !done && changes.len() < batch {
                    // The last mapping that still intersects the range; the
                    // pieces left of `addr` and right of `end` never do.
                    let found = exact
                        .take()
                        .or_else(|| inner.mappings.last_intersecting(addr, end));
                    let Some(key) = found else {
                        break;
                    };
                    let m = inner.mappings.remove(key).expect("key was just found");
                    done = m.base <= addr;
                    let (cut_lo, cut_hi) = (addr.max(m.base), end.min(m.end()));
                    let (left, right) = surviving_pieces(m.base, m.end(), addr, end);
                    let pieces: Vec<Mapping> = [left, right]
                        .into_iter()
                        .flatten()
                        .map(|r| m.piece(r.start, r.end))
                        .collect();
                    self.unmap_ptes(cut_lo, cut_hi - cut_lo);
                    let references: Vec<MappingRef> =
                        pieces.iter().map(|p| p.reference(self)).collect();
                    for p in pieces {
                        inner.mappings.insert(p);
                    }
                    changes.push((m, references));
                }
            }
            if changes.is_empty() {
                break;
            }
            removed_any = true;
            // The VMOs learn about it after the address space's lock is gone.
            for (m, references) in changes {
                let mut v = m.vmo.inner.lock();
                v.mappings.remove(&m.id);
                v.mappings.extend(references.into_iter().map(|r| (r.id, r)));
            }
        }
        if removed_any {
            Ok(())
        } else {
            Err(ZxStatus::NotFound)
        }
    }

    /// The mapping at `va` if it allows `access`.
    fn target(&self, va: u64, access: Access) -> Result<Target, UserFault> {
        let inner = self.inner.read();
        let m = inner.mappings.find(va).ok_or(UserFault::Unmapped)?;
        if !m.allows(access) {
            return Err(UserFault::Permission);
        }
        let skip = va - m.base;
        Ok(Target {
            object: m.object.clone(),
            object_offset: m.object_offset + skip,
            vmo: m.vmo.clone(),
            vmo_offset: m.vmo_offset + skip,
        })
    }

    /// Resolves an EL0 fault at `va`: commits the VMO page (copying it first
    /// for a write to a shared page) and maps it. A shared page is mapped
    /// read-only, so that a write to it faults and copies; before the copy
    /// replaces it, every mapping loses its entry for it (the protocol in
    /// `vm::mapping`), so the new entry never has to replace a live one.
    ///
    /// The frame for a page not yet committed is this core's spare, zeroed
    /// before any lock is taken (`vm::spare`); a fault that needs none keeps
    /// it for the next.
    pub fn handle_fault(&self, va: u64, access: Access) -> Result<(), UserFault> {
        // Committing may add a page-list node to the heap.
        crate::heap::ensure_headroom().map_err(|_| UserFault::NoMemory)?;
        let mut spare = spare::take();
        let done = self.fault_with(va & !(PAGE_SIZE - 1), access, &mut spare);
        spare::keep(spare);
        done
    }

    /// The fault at `page_va`, under the mappings lock (shared: the mapping
    /// stays), then the VMO's lock (commit), then the table's (install),
    /// taken before the VMO's goes.
    #[inline]
    fn fault_with(
        &self,
        page_va: u64,
        access: Access,
        spare: &mut Option<Frame>,
    ) -> Result<(), UserFault> {
        let inner = self.inner.read();
        let m = inner.mappings.find(page_va).ok_or(UserFault::Unmapped)?;
        if !m.allows(access) {
            return Err(UserFault::Permission);
        }
        let skip = page_va - m.base;
        if m.object.window().is_some() && m.object_offset + skip >= m.object.size() {
            return Err(UserFault::BeyondVmo);
        }
        let memory = m.vmo.memory_type();
        if memory == MemoryType::Device && access == Access::Execute {
            // Device memory is never executable, whatever the mapping says.
            return Err(UserFault::Permission);
        }
        let index = (m.vmo_offset + skip) / PAGE_SIZE;
        let mut v = m.vmo.inner.lock();
        let page = v.vmo.commit_page_from(index, spare).map_err(fault_error)?;
        let (pa, shared, owned) = (page.pa(), page.is_shared(), matches!(page, Page::Owned(_)));
        let (pa, shared) = if access == Access::Write && !owned {
            if shared {
                // The copy replaces the shared frame: no mapping may still
                // show it afterwards.
                unmap_refs(&v.mappings, index * PAGE_SIZE, PAGE_SIZE);
            }
            let pa = v.vmo.commit_page_for_write(index).map_err(fault_error)?;
            (pa, false)
        } else {
            // A write found a page of its own; any other access may have
            // found one shared with a relative, which a write must copy.
            (pa, shared && access != Access::Write)
        };
        // Fitted and made coherent while the VMO's lock keeps the frame,
        // so that the table's lock covers only the entry.
        let perms = prepare_frame(pa.as_u64(), m.perms, memory, shared);
        // Hand over hand: the table's lock before the VMO's goes. Whatever
        // frees or replaces this frame next holds the VMO's lock and removes
        // the entries through the table's (the protocol's step 1), so it
        // waits until this entry is in, and then removes it. The other
        // faults of this VMO need not wait for the install.
        let mut table = self.table.lock();
        drop(v);
        let done = match table.as_mut() {
            Some(t) => self.install(t, page_va, pa.as_u64(), perms),
            None => Err(UserFault::Unmapped),
        };
        drop(table);
        drop(inner);
        done
    }

    /// Maps the committed frame `pa` at `page_va` with `perms` (from
    /// [`prepare_frame`]). The caller holds the table's lock, taken while
    /// it held the VMO's (see `fault_with`).
    fn install(
        &self,
        table: &mut UserPageTable,
        page_va: u64,
        pa: u64,
        perms: UserPerms,
    ) -> Result<(), UserFault> {
        // The page may be mapped exactly so already: another core took the
        // same fault at the same time and resolved it first (threads
        // touching a fresh page together, or all faulting on a page just
        // remapped). `map` then changes nothing and says so, and the access
        // succeeds when retried: an entry that faults is never cached in a
        // TLB, and every change of an entry to more access invalidated the
        // old one on every core.
        let changed = match table.map(page_va, pa, perms, &mut FrameTables) {
            Ok(changed) => changed,
            Err(MapError::NoTableMemory) => return Err(UserFault::NoMemory),
            Err(MapError::BreakBeforeMake) => {
                // The entry shows another frame of this VMO page (a racing
                // fault of an older frame can not be: faults take this lock
                // before they let the VMO's go, so they install in the order
                // they committed, and every replacement removes the entries
                // first). Break, then make.
                let asid = self.asid();
                table.unmap(page_va, PAGE_SIZE, asid, &mut FrameTables);
                table
                    .map(page_va, pa, perms, &mut FrameTables)
                    .map_err(|_| UserFault::NoMemory)?
            }
        };
        if changed {
            // Same frame, new access: drop the stale, more restrictive entry.
            cpu::flush_user_page(self.asid(), page_va);
        }
        Ok(())
    }

    /// Runs `f` on each piece of `[va, va + len)` that lies in one page, with
    /// the root VMO and offset behind it and the piece's range relative to
    /// `va`. Stops at the first piece that is not accessible for `access`.
    pub fn for_each_piece<E: From<UserFault>>(
        &self,
        va: u64,
        len: usize,
        access: Access,
        mut f: impl FnMut(&Arc<VmoObject>, u64, core::ops::Range<usize>) -> Result<(), E>,
    ) -> Result<(), E> {
        let end = va.checked_add(len as u64).ok_or(UserFault::Unmapped)?;
        if end > USER_END {
            return Err(UserFault::Unmapped.into());
        }
        let mut addr = va;
        while addr < end {
            let t = self.target(addr, access)?;
            if t.object.window().is_some() && t.object_offset >= t.object.size() {
                return Err(UserFault::BeyondVmo.into());
            }
            let page_end = (addr & !(PAGE_SIZE - 1)) + PAGE_SIZE;
            let piece_end = page_end.min(end);
            f(
                &t.vmo,
                t.vmo_offset,
                (addr - va) as usize..(piece_end - va) as usize,
            )?;
            addr = piece_end;
        }
        Ok(())
    }

    /// Copies EL0 memory at `va` into `buf`.
    pub fn copy_from_user(&self, va: u64, buf: &mut [u8]) -> Result<(), UserFault> {
        self.for_each_piece(va, buf.len(), Access::Read, |vmo, off, range| {
            let v = vmo.inner.lock();
            v.vmo
                .read(off, &mut buf[range])
                .map_err(|_| UserFault::BeyondVmo)
        })
    }

    /// Copies `data` to EL0 memory at `va`, committing pages as needed.
    pub fn copy_to_user(&self, va: u64, data: &[u8]) -> Result<(), UserFault> {
        self.for_each_piece(va, data.len(), Access::Write, |vmo, off, range| {
            let n = range.len() as u64;
            let mut v = vmo.inner.lock();
            v.change(off, n, |vmo| vmo.write(off, &data[range]))
                .map_err(|e| match e {
                    ZxStatus::NoMemory => UserFault::NoMemory,
                    _ => UserFault::BeyondVmo,
                })
        })
    }

    /// Tears everything down: mappings, table pages, ASID. Idempotent.
    pub fn destroy(&self) {
        let (table, mappings) = {
            let mut inner = self.inner.write();
            inner.destroyed = true;
            self.root.store(0, Ordering::Release);
            (self.table.lock().take(), inner.mappings.take_all())
        };
        if let Some(t) = table {
            // Only this core's own table goes: a process may tear down
            // another's address space (one it created and never started).
            let current = platform::arch::percpu::this_cpu()
                .user_ttbr0
                .load(core::sync::atomic::Ordering::Relaxed);
            if current & ((1 << 48) - 1) == t.root() {
                platform::arch::mmu::clear_user_table();
            }
            // The ASID's TLB entries go before the table pages are freed.
            self.asid.release(&ASIDS);
            t.destroy(&mut FrameTables);
        }
        for m in mappings.values() {
            m.vmo.inner.lock().mappings.remove(&m.id);
        }
    }
}

/// The mapping's `perms` fitted to the committed frame `pa`, which is made
/// coherent for them: device memory never executes, a page `shared` with a
/// relative is read-only (a write must fault and copy it), an uncached
/// page is cleaned out of the data cache and an executable one synchronised
/// with the instruction cache. The caller holds the VMO's lock (the frame
/// stays).
fn prepare_frame(pa: u64, mut perms: UserPerms, memory: MemoryType, shared: bool) -> UserPerms {
    perms.memory = memory;
    if memory == MemoryType::Device {
        perms.execute = false;
    }
    if shared {
        perms.write = false;
    }
    if memory != MemoryType::Cached {
        cpu::clean_invalidate_dcache_page(platform::layout::phys_to_virt(pa));
    }
    if perms.execute {
        cpu::sync_icache_page(platform::layout::phys_to_virt(pa));
    }
    perms
}

/// What a failed commit means to the faulting access.
fn fault_error(e: ZxStatus) -> UserFault {
    match e {
        ZxStatus::OutOfRange => UserFault::BeyondVmo,
        _ => UserFault::NoMemory,
    }
}

impl PteOwner for AddressSpace {
    fn unmap_ptes(&self, va: u64, len: u64) {
        let asid = self.asid();
        if let Some(t) = self.table.lock().as_mut() {
            t.unmap(va, len, asid, &mut FrameTables);
        }
    }

    fn try_unmap_ptes(&self, va: u64, len: u64) -> bool {
        let Some(mut table) = self.table.try_lock() else {
            return false;
        };
        let asid = self.asid();
        if let Some(t) = table.as_mut() {
            t.unmap(va, len, asid, &mut FrameTables);
        }
        true
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        self.destroy();
    }
}
