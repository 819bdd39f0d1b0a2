//! Commits pages until the kernel runs out: `ZX_VMO_OP_COMMIT` on a 1 TiB
//! VMO, 1 MiB at a time, must end with ZX_ERR_NO_MEMORY (and nothing
//! else); the pages committed so far stay with the VMO. While memory is
//! exhausted the kernel keeps answering (a commit of everything left and a
//! write that needs a page fail with NO_MEMORY; calls that need no page
//! work). Closing the VMO gives every page back, and a second round
//! commits as much as the first. Run on its own boot with little RAM
//! (`-m 128M`, tests/suites/hostile.sh), not in the default suite.
#![no_std]
#![no_main]

use el0_tests::{close, committed, op_range, prefault_stack, size_of, vmo, zx, PAGE};
use zx::{stats, vmo_op, Handle, ZxStatus};

const MIB: u64 = 1 << 20;
const HUGE: u64 = 1 << 40;

/// Commits 1 MiB pieces of a fresh huge VMO until a commit fails; returns
/// the VMO and the number of pieces that succeeded.
fn commit_until_full(round: u32) -> (Handle, u64) {
    let big = vmo(HUGE, 0);
    let mut pieces = 0;
    let status = loop {
        match op_range(big, vmo_op::COMMIT, pieces * MIB, MIB) {
            Ok(()) => pieces += 1,
            Err(e) => break e,
        }
        assert!(pieces * MIB < HUGE, "committed a whole TiB");
    };
    assert_eq!(
        status,
        ZxStatus::NoMemory,
        "round {}: COMMIT after {} MiB failed with {} instead of NO_MEMORY",
        round,
        pieces,
        status.name()
    );
    let held = committed(big);
    assert!(
        held >= pieces * MIB && held < (pieces + 1) * MIB,
        "round {}: committed_bytes {:#x} after {} whole MiB",
        round,
        held,
        pieces
    );
    zx::println!(
        "commit_exhaustion: round {}: {} MiB committed, then NO_MEMORY ({} KiB of the next MiB kept, {} free pages)",
        round,
        pieces,
        (held - pieces * MIB) / 1024,
        zx::free_pages()
    );
    (big, pieces)
}

fn main(_root: Handle) -> i64 {
    prefault_stack();
    let start = zx::kernel_stats();
    zx::println!(
        "commit_exhaustion: {} free pages ({} MiB)",
        start[stats::FREE_PAGES],
        start[stats::FREE_PAGES] * PAGE as u64 / MIB
    );

    let (big, first) = commit_until_full(1);
    // Out of memory now: the kernel still answers.
    assert_eq!(
        op_range(big, vmo_op::COMMIT, 0, HUGE),
        Err(ZxStatus::NoMemory),
        "COMMIT of the whole VMO with no memory left"
    );
    assert_eq!(size_of(big), HUGE, "vmo_get_size with no memory left");
    match zx::vmo_create(PAGE as u64, 0) {
        Ok(small) => {
            assert_eq!(
                zx::vmo_write(small, &[1], 0),
                Err(ZxStatus::NoMemory),
                "vmo_write that needs a page, with none left"
            );
            close(small);
        }
        Err(e) => assert_eq!(e, ZxStatus::NoMemory, "vmo_create with no memory left"),
    }
    // DECOMMIT gives pages back at once.
    assert_eq!(
        op_range(big, vmo_op::DECOMMIT, 0, 4 * MIB),
        Ok(()),
        "DECOMMIT"
    );
    assert_eq!(
        op_range(big, vmo_op::COMMIT, 0, 4 * MIB),
        Ok(()),
        "COMMIT of what DECOMMIT freed"
    );
    close(big);
    let after = zx::kernel_stats();
    assert_eq!(
        after[stats::FREE_PAGES],
        start[stats::FREE_PAGES],
        "free pages after closing the exhausted VMO"
    );

    let (big, second) = commit_until_full(2);
    close(big);
    assert!(
        second + 1 >= first && second <= first + 1,
        "the second round committed {} MiB, the first {}",
        second,
        first
    );
    let end = zx::kernel_stats();
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
    zx::println!(
        "commit_exhaustion: all {} pages back",
        end[stats::FREE_PAGES]
    );
    0
}

zx::entry!(main);
