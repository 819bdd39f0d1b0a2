//! loom models of the VM consistency protocol (`kernel/src/vm/mapping.rs`):
//! a fault against a decommit, an unmap and a map of the same page. The
//! pages are the real `mm::Vmo` behind a loom mutex (the VMO's lock); the
//! address space (`kernel/src/vm/aspace.rs`) and its page table are
//! bare-metal, so its side of the protocol is restated here step for step
//! over a stand-in: a lock over its mappings and removal count, and a
//! "machine" holding the page-table entries, each core's TLB and, for the
//! checks, the frames the VMO owns. The models check the protocol, not
//! those files, and need updating when `handle_fault`, `unmap`, `map` or
//! `VmoInner::remove_pages` change it.
//!
//! The machine is behind a loom mutex of its own, taken last and never
//! across another lock: each use of it is one step of the model, and loom
//! sees which steps touch it (state it cannot see, it would not reorder).
//! A core's access (TLB look-up,
//! else a walk of the table that fills the TLB, then the read) is one such
//! step, and so is "remove the entries and invalidate every TLB": a TLB
//! invalidation followed by a barrier waits for the walks and accesses in
//! flight, so no core can fill its TLB from an entry already removed. What
//! the models interleave are the protocol's own locks.

use std::collections::{BTreeMap, BTreeSet};

use loom::sync::{Arc, Mutex};
use loom::thread;
use zx_abi::PAGE_SIZE;

use super::check;
use crate::frame::FrameAllocator;
use crate::vmo::Vmo;

/// Where the VMO is mapped.
const BASE: u64 = 0x10_0000;
const CORES: usize = 2;
const MAPPING_ID: u64 = 1;

/// No mapping covers the address (`UserFault::Unmapped`).
#[derive(Debug)]
struct Unmapped;

/// `aspace::Mapping`: what the address space knows of a mapping.
#[derive(Clone, Copy)]
struct Mapping {
    id: u64,
    len: u64,
    vmo_offset: u64,
}

/// `aspace::Inner` without the table (which is in the machine).
struct Space {
    /// By base address.
    mappings: BTreeMap<u64, Mapping>,
    /// Bumped whenever a mapping is removed.
    removals: u64,
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

/// The hardware and the checker's record of the frames.
#[derive(Default)]
struct Machine {
    /// Page-table entries: page address to frame.
    ptes: BTreeMap<u64, u64>,
    /// One entry per core: (page address, frame).
    tlbs: [Option<(u64, u64)>; CORES],
    /// Frames the VMO owns, with the byte they held when mapped.
    live: BTreeMap<u64, u8>,
    /// Frames freed while no entry named them.
    freed: BTreeSet<u64>,
}

struct World {
    /// The address space's lock.
    space: Mutex<Space>,
    /// The VMO's lock.
    vmo: Mutex<VmoInner>,
    machine: Mutex<Machine>,
}

fn in_range(va: u64, lo: u64, len: u64) -> bool {
    va >= lo && va < lo + len
}

impl World {
    /// A one-page VMO whose page holds `x`, mapped at `BASE` if `mapped`.
    fn new(frames: &'static FrameAllocator, mapped: bool) -> Arc<Self> {
        let mut vmo = Vmo::create(frames, PAGE_SIZE, 0).unwrap();
        vmo.write(0, b"x").unwrap();
        let mut machine = Machine::default();
        machine
            .live
            .insert(vmo.lookup_page(0).unwrap().as_u64(), b'x');
        let mut space = Space {
            mappings: BTreeMap::new(),
            removals: 0,
        };
        let mut vmo = VmoInner {
            vmo,
            mappings: BTreeMap::new(),
        };
        if mapped {
            publish(&mut space, &mut vmo);
        }
        Arc::new(World {
            space: Mutex::new(space),
            vmo: Mutex::new(vmo),
            machine: Mutex::new(machine),
        })
    }

    fn machine(&self) -> loom::sync::MutexGuard<'_, Machine> {
        self.machine.lock().unwrap()
    }

    /// `UserPageTable::unmap`: removes the entries of `[va, va + len)` and
    /// invalidates them on every core. Called with the space's lock held.
    fn unmap_ptes(&self, _locked: &mut Space, va: u64, len: u64) {
        let mut m = self.machine();
        m.ptes.retain(|&page, _| !in_range(page, va, len));
        for tlb in &mut m.tlbs {
            if tlb.is_some_and(|(page, _)| in_range(page, va, len)) {
                *tlb = None;
            }
        }
    }

    /// `UserPageTable::map` (replacing, as the fault's break-before-make
    /// path does). Called with the space's lock held.
    fn map_pte(&self, _locked: &mut Space, va: u64, pa: u64) {
        let mut m = self.machine();
        if m.ptes.insert(va, pa).is_some_and(|old| old != pa) {
            for tlb in &mut m.tlbs {
                if tlb.is_some_and(|(page, _)| page == va) {
                    *tlb = None;
                }
            }
        }
    }

    /// A load by `core` at `va`: the byte, or `None` for a translation
    /// fault. A frame read must be one the VMO still owns.
    fn access(&self, core: usize, va: u64) -> Option<u8> {
        let mut m = self.machine();
        let pa = match m.tlbs[core] {
            Some((page, pa)) if page == va => pa,
            _ => {
                let pa = *m.ptes.get(&va)?;
                m.tlbs[core] = Some((va, pa));
                pa
            }
        };
        let freed = m.freed.contains(&pa);
        match m.live.get(&pa) {
            Some(&b) => Some(b),
            None => panic!(
                "core {core} read frame {pa:#x} through its mapping, which the VMO no \
                 longer owns (freed: {freed})"
            ),
        }
    }

