//! The edge between a VMO and the address spaces that map it, and the one
//! place that knows the VM consistency protocol.
//!
//! # The protocol
//! Every path that removes or replaces a frame of a VMO (decommit, zero,
//! set_size, content size, a copy-on-write break, reclaim, snapshot turning
//! pages read-only, unmap) follows the same steps under **one hold of that
//! VMO's lock**:
//! 1. every mapping's page-table entries for the affected pages are removed
//!    (`unmap_refs`), which invalidates the TLB entries on every core before
//!    it returns ([`PteOwner::unmap_ptes`]);
//! 2. only then are frames freed or replaced.
//!
//! A fault takes the table lock it maps the page under while it still holds
//! the VMO's lock (hand over hand), and step 1 takes that table lock too:
//! a fault that committed before step 1 has its entry in before step 1
//! removes entries, and one that commits later waits for the VMO's lock, so
//! no other core can map a page between steps 1 and 2. The fault also holds
//! its address space's mappings lock (shared) from the look-up to the
//! entry, so the mapping it found is still there when it maps (unmap and
//! protect remove entries under that lock held alone). Replacing a live
//! entry for another page is refused by the page table
//! (break-before-make); the fault path therefore unmaps before it replaces.
//!
//! # Lock order
//! 1. a process's handle table (never held across the calls below);
//! 2. VMO locks: at most two at once (`vmo_read`/`vmo_write` whose buffer is
//!    a mapping of another VMO), taken in koid order ([`lock_two`]),
//!    whatever the direction of the copy. A reference's pages, size and
//!    content size are its root's, under the root's lock; its own lock
//!    (its name) is never held together with the root's;
//!
//! For the VM itself:
//! 1. an address space's mappings lock (a reader-writer lock: faults share
//!    it; map, protect, unmap and destroy take it alone);
//! 2. a VMO's lock (`map` records the mapping on the VMO under both);
//! 3. that address space's table lock, a leaf: taken by the fault to install
//!    an entry, and by [`PteOwner::unmap_ptes`], which step 1 of the
//!    protocol calls under a VMO's lock;
//! 4. leaves: signal state, the ASID allocator, the cores' spare pages, the
//!    page allocator, the heap.
//!
//! Nothing holds a VMO's lock while waiting for an address space's mappings
//! lock (user copies look their mapping up, let the lock go, then take the
//! VMO's), no reader of a mappings lock takes it again (a waiting writer
//! would stop it), and no user copy runs while a VMO lock is held, except
//! the fast copies, which never take a lock (a fault in them only makes
//! them stop).

use alloc::sync::Weak;

/// Something with page-table entries for VMO pages: an address space.
pub trait PteOwner: Send + Sync {
    /// Removes the entries of `[va, va + len)` and invalidates their TLB
    /// entries on every core before returning.
    fn unmap_ptes(&self, va: u64, len: u64);
    /// Like `unmap_ptes` but gives up (false) rather than wait for a lock:
    /// for reclaim, which runs inside allocations whose callers hold locks.
    fn try_unmap_ptes(&self, va: u64, len: u64) -> bool;
}

/// Where one mapping of a VMO lives, so the VMO can reach its page tables.
#[derive(Clone)]
pub struct MappingRef {
    pub id: u64,
    pub owner: Weak<dyn PteOwner>,
    pub base: u64,
    /// Offset in the root VMO.
    pub vmo_offset: u64,
    pub len: u64,
}

/// Records per chunk of [`MappingRefs`]: as many as fill a 2 KiB heap
/// block (the heap rounds to powers of two).
const CHUNK: usize = 2048 / core::mem::size_of::<MappingRef>();

impl super::by_id::Keyed for MappingRef {
    fn id(&self) -> u64 {
        self.id
    }
}

/// A VMO's mappings, by mapping id (see `vm::by_id`).
pub type MappingRefs = super::by_id::ById<MappingRef, CHUNK>;

/// Step 1 of the protocol: drops the page-table entries of `mappings` that
/// show root pages in `[offset, offset + len)`.
pub fn unmap_refs(mappings: &MappingRefs, offset: u64, len: u64) {
    let end = offset.saturating_add(len);
    for m in mappings.values() {
        let m_end = m.vmo_offset.saturating_add(m.len);
        let (lo, hi) = (offset.max(m.vmo_offset), end.min(m_end));
        if lo >= hi {
            continue;
        }
        if let Some(owner) = m.owner.upgrade() {
            owner.unmap_ptes(m.base + (lo - m.vmo_offset), hi - lo);
        }
    }
}

/// `unmap_refs` for every mapping, unless a lock is taken (reclaim).
pub fn try_unmap_all(mappings: &MappingRefs) -> bool {
    mappings.values().all(|m| match m.owner.upgrade() {
        Some(owner) => owner.try_unmap_ptes(m.base, m.len),
        None => true,
    })
}

/// Takes two locks in a fixed global order (by `key`, the objects' koids),
/// whatever order the caller names them in; returns the guards in the
/// caller's order. `a` and `b` must be different objects.
pub fn lock_two<'a, T>(
    a: (&'a crate::sync::spin_lock::Mutex<T>, u64),
    b: (&'a crate::sync::spin_lock::Mutex<T>, u64),
) -> (
    crate::sync::spin_lock::MutexGuard<'a, T>,
    crate::sync::spin_lock::MutexGuard<'a, T>,
) {
    debug_assert_ne!(a.1, b.1, "lock_two on one object");
    if a.1 < b.1 {
        let ga = a.0.lock();
        let gb = b.0.lock();
        (ga, gb)
    } else {
        let gb = b.0.lock();
        let ga = a.0.lock();
        (ga, gb)
    }
}
