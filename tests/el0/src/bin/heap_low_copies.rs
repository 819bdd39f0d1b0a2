//! Fills the kernel heap up to its reserve with VMOs (kept open) and then
//! checks that the kernel reports it right and still copies to and from
//! user memory that needs no new memory:
//!
//! 1. the `zx_vmo_create` that runs out returns ZX_ERR_NO_MEMORY (its out
//!    pointer is a good, committed stack slot: INVALID_ARGS would be wrong);
//! 2. `zx_debug_write` of a line in `.rodata` succeeds (a read of committed
//!    memory allocates nothing);
//! 3. `zx_vmo_get_size` into a committed stack slot succeeds.
//!
//! The results are printed once everything is closed again (while the heap
//! is low, printing is itself under test); the exit code has bit 0, 1, 2
//! set for each step that failed. Run on its own boot with little RAM
//! (`-m 128M`, tests/suites/hostile.sh).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use el0_tests::{close, prefault_stack, zx, PAGE};
use zx::{stats, Handle, ZxStatus};

const MAX: usize = 1 << 16;

static HANDLES: [AtomicU32; MAX] = [const { AtomicU32::new(0) }; MAX];

static LINE: &[u8] = b"heap_low_copies: zx_debug_write with the heap at its reserve\n";

fn main(_root: Handle) -> i64 {
    prefault_stack();
    for h in HANDLES.iter().step_by(PAGE / 4) {
        h.store(0, Ordering::Relaxed);
    }
    let start = zx::kernel_stats();
    zx::println!(
        "heap_low_copies: {} free pages, {} heap bytes used; creating VMOs until the kernel refuses",
        start[stats::FREE_PAGES],
        start[stats::HEAP_USED_BYTES]
    );
    let mut n = 0;
    let last = loop {
        match zx::vmo_create(PAGE as u64, 0) {
            Ok(h) if n < MAX => {
                HANDLES[n].store(h, Ordering::Relaxed);
                n += 1;
            }
            Ok(h) => {
                close(h);
                panic!("{} VMOs and the heap never ran low", n);
            }
            Err(e) => break e,
        }
    };
    // Push the heap under its reserve and keep it there: commit a page (and
    // page-list node) in each VMO until that fails.
    let mut written = 0;
    let write_fail = loop {
        if written == n {
            break None;
        }
        if let Err(e) = zx::vmo_write(HANDLES[written].load(Ordering::Relaxed), &[1], 0) {
            break Some(e);
        }
        written += 1;
    };
    // Take every measurement before printing anything: the console write
    // itself is under test.
    let create_ok = last == ZxStatus::NoMemory;
    let write = zx::debug_write(LINE);
    let size = zx::vmo_get_size(HANDLES[0].load(Ordering::Relaxed));
    for h in &HANDLES[..n] {
        close(h.load(Ordering::Relaxed));
    }
    zx::println!(
        "heap_low_copies: {} VMOs, then {} (want ZX_ERR_NO_MEMORY); {} written, then {:?}; with the heap low: zx_debug_write {:?}, zx_vmo_get_size {:?} (want Ok)",
        n,
        last.name(),
        written,
        write_fail,
        write,
        size
    );
    let verdict =
        i64::from(!create_ok) | i64::from(write.is_err()) << 1 | i64::from(size.is_err()) << 2;
    let end = zx::kernel_stats();
    assert_eq!(
        end[stats::FREE_PAGES],
        start[stats::FREE_PAGES],
        "free pages after closing all"
    );
    assert_eq!(
        end[stats::LIVE_VMOS],
        start[stats::LIVE_VMOS],
        "live VMOs after closing all"
    );
    verdict
}

zx::entry!(main);
