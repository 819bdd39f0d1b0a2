//! Concurrent duplicate, close and use of the same handle values.
//!
//! Handle values sit in shared slots. Threads at once:
//! - duplicate (phase 1: duplicates of one VMO the main thread keeps) or
//!   create (phase 2: fresh VMOs, whose slot handle is their only one) and
//!   swap the new handle into a slot, closing the one it replaces;
//! - close whatever value a slot holds (without taking it out, so two
//!   threads close the same value);
//! - use whatever value a slot holds: `zx_vmo_get_size`, `zx_vmo_read`,
//!   `ZX_INFO_HANDLE_BASIC`, `ZX_INFO_HANDLE_COUNT`, `zx_handle_duplicate`.
//!
//! Every handle created during the race is a handle to a VMO (no other
//! handle is made or freed meanwhile), so a value that was closed and made
//! again still names a VMO. Checked: every call returns OK or BAD_HANDLE
//! (a read past a smaller VMO's end also OUT_OF_RANGE), never anything
//! else and never a kernel crash; what a successful call returns belongs to
//! a live object of the race (the kept VMO's koid, size and handle count in
//! bounds; a phase-2 VMO's size one of the sizes made, its first word that
//! size); each handle is closed successfully exactly once (successful
//! closes equal duplicates plus creations); afterwards the kept VMO's
//! handle count is 1, no VMO is left alive, and every page is back.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use el0_tests::smp::{rounds, Barrier, Group, Rng};
use el0_tests::{
    assert_no_leak, close, koid, prefault_stack, touch_stack, try_info, vmo, zx, InfoHandleBasic,
    PAGE,
};
use zx::{rights, topic, Handle, InfoHandleCount, ZxStatus};

const SLOTS: usize = 8;
const MAKERS: usize = 2;
const CLOSERS: usize = 2;
const USERS: usize = 2;
const THREADS: usize = MAKERS + CLOSERS + USERS;
/// Phase 1: the kept VMO's size.
const KEPT_SIZE: u64 = 3 * PAGE as u64;

static SLOT: [AtomicU32; SLOTS] = [const { AtomicU32::new(0) }; SLOTS];
static KEPT: AtomicU32 = AtomicU32::new(0);
static KEPT_KOID: AtomicU64 = AtomicU64::new(0);
/// 1 or 2; 0 ends the threads.
static PHASE: AtomicU32 = AtomicU32::new(0);
static START: Barrier = Barrier::new(THREADS as u32 + 1);
static END: Barrier = Barrier::new(THREADS as u32 + 1);
static MAKERS_LEFT: AtomicU32 = AtomicU32::new(0);
static MADE: AtomicU64 = AtomicU64::new(0);
static CLOSED_OK: AtomicU64 = AtomicU64::new(0);
static BAD: AtomicU64 = AtomicU64::new(0);
/// Uses so far (by all users, in all phases).
static USES: AtomicU64 = AtomicU64::new(0);
static TOTAL_USES: AtomicU64 = AtomicU64::new(0);
static USED_OK: AtomicU64 = AtomicU64::new(0);
static STOP: AtomicBool = AtomicBool::new(false);

/// Phase 2's VMO sizes: 1 to 4 pages.
fn phase2_size(i: u64) -> u64 {
    (1 + i % 4) * PAGE as u64
}

fn is_phase2_size(s: u64) -> bool {
    s.is_multiple_of(PAGE as u64) && (1..=4).contains(&(s / PAGE as u64))
}

/// OK or BAD_HANDLE (counted); anything else fails.
#[track_caller]
fn ok_or_bad<T>(r: Result<T, ZxStatus>, what: &str) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(ZxStatus::BadHandle) => {
            BAD.fetch_add(1, Ordering::Relaxed);
            None
        }
        Err(e) => panic!("{what}: {}, not OK or BAD_HANDLE", e.name()),
    }
}

fn close_value(h: Handle, what: &str) {
    if ok_or_bad(zx::handle_close(h), what).is_some() {
        CLOSED_OK.fetch_add(1, Ordering::Relaxed);
    }
}

