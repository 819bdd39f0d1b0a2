//! An EL0 address space: its translation table and ASID, the mappings of
//! VMOs in it, the page-fault handler that fills them lazily, and the
//! user-copy routines' slow path. The fast path (`fastcopy`) copies through
//! the program's own table; whatever it cannot do comes here, where user
//! memory is reached through the mappings and VMOs, so a copy to a
//! valid-but-untouched page commits it and a bad pointer is an error value,
//! not a kernel fault.
//!
//! Lock order (see `vm::mapping`): a VMO's lock before an address space's.
//! Nothing holds an address space's lock while taking a VMO's.

use super::asid::{Asid, ASIDS};
use super::mapping::{unmap_refs, MappingRef, PteOwner};
use super::region::{surviving_pieces, Extent, Regions};
use super::vmo::VmoObject;
use super::FrameTables;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use platform::arch::cpu;
use platform::arch::user_pt::{MapError, UserPageTable, UserPerms};
use spin::Mutex;
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
    /// `None` once the address space is destroyed.
    table: Option<UserPageTable>,
    mappings: Regions<Mapping>,
    /// Bumped whenever a mapping is removed: a fault that looked its
    /// mapping up earlier re-checks this before it maps the page.
    removals: u64,
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
    inner: Mutex<Inner>,
}

/// What a fault or a copy needs to know about the mapping at an address.
struct Target {
    /// The address space's removal count when the mapping was found.
    removals: u64,
    object: Arc<VmoObject>,
    object_offset: u64,
    vmo: Arc<VmoObject>,
    vmo_offset: u64,
    perms: UserPerms,
}

impl AddressSpace {
    /// An empty address space with its own ASID.
    pub fn new() -> Result<Arc<Self>, ZxStatus> {
        let table = UserPageTable::new(&mut FrameTables).map_err(|_| ZxStatus::NoMemory)?;
        Ok(Arc::new(Self {
            asid: Asid::default(),
            inner: Mutex::new(Inner {
                table: Some(table),
                mappings: Regions::new(),
                removals: 0,
            }),
        }))
    }

    /// Makes this the EL0 address space of the CPU.
    pub fn activate(&self) {
        let cpu_index = platform::arch::percpu::this_cpu().index() as usize;
        if let Some(t) = &self.inner.lock().table {
            let asid = self.asid.activate(&ASIDS, cpu_index);
            cpu::set_user_table(t.root(), asid);
        }
    }

    /// The ASID the TLB entries of this address space are tagged with.
    fn asid(&self) -> u16 {
        self.asid.current()
    }

