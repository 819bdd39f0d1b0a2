//! Discardable reclaim while other threads lock and unlock. Runs on a boot
//! with little RAM (`discard-reclaim`, 128 MiB), where running out of pages
//! is quick.
//!
//! `LOCKERS` threads own one discardable VMO each. A locker alternates
//! `ZX_VMO_OP_LOCK` and `ZX_VMO_OP_TRY_LOCK`; holding the lock it checks
//! the contents, holds on for a while, checks them again and unlocks, then
//! stays unlocked for a while (so reclaim can take the VMO). A LOCK that
//! reports the VMO discarded (or a TRY_LOCK that is UNAVAILABLE, then a
//! LOCK) finds it all zero and fills it with the next generation's bytes.
//! Meanwhile the pressure thread commits an ordinary VMO, 1 MiB at a time,
//! past the free memory (the allocator then reclaims unlocked discardable
//! VMOs), and frees it again, round after round.
//!
//! Checked: LOCK is OK and reports either nothing discarded or the whole
//! VMO; TRY_LOCK OK or UNAVAILABLE; UNLOCK OK; a fill and the pressure's
//! commits OK or NO_MEMORY; contents that are locked are never discarded
//! (every check while locked finds the generation written last, or zero
//! only when the lock said discarded); reclaim happened; and every page is
//! back at the end.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use el0_tests::smp::{publish, rounds, wait_while, Group};
use el0_tests::{
    assert_no_leak, close, op_range, prefault_stack, touch_stack, vmo, vmo_lock, zx, VmoLockState,
    PAGE,
};
use zx::{stats, vmo_op as op, vmo_opt, Handle, ZxStatus};

const LOCKERS: usize = 4;
const MIB: u64 = 1 << 20;
const SIZE: u64 = MIB;
const PAGES: u64 = SIZE / PAGE as u64;
/// Pages checked in each look at the contents (a different set each time).
const SAMPLE: u64 = 8;

static VMOS: [AtomicU32; LOCKERS] = [const { AtomicU32::new(0) }; LOCKERS];
/// Lockers whose VMO holds its first generation.
static FILLED: AtomicU32 = AtomicU32::new(0);
/// 1 once the pressure thread's ballast is committed.
static READY: AtomicU32 = AtomicU32::new(0);
static STOP: AtomicBool = AtomicBool::new(false);
static DISCARDS_SEEN: AtomicU64 = AtomicU64::new(0);
static LOCKED_CHECKS: AtomicU64 = AtomicU64::new(0);
static FILL_NO_MEMORY: AtomicU64 = AtomicU64::new(0);
static COMMIT_NO_MEMORY: AtomicU64 = AtomicU64::new(0);
static CORES: AtomicU32 = AtomicU32::new(0);

/// The byte at page `page` of locker `l`'s VMO in generation `g` (never 0).
fn pattern(l: usize, g: u64, page: u64) -> u8 {
    ((l as u64 * 31 + g * 7 + page) % 255 + 1) as u8
}

/// Checks `SAMPLE` pages from `first`: all `expected(page)`.
fn check(h: Handle, l: usize, first: u64, expected: impl Fn(u64) -> u8, what: &str) {
    let mut buf = [0u8; PAGE];
    for i in 0..SAMPLE {
        let page = (first + i * 37) % PAGES;
        if let Err(e) = zx::vmo_read(h, &mut buf, page * PAGE as u64) {
            panic!("locker {l}: vmo_read while locked: {}", e.name());
        }
        let want = expected(page);
        if let Some(at) = buf.iter().position(|&b| b != want) {
            panic!(
                "locker {l}: {what}: page {page} byte {at} is {:#x}, expected {want:#x}",
                buf[at]
            );
        }
    }
    LOCKED_CHECKS.fetch_add(1, Ordering::Relaxed);
}

