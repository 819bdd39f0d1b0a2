//! Writes racing page removal: a resizable VMO of `FULL` pages whose first
//! `MAPPED` pages are mapped (the size never goes below them, so no access
//! through the mapping is ever beyond the VMO). At once:
//! - two threads write their own u64 slot of every mapped page through the
//!   mapping and read it back;
//! - one thread does the same with `zx_vmo_write`/`zx_vmo_read` on the
//!   pages past the mapping, which the resizer keeps cutting off;
//! - one thread DECOMMITs and ZEROes random page ranges (whole pages, and
//!   the untouched upper half of a page, which is cleared in place);
//! - one thread `zx_vmo_set_size`s between `MAPPED` pages (plus a ragged
//!   tail) and `FULL` pages;
//! - one thread reads every word of the mapping.
//!
//! Checked: nobody is killed and the kernel does not panic; every status is
//! OK or, for a range the resizer has just cut off, OUT_OF_RANGE; every
//! value ever read is zero or a value written to that very slot by its
//! writer (tagged with page and writer, and no newer than the writer's
//! counter), and a writer reading back its own slot sees its last value or
//! zero (never an older one); words no one writes read zero; and every page
//! is back at the end.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use el0_tests::smp::{rounds, Group, Rng};
use el0_tests::{
    assert_no_leak, close, op_range, prefault_stack, touch_stack, vmo, zx, Mapping, PAGE,
    RESIZABLE_VMO_RIGHTS, RW,
};
use zx::{vmo_op as op, vmo_opt, Handle, ZxStatus};

const MAPPED: usize = 8;
const FULL: usize = 16;
/// Writers: 0 and 1 through the mapping, 2 with `zx_vmo_write`.
const WRITERS: usize = 3;
const TAG: u64 = 0xD0C0;

static VMO: AtomicU64 = AtomicU64::new(0);
static ADDR: AtomicU64 = AtomicU64::new(0);
static STOP: AtomicBool = AtomicBool::new(false);
/// Each writer's latest sequence number (raised before the value is
/// written).
static SEQ: [AtomicU64; WRITERS] = [const { AtomicU64::new(0) }; WRITERS];
/// Values checked, for the report.
static READS: AtomicU64 = AtomicU64::new(0);
static REMOVALS: AtomicU64 = AtomicU64::new(0);
static RESIZES: AtomicU64 = AtomicU64::new(0);

fn value(page: usize, writer: usize, seq: u64) -> u64 {
    (TAG << 48) | ((page as u64) << 40) | ((writer as u64) << 32) | (seq & 0xffff_ffff)
}

fn slot(page: usize, writer: usize) -> usize {
    page * PAGE + writer * 8
}

/// Asserts `v`, read from writer `w`'s slot of `page`, is zero or one of
/// the values that writer has written there.
#[track_caller]
fn check_value(v: u64, page: usize, w: usize, what: &str) {
    READS.fetch_add(1, Ordering::Relaxed);
    if v == 0 {
        return;
    }
    let newest = SEQ[w].load(Ordering::Acquire);
    let seq = v & 0xffff_ffff;
    assert!(
        v >> 48 == TAG && (v >> 40) & 0xff == page as u64 && (v >> 32) & 0xff == w as u64 && seq <= newest,
        "{what}: page {page} writer {w}'s slot holds {v:#x} (writer at {newest}), neither zero nor a value written there"
    );
}

fn handle() -> Handle {
    VMO.load(Ordering::Relaxed) as Handle
}

fn load(off: usize) -> u64 {
    // SAFETY: the mapping of MAPPED pages lives until every thread is
    // joined and the VMO never shrinks below it; `off` is 8-aligned inside.
    unsafe { core::ptr::read_volatile((ADDR.load(Ordering::Relaxed) as usize + off) as *const u64) }
}

fn store(off: usize, v: u64) {
    // SAFETY: as in `load`; no Rust reference points into the mapping.
    unsafe {
        core::ptr::write_volatile((ADDR.load(Ordering::Relaxed) as usize + off) as *mut u64, v)
    }
}

fn map_writer(w: usize) {
    touch_stack();
    let n = rounds(300);
    for _ in 0..n {
        for page in 0..MAPPED {
            let seq = SEQ[w].fetch_add(1, Ordering::AcqRel) + 1;
            let v = value(page, w, seq);
            store(slot(page, w), v);
            let back = load(slot(page, w));
            assert!(
                back == v || back == 0,
                "writer {w}: page {page} reads back {back:#x} after writing {v:#x}"
            );
            check_value(back, page, w, "read-back");
            let other = 1 - w;
            check_value(
                load(slot(page, other)),
                page,
                other,
                "the other writer's slot",
            );
        }
    }
}