fn maker(i: usize) {
    let mut rng = Rng::new(0x4a4e_0000 + i as u64);
    // Until the users have had their turns, so that they run meanwhile
    // even on one core.
    let uses = rounds(500);
    let mut round = 0;
    while USES.load(Ordering::Relaxed) < uses || round < 100 {
        round += 1;
        let h = if PHASE.load(Ordering::Relaxed) == 1 {
            let kept = KEPT.load(Ordering::Relaxed);
            match zx::handle_duplicate(kept, rights::SAME_RIGHTS) {
                Ok(h) => h,
                Err(e) => panic!("duplicate of the kept VMO: {}", e.name()),
            }
        } else {
            let size = phase2_size(round);
            let h = match zx::vmo_create(size, 0) {
                Ok(h) => h,
                Err(e) => panic!("vmo_create: {}", e.name()),
            };
            // A closer may close the new value already: it can equal a
            // closed value still left in a slot.
            let marker = size.to_le_bytes();
            ok_or_bad(zx::vmo_write(h, &marker, 0), "vmo_write of a new VMO");
            ok_or_bad(
                zx::vmo_write(h, &marker, size - 8),
                "vmo_write of a new VMO",
            );
            h
        };
        MADE.fetch_add(1, Ordering::Relaxed);
        let old = SLOT[rng.below(SLOTS as u64) as usize].swap(h, Ordering::AcqRel);
        if old != 0 {
            close_value(old, "close of a value swapped out");
        }
    }
    if MAKERS_LEFT.fetch_sub(1, Ordering::AcqRel) == 1 {
        STOP.store(true, Ordering::Release);
    }
}

fn closer(i: usize) {
    let mut rng = Rng::new(0xc105_0000 + i as u64);
    let mut seen = 0;
    while !STOP.load(Ordering::Acquire) {
        // At most one close per handle made meanwhile: the slots keep some
        // live values for the users (on one core too, where a closer's
        // whole time slice would otherwise close every slot).
        let made = MADE.load(Ordering::Relaxed);
        if made == seen {
            core::hint::spin_loop();
            continue;
        }
        seen = made;
        let h = SLOT[rng.below(SLOTS as u64) as usize].load(Ordering::Acquire);
        if h != 0 {
            close_value(h, "close of a slot's value");
        }
    }
}

fn use_kept(h: Handle) {
    if let Some(s) = ok_or_bad(zx::vmo_get_size(h), "vmo_get_size") {
        USED_OK.fetch_add(1, Ordering::Relaxed);
        assert_eq!(s, KEPT_SIZE, "vmo_get_size of a duplicate of the kept VMO");
    }
    if let Some(b) = ok_or_bad(
        try_info::<InfoHandleBasic>(h, topic::HANDLE_BASIC, 32),
        "HANDLE_BASIC",
    ) {
        assert_eq!(
            b.koid,
            KEPT_KOID.load(Ordering::Relaxed),
            "koid behind a duplicate"
        );
    }
    if let Some(c) = ok_or_bad(
        try_info::<InfoHandleCount>(h, topic::HANDLE_COUNT, 4),
        "HANDLE_COUNT",
    ) {
        let most = (1 + SLOTS + MAKERS + USERS) as u32;
        assert!(
            (1..=most).contains(&c.handle_count),
            "handle count {} of the kept VMO (1..={most})",
            c.handle_count
        );
    }
}

fn use_fresh(h: Handle) {
    if let Some(s) = ok_or_bad(zx::vmo_get_size(h), "vmo_get_size") {
        USED_OK.fetch_add(1, Ordering::Relaxed);
        assert!(
            is_phase2_size(s),
            "vmo_get_size {s:#x}: no VMO of that size was made"
        );
    }
    let mut b = [0u8; 8];
    if ok_or_bad(zx::vmo_read(h, &mut b, 0), "vmo_read").is_some() {
        let s = u64::from_le_bytes(b);
        assert!(
            is_phase2_size(s),
            "first word {s:#x}: not a marker any VMO was given"
        );
        // The same VMO's last word, unless the value now names another.
        match zx::vmo_read(h, &mut b, s - 8) {
            Ok(()) => {
                let last = u64::from_le_bytes(b);
                assert!(
                    last == s || last == 0,
                    "last word {last:#x} of a VMO whose first is {s:#x}"
                );
            }
            Err(ZxStatus::BadHandle) | Err(ZxStatus::OutOfRange) => {}
            Err(e) => panic!("vmo_read of the last word: {}", e.name()),
        }
    }
}

