//! loom models of the VM consistency protocol (`kernel/src/vm/mapping.rs`):
//! a fault against a decommit, an unmap and a map of the same page, and a
//! copy-on-write break against the relative's fault and decommit. The
//! pages are the real `mm::Vmo` behind a loom mutex (the VMO's lock); the
//! address space (`kernel/src/vm/aspace.rs`) and its page table are
//! bare-metal, so its side of the protocol is restated here step for step
//! over a stand-in: a reader-writer lock over its mappings (faults read,
//! map and unmap write), and a "machine" holding the page-table entries,
//! each core's TLB and, for the checks, the frames the VMOs own. The models
//! check the protocol, not those files, and need updating when
//! `handle_fault`, `unmap`, `map` or `VmoInner::remove_pages` change it.
//!
//! The address space's table lock is a loom mutex of its own (`table`),
//! taken after the VMO's. The machine is behind one more, taken last and
//! never across another lock: each use of it is one step of the model, and
//! loom sees which steps touch it (state it cannot see, it would not
//! reorder).
//! A core's access (TLB look-up, else a walk of the table that fills the
//! TLB, then the read) is one such step, and so is "remove the entries and
//! invalidate every TLB": a TLB invalidation followed by a barrier waits
//! for the walks and accesses in flight, so no core can fill its TLB from
//! an entry already removed. What the models interleave are the protocol's
//! own locks.

use std::collections::{BTreeMap, BTreeSet};
use std::vec;
use std::vec::Vec;

use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::{Arc, Mutex, MutexGuard, RwLock};
use loom::thread;
use zx_abi::PAGE_SIZE;

use super::check;
use crate::frame::FrameAllocator;
use crate::page_list::Page;
use crate::vmo::Vmo;

/// Where the (first) VMO is mapped.
const BASE: u64 = 0x10_0000;
/// Where a snapshot of it is mapped.
const CHILD_BASE: u64 = 0x20_0000;
const CORES: usize = 2;

/// No mapping covers the address (`UserFault::Unmapped`).
#[derive(Debug)]
struct Unmapped;

/// `aspace::Mapping`: what the address space knows of a mapping.
#[derive(Clone, Copy)]
struct Mapping {
    id: u64,
    len: u64,
    /// Which VMO of the world.
    vmo: usize,
    vmo_offset: u64,
    writable: bool,
}

/// `aspace::Inner`: the mappings (the table is in the machine).
struct Space {
    /// By base address.
    mappings: BTreeMap<u64, Mapping>,
}

/// `mapping::MappingRef`: what the VMO knows of a mapping (one address
/// space, so no owner).
#[derive(Clone, Copy)]
struct MappingRef {
    base: u64,
    vmo_offset: u64,
    len: u64,
}

/// `vmo::VmoInner`.
struct VmoInner {
    vmo: Vmo,
    mappings: BTreeMap<u64, MappingRef>,
}

/// A VMO's lock: a spin lock, as the kernel's `spin::Mutex` is, built from
/// a loom atomic, with a loom mutex only holding the data (never contended:
/// the flag admits one holder). Loom's own `Mutex::try_lock` cannot be used:
/// a thread inside it counts as blocked on the mutex, and loom then reports
/// deadlocks that are not there (loom issue #376).
struct VmoLock<T> {
    held: AtomicBool,
    data: Mutex<T>,
}

struct VmoGuard<'a, T> {
    data: Option<MutexGuard<'a, T>>,
    held: &'a AtomicBool,
}

impl<T> VmoLock<T> {
    fn new(value: T) -> Self {
        Self {
            held: AtomicBool::new(false),
            data: Mutex::new(value),
        }
    }

    fn try_lock(&self) -> Option<VmoGuard<'_, T>> {
        self.held
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        Some(VmoGuard {
            data: Some(self.data.lock().unwrap()),
            held: &self.held,
        })
    }

    fn lock(&self) -> VmoGuard<'_, T> {
        loop {
            if let Some(guard) = self.try_lock() {
                return guard;
            }
            thread::yield_now();
        }
    }
}

