//! Address-space identifiers with generations. An address space holds
//! `generation << 16 | asid`; activating it checks the generation and takes
//! a fresh ASID if its own is from an older one. When the ASIDs run out, the
//! generation advances: every ASID becomes free again except those live on
//! some core right now (they are kept, "reserved", by their owners in the new
//! generation), and all TLBs are flushed once. So a wrap never hands a live
//! address space's ASID to another.
//!
//! Portable: [`AsidSpace`] takes the TLB flushes as functions, so host tests
//! run it with a small number of ASIDs; the kernel's is [`ASIDS`].
//!
//! Lock order: the allocator's lock is a leaf.

use crate::sync::{AtomicU64, Mutex, Ordering};

/// 16-bit ASIDs (TCR_EL1.AS). ASID 0 is never handed out: it is the
/// kernel's (its empty TTBR0 uses it) and means "none" on a core.
const ASID_BITS: u32 = 16;
const MAX_ASIDS: usize = 1 << ASID_BITS;
const ASID_MASK: u64 = (MAX_ASIDS - 1) as u64;

/// Cores an ASID space tracks.
pub const MAX_CPUS: usize = 8;

struct State {
    generation: u64,
    /// ASIDs taken in this generation.
    used: [u64; MAX_ASIDS / 64],
    next: usize,
}

/// A set of ASIDs shared by every address space, with the ASID each core
/// runs with now.
pub struct AsidSpace {
    state: Mutex<State>,
    active: [AtomicU64; MAX_CPUS],
    /// ASIDs `1..count` are handed out.
    count: usize,
    flush_all: fn(),
    flush_asid: fn(u16),
}

/// The kernel's ASIDs.
#[cfg(target_os = "none")]
pub static ASIDS: AsidSpace = AsidSpace::new(
    MAX_ASIDS,
    platform::arch::mmu::flush_all_tlbs,
    platform::arch::cpu::flush_asid,
);

#[cfg(target_os = "none")]
const _: () = assert!(MAX_CPUS == platform::arch::percpu::MAX_CPUS);

/// An address space's identifier; 0 until first activated.
#[derive(Default)]
pub struct Asid(AtomicU64);

impl State {
    fn take(&mut self, asid: usize) {
        self.used[asid / 64] |= 1 << (asid % 64);
    }

    fn is_used(&self, asid: usize) -> bool {
        self.used[asid / 64] & (1 << (asid % 64)) != 0
    }

    fn find_free(&mut self, count: usize) -> Option<usize> {
        for probe in 0..count {
            let a = (self.next + probe) % count;
            if a != 0 && !self.is_used(a) {
                self.next = a + 1;
                return Some(a);
            }
        }
        None
    }
}

impl AsidSpace {
    crate::const_fn! {
        /// ASIDs `1..count` (`count` at most 2^16), flushed with the given
        /// functions.
        // `RangeInclusive::contains` is not `const`.
        #[allow(clippy::manual_range_contains)]
        pub fn new(count: usize, flush_all: fn(), flush_asid: fn(u16)) -> Self {
            assert!(count >= 2 && count <= MAX_ASIDS);
            Self {
                state: Mutex::new(State {
                    generation: 1,
                    used: [0; MAX_ASIDS / 64],
                    next: 1,
                }),
                #[cfg(not(loom))]
                active: [const { AtomicU64::new(0) }; MAX_CPUS],
                #[cfg(loom)]
                active: core::array::from_fn(|_| AtomicU64::new(0)),
                count,
                flush_all,
                flush_asid,
            }
        }
    }

    /// Starts a new generation: only the ASIDs live on a core stay taken.
    fn roll_over(&self, s: &mut State) {
        s.generation += 1;
        s.used = [0; MAX_ASIDS / 64];
        for active in &self.active {
            let a = active.load(Ordering::Acquire);
            if a != 0 {
                s.take((a & ASID_MASK) as usize);
            }
        }
        s.next = 1;
        (self.flush_all)();
    }

    /// Core `cpu` runs no address space now (its ASID may be reused).
    pub fn deactivate(&self, cpu: usize) {
        self.active[cpu].store(0, Ordering::Release);
    }
}

impl Asid {
    /// The ASID to run with on core `cpu`: the current one if it is still
    /// of this generation, else a fresh one (or its old one, if it was live
    /// on a core through a roll-over, which kept it reserved).
    pub fn activate(&self, space: &AsidSpace, cpu: usize) -> u16 {
        let mut s = space.state.lock();
        let mine = self.0.load(Ordering::Relaxed);
        let value = if mine != 0 && mine >> ASID_BITS == s.generation {
            mine
        } else if mine != 0
            && space
                .active
                .iter()
                .any(|c| c.load(Ordering::Acquire) == mine)
        {
            let kept = (s.generation << ASID_BITS) | (mine & ASID_MASK);
            s.take((mine & ASID_MASK) as usize);
            // The other cores that run it with the old value now hold the
            // new one: a later roll-over still finds them by it, so the
            // space keeps this ASID on every core (and its shootdowns,
            // which name `current`, reach them all).
            for c in &space.active {
                let _ = c.compare_exchange(mine, kept, Ordering::AcqRel, Ordering::Relaxed);
            }
            kept
        } else {
            let asid = match s.find_free(space.count) {
                Some(x) => x,
                None => {
                    space.roll_over(&mut s);
                    s.find_free(space.count)
                        .expect("a fresh generation has free ASIDs")
                }
            };
            s.take(asid);
            (s.generation << ASID_BITS) | asid as u64
        };
        self.0.store(value, Ordering::Relaxed);
        space.active[cpu].store(value, Ordering::Release);
        (value & ASID_MASK) as u16
    }

