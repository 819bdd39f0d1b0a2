//! A TLB-shootdown test that fails if a shootdown is missing.
//!
//! `READERS` threads read one page at a fixed address `SPOT` over and over,
//! so that each core running one holds the page's translation in its TLB.
//! Then the main thread tells them to stop reading (they acknowledge and
//! keep spinning on a flag in another page, neither sleeping nor touching
//! `SPOT`, so their TLB entry for it stays as it was), changes what `SPOT`
//! shows, and tells them to read again. What they read must be the new
//! contents, in every round:
//! - unmap: `zx_vmar_unmap(SPOT)`, then the *other* of two VMOs mapped at
//!   `SPOT` with `ZX_VM_SPECIFIC`. The old VMO stays alive (its page keeps
//!   its bytes), so a reader whose core still holds the old translation
//!   reads the old VMO's bytes instead of faulting into the new one;
//! - decommit: `ZX_VMO_OP_DECOMMIT` of the mapped page, then (next round) a
//!   new value written with `zx_vmo_write`. A stale translation reads the
//!   freed frame: the previous round's value instead of zero or the new one.
//!
//! The kernel removes the entries with broadcast TLB invalidations (`tlbi
//! ...is`, then `dsb ish`) before the call returns; a core-local invalidate,
//! or none, leaves the readers' cores with the old translation and this
//! test fails with "stale" (watched: with `tlbi vae1` instead of `vae1is`
//! in the kernel it failed in every boot, at 4 cores). Between its last
//! read of a phase and its first of the next a reader makes no system call
//! (see `SPIN_NS`). On one core it still runs, and checks the same outcome
//! against the local TLB. Reading the old page after the flag
//! cannot be blamed on the ordering of the flag itself: the readers load it
//! with acquire semantics after the main thread's release store, which
//! comes after the unmapping system call returned.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use el0_tests::smp::{publish, rounds, wait_while_spinning, Group};
use el0_tests::{
    assert_no_leak, close, op_range, prefault_stack, touch_stack, vmo, write, zx, Mapping, PAGE,
    ROOT_BASE, RW,
};
use zx::{vm_opt, vmo_op as op, Handle};

const READERS: usize = 3;
/// Where the page is mapped (a VMAR offset, far from anything else).
const SPOT: usize = 0x60_0000_0000;
/// Reads per reader per round.
const READS: usize = 2000;

/// The round (even: readers may read `SPOT`; odd: they must not).
static PHASE: AtomicU32 = AtomicU32::new(u32::MAX);
/// Readers that have stopped reading in this round.
static STOPPED: AtomicU32 = AtomicU32::new(0);
/// What `SPOT` must read in the current round.
static EXPECT: AtomicU64 = AtomicU64::new(0);
static CHECKED: AtomicU64 = AtomicU64::new(0);

const DONE: u32 = u32::MAX - 1;

fn spot() -> usize {
    ROOT_BASE + SPOT
}

/// How long the readers spin for the next phase before they sleep. A
/// reader makes no system call from its last read of a phase to its first
/// read of the next (it acknowledges with a plain atomic add, and spins):
/// entering the kernel, like sleeping, switches its core's translation
/// tables (the kernel's software PAN), and QEMU, whose TLB has no ASID
/// tags, then drops the core's TLB entries, which would hide a missing
/// shootdown (real cores keep them). On four cores a phase change takes far
/// less than this; on one core the reader's time slice ends first.
const SPIN_NS: u64 = 50_000_000;

