//! Tests the EL0 library's memory probes (`zx::exception::probe_for_read`
//! and `probe_for_write`), built on exception channels as Zircon's are: a
//! read-write page passes both and keeps its byte, a read-only page passes
//! the read and refuses the write with ACCESS_DENIED, a page with no
//! permission refuses both, an unmapped address is NOT_FOUND, and a mapping
//! past the end of a VMO that shrank is OUT_OF_RANGE there (and fine before
//! it). Each probe is a thread whose fault is caught, stepped over and
//! reported; nothing leaks and the program runs on.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, close, vmo, write, zx, Mapping, ReadOnlyPage, PAGE, RW,
};
use zx::exception::{probe_for_read, probe_for_write};
use zx::{vmo_opt, Handle, ZxStatus};

fn read_write_page(root: Handle) {
    let v = vmo(PAGE as u64, 0);
    let m = Mapping::new(root, v, PAGE, RW);
    m.write_u8(5, 0xa7);
    assert_eq!(probe_for_read(m.addr + 5), Ok(()));
    assert_eq!(probe_for_write(m.addr + 5), Ok(()));
    assert_eq!(m.read_u8(5), 0xa7, "a write probe changes nothing");
    m.unmap();
    close(v);
}

fn read_only_page(root: Handle) {
    let ro = ReadOnlyPage::new(root);
    assert_eq!(probe_for_read(ro.addr()), Ok(()));
    assert_err(
        probe_for_write(ro.addr()),
        ZxStatus::AccessDenied,
        "a write to a read-only page",
    );
    ro.release();
}

fn no_permission(root: Handle) {
    let v = vmo(PAGE as u64, 0);
    write(v, &[1], 0);
    let m = Mapping::new(root, v, PAGE, 0);
    assert_err(
        probe_for_read(m.addr),
        ZxStatus::AccessDenied,
        "a read of a PERM_NONE page",
    );
    assert_err(
        probe_for_write(m.addr),
        ZxStatus::AccessDenied,
        "a write to it",
    );
    m.unmap();
    close(v);
}

fn unmapped() {
    assert_err(
        probe_for_read(0x1000),
        ZxStatus::NotFound,
        "a read where nothing is mapped",
    );
    assert_err(probe_for_write(0x1000), ZxStatus::NotFound, "a write there");
}

fn beyond_a_shrunk_vmo(root: Handle) {
    let v = vmo(2 * PAGE as u64, vmo_opt::RESIZABLE);
    let m = Mapping::new(root, v, 2 * PAGE, RW);
    m.write_u8(PAGE, 1);
    zx::vmo_set_size(v, PAGE as u64).unwrap();
    assert_eq!(probe_for_write(m.addr), Ok(()), "the page still in the VMO");
    assert_err(
        probe_for_read(m.addr + PAGE),
        ZxStatus::OutOfRange,
        "a read past the VMO's new end",
    );
    assert_err(
        probe_for_write(m.addr + PAGE),
        ZxStatus::OutOfRange,
        "a write past it",
    );
    m.unmap();
    close(v);
}

fn main(root: Handle) -> i64 {
    assert_no_leak("exception_probe: read-write", || read_write_page(root));
    assert_no_leak("exception_probe: read-only", || read_only_page(root));
    assert_no_leak("exception_probe: no permission", || no_permission(root));
    assert_no_leak("exception_probe: unmapped", unmapped);
    assert_no_leak("exception_probe: shrunk VMO", || beyond_a_shrunk_vmo(root));
    zx::println!("exception_probe: read, write, read-only, none, unmapped and past-the-end probes");
    0
}

zx::entry!(main);