    /// The ASID this address space last ran with (0: never ran).
    pub fn current(&self) -> u16 {
        (self.0.load(Ordering::Relaxed) & ASID_MASK) as u16
    }

    /// The address space is gone: its TLB entries go and its ASID is free.
    pub fn release(&self, space: &AsidSpace) {
        let mut s = space.state.lock();
        let mine = self.0.swap(0, Ordering::Relaxed);
        if mine == 0 {
            return;
        }
        for active in &space.active {
            let _ = active.compare_exchange(mine, 0, Ordering::AcqRel, Ordering::Relaxed);
        }
        (space.flush_asid)((mine & ASID_MASK) as u16);
        if mine >> ASID_BITS == s.generation {
            let asid = (mine & ASID_MASK) as usize;
            s.used[asid / 64] &= !(1 << (asid % 64));
        }
    }
}

// Under loom the space holds loom primitives, made only inside a model.
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use core::sync::atomic::AtomicUsize;
    use std::collections::HashSet;
    use std::vec::Vec;

    static FULL_FLUSHES: AtomicUsize = AtomicUsize::new(0);
    fn flush_all() {
        FULL_FLUSHES.fetch_add(1, Ordering::Relaxed);
    }
    fn flush_asid(_: u16) {}

    #[test]
    fn fresh_asids_are_distinct_and_never_zero() {
        let space = AsidSpace::new(64, flush_all, flush_asid);
        let spaces: Vec<Asid> = (0..63).map(|_| Asid::default()).collect();
        let got: HashSet<u16> = spaces.iter().map(|a| a.activate(&space, 0)).collect();
        assert_eq!(got.len(), 63);
        assert!(!got.contains(&0));
        // Activating again keeps the same ASID within a generation.
        assert_eq!(spaces[5].activate(&space, 1), spaces[5].current());
    }

    #[test]
    fn a_roll_over_never_hands_a_live_asid_to_another() {
        let before = FULL_FLUSHES.load(Ordering::Relaxed);
        let space = AsidSpace::new(8, flush_all, flush_asid);
        // Cores 0 and 1 run address spaces A and B.
        let (a, b) = (Asid::default(), Asid::default());
        let (asid_a, asid_b) = (a.activate(&space, 0), b.activate(&space, 1));
        // Others use up the rest of the generation, then one more rolls over.
        let others: Vec<Asid> = (0..6).map(|_| Asid::default()).collect();
        for o in &others {
            o.activate(&space, 2);
        }
        let late = Asid::default();
        let asid_late = late.activate(&space, 2);
        assert!(
            FULL_FLUSHES.load(Ordering::Relaxed) > before,
            "the roll-over flushed"
        );
        assert_ne!(asid_late, asid_a, "core 0's live ASID was not reused");
        assert_ne!(asid_late, asid_b, "core 1's live ASID was not reused");
        // A and B keep their ASIDs in the new generation.
        assert_eq!(a.activate(&space, 0), asid_a);
        assert_eq!(b.activate(&space, 1), asid_b);
        // And fresh ASIDs avoid them for the rest of the generation.
        let fresh: Vec<u16> = (0..4)
            .map(|_| Asid::default().activate(&space, 3))
            .collect();
        assert!(!fresh.contains(&asid_a) && !fresh.contains(&asid_b));
    }

    #[test]
    fn a_space_on_two_cores_keeps_one_asid_through_two_roll_overs() {
        // Found by the loom model `loom_asid_one_space_on_two_cores_...`.
        let space = AsidSpace::new(4, flush_all, flush_asid);
        let spaces: Vec<Asid> = (0..3).map(|_| Asid::default()).collect();
        let a = Asid::default();
        // Core 1 runs A throughout, never re-activating it.
        let on_core_1 = a.activate(&space, 1);
        let run_on_0 = |s: &Asid| {
            let asid = s.activate(&space, 0);
            space.deactivate(0);
            asid
        };
        // Core 0 runs the others until a roll-over, then A, then others
        // until a second roll-over, then A again.
        for s in &spaces {
            run_on_0(s);
        }
        assert_eq!(run_on_0(&a), on_core_1);
        run_on_0(&spaces[0]);
        run_on_0(&spaces[1]);
        assert_eq!(
            run_on_0(&a),
            on_core_1,
            "A would run with two ASIDs, and a shootdown by one misses the other"
        );
    }

    #[test]
    fn a_released_asid_can_be_reused() {
        let space = AsidSpace::new(4, flush_all, flush_asid);
        let spaces: Vec<Asid> = (0..3).map(|_| Asid::default()).collect();
        for s in &spaces {
            s.activate(&space, 0);
        }
        let freed = spaces[1].current();
        spaces[1].release(&space);
        space.deactivate(0);
        assert_eq!(Asid::default().activate(&space, 0), freed);
        assert_eq!(spaces[1].current(), 0);
    }
}
