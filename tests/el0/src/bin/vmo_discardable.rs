//! Tests discardable VMOs (`ZX_VMO_DISCARDABLE`) without memory pressure:
//! the DISCARDABLE info flag, the rights LOCK/TRY_LOCK/UNLOCK need (READ or
//! WRITE), the range that must be exactly [0, size), LOCK's buffer checks
//! and the lock state it writes, nesting and UNLOCK at count 0
//! (BAD_STATE), mapping only with `ZX_VM_ALLOW_FAULTS`, and no children.
//! Reclaim under pressure is `discard_reclaim`.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, assert_vmo_bytes, close, dup, info_vmo_flags as f, op_range,
    pod_bytes_mut, read_byte, st, vmo, vmo_info, vmo_lock, write, zx, Mapping, VmoLockState, PAGE,
    RW,
};
use zx::{child_opt, rights, vm_opt, vmo_op as op, vmo_opt, Handle, ZxStatus};

const P: u64 = 4096;
const SIZE: u64 = 3 * P;

fn unlock(h: Handle) -> zx::Status {
    op_range(h, op::UNLOCK, 0, SIZE)
}

#[track_caller]
fn lock_ok(h: Handle) -> VmoLockState {
    match vmo_lock(h, 0, SIZE) {
        Ok(s) => s,
        Err(e) => panic!("LOCK [0, {:#x}) failed: {}", SIZE, e.name()),
    }
}

/// Asserts the lock count is exactly `n`: `n` UNLOCKs succeed and the
/// next one is BAD_STATE (so the count ends at 0).
#[track_caller]
fn assert_lock_count(h: Handle, n: u32, what: &str) {
    for i in 0..n {
        assert_eq!(unlock(h), Ok(()), "{}: UNLOCK {} of {}", what, i + 1, n);
    }
    assert_eq!(
        unlock(h),
        Err(ZxStatus::BadState),
        "{}: UNLOCK past the count",
        what
    );
}

fn info_flags() {
    let h = vmo(SIZE, vmo_opt::DISCARDABLE);
    let i = vmo_info(h);
    assert_eq!(
        i.flags,
        f::TYPE_PAGED | f::VIA_HANDLE | f::DISCARDABLE,
        "flags of a discardable VMO"
    );
    assert_eq!(i.flags, 0x89);
    assert_eq!(
        i.handle_rights,
        rights::DEFAULT_VMO,
        "rights of a discardable VMO"
    );
    assert_eq!(i.size_bytes, SIZE);
    close(h);
    zx::println!("vmo_discardable: info flags 0x89, default rights");
}

fn lock_rights() {
    let h = vmo(SIZE, vmo_opt::DISCARDABLE);
    let neither = dup(h, rights::DEFAULT_VMO & !(rights::READ | rights::WRITE));
    assert_err(
        vmo_lock(neither, 0, SIZE),
        ZxStatus::AccessDenied,
        "LOCK without READ/WRITE",
    );
    assert_eq!(
        op_range(neither, op::TRY_LOCK, 0, SIZE),
        Err(ZxStatus::AccessDenied),
        "TRY_LOCK without READ/WRITE"
    );
    assert_eq!(
        unlock(neither),
        Err(ZxStatus::AccessDenied),
        "UNLOCK without READ/WRITE"
    );
    close(neither);
    assert_lock_count(h, 0, "after refused ops");

    let read_only = dup(h, rights::READ);
    lock_ok(read_only);
    assert_eq!(
        op_range(read_only, op::TRY_LOCK, 0, SIZE),
        Ok(()),
        "TRY_LOCK with READ"
    );
    assert_lock_count(read_only, 2, "READ alone");
    close(read_only);

    let write_only = dup(h, rights::WRITE);
    lock_ok(write_only);
    assert_eq!(
        op_range(write_only, op::TRY_LOCK, 0, SIZE),
        Ok(()),
        "TRY_LOCK with WRITE"
    );
    assert_lock_count(write_only, 2, "WRITE alone");
    close(write_only);
    close(h);
    zx::println!("vmo_discardable: LOCK/TRY_LOCK/UNLOCK need READ or WRITE");
}

