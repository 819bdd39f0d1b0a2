//! Splits one mapping into as many pieces as the kernel allows: a 1 GiB
//! mapping of a VMO, then `zx_vmar_unmap` of every other page, each cut
//! leaving one more mapping for the kernel to track (on its heap). Each
//! unmap must succeed or fail with ZX_ERR_NO_MEMORY; the kernel must not
//! run out of heap itself. Afterwards the rest is unmapped in one call and
//! everything comes back. The results are printed and checked only then
//! (while the kernel heap is low, printing may fail too). Run on its own
//! boot with little RAM (`-m 128M`, tests/suites/hostile.sh).
#![no_std]
#![no_main]

use el0_tests::{close, prefault_stack, vmo, zx, PAGE, RW};
use zx::{stats, Handle, ZxStatus};

const LEN: usize = 1 << 30;

/// The kernel's heap use, or 0 if it cannot be read (with the heap low, the
/// kernel may fail to copy it out).
fn heap_used() -> u64 {
    let mut out = [0u64; stats::COUNT];
    // SAFETY: `out` is a live local array of `COUNT` words.
    let s = unsafe { zx::raw::kernel_stats(out.as_mut_ptr(), out.len()) };
    if s == 0 {
        out[stats::HEAP_USED_BYTES]
    } else {
        0
    }
}

fn main(root: Handle) -> i64 {
    prefault_stack();
    let start = zx::kernel_stats();
    let h = vmo(LEN as u64, 0);
    let base = zx::vmar_map(root, RW, 0, h, 0, LEN).expect("map 1 GiB");
    zx::println!(
        "mapping_split_exhaustion: 1 GiB mapped at {:#x}; unmapping every other page",
        base
    );
    let mut cuts = 0;
    let mut refused = None;
    let mut max_heap = 0;
    let mut page = 1;
    while page * PAGE < LEN {
        match zx::vmar_unmap(root, base + page * PAGE, PAGE) {
            Ok(()) => cuts += 1,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
        if cuts % 1024 == 0 {
            max_heap = max_heap.max(heap_used());
        }
        page += 2;
    }
    let all = zx::vmar_unmap(root, base, LEN);
    close(h);
    let end = zx::kernel_stats();
    zx::println!(
        "mapping_split_exhaustion: {} cuts, then {:?} (heap use up to {} bytes); unmapping the rest: {:?}",
        cuts,
        refused,
        max_heap,
        all
    );
    if let Some(e) = refused {
        assert_eq!(e, ZxStatus::NoMemory, "an unmap refused with {}", e.name());
    }
    assert_eq!(all, Ok(()), "unmapping all pieces at once");
    assert_eq!(
        end[stats::FREE_PAGES],
        start[stats::FREE_PAGES],
        "free pages at the end"
    );
    assert_eq!(
        end[stats::LIVE_VMOS],
        start[stats::LIVE_VMOS],
        "live VMOs at the end"
    );
    0
}

zx::entry!(main);