fn vmo_writer(w: usize) {
    touch_stack();
    let n = rounds(300);
    let h = handle();
    for _ in 0..n {
        for page in MAPPED..FULL {
            let seq = SEQ[w].fetch_add(1, Ordering::AcqRel) + 1;
            let v = value(page, w, seq);
            let off = slot(page, w) as u64;
            match zx::vmo_write(h, &v.to_le_bytes(), off) {
                Ok(()) | Err(ZxStatus::OutOfRange) => {}
                Err(e) => panic!("vmo_write at {off:#x}: {}", e.name()),
            }
            let mut b = [0xeeu8; 8];
            match zx::vmo_read(h, &mut b, off) {
                Ok(()) => {
                    let back = u64::from_le_bytes(b);
                    assert!(
                        back == v || back == 0,
                        "vmo writer: page {page} reads back {back:#x} after writing {v:#x}"
                    );
                    check_value(back, page, w, "vmo_read back");
                }
                Err(ZxStatus::OutOfRange) => {}
                Err(e) => panic!("vmo_read at {off:#x}: {}", e.name()),
            }
        }
    }
}

fn remover(_: usize) {
    touch_stack();
    let h = handle();
    let mut rng = Rng::new(0x0dec_0317);
    while !STOP.load(Ordering::Acquire) {
        let first = rng.below(FULL as u64);
        let pages = 1 + rng.below(FULL as u64 - first);
        let (offset, size) = (first * PAGE as u64, pages * PAGE as u64);
        let (what, r) = match rng.below(3) {
            0 => ("DECOMMIT", op_range(h, op::DECOMMIT, offset, size)),
            1 => ("ZERO", op_range(h, op::ZERO, offset, size)),
            // The upper half of one page, cleared in place.
            _ => (
                "ZERO half a page",
                op_range(h, op::ZERO, offset + PAGE as u64 / 2, PAGE as u64 / 2),
            ),
        };
        match r {
            Ok(()) | Err(ZxStatus::OutOfRange) => {}
            Err(e) => panic!("{what} [{offset:#x}, +{size:#x}): {}", e.name()),
        }
        REMOVALS.fetch_add(1, Ordering::Relaxed);
    }
}

fn resizer(_: usize) {
    touch_stack();
    let h = handle();
    let sizes = [
        MAPPED * PAGE,
        FULL * PAGE,
        MAPPED * PAGE + 100,
        (MAPPED + 3) * PAGE,
        FULL * PAGE,
    ];
    let mut i = 0;
    while !STOP.load(Ordering::Acquire) {
        let size = sizes[i % sizes.len()] as u64;
        assert_eq!(zx::vmo_set_size(h, size), Ok(()), "set_size({size:#x})");
        RESIZES.fetch_add(1, Ordering::Relaxed);
        i += 1;
    }
}

fn reader(_: usize) {
    touch_stack();
    while !STOP.load(Ordering::Acquire) {
        for page in 0..MAPPED {
            for word in 0..PAGE / 8 {
                let v = load(page * PAGE + word * 8);
                if word < 2 {
                    check_value(v, page, word, "reader");
                } else {
                    assert_eq!(v, 0, "reader: page {page} word {word} no one writes");
                }
            }
        }
    }
}

fn main(root: Handle) -> i64 {
    prefault_stack();
    assert_no_leak("smp_write_vs_decommit", || {
        let h = vmo((FULL * PAGE) as u64, vmo_opt::RESIZABLE);
        assert_eq!(
            el0_tests::rights_of(h),
            RESIZABLE_VMO_RIGHTS,
            "a resizable VMO's rights"
        );
        let m = Mapping::new(root, h, MAPPED * PAGE, RW);
        VMO.store(u64::from(h), Ordering::Relaxed);
        ADDR.store(m.addr as u64, Ordering::Relaxed);
        let mut busy = Group::new();
        busy.spawn("remover", remover, 0);
        busy.spawn("resizer", resizer, 0);
        busy.spawn("reader", reader, 0);
        let mut writers = Group::new();
        writers.spawn("map-writer", map_writer, 0);
        writers.spawn("map-writer", map_writer, 1);
        writers.spawn("vmo-writer", vmo_writer, 2);
        let cores = writers.join();
        STOP.store(true, Ordering::Release);
        let cores = cores.max(busy.join());
        zx::println!(
            "smp_write_vs_decommit: {} writes raced {} DECOMMIT/ZERO and {} set_size calls (threads last on {cores} cores): nobody killed, statuses only OK or OUT_OF_RANGE",
            SEQ.iter().map(|s| s.load(Ordering::Relaxed)).sum::<u64>(),
            REMOVALS.load(Ordering::Relaxed),
            RESIZES.load(Ordering::Relaxed)
        );
        // Afterwards every slot holds its writer's last value or zero.
        assert_eq!(zx::vmo_set_size(h, (FULL * PAGE) as u64), Ok(()));
        for page in 0..FULL {
            for w in 0..WRITERS {
                let mut b = [0u8; 8];
                el0_tests::read(h, &mut b, slot(page, w) as u64);
                check_value(u64::from_le_bytes(b), page, w, "final contents");
            }
        }
        zx::println!(
            "smp_write_vs_decommit: {} values read, each zero or one written to its slot; read-backs never older",
            READS.load(Ordering::Relaxed)
        );
        m.unmap();
        close(h);
    });
    zx::println!("smp_write_vs_decommit: every page back after unmap and close");
    0
}

zx::entry!(main);