    /// Maps `len` bytes (a page multiple) of `object` from `offset`.
    pub fn map(
        self: &Arc<Self>,
        object: Arc<VmoObject>,
        offset: u64,
        len: u64,
        perms: UserPerms,
        placement: Placement,
    ) -> Result<u64, ZxStatus> {
        debug_assert!(len.is_multiple_of(PAGE_SIZE) && offset.is_multiple_of(PAGE_SIZE) && len > 0);
        if let Placement::SpecificOverwrite(addr) = placement {
            // NotFound only means there was nothing to replace.
            let _ = self.unmap(addr, len);
        }
        let (vmo, vmo_offset) = object.root(offset);
        // The VMO learns of the mapping under the same holds as the address
        // space does (its lock first: the protocol's order). Otherwise a
        // thread could fault the new mapping in before the VMO knew of it,
        // and a decommit in that gap would free the frame without removing
        // the entry (found by the loom model of map vs fault and decommit).
        let root = vmo.clone();
        let mut root_inner = root.inner.lock();
        let mut inner = self.inner.lock();
        if inner.table.is_none() {
            return Err(ZxStatus::BadState);
        }
        let base = match placement {
            Placement::Anywhere { lo, hi, align } => inner
                .mappings
                .find_gap(lo, hi, len, align)
                .ok_or(ZxStatus::NoResources)?,
            Placement::Specific(addr) | Placement::SpecificOverwrite(addr) => {
                if inner.mappings.overlaps(addr, addr + len) {
                    return Err(ZxStatus::AlreadyExists);
                }
                addr
            }
        };
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
        let splits = {
            let inner = self.inner.lock();
            let first = inner.mappings.find(addr).is_some_and(|m| m.base < addr);
            let last = inner
                .mappings
                .find(end.saturating_sub(1))
                .is_some_and(|m| m.end() > end);
            first || last
        };
        if splits {
            crate::heap::ensure_headroom()?;
        }
        let mut removed_any = false;
        loop {
            let mut changes: Vec<(Mapping, Vec<MappingRef>)> = Vec::with_capacity(BATCH);
            {
                let mut inner = self.inner.lock();
                while changes.len() < BATCH {
                    // The last mapping that still intersects the range; the
                    // pieces left of `addr` and right of `end` never do.
                    let Some(key) = inner.mappings.last_intersecting(addr, end) else {
                        break;
                    };
                    let m = inner.mappings.remove(key).expect("key was just found");
                    inner.removals += 1;
                    let (cut_lo, cut_hi) = (addr.max(m.base), end.min(m.end()));
                    let (left, right) = surviving_pieces(m.base, m.end(), addr, end);
                    let pieces: Vec<Mapping> = [left, right]
                        .into_iter()
                        .flatten()
                        .map(|r| m.piece(r.start, r.end))
                        .collect();
                    let asid = self.asid();
                    if let Some(t) = inner.table.as_mut() {
                        t.unmap(cut_lo, cut_hi - cut_lo, asid, &mut FrameTables);
                    }
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
        let inner = self.inner.lock();
        let m = inner.mappings.find(va).ok_or(UserFault::Unmapped)?;
        if !m.allows(access) {
            return Err(UserFault::Permission);
        }
        let skip = va - m.base;
        Ok(Target {
            removals: inner.removals,
            object: m.object.clone(),
            object_offset: m.object_offset + skip,
            vmo: m.vmo.clone(),
            vmo_offset: m.vmo_offset + skip,
            perms: m.perms,
        })
    }

    /// Resolves an EL0 fault at `va`: commits the VMO page (copying it first
    /// for a write to a shared page) and maps it. A shared page is mapped
    /// read-only, so that a write to it faults and copies; before the copy
    /// replaces it, every mapping loses its entry for it (the protocol in
    /// `vm::mapping`), so the new entry never has to replace a live one.
    pub fn handle_fault(&self, va: u64, access: Access) -> Result<(), UserFault> {
        let page_va = va & !(PAGE_SIZE - 1);
        let t = self.target(page_va, access)?;
        if t.object.window.is_some() && t.object_offset >= t.object.size() {
            return Err(UserFault::BeyondVmo);
        }
        let index = t.vmo_offset / PAGE_SIZE;
        // Committing may add a page-list node to the heap.
        crate::heap::ensure_headroom().map_err(|_| UserFault::NoMemory)?;
        let mut v = t.vmo.inner.lock();
        let committed = match access {
            Access::Write => {
                if v.vmo.is_page_shared(index) {
                    // The copy replaces the shared frame: no mapping may
                    // still show it afterwards.
                    unmap_refs(&v.mappings, index * PAGE_SIZE, PAGE_SIZE);
                }
                v.vmo.commit_page_for_write(index)
            }
            _ => v.vmo.commit_page(index),
        };
        let pa = committed.map_err(|e| match e {
            ZxStatus::OutOfRange => UserFault::BeyondVmo,
            _ => UserFault::NoMemory,
        })?;
        let mut perms = t.perms;
        if v.vmo.is_page_shared(index) {
            perms.write = false;
        }
        if perms.execute {
            cpu::sync_icache_page(platform::layout::phys_to_virt(pa.as_u64()));
        }
        let mut inner = self.inner.lock();
        // A mapping may have been removed since this one was looked up; if
        // it was this one, its VMO no longer knows about this address, and
        // mapping the page now would leave an entry nobody removes. Retry.
        if inner.removals != t.removals {
            return Ok(());
        }
        let table = inner.table.as_mut().ok_or(UserFault::Unmapped)?;
        if table.lookup(page_va) == Some((pa.as_u64(), perms)) {
            // The page is already mapped exactly so: another core took the
            // same fault at the same time and resolved it first (threads
            // touching a fresh page together, or all faulting on a page
            // just remapped). The access succeeds when retried: an entry
            // that faults is never cached in a TLB, and every change of an
            // entry to more access invalidated the old one on every core.
            return Ok(());
        }
        let changed = match table.map(page_va, pa.as_u64(), perms, &mut FrameTables) {
            Ok(changed) => changed,
            Err(MapError::NoTableMemory) => return Err(UserFault::NoMemory),
            Err(MapError::BreakBeforeMake) => {
                // The entry shows another frame of this VMO page (a racing
                // fault of an older frame can not be: the VMO lock is held
                // and every replacement unmaps first). Break, then make.
                let asid = self.asid();
                table.unmap(page_va, PAGE_SIZE, asid, &mut FrameTables);
                table
                    .map(page_va, pa.as_u64(), perms, &mut FrameTables)
                    .map_err(|_| UserFault::NoMemory)?
            }
        };
        if changed {
            // Same frame, new access: drop the stale, more restrictive entry.
            cpu::flush_user_page(self.asid(), page_va);
        }
        drop(inner);
        drop(v);
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
            if t.object.window.is_some() && t.object_offset >= t.object.size() {
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
            let mut inner = self.inner.lock();
            inner.removals += 1;
            (inner.table.take(), inner.mappings.take_all())
        };
        if let Some(t) = table {
            platform::arch::mmu::clear_user_table();
            // The ASID's TLB entries go before the table pages are freed.
            self.asid.release(&ASIDS);
            t.destroy(&mut FrameTables);
        }
        for m in mappings.values() {
            m.vmo.inner.lock().mappings.remove(&m.id);
        }
    }
}

impl PteOwner for AddressSpace {
    fn unmap_ptes(&self, va: u64, len: u64) {
        let asid = self.asid();
        if let Some(t) = self.inner.lock().table.as_mut() {
            t.unmap(va, len, asid, &mut FrameTables);
        }
    }

    fn try_unmap_ptes(&self, va: u64, len: u64) -> bool {
        let Some(mut inner) = self.inner.try_lock() else {
            return false;
        };
        let asid = self.asid();
        if let Some(t) = inner.table.as_mut() {
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