fn user(i: usize) {
    let mut rng = Rng::new(0x05e5_0000 + i as u64);
    while !STOP.load(Ordering::Acquire) {
        let h = SLOT[rng.below(SLOTS as u64) as usize].load(Ordering::Acquire);
        if h == 0 {
            continue;
        }
        if PHASE.load(Ordering::Relaxed) == 1 {
            use_kept(h);
        } else {
            use_fresh(h);
        }
        if let Some(d) = ok_or_bad(
            zx::handle_duplicate(h, rights::SAME_RIGHTS),
            "duplicate of a slot's value",
        ) {
            MADE.fetch_add(1, Ordering::Relaxed);
            close_value(d, "close of a user's own duplicate");
        }
        USES.fetch_add(1, Ordering::Relaxed);
        TOTAL_USES.fetch_add(1, Ordering::Relaxed);
    }
}

fn thread(i: usize) {
    touch_stack();
    loop {
        START.wait();
        if PHASE.load(Ordering::Acquire) == 0 {
            return;
        }
        match i {
            _ if i < MAKERS => maker(i),
            _ if i < MAKERS + CLOSERS => closer(i),
            _ => user(i),
        }
        END.wait();
    }
}

/// Runs one phase: the race, then every slot emptied.
fn race(phase: u32) {
    for s in &SLOT {
        s.store(0, Ordering::Relaxed);
    }
    STOP.store(false, Ordering::Relaxed);
    USES.store(0, Ordering::Relaxed);
    MAKERS_LEFT.store(MAKERS as u32, Ordering::Relaxed);
    MADE.store(0, Ordering::Relaxed);
    CLOSED_OK.store(0, Ordering::Relaxed);
    PHASE.store(phase, Ordering::Release);
    START.wait();
    END.wait();
    for s in &SLOT {
        let h = s.swap(0, Ordering::AcqRel);
        if h != 0 {
            close_value(h, "close of a value left in a slot");
        }
    }
    assert_eq!(
        CLOSED_OK.load(Ordering::Relaxed),
        MADE.load(Ordering::Relaxed),
        "phase {phase}: successful closes vs handles made: each handle closed exactly once"
    );
}

fn handle_count(h: Handle) -> u32 {
    try_info::<InfoHandleCount>(h, topic::HANDLE_COUNT, 4)
        .expect("HANDLE_COUNT")
        .handle_count
}

fn main(_root: Handle) -> i64 {
    prefault_stack();
    assert_no_leak("smp_handles", || {
        let mut threads = Group::new();
        threads.spawn_n("handles", THREADS, thread);

        let kept = vmo(KEPT_SIZE, 0);
        KEPT.store(kept, Ordering::Relaxed);
        KEPT_KOID.store(koid(kept), Ordering::Relaxed);
        race(1);
        assert_eq!(
            handle_count(kept),
            1,
            "the kept VMO's handle count afterwards"
        );
        assert_eq!(
            zx::vmo_get_size(kept),
            Ok(KEPT_SIZE),
            "the kept VMO afterwards"
        );
        let made = MADE.load(Ordering::Relaxed);
        close(kept);
        zx::println!(
            "smp_handles: {made} duplicates of one VMO raced close and use: only OK or BAD_HANDLE, each closed once, handle count back to 1"
        );

        race(2);
        let made = MADE.load(Ordering::Relaxed);
        PHASE.store(0, Ordering::Release);
        START.wait();
        let cores = threads.join();
        zx::println!(
            "smp_handles: {made} VMOs and duplicates closed while in use by {THREADS} threads (last on {cores} cores) (their last handle too): only OK or BAD_HANDLE, each closed once"
        );
    });
    zx::println!(
        "smp_handles: {} uses ({} found the handle alive), {} BAD_HANDLE answers; no VMO left alive, every page back",
        TOTAL_USES.load(Ordering::Relaxed),
        USED_OK.load(Ordering::Relaxed),
        BAD.load(Ordering::Relaxed)
    );
    0
}

zx::entry!(main);