impl<T> core::ops::Deref for VmoGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.data.as_ref().expect("held until dropped")
    }
}

impl<T> core::ops::DerefMut for VmoGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.data.as_mut().expect("held until dropped")
    }
}

impl<T> Drop for VmoGuard<'_, T> {
    fn drop(&mut self) {
        self.data = None;
        self.held.store(false, Ordering::Release);
    }
}

/// A TLB or page-table entry: the frame, and whether it allows writes.
type Entry = (u64, bool);

/// The hardware and the checker's record of the frames.
#[derive(Default)]
struct Machine {
    /// Page-table entries, by page address.
    ptes: BTreeMap<u64, Entry>,
    /// One entry per core, with its page address.
    tlbs: [Option<(u64, Entry)>; CORES],
    /// Frames some VMO owns, with the byte they held when mapped.
    live: BTreeMap<u64, u8>,
    /// Frames freed while no entry named them.
    freed: BTreeSet<u64>,
}

impl Machine {
    /// Every entry in the table and the TLBs: (page address, frame, write).
    fn entries(&self) -> impl Iterator<Item = (u64, u64, bool)> + '_ {
        let ptes = self.ptes.iter().map(|(&va, &(pa, w))| (va, pa, w));
        ptes.chain(self.tlbs.iter().flatten().map(|&(va, (pa, w))| (va, pa, w)))
    }
}

struct World {
    /// The address space's mappings lock.
    space: RwLock<Space>,
    /// The address space's table lock.
    table: Mutex<()>,
    /// The VMOs, each behind its own lock.
    vmos: Vec<VmoLock<VmoInner>>,
    machine: Mutex<Machine>,
}

fn in_range(va: u64, lo: u64, len: u64) -> bool {
    va >= lo && va < lo + len
}

impl World {
    /// A one-page VMO whose page holds `x`, mapped (writable) at `BASE`
    /// if `mapped`.
    fn new(frames: &'static FrameAllocator, mapped: bool) -> Arc<Self> {
        let mut vmo = Vmo::create(frames, PAGE_SIZE, 0).unwrap();
        vmo.write(0, b"x").unwrap();
        let mut machine = Machine::default();
        let pa = vmo.lookup_page(0).unwrap().as_u64();
        machine.live.insert(pa, b'x');
        let mut space = Space {
            mappings: BTreeMap::new(),
        };
        let mut vmo = VmoInner {
            vmo,
            mappings: BTreeMap::new(),
        };
        if mapped {
            publish(&mut space, 0, &mut vmo, BASE);
        }
        Arc::new(World {
            space: RwLock::new(space),
            table: Mutex::new(()),
            vmos: vec![VmoLock::new(vmo)],
            machine: Mutex::new(machine),
        })
    }

    /// As `new`, plus a snapshot of the VMO (VMO 1) mapped writable at
    /// `CHILD_BASE`: the page is shared copy-on-write.
    fn family(frames: &'static FrameAllocator) -> Arc<Self> {
        let mut vmo = Vmo::create(frames, PAGE_SIZE, 0).unwrap();
        vmo.write(0, b"x").unwrap();
        let child = vmo.snapshot(0, PAGE_SIZE, 0).unwrap();
        assert!(vmo.is_page_shared(0));
        let mut machine = Machine::default();
        machine
            .live
            .insert(vmo.lookup_page(0).unwrap().as_u64(), b'x');
        let mut space = Space {
            mappings: BTreeMap::new(),
        };
        let (mut vmo, mut child) = (
            VmoInner {
                vmo,
                mappings: BTreeMap::new(),
            },
            VmoInner {
                vmo: child,
                mappings: BTreeMap::new(),
            },
        );
        publish(&mut space, 0, &mut vmo, BASE);
        publish(&mut space, 1, &mut child, CHILD_BASE);
        Arc::new(World {
            space: RwLock::new(space),
            table: Mutex::new(()),
            vmos: vec![VmoLock::new(vmo), VmoLock::new(child)],
            machine: Mutex::new(machine),
        })
    }

