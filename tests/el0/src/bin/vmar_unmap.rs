//! Tests `zx_vmar_unmap`: unaligned address and zero length are
//! INVALID_ARGS, a range with no mapping is NOT_FOUND, the length is rounded
//! up, partial unmaps leave the rest usable, one call can remove several
//! mappings, and every page comes back after unmap and close.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, close, read_byte, vmo, zx, Mapping, GARBAGE_HANDLE, PAGE,
    ROOT_BASE, RW,
};
use zx::{vm_opt, Handle, ZxStatus};

/// VMAR offsets used with `ZX_VM_SPECIFIC`, far from the program and from
/// anything the kernel picks; `EMPTY` is never mapped.
const SPOT_ARGS: usize = 0x50_0000_0000;
const SPOT_ROUND: usize = 0x51_0000_0000;
const SPOT_PARTIAL: usize = 0x52_0000_0000;
const SPOT_MULTI: usize = 0x53_0000_0000;
const EMPTY: usize = 0x5f_0000_0000;

fn specific(root: Handle, offset: usize, vmo: Handle, pages: usize) -> Mapping {
    Mapping::at(root, offset, vmo, 0, pages * PAGE, RW | vm_opt::SPECIFIC)
}

fn unmap(root: Handle, addr: usize, len: usize) -> zx::Status {
    zx::vmar_unmap(root, addr, len)
}

fn argument_checks(root: Handle) {
    assert_no_leak("argument checks", || {
        let h = vmo(2 * PAGE as u64, 0);
        let m = specific(root, SPOT_ARGS, h, 2);
        m.write_u8(0, 1);
        assert_err(
            unmap(root, m.addr + 1, PAGE),
            ZxStatus::InvalidArgs,
            "unaligned addr",
        );
        assert_err(
            unmap(root, m.addr + 0x800, PAGE),
            ZxStatus::InvalidArgs,
            "addr + 0x800",
        );
        assert_err(unmap(root, m.addr, 0), ZxStatus::InvalidArgs, "len 0");
        assert_err(
            unmap(root, ROOT_BASE + EMPTY, PAGE),
            ZxStatus::NotFound,
            "nothing mapped there",
        );
        assert_err(
            unmap(root, ROOT_BASE + EMPTY, 1),
            ZxStatus::NotFound,
            "nothing mapped there, len 1",
        );
        // Handles.
        assert_err(
            unmap(h, m.addr, PAGE),
            ZxStatus::WrongType,
            "VMO as the VMAR",
        );
        for bad in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE] {
            assert_err(
                unmap(bad, m.addr, PAGE),
                ZxStatus::BadHandle,
                "invalid VMAR handle",
            );
        }
        // Ranges that wrap must fail, not unmap everything.
        assert!(
            unmap(root, m.addr, usize::MAX).is_err(),
            "unmap of len usize::MAX succeeded"
        );
        assert!(
            unmap(root, m.addr, usize::MAX - PAGE + 2).is_err(),
            "unmap of a len rounding to 2^64 succeeded"
        );
        // The failed calls changed nothing.
        assert_eq!(m.read_u8(0), 1, "mapping after failed unmaps");
        m.unmap();
        close(h);
    });
    zx::println!("vmar_unmap: unaligned/zero-length INVALID_ARGS, empty range NOT_FOUND");
}

fn len_rounding(root: Handle) {
    assert_no_leak("len rounding", || {
        let h = vmo(2 * PAGE as u64, 0);
        let m = specific(root, SPOT_ROUND, h, 2);
        m.write_u8(PAGE + 1, 0x42);
        assert_eq!(unmap(root, m.addr, 1), Ok(()), "unmap 1 byte");
        // The whole first page went: it maps again; the second stayed.
        specific(root, SPOT_ROUND, h, 1).unmap();
        assert_eq!(
            m.read_u8(PAGE + 1),
            0x42,
            "second page after unmapping the first"
        );
        assert_err(
            unmap(root, m.addr, 1),
            ZxStatus::NotFound,
            "unmap the already-unmapped page",
        );
        assert_eq!(
            unmap(root, m.addr + PAGE, PAGE - 1),
            Ok(()),
            "unmap the second page, len rounded up"
        );
        assert_err(
            unmap(root, m.addr, 2 * PAGE),
            ZxStatus::NotFound,
            "unmap after everything is gone",
        );
        close(h);
    });
    zx::println!("vmar_unmap: len is rounded up to whole pages");
}

fn partial(root: Handle) {
    assert_no_leak("partial unmap", || {
        let h = vmo(4 * PAGE as u64, 0);
        let m = specific(root, SPOT_PARTIAL, h, 4);
        for p in 0..4 {
            m.write_u8(p * PAGE + 9, 0xC0 + p as u8);
        }
        // Cut out the middle two pages.
        assert_eq!(
            unmap(root, m.addr + PAGE, 2 * PAGE),
            Ok(()),
            "unmap the middle"
        );
        assert_eq!(m.read_u8(9), 0xC0, "page 0 still mapped");
        assert_eq!(m.read_u8(3 * PAGE + 9), 0xC3, "page 3 still mapped");
        m.write_u8(3 * PAGE + 10, 0xEE);
        assert_eq!(
            read_byte(h, 3 * PAGE as u64 + 10),
            0xEE,
            "page 3 still writes the VMO"
        );
        // The hole is free again.
        specific(root, SPOT_PARTIAL + PAGE, h, 2).unmap();
        // A range that covers a mapping and empty space is fine.
        assert_eq!(
            unmap(root, m.addr, 2 * PAGE),
            Ok(()),
            "unmap page 0 and part of the hole"
        );
        assert_eq!(
            unmap(root, m.addr + 3 * PAGE, 4 * PAGE),
            Ok(()),
            "unmap page 3 and beyond"
        );
        specific(root, SPOT_PARTIAL, h, 4).unmap();
        close(h);
    });
    zx::println!("vmar_unmap: partial unmaps split mappings, the rest stays usable");
}

fn several(root: Handle) {
    assert_no_leak("several mappings", || {
        let a = vmo(PAGE as u64, 0);
        let b = vmo(2 * PAGE as u64, 0);
        let ma = specific(root, SPOT_MULTI, a, 1);
        let mb = specific(root, SPOT_MULTI + 2 * PAGE, b, 2);
        ma.write_u8(0, 1);
        mb.write_u8(PAGE, 2);
        assert_eq!(
            unmap(root, ma.addr, 4 * PAGE),
            Ok(()),
            "unmap both mappings and the gap"
        );
        specific(root, SPOT_MULTI, a, 4).unmap();
        close(a);
        close(b);
    });
    zx::println!("vmar_unmap: one call removes several mappings");
}

fn main(root: Handle) -> i64 {
    argument_checks(root);
    len_rounding(root);
    partial(root);
    several(root);
    0
}

zx::entry!(main);