fn reader(r: usize) {
    touch_stack();
    let mut phase = u32::MAX;
    loop {
        wait_while_spinning(&PHASE, phase, SPIN_NS);
        phase = PHASE.load(Ordering::Acquire);
        if phase == DONE {
            return;
        }
        if phase.is_multiple_of(2) {
            let expect = EXPECT.load(Ordering::Acquire);
            for i in 0..READS {
                let off = (i * 8 * 61) % PAGE;
                // SAFETY: the main thread keeps a page mapped at SPOT for
                // as long as the phase is even; the access is 8-aligned.
                let v = unsafe { core::ptr::read_volatile((spot() + off) as *const u64) };
                assert!(
                    v == expect,
                    "reader {r}, phase {phase}: SPOT+{off:#x} reads {v:#x}, not {expect:#x}: stale (the old page) after the change returned"
                );
            }
            CHECKED.fetch_add(READS as u64, Ordering::Relaxed);
        }
        // Acknowledge (no system call); then only the flag is read until
        // the next phase.
        STOPPED.fetch_add(1, Ordering::AcqRel);
    }
}

/// Moves every reader to `phase` and waits until they have finished it.
fn run_phase(phase: u32) {
    STOPPED.store(0, Ordering::Relaxed);
    publish(&PHASE, phase);
    // The readers do not wake anyone: spin a while, then poll with short
    // sleeps (on one core the readers need the core to answer).
    let start = zx::counter();
    let spin = SPIN_NS * zx::counter_frequency() / 1_000_000_000 / 10;
    while STOPPED.load(Ordering::Acquire) != READERS as u32 {
        if zx::counter() - start < spin {
            core::hint::spin_loop();
        } else {
            zx::nanosleep(zx::deadline_after(100_000));
        }
    }
}

/// A page of `v`.
fn fill(h: Handle, v: u64) {
    let mut page = [0u8; PAGE];
    for w in page.chunks_exact_mut(8) {
        w.copy_from_slice(&v.to_le_bytes());
    }
    write(h, &page, 0);
}

fn map_at_spot(root: Handle, h: Handle) -> Mapping {
    Mapping::at(root, SPOT, h, 0, PAGE, RW | vm_opt::SPECIFIC)
}

fn main(root: Handle) -> i64 {
    prefault_stack();
    let n = rounds(30) as u32;
    assert_no_leak("smp_unmap_tlb", || {
        let mut readers = Group::new();
        readers.spawn_n("reader", READERS, reader);
        let mut phase = 0;

        // Unmap and map the other VMO.
        let vmos = [vmo(PAGE as u64, 0), vmo(PAGE as u64, 0)];
        let values = [0xAAAA_0000_0000_AAAA_u64, 0xBBBB_0000_0000_BBBB_u64];
        fill(vmos[0], values[0]);
        fill(vmos[1], values[1]);
        let mut m = map_at_spot(root, vmos[0]);
        for i in 0..n as usize {
            EXPECT.store(values[i % 2], Ordering::Release);
            run_phase(phase);
            run_phase(phase + 1);
            m.unmap();
            m = map_at_spot(root, vmos[(i + 1) % 2]);
            phase += 2;
        }
        m.unmap();
        close(vmos[0]);
        close(vmos[1]);
        zx::println!(
            "smp_unmap_tlb: {n} rounds: after zx_vmar_unmap and a new mapping at the address, {READERS} readers saw only the new VMO"
        );

        // Decommit, then new contents.
        let h = vmo(PAGE as u64, 0);
        let m = map_at_spot(root, h);
        for i in 0..n as u64 {
            let v = 0xC0DE_0000_0000_0000 | (i + 1);
            fill(h, v);
            EXPECT.store(v, Ordering::Release);
            run_phase(phase);
            run_phase(phase + 1);
            assert_eq!(
                op_range(h, op::DECOMMIT, 0, PAGE as u64),
                Ok(()),
                "DECOMMIT"
            );
            EXPECT.store(0, Ordering::Release);
            run_phase(phase + 2);
            run_phase(phase + 3);
            phase += 4;
        }
        publish(&PHASE, DONE);
        let cores = readers.join();
        m.unmap();
        close(h);
        zx::println!(
            "smp_unmap_tlb: {n} rounds: after DECOMMIT of the mapped page, readers (last on {cores} cores) saw zero, then only the newly written value"
        );
    });
    zx::println!(
        "smp_unmap_tlb: {} reads checked, none stale; every page back",
        CHECKED.load(Ordering::Relaxed)
    );
    0
}

zx::entry!(main);