fn lock_range() {
    let h = vmo(SIZE, vmo_opt::DISCARDABLE);
    // Hold one lock so that UNLOCK could otherwise succeed.
    lock_ok(h);
    let bad: [(u64, u64, &str); 7] = [
        (0, SIZE - P, "a prefix"),
        (P, SIZE - P, "a suffix"),
        (P, P, "the middle page"),
        (0, SIZE + P, "past the end"),
        (0, 0, "empty"),
        (1, SIZE - 1, "offset 1"),
        (0, SIZE - 1, "one byte short"),
    ];
    for (offset, size, what) in bad {
        assert_err(vmo_lock(h, offset, size), ZxStatus::OutOfRange, what);
        for o in [op::TRY_LOCK, op::UNLOCK] {
            assert_eq!(
                op_range(h, o, offset, size),
                Err(ZxStatus::OutOfRange),
                "op {}: {}",
                o,
                what
            );
        }
    }
    for (offset, size) in [(u64::MAX, 1), (P, u64::MAX)] {
        assert_err(
            vmo_lock(h, offset, size),
            ZxStatus::OutOfRange,
            "overflowing range",
        );
    }
    assert_lock_count(h, 1, "after refused ranges");
    close(h);
    zx::println!("vmo_discardable: LOCK/TRY_LOCK/UNLOCK take exactly [0, size), else OUT_OF_RANGE");
}

fn lock_buffer_and_state() {
    let h = vmo(SIZE, vmo_opt::DISCARDABLE);
    // SAFETY: a NULL buffer; the kernel must refuse it without touching
    // memory.
    let r = st(unsafe { zx::raw::vmo_op_range(h, op::LOCK, 0, SIZE, core::ptr::null_mut(), 32) });
    assert_eq!(r, Err(ZxStatus::InvalidArgs), "LOCK with a NULL buffer");
    let mut state = VmoLockState::default();
    for short in [0, 8, 31] {
        assert_err(
            zx::vmo_op_range(
                h,
                op::LOCK,
                0,
                SIZE,
                &mut pod_bytes_mut(&mut state)[..short],
            ),
            ZxStatus::InvalidArgs,
            "LOCK with a short buffer",
        );
    }
    // ... and the failed LOCKs left it unlocked.
    assert_lock_count(h, 0, "after LOCKs with bad buffers");

    // A fresh VMO has never been unlocked, so nothing can have been
    // discarded.
    let s = lock_ok(h);
    assert_eq!(
        s,
        VmoLockState {
            offset: 0,
            size: SIZE,
            discarded_offset: 0,
            discarded_size: 0
        },
        "lock state of the first LOCK"
    );
    // A larger buffer is fine.
    let mut big = [0xEEu8; 40];
    assert_eq!(
        zx::vmo_op_range(h, op::LOCK, 0, SIZE, &mut big),
        Ok(()),
        "LOCK with a 40-byte buffer"
    );
    assert_eq!(
        u64::from_le_bytes(big[8..16].try_into().unwrap()),
        SIZE,
        "size in a 40-byte buffer"
    );
    // A locked VMO is never discarded: a nested LOCK reports nothing.
    assert_eq!(lock_ok(h), s, "lock state of a nested LOCK");
    assert_lock_count(h, 3, "three LOCKs");
    close(h);
    zx::println!("vmo_discardable: LOCK needs a 32-byte buffer and writes {{0, size, 0, 0}}");
}