    /// `AddressSpace::handle_fault` for a read, step by step.
    fn fault(&self, va: u64) -> Result<(), Unmapped> {
        // `target`: the mapping and the removal count, under the space's
        // lock, which is then dropped.
        let (removals, vmo_offset) = {
            let s = self.space.lock().unwrap();
            let (&base, m) = s.mappings.range(..=va).next_back().ok_or(Unmapped)?;
            if !in_range(va, base, m.len) {
                return Err(Unmapped);
            }
            (s.removals, m.vmo_offset + (va - base))
        };
        let mut v = self.vmo.lock().unwrap();
        let index = vmo_offset / PAGE_SIZE;
        let pa = v.vmo.commit_page(index).unwrap().as_u64();
        let mut b = [0u8];
        v.vmo.read(index * PAGE_SIZE, &mut b).unwrap();
        {
            let mut m = self.machine();
            m.live.insert(pa, b[0]);
            m.freed.remove(&pa);
        }
        let mut s = self.space.lock().unwrap();
        // A mapping was removed since the look-up: retry (the access
        // faults again and looks the mapping up afresh).
        if s.removals != removals {
            return Ok(());
        }
        self.map_pte(&mut s, va, pa);
        drop(s);
        drop(v);
        Ok(())
    }

    /// The user thread's access at `va` on `core`: faulting until it reads,
    /// or `None` when nothing is mapped there.
    fn touch(&self, core: usize, va: u64) -> Option<u8> {
        // At most: a fault, one undone by the racing thread, a retry.
        for _ in 0..4 {
            if let Some(b) = self.access(core, va) {
                return Some(b);
            }
            self.fault(va).ok()?;
        }
        panic!("the access at {va:#x} never succeeded");
    }

    /// `ZX_VMO_OP_DECOMMIT` of page `index`: `VmoInner::remove_pages`
    /// (`unmap_refs`, then the free) under one hold of the VMO's lock.
    fn decommit(&self, index: u64) {
        let mut v = self.vmo.lock().unwrap();
        let (offset, len) = (index * PAGE_SIZE, PAGE_SIZE);
        // unmap_refs: PteOwner::unmap_ptes takes the space's lock.
        for r in v.mappings.values() {
            let (lo, hi) = (
                offset.max(r.vmo_offset),
                (offset + len).min(r.vmo_offset + r.len),
            );
            if lo < hi {
                let mut s = self.space.lock().unwrap();
                self.unmap_ptes(&mut s, r.base + (lo - r.vmo_offset), hi - lo);
            }
        }
        let pa = v.vmo.lookup_page(index).map(|pa| pa.as_u64());
        v.vmo.decommit(offset, len).unwrap();
        if let Some(pa) = pa {
            // The frame is free now (its `Frame` was dropped): nothing may
            // still name it.
            let mut m = self.machine();
            assert!(
                !m.ptes.values().any(|&p| p == pa),
                "frame {pa:#x} freed while a page-table entry names it"
            );
            assert!(
                !m.tlbs.iter().flatten().any(|&(_, p)| p == pa),
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
            let mut s = self.space.lock().unwrap();
            let m = s.mappings.remove(&base).expect("mapped");
            s.removals += 1;
            self.unmap_ptes(&mut s, base, m.len);
            m
        };
        // The VMO learns about it after the space's lock is gone.
        self.vmo.lock().unwrap().mappings.remove(&m.id);
    }

    /// `AddressSpace::map` at `BASE`, in the order the protocol needs: the
    /// mapping is published in the space only while the VMO's lock is
    /// held, so the VMO knows every mapping a fault can find.
    fn map(&self) {
        let mut v = self.vmo.lock().unwrap();
        let mut s = self.space.lock().unwrap();
        publish(&mut s, &mut v);
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

    /// Every entry names a frame the VMO owns at that page.
    fn assert_entries_live(&self) {
        let v = self.vmo.lock().unwrap();
        let owned = v.vmo.lookup_page(0).map(|pa| pa.as_u64());
        let m = self.machine();
        for pa in m
            .ptes
            .values()
            .chain(m.tlbs.iter().flatten().map(|(_, pa)| pa))
        {
            assert_eq!(
                Some(*pa),
                owned,
                "an entry names a frame the VMO does not own"
            );
        }
    }
}

/// The one mapping, page 0 of the VMO at `BASE`, recorded on both sides.
fn publish(s: &mut Space, v: &mut VmoInner) {
    let len = PAGE_SIZE;
    s.mappings.insert(
        BASE,
        Mapping {
            id: MAPPING_ID,
            len,
            vmo_offset: 0,
        },
    );
    v.mappings.insert(
        MAPPING_ID,
        MappingRef {
            base: BASE,
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
        let t = thread::spawn(move || a.touch(0, BASE));
        // The decommitting thread read the page first, on the other core:
        // both cores' TLBs may hold it.
        assert_eq!(w.touch(1, BASE), Some(b'x'), "nothing freed it yet");
        w.decommit(0);
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
        let t = thread::spawn(move || a.touch(0, BASE));
        w.unmap(BASE);
        w.assert_unmapped(BASE, PAGE_SIZE, "when unmap returned");
        let seen = t.join().unwrap();
        assert!(
            matches!(seen, None | Some(b'x')),
            "the access read {seen:?}"
        );
        w.assert_unmapped(BASE, PAGE_SIZE, "after the fault ended");
        assert!(w.vmo.lock().unwrap().mappings.is_empty());
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
        let seen = w.touch(1, BASE);
        assert!(
            matches!(seen, None | Some(b'x')),
            "the access read {seen:?}"
        );
        w.decommit(0);
        t.join().unwrap();
        w.assert_entries_live();
    });
}