    fn machine(&self) -> loom::sync::MutexGuard<'_, Machine> {
        self.machine.lock().unwrap()
    }

    /// `PteOwner::unmap_ptes`: under the table lock, removes the entries of
    /// `[va, va + len)` and invalidates them on every core.
    fn unmap_ptes(&self, va: u64, len: u64) {
        let _table = self.table.lock().unwrap();
        let mut m = self.machine();
        m.ptes.retain(|&page, _| !in_range(page, va, len));
        for tlb in &mut m.tlbs {
            if tlb.is_some_and(|(page, _)| in_range(page, va, len)) {
                *tlb = None;
            }
        }
    }

    /// `UserPageTable::map`, by the holder of the table lock (replacing, as
    /// the fault's break-before-make path does). A writable entry must be
    /// for a frame no other page shows.
    fn map_pte(&self, _table: &MutexGuard<'_, ()>, va: u64, entry: Entry) {
        let mut m = self.machine();
        let (pa, writable) = entry;
        if writable {
            assert!(
                !m.entries().any(|(page, p, _)| p == pa && page != va),
                "a writable entry for frame {pa:#x}, which another page shows"
            );
        }
        if m.ptes.insert(va, entry).is_some_and(|old| old != entry) {
            for tlb in &mut m.tlbs {
                if tlb.is_some_and(|(page, _)| page == va) {
                    *tlb = None;
                }
            }
        }
    }

    /// An access by `core` at `va`: the byte read, or `None` for a
    /// translation or permission fault. A frame read must be one a VMO
    /// still owns.
    fn access(&self, core: usize, va: u64, write: bool) -> Option<u8> {
        let mut m = self.machine();
        let (pa, writable) = match m.tlbs[core] {
            Some((page, entry)) if page == va => entry,
            _ => {
                let entry = *m.ptes.get(&va)?;
                m.tlbs[core] = Some((va, entry));
                entry
            }
        };
        if write && !writable {
            return None;
        }
        let freed = m.freed.contains(&pa);
        match m.live.get(&pa) {
            Some(&b) => Some(b),
            None => panic!(
                "core {core} read frame {pa:#x} through its mapping, which no VMO \
                 owns any more (freed: {freed})"
            ),
        }
    }

    /// `mapping::unmap_refs` for page `index` of VMO `v`; every
    /// `PteOwner::unmap_ptes` takes only the table lock.
    fn unmap_refs(&self, v: &VmoInner, index: u64) {
        let (offset, len) = (index * PAGE_SIZE, PAGE_SIZE);
        for r in v.mappings.values() {
            let (lo, hi) = (
                offset.max(r.vmo_offset),
                (offset + len).min(r.vmo_offset + r.len),
            );
            if lo < hi {
                self.unmap_ptes(r.base + (lo - r.vmo_offset), hi - lo);
            }
        }
    }

    /// `AddressSpace::handle_fault`, step by step: the mappings lock shared
    /// and held throughout (the mapping cannot go meanwhile), the VMO's
    /// lock for the commit, then the table lock, taken before the VMO's
    /// goes (hand over hand: a decommit's removal of the entries waits for
    /// it), for the entry.
    fn fault(&self, va: u64, write: bool) -> Result<(), Unmapped> {
        let s = self.space.read().unwrap();
        let (&base, &m) = s.mappings.range(..=va).next_back().ok_or(Unmapped)?;
        if !in_range(va, base, m.len) {
            return Err(Unmapped);
        }
        assert!(
            m.writable || !write,
            "the models write only writable mappings"
        );
        let mut v = self.vmos[m.vmo].lock();
        let index = (m.vmo_offset + (va - base)) / PAGE_SIZE;
        let mut spare = None;
        let page = v.vmo.commit_page_from(index, &mut spare).unwrap();
        let (pa, shared, owned) = (page.pa(), page.is_shared(), matches!(page, Page::Owned(_)));
        let (pa, shared) = if write && !owned {
            if shared {
                // The copy replaces the shared frame: no mapping of this
                // VMO may still show it afterwards.
                self.unmap_refs(&v, index);
            }
            (v.vmo.commit_page_for_write(index).unwrap(), false)
        } else {
            (pa, shared && !write)
        };
        let pa = pa.as_u64();
        self.record_live(&v, index, pa);
        let table = self.table.lock().unwrap();
        drop(v);
        self.map_pte(&table, va, (pa, m.writable && !shared));
        drop(table);
        drop(s);
        Ok(())
    }

    /// The checker's record that frame `pa` backs page `index` of `v` now,
    /// with the byte it holds (what an access through the entry must read).
    fn record_live(&self, v: &VmoInner, index: u64, pa: u64) {
        let mut b = [0u8];
        v.vmo.read(index * PAGE_SIZE, &mut b).unwrap();
        let mut machine = self.machine();
        machine.live.insert(pa, b[0]);
        machine.freed.remove(&pa);
    }

    /// The user thread's access at `va` on `core`: faulting until it
    /// succeeds, or `None` when nothing is mapped there.
    fn touch(&self, core: usize, va: u64, write: bool) -> Option<u8> {
        // At most: a fault, one undone by the racing thread, a retry.
        for _ in 0..4 {
            if let Some(b) = self.access(core, va, write) {
                return Some(b);
            }
            self.fault(va, write).ok()?;
        }
        panic!("the access at {va:#x} never succeeded");
    }

    /// `ZX_VMO_OP_DECOMMIT` of page `index` of VMO `vmo`:
    /// `VmoInner::remove_pages` (`unmap_refs`, then the free) under one
    /// hold of the VMO's lock.
    fn decommit(&self, vmo: usize, index: u64) {
        let mut v = self.vmos[vmo].lock();
        self.unmap_refs(&v, index);
        let pa = v.vmo.lookup_page(index).map(|pa| pa.as_u64());
        // A shared frame only loses a reference (a relative may free it
        // later, under its own lock, after its own unmapping).
        let shared = v.vmo.is_page_shared(index);
        v.vmo.decommit(index * PAGE_SIZE, PAGE_SIZE).unwrap();
        if let Some(pa) = pa.filter(|_| !shared) {
            // The frame is free now (its `Frame` was dropped): nothing may
            // still name it.
            let mut m = self.machine();
            assert!(
                !m.ptes.values().any(|&(p, _)| p == pa),
                "frame {pa:#x} freed while a page-table entry names it"
            );
            assert!(
                !m.tlbs.iter().flatten().any(|&(_, (p, _))| p == pa),
                "frame {pa:#x} freed while a TLB entry names it"
            );
            m.live.remove(&pa);
            m.freed.insert(pa);
        }
        drop(v);
    }

    /// `AddressSpace::unmap` of the whole mapping at `base`.
    fn unmap(&self, base: u64) {
        let m = {
            let mut s = self.space.write().unwrap();
            let m = s.mappings.remove(&base).expect("mapped");
            self.unmap_ptes(base, m.len);
            m
        };
        // The VMO learns about it after the space's lock is gone.
        self.vmos[m.vmo].lock().mappings.remove(&m.id);
    }

    /// `AddressSpace::map` of VMO 0 at `BASE`, in the order the protocol
    /// needs: the mapping is published in the space only while the VMO's
    /// lock is held, so the VMO knows every mapping a fault can find (the
    /// mappings lock first: the lock order).
    fn map(&self) {
        let mut s = self.space.write().unwrap();
        let mut v = self.vmos[0].lock();
        publish(&mut s, 0, &mut v, BASE);
    }

    /// No entry in the page table or any TLB for `[va, va + len)`.
    fn assert_unmapped(&self, va: u64, len: u64, when: &str) {
        let m = self.machine();
        assert!(
            !m.ptes.keys().any(|&page| in_range(page, va, len)),
            "a page-table entry for the range {when}"
        );
        assert!(
            !m.tlbs
                .iter()
                .flatten()
                .any(|&(page, _)| in_range(page, va, len)),
            "a TLB entry for the range {when}"
        );
    }

    /// Every entry names the frame its mapping's VMO has at that page, and
    /// allows writes only to a private one.
    fn assert_entries_live(&self) {
        let s = self.space.read().unwrap();
        let frames: Vec<_> = self
            .vmos
            .iter()
            .map(|v| {
                let v = v.lock();
                let shared = v.vmo.is_page_shared(0);
                (v.vmo.lookup_page(0).map(|pa| pa.as_u64()), shared)
            })
            .collect();
        let m = self.machine();
        for (va, pa, writable) in m.entries() {
            let (&base, mapping) = s.mappings.range(..=va).next_back().expect("mapped");
            assert!(
                in_range(va, base, mapping.len),
                "an entry outside every mapping"
            );
            let (owned, shared) = frames[mapping.vmo];
            assert_eq!(
                Some(pa),
                owned,
                "an entry names a frame its VMO does not own"
            );
            assert!(!(writable && shared), "a writable entry for a shared frame");
        }
    }
}