/// Fills the VMO with generation `g`; false if a page was not to be had.
fn fill(h: Handle, l: usize, g: u64) -> bool {
    let mut buf = [0u8; PAGE];
    for page in 0..PAGES {
        buf.fill(pattern(l, g, page));
        match zx::vmo_write(h, &buf, page * PAGE as u64) {
            Ok(()) => {}
            Err(ZxStatus::NoMemory) => {
                FILL_NO_MEMORY.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            Err(e) => panic!("locker {l}: fill: {}", e.name()),
        }
    }
    true
}

fn pause(ns: u64) {
    let end = zx::counter() + ns * zx::counter_frequency() / 1_000_000_000;
    while zx::counter() < end {
        core::hint::spin_loop();
    }
}

fn locker(l: usize) {
    touch_stack();
    let h = VMOS[l].load(Ordering::Relaxed);
    let mut turn = 0u64;
    // The first generation goes in before memory runs low.
    vmo_lock(h, 0, SIZE).expect("first LOCK");
    let mut g = 1;
    // The generation the contents hold, if they were filled whole.
    let mut valid = fill(h, l, g).then_some(g);
    assert_eq!(valid, Some(1), "locker {l}: the first fill");
    assert_eq!(
        op_range(h, op::UNLOCK, 0, SIZE),
        Ok(()),
        "locker {l}: first UNLOCK"
    );
    FILLED.fetch_add(1, Ordering::AcqRel);
    let _ = zx::futex_wake(&FILLED, 1);
    wait_while(&READY, 0);
    while !STOP.load(Ordering::Acquire) {
        turn += 1;
        let discarded = if turn.is_multiple_of(2) {
            match op_range(h, op::TRY_LOCK, 0, SIZE) {
                Ok(()) => false,
                Err(ZxStatus::Unavailable) => {
                    // Discarded: LOCK it, which says so again.
                    let s = vmo_lock(h, 0, SIZE).expect("LOCK after TRY_LOCK's UNAVAILABLE");
                    assert_eq!(
                        s.discarded_size, SIZE,
                        "locker {l}: LOCK after UNAVAILABLE: {s:?}"
                    );
                    true
                }
                Err(e) => panic!("locker {l}: TRY_LOCK: {}", e.name()),
            }
        } else {
            let s = match vmo_lock(h, 0, SIZE) {
                Ok(s) => s,
                Err(e) => panic!("locker {l}: LOCK: {}", e.name()),
            };
            let whole = VmoLockState {
                offset: 0,
                size: SIZE,
                discarded_offset: 0,
                discarded_size: SIZE,
            };
            let none = VmoLockState {
                discarded_size: 0,
                ..whole
            };
            assert!(s == whole || s == none, "locker {l}: lock state {s:?}");
            s == whole
        };
        // Locked from here.
        if discarded {
            DISCARDS_SEEN.fetch_add(1, Ordering::Relaxed);
            check(h, l, turn, |_| 0, "a discarded VMO");
            valid = None;
        }
        if let Some(gen) = valid {
            check(h, l, turn, |p| pattern(l, gen, p), "locked contents");
        } else {
            g += 1;
            valid = fill(h, l, g).then_some(g);
        }
        if let Some(gen) = valid {
            // Hold the lock while the pressure goes on, then look again.
            pause(500_000);
            check(
                h,
                l,
                turn + 1,
                |p| pattern(l, gen, p),
                "contents held locked",
            );
        }
        assert_eq!(
            op_range(h, op::UNLOCK, 0, SIZE),
            Ok(()),
            "locker {l}: UNLOCK"
        );
        pause(500_000);
    }
}

/// Commits `[at, at + len)` of `h` 1 MiB at a time until NO_MEMORY; returns
/// the bytes committed.
fn commit_until_full(h: Handle, at: u64, len: u64) -> u64 {
    let mut done = 0;
    while done < len {
        match op_range(h, op::COMMIT, at + done, MIB) {
            Ok(()) => done += MIB,
            Err(ZxStatus::NoMemory) => {
                COMMIT_NO_MEMORY.fetch_add(1, Ordering::Relaxed);
                break;
            }
            Err(e) => panic!("pressure: COMMIT: {}", e.name()),
        }
    }
    done
}

fn pressure(_: usize) {
    touch_stack();
    // Ballast: all but `SLACK` of the free memory stays committed, so that
    // each round needs only a few MiB to run out.
    const SLACK: u64 = 3 * MIB;
    loop {
        let n = FILLED.load(Ordering::Acquire);
        if n == LOCKERS as u32 {
            break;
        }
        wait_while(&FILLED, n);
    }
    let free = zx::free_pages() * PAGE as u64;
    let ballast_len = (free.saturating_sub(SLACK)) / MIB * MIB;
    let extra_len = SLACK + (LOCKERS as u64 + 2) * SIZE;
    let big = vmo(ballast_len + extra_len, 0);
    commit_until_full(big, 0, ballast_len);
    publish(&READY, 1);
    for _ in 0..rounds(12) {
        // Past the end of memory: the allocator reclaims what is unlocked.
        commit_until_full(big, ballast_len, extra_len);
        assert_eq!(
            op_range(big, op::DECOMMIT, ballast_len, extra_len),
            Ok(()),
            "pressure: DECOMMIT of the extra"
        );
        // The lockers' turn (a few of their rounds).
        pause(20_000_000);
    }
    close(big);
    STOP.store(true, Ordering::Release);
}

fn main(_root: Handle) -> i64 {
    prefault_stack();
    let reclaimed_before = zx::kernel_stats()[stats::RECLAIMED_PAGES];
    assert_no_leak("smp_discardable", || {
        for v in &VMOS {
            v.store(vmo(SIZE, vmo_opt::DISCARDABLE), Ordering::Relaxed);
        }
        let mut threads = Group::new();
        threads.spawn_n("locker", LOCKERS, locker);
        threads.spawn("pressure", pressure, 0);
        CORES.store(threads.join(), Ordering::Relaxed);
        for v in &VMOS {
            close(v.load(Ordering::Relaxed));
        }
    });
    let reclaimed = zx::kernel_stats()[stats::RECLAIMED_PAGES] - reclaimed_before;
    assert!(reclaimed > 0, "the pressure reclaimed nothing");
    zx::println!(
        "smp_discardable: {LOCKERS} lockers (with the pressure thread last on {} cores) raced reclaim ({reclaimed} pages reclaimed, {} discards seen at LOCK): statuses only the documented ones",
        CORES.load(Ordering::Relaxed),
        DISCARDS_SEEN.load(Ordering::Relaxed)
    );
    zx::println!(
        "smp_discardable: {} checks while locked found the contents intact ({} fills and {} commits met NO_MEMORY)",
        LOCKED_CHECKS.load(Ordering::Relaxed),
        FILL_NO_MEMORY.load(Ordering::Relaxed),
        COMMIT_NO_MEMORY.load(Ordering::Relaxed)
    );
    zx::println!("smp_discardable: every page back at the end");
    0
}

zx::entry!(main);
