//! Tests that the kernel reclaims an unlocked discardable VMO when memory
//! runs out. Run on its own boot with little RAM (`-m 128M`), not in the
//! default suite (tests/el0/manifest.txt gives it a boot of its own).
//!
//! A 16 MiB discardable VMO is locked, filled and unlocked; then an
//! ordinary VMO commits, 1 MiB at a time, 2 MiB more than was free. Every
//! COMMIT must succeed because the discardable VMO can be reclaimed.
//! Afterwards TRY_LOCK is UNAVAILABLE, LOCK reports the whole VMO
//! discarded, the VMO reads zero and holds no pages, and closing
//! everything gives every page back.
#![no_std]
#![no_main]

use el0_tests::{
    assert_no_leak, assert_vmo_bytes, close, committed, op_range, prefault_stack, read, vmo,
    vmo_lock, write, zx, VmoLockState, PAGE,
};
use zx::{vmo_op as op, vmo_opt, Handle, ZxStatus};

const MIB: u64 = 1 << 20;
const DISCARDABLE_SIZE: u64 = 16 * MIB;
const PAGES_PER_MIB: u64 = MIB / PAGE as u64;

/// The byte written at `offset` of the discardable VMO.
fn pattern(offset: u64) -> u8 {
    ((offset / PAGE as u64) as u8) ^ 0xA5
}

fn fill(d: Handle) {
    let mut buf = [0u8; PAGE];
    let mut offset = 0;
    while offset < DISCARDABLE_SIZE {
        buf.fill(pattern(offset));
        write(d, &buf, offset);
        offset += PAGE as u64;
    }
    // Spot-check the first and last pages.
    for offset in [0, DISCARDABLE_SIZE - PAGE as u64] {
        read(d, &mut buf, offset);
        assert!(
            buf.iter().all(|&b| b == pattern(offset)),
            "discardable VMO data at {:#x} before the pressure",
            offset
        );
    }
}

fn main(_root: Handle) -> i64 {
    prefault_stack();
    let start = zx::free_pages();
    zx::println!(
        "discard_reclaim: {} free pages ({} MiB) at the start",
        start,
        start / PAGES_PER_MIB
    );
    assert_no_leak("discard_reclaim", || {
        let d = vmo(DISCARDABLE_SIZE, vmo_opt::DISCARDABLE);
        let s = vmo_lock(d, 0, DISCARDABLE_SIZE).expect("first LOCK");
        assert_eq!(
            s,
            VmoLockState {
                offset: 0,
                size: DISCARDABLE_SIZE,
                discarded_offset: 0,
                discarded_size: 0
            },
            "lock state of the first LOCK"
        );
        fill(d);
        assert_eq!(
            committed(d),
            DISCARDABLE_SIZE,
            "discardable VMO fully committed"
        );
        assert_eq!(
            op_range(d, op::UNLOCK, 0, DISCARDABLE_SIZE),
            Ok(()),
            "UNLOCK"
        );

        let free = zx::free_pages();
        let total_mib = (free * PAGE as u64).div_ceil(MIB) + 2;
        zx::println!(
            "discard_reclaim: discardable VMO filled and unlocked; {} free pages ({} MiB); committing {} MiB",
            free,
            free / PAGES_PER_MIB,
            total_mib
        );
        let big = vmo(total_mib * MIB, 0);
        for i in 0..total_mib {
            if let Err(e) = op_range(big, op::COMMIT, i * MIB, MIB) {
                panic!(
                    "COMMIT of MiB {} of {} failed: {} ({} free pages, discardable VMO holds {} bytes)",
                    i,
                    total_mib,
                    e.name(),
                    zx::free_pages(),
                    committed(d)
                );
            }
        }
        assert_eq!(
            committed(big),
            total_mib * MIB,
            "committed_bytes of the big VMO"
        );
        let low = zx::free_pages();
        let kept = committed(d);
        zx::println!(
            "discard_reclaim: committed {} MiB; reclaimed {} MiB of the discardable VMO ({} bytes kept); free pages {} before the commits, {} after",
            total_mib,
            (DISCARDABLE_SIZE - kept) / MIB,
            kept,
            free,
            low
        );

        assert_eq!(
            op_range(d, op::TRY_LOCK, 0, DISCARDABLE_SIZE),
            Err(ZxStatus::Unavailable),
            "TRY_LOCK of the discarded VMO"
        );
        let s = vmo_lock(d, 0, DISCARDABLE_SIZE).expect("LOCK after the discard");
        assert_eq!(
            s,
            VmoLockState {
                offset: 0,
                size: DISCARDABLE_SIZE,
                discarded_offset: 0,
                discarded_size: DISCARDABLE_SIZE
            },
            "lock state after the discard"
        );
        assert_eq!(committed(d), 0, "discarded VMO holds pages");
        assert_vmo_bytes(d, 0, DISCARDABLE_SIZE, 0, "discarded VMO");
        assert_eq!(
            op_range(d, op::UNLOCK, 0, DISCARDABLE_SIZE),
            Ok(()),
            "final UNLOCK"
        );

        close(big);
        close(d);
    });
    zx::println!(
        "discard_reclaim: free pages back to {} after closing everything",
        zx::free_pages()
    );
    0
}

zx::entry!(main);