/// Maps page 0 of VMO `index` (`v`) at `base`, recorded on both sides.
fn publish(s: &mut Space, index: usize, v: &mut VmoInner, base: u64) {
    let (id, len) = (index as u64 + 1, PAGE_SIZE);
    s.mappings.insert(
        base,
        Mapping {
            id,
            len,
            vmo: index,
            vmo_offset: 0,
            writable: true,
        },
    );
    v.mappings.insert(
        id,
        MappingRef {
            base,
            vmo_offset: 0,
            len,
        },
    );
}

#[test]
fn loom_vm_fault_vs_decommit() {
    check("vm fault vs decommit", |frames| {
        let w = World::new(frames, true);
        let a = w.clone();
        let t = thread::spawn(move || a.touch(0, BASE, false));
        // The decommitting thread read the page first, on the other core:
        // both cores' TLBs may hold it.
        assert_eq!(w.touch(1, BASE, false), Some(b'x'), "nothing freed it yet");
        w.decommit(0, 0);
        let seen = t.join().unwrap();
        assert!(
            matches!(seen, Some(b'x' | 0)),
            "the access read {seen:?}, not the page's bytes or zero"
        );
        w.assert_entries_live();
    });
}

#[test]
fn loom_vm_unmap_vs_fault() {
    check("vm unmap vs fault", |frames| {
        let w = World::new(frames, true);
        let a = w.clone();
        let t = thread::spawn(move || a.touch(0, BASE, false));
        w.unmap(BASE);
        w.assert_unmapped(BASE, PAGE_SIZE, "when unmap returned");
        let seen = t.join().unwrap();
        assert!(
            matches!(seen, None | Some(b'x')),
            "the access read {seen:?}"
        );
        w.assert_unmapped(BASE, PAGE_SIZE, "after the fault ended");
        assert!(w.vmos[0].lock().mappings.is_empty());
    });
}