fn nesting() {
    let h = vmo(SIZE, vmo_opt::DISCARDABLE);
    assert_eq!(unlock(h), Err(ZxStatus::BadState), "UNLOCK of a fresh VMO");
    lock_ok(h);
    lock_ok(h);
    assert_eq!(unlock(h), Ok(()), "first UNLOCK of two");
    assert_eq!(unlock(h), Ok(()), "second UNLOCK of two");
    assert_eq!(unlock(h), Err(ZxStatus::BadState), "third UNLOCK");

    // TRY_LOCK counts like LOCK.
    assert_eq!(op_range(h, op::TRY_LOCK, 0, SIZE), Ok(()), "TRY_LOCK");
    lock_ok(h);
    assert_eq!(
        op_range(h, op::TRY_LOCK, 0, SIZE),
        Ok(()),
        "nested TRY_LOCK"
    );
    assert_lock_count(h, 3, "TRY_LOCK, LOCK, TRY_LOCK");

    // The count belongs to the VMO, not the handle.
    let d = dup(h, rights::SAME_RIGHTS);
    lock_ok(d);
    assert_eq!(unlock(h), Ok(()), "UNLOCK through another handle");
    assert_eq!(
        unlock(d),
        Err(ZxStatus::BadState),
        "count shared by the handles"
    );
    close(d);
    close(h);
    zx::println!("vmo_discardable: locks nest; UNLOCK at count 0 is BAD_STATE");
}

fn data_while_locked(root: Handle) {
    let h = vmo(SIZE, vmo_opt::DISCARDABLE);
    lock_ok(h);
    write(h, &[0x3C; 100], P - 50);
    assert_vmo_bytes(h, P - 50, 100, 0x3C, "data written while locked");
    assert_vmo_bytes(h, 0, P - 50, 0, "bytes before the data");

    // Mapping needs ZX_VM_ALLOW_FAULTS.
    assert_err(
        zx::vmar_map(root, RW, 0, h, 0, SIZE as usize),
        ZxStatus::NotSupported,
        "mapping a discardable VMO without ALLOW_FAULTS",
    );
    assert_err(
        zx::vmar_map(root, vm_opt::PERM_READ, 0, h, 0, PAGE),
        ZxStatus::NotSupported,
        "read-only mapping without ALLOW_FAULTS",
    );
    let m = Mapping::new(root, h, SIZE as usize, RW | vm_opt::ALLOW_FAULTS);
    assert_eq!(m.read_u8(PAGE), 0x3C, "mapping reads the data");
    m.write_u8(2 * PAGE + 5, 0x4D);
    assert_eq!(read_byte(h, 2 * P + 5), 0x4D, "write through the mapping");
    m.unmap();
    assert_eq!(unlock(h), Ok(()));
    close(h);
    zx::println!("vmo_discardable: data kept while locked; mapping needs ALLOW_FAULTS");
}

fn no_children() {
    let h = vmo(SIZE, vmo_opt::DISCARDABLE);
    for (options, what) in [
        (child_opt::SNAPSHOT, "SNAPSHOT"),
        (
            child_opt::SNAPSHOT_AT_LEAST_ON_WRITE,
            "SNAPSHOT_AT_LEAST_ON_WRITE",
        ),
        (child_opt::SLICE, "SLICE"),
        (
            child_opt::SNAPSHOT | child_opt::NO_WRITE,
            "SNAPSHOT | NO_WRITE",
        ),
    ] {
        assert_err(
            zx::vmo_create_child(h, options, 0, SIZE),
            ZxStatus::NotSupported,
            what,
        );
    }
    assert_eq!(
        vmo_info(h).num_children,
        0,
        "children after refused creates"
    );
    close(h);
    zx::println!("vmo_discardable: children of a discardable VMO are NOT_SUPPORTED");
}

fn main(root: Handle) -> i64 {
    assert_no_leak("vmo_discardable", || {
        info_flags();
        lock_rights();
        lock_range();
        lock_buffer_and_state();
        nesting();
        data_while_locked(root);
        no_children();
    });
    0
}

zx::entry!(main);
