//! Address-space identifiers with generations. An address space holds
//! `generation << 16 | asid`; activating it checks the generation and takes
//! a fresh ASID if its own is from an older one. When the 16-bit space runs
//! out, the generation advances: every ASID becomes free again except those
//! live on some core right now (they are kept, "reserved", by their owners
//! in the new generation), and all TLBs are flushed once. So a wrap never
//! hands a live address space's ASID to another.
//!
//! Lock order: the allocator's lock is a leaf.

use core::sync::atomic::{AtomicU64, Ordering};
use platform::arch::percpu::MAX_CPUS;
use spin::Mutex;

/// 16-bit ASIDs (TCR_EL1.AS); 0 is never handed out (the kernel's, and the
/// value of "no address space" on a core).
const ASID_BITS: u32 = 16;
const ASID_COUNT: usize = 1 << ASID_BITS;
const ASID_MASK: u64 = (ASID_COUNT - 1) as u64;

struct Allocator {
    generation: u64,
    /// ASIDs taken in this generation.
    used: [u64; ASID_COUNT / 64],
    next: usize,
}

static ASIDS: Mutex<Allocator> = Mutex::new(Allocator {
    generation: 1,
    used: [0; ASID_COUNT / 64],
    next: 1,
});

/// The ASID (with its generation) each core runs with now.
static ACTIVE: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// An address space's identifier; 0 until first activated.
#[derive(Default)]
pub struct Asid(AtomicU64);

impl Allocator {
    fn take(&mut self, asid: usize) {
        self.used[asid / 64] |= 1 << (asid % 64);
    }

    fn is_used(&self, asid: usize) -> bool {
        self.used[asid / 64] & (1 << (asid % 64)) != 0
    }

    fn find_free(&mut self) -> Option<usize> {
        for probe in 0..ASID_COUNT {
            let a = (self.next + probe) % ASID_COUNT;
            if a != 0 && !self.is_used(a) {
                self.next = a + 1;
                return Some(a);
            }
        }
        None
    }

    /// Starts a new generation: only the ASIDs live on a core stay taken.
    fn roll_over(&mut self) {
        self.generation += 1;
        self.used = [0; ASID_COUNT / 64];
        self.take(0);
        for active in &ACTIVE {
            let a = active.load(Ordering::Acquire);
            if a != 0 {
                self.take((a & ASID_MASK) as usize);
            }
        }
        self.next = 1;
        platform::arch::mmu::flush_all_tlbs();
    }
}

impl Asid {
    /// The ASID to run with on core `cpu`: the current one if it is still
    /// of this generation, else a fresh one (or its old one, if another core
    /// kept it reserved across a roll-over).
    pub fn activate(&self, cpu: usize) -> u16 {
        let mut a = ASIDS.lock();
        let mine = self.0.load(Ordering::Relaxed);
        let value = if mine != 0 && mine >> ASID_BITS == a.generation {
            mine
        } else if mine != 0 && ACTIVE.iter().any(|c| c.load(Ordering::Acquire) == mine) {
            // Still live on a core through the roll-over: keep it.
            let kept = (a.generation << ASID_BITS) | (mine & ASID_MASK);
            a.take((mine & ASID_MASK) as usize);
            kept
        } else {
            let asid = match a.find_free() {
                Some(x) => x,
                None => {
                    a.roll_over();
                    a.find_free().expect("a fresh generation has free ASIDs")
                }
            };
            a.take(asid);
            (a.generation << ASID_BITS) | asid as u64
        };
        self.0.store(value, Ordering::Relaxed);
        ACTIVE[cpu].store(value, Ordering::Release);
        (value & ASID_MASK) as u16
    }

    /// The ASID this address space last ran with (0: never ran).
    pub fn current(&self) -> u16 {
        (self.0.load(Ordering::Relaxed) & ASID_MASK) as u16
    }

    /// The address space is gone: its TLB entries go and its ASID is free.
    pub fn release(&self) {
        let mut a = ASIDS.lock();
        let mine = self.0.swap(0, Ordering::Relaxed);
        if mine == 0 {
            return;
        }
        for active in &ACTIVE {
            let _ = active.compare_exchange(mine, 0, Ordering::AcqRel, Ordering::Relaxed);
        }
        platform::arch::cpu::flush_asid((mine & ASID_MASK) as u16);
        if mine >> ASID_BITS == a.generation {
            let asid = (mine & ASID_MASK) as usize;
            a.used[asid / 64] &= !(1 << (asid % 64));
        }
    }
}

/// Core `cpu` runs no address space now (its ASID may be reused).
pub fn deactivate(cpu: usize) {
    ACTIVE[cpu].store(0, Ordering::Release);
}
