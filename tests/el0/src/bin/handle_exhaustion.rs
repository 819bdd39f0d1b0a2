//! Creates 4 KiB VMOs and writes one byte to each (one page apiece),
//! keeping every handle, until the kernel refuses with ZX_ERR_NO_MEMORY or
//! ZX_ERR_NO_RESOURCES (the kernel heap's reserve, the page allocator or
//! the handle table, whichever runs out first). Every other status fails.
//! While exhausted the kernel keeps answering: the VMOs made so far hold
//! their bytes. Closing every handle gives back every page and VMO, and
//! creating works again. The results are printed and checked once
//! everything is closed (while the kernel is short of memory, printing may
//! fail too). Run on its own boot with little RAM (`-m 128M`,
//! tests/suites/hostile.sh), not in the default suite.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use el0_tests::{close, prefault_stack, zx, PAGE};
use zx::{stats, Handle, ZxStatus};

/// As many handles as a process may hold (the kernel's table holds 2^16).
const MAX: usize = 1 << 16;

static HANDLES: [AtomicU32; MAX] = [const { AtomicU32::new(0) }; MAX];

fn main(_root: Handle) -> i64 {
    prefault_stack();
    // Fault in the handle array now, so the page counts below are exact.
    for h in HANDLES.iter().step_by(PAGE / 4) {
        h.store(0, Ordering::Relaxed);
    }
    let start = zx::kernel_stats();
    zx::println!(
        "handle_exhaustion: {} free pages, {} live VMOs; creating one-page VMOs until the kernel refuses",
        start[stats::FREE_PAGES],
        start[stats::LIVE_VMOS]
    );
    let mut n = 0;
    let (status, during) = loop {
        assert!(n < MAX, "{} VMOs and no error", n);
        let h = match zx::vmo_create(PAGE as u64, 0) {
            Ok(h) => h,
            Err(e) => break (e, "vmo_create"),
        };
        if let Err(e) = zx::vmo_write(h, &[0xA5], 0) {
            close(h);
            break (e, "vmo_write");
        }
        HANDLES[n].store(h, Ordering::Relaxed);
        n += 1;
    };
    // Still answering: the VMOs made so far hold their bytes.
    let mut bad_reads = 0;
    for h in HANDLES[..n].iter().step_by(97) {
        let mut b = [0u8; 1];
        if zx::vmo_read(h.load(Ordering::Relaxed), &mut b, 0) != Ok(()) || b[0] != 0xA5 {
            bad_reads += 1;
        }
    }
    for h in &HANDLES[..n] {
        close(h.load(Ordering::Relaxed));
    }
    let end = zx::kernel_stats();
    zx::println!(
        "handle_exhaustion: {} VMOs of one page each, then {} from {}; {} bad reads while exhausted; all closed, {} free pages",
        n,
        status.name(),
        during,
        bad_reads,
        end[stats::FREE_PAGES]
    );
    assert!(
        matches!(status, ZxStatus::NoMemory | ZxStatus::NoResources),
        "exhaustion reported as {} (from {})",
        status.name(),
        during
    );
    assert!(n > 1000, "only {} VMOs before running out", n);
    assert_eq!(
        bad_reads, 0,
        "VMOs unreadable while the kernel was exhausted"
    );
    assert_eq!(
        end[stats::LIVE_VMOS],
        start[stats::LIVE_VMOS],
        "live VMOs after closing all"
    );
    assert_eq!(
        end[stats::FREE_PAGES],
        start[stats::FREE_PAGES],
        "free pages after closing all"
    );
    // And the kernel recovered: a new VMO works again.
    let h = el0_tests::vmo(PAGE as u64, 0);
    el0_tests::write(h, &[1], 0);
    close(h);
    0
}

zx::entry!(main);