#[test]
fn loom_vm_map_vs_fault_and_decommit() {
    check("vm map vs fault+decommit", |frames| {
        let w = World::new(frames, false);
        let a = w.clone();
        let t = thread::spawn(move || a.map());
        // Another thread of the process touches the address as it is
        // mapped, then the page is decommitted.
        let seen = w.touch(1, BASE, false);
        assert!(
            matches!(seen, None | Some(b'x')),
            "the access read {seen:?}"
        );
        w.decommit(0, 0);
        t.join().unwrap();
        w.assert_entries_live();
    });
}

#[test]
fn loom_vm_cow_break_vs_the_relatives_fault_and_decommit() {
    check("vm cow break vs relative", |frames| {
        let w = World::family(frames);
        let a = w.clone();
        // A write to the parent's mapping of the shared page: the
        // copy-on-write break copies it, or takes the frame back once the
        // snapshot let go of it.
        let t = thread::spawn(move || a.touch(0, BASE, true));
        // The snapshot reads the page (a read-only entry for the shared
        // frame), then decommits it.
        assert_eq!(w.touch(1, CHILD_BASE, false), Some(b'x'));
        w.decommit(1, 0);
        assert_eq!(t.join().unwrap(), Some(b'x'));
        w.assert_entries_live();
        assert_eq!(w.vmos[0].lock().vmo.committed_pages(), 1);
    });
}
