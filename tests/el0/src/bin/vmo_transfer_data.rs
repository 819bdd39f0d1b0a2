//! Tests `zx_vmo_transfer_data` as Zircon's vmo-transfer-data tests do
//! (without pager-backed, physical or pinned VMOs, which this kernel does
//! not have): the destination range gets the source's bytes and the source
//! range reads as zero afterwards; a snapshot source or destination leaves
//! its parent alone, a slice passes through to its parent, the same VMO
//! works (overlapping ranges included), an empty source zeroes what a
//! snapshot destination saw of its parent; and the errors: options, page
//! alignment, rights on each side, ranges. It also covers
//! `ZX_VMO_CHILD_SNAPSHOT_MODIFIED`, a snapshot for VMOs without a pager.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, assert_vmo_bytes, close, dup, rights_of, vmo, vmo_info, write, zx,
    GARBAGE_HANDLE,
};
use zx::{child_opt, rights, vmo_info_flags, Handle, ZxStatus};

const P: u64 = 4096;
const PAGES: u64 = 5;

/// A `PAGES`-page VMO whose every byte is `fill`.
fn filled(fill: u8) -> Handle {
    let h = vmo(PAGES * P, 0);
    let page = [fill; P as usize];
    for i in 0..PAGES {
        write(h, &page, i * P);
    }
    h
}

fn transfer(dst: Handle, offset: u64, len: u64, src: Handle, src_offset: u64) -> zx::Status {
    zx::vmo_transfer_data(dst, 0, offset, len, src, src_offset)
}

fn basic() {
    let (src, dst) = (filled(b's'), filled(b'd'));
    transfer(dst, 2 * P, 3 * P, src, 0).expect("transfer");
    assert_vmo_bytes(dst, 0, 2 * P, b'd', "destination before the range");
    assert_vmo_bytes(dst, 2 * P, 3 * P, b's', "destination range");
    assert_vmo_bytes(src, 0, 3 * P, 0, "source range");
    assert_vmo_bytes(src, 3 * P, 2 * P, b's', "source after the range");
    close(src);
    close(dst);
}

fn same_vmo() {
    let v = filled(b's');
    write(v, &[b'x'; P as usize], 0);
    transfer(v, 2 * P, 3 * P, v, 0).expect("overlapping, upwards");
    assert_vmo_bytes(v, 0, 2 * P, 0, "source left of the destination");
    assert_vmo_bytes(v, 2 * P, P, b'x', "first page moved up");
    assert_vmo_bytes(v, 3 * P, 2 * P, b's', "the rest moved up");
    transfer(v, 0, 3 * P, v, 2 * P).expect("overlapping, downwards");
    assert_vmo_bytes(v, 0, P, b'x', "moved back down");
    assert_vmo_bytes(v, P, 2 * P, b's', "moved back down");
    assert_vmo_bytes(v, 3 * P, 2 * P, 0, "source above the destination");
    transfer(v, P, 2 * P, v, P).expect("same range is a no-op");
    assert_vmo_bytes(v, P, 2 * P, b's', "untouched");
    close(v);
}

fn children() {
    // A snapshot source: the parent keeps its bytes.
    let parent = filled(b's');
    let src = zx::vmo_create_child(parent, child_opt::SNAPSHOT, P, 3 * P).expect("snapshot");
    let dst = filled(b'd');
    transfer(dst, 0, 3 * P, src, 0).expect("from a snapshot");
    assert_vmo_bytes(src, 0, 3 * P, 0, "snapshot source zeroed");
    assert_vmo_bytes(parent, 0, PAGES * P, b's', "its parent unchanged");
    assert_vmo_bytes(dst, 0, 3 * P, b's', "destination");
    close(src);
    // A snapshot destination: its parent keeps its bytes.
    let snap = zx::vmo_create_child(parent, child_opt::SNAPSHOT, 0, 3 * P).expect("snapshot");
    let fresh = filled(b'n');
    transfer(snap, 0, 3 * P, fresh, 0).expect("into a snapshot");
    assert_vmo_bytes(snap, 0, 3 * P, b'n', "snapshot destination");
    assert_vmo_bytes(parent, 0, PAGES * P, b's', "its parent unchanged");
    // An empty source overwrites what the snapshot saw of its parent.
    let empty = vmo(P, 0);
    transfer(snap, 0, P, empty, 0).expect("from an empty VMO");
    assert_vmo_bytes(snap, 0, P, 0, "zero, not the parent's bytes");
    close(snap);
    // Slices pass through to their parent, on either side.
    let slice = zx::vmo_create_child(parent, child_opt::SLICE, 0, 3 * P).expect("slice");
    transfer(dst, 0, 3 * P, slice, 0).expect("from a slice");
    assert_vmo_bytes(parent, 0, 3 * P, 0, "the slice's parent zeroed");
    assert_vmo_bytes(parent, 3 * P, 2 * P, b's', "the rest of it kept");
    transfer(slice, 0, P, fresh, 4 * P).expect("into a slice");
    assert_vmo_bytes(parent, 0, P, b'n', "written through to the parent");
    for h in [slice, empty, fresh, dst, parent] {
        close(h);
    }
}

fn errors() {
    let (src, dst) = (vmo(PAGES * P, 0), vmo(PAGES * P, 0));
    assert_err(
        transfer(dst, P, P, GARBAGE_HANDLE, 0),
        ZxStatus::BadHandle,
        "bad source",
    );
    assert_err(
        transfer(GARBAGE_HANDLE, P, P, src, 0),
        ZxStatus::BadHandle,
        "bad destination",
    );
    assert_err(
        zx::vmo_transfer_data(dst, 1, P, P, src, 0),
        ZxStatus::InvalidArgs,
        "options",
    );
    for (what, o, l, s) in [
        ("offset", P - 1, P, 0),
        ("length", P, P - 1, 0),
        ("source offset", P, P, P - 1),
    ] {
        assert_err(transfer(dst, o, l, src, s), ZxStatus::InvalidArgs, what);
    }
    for (what, r) in [
        ("source without rights", rights::NONE),
        ("source without WRITE", rights::READ),
        ("source without READ", rights::WRITE),
    ] {
        let weak = dup(src, r);
        assert_err(transfer(dst, P, P, weak, 0), ZxStatus::AccessDenied, what);
        close(weak);
    }
    let weak = dup(dst, rights::NONE);
    assert_err(
        transfer(weak, P, P, src, 0),
        ZxStatus::AccessDenied,
        "destination without rights",
    );
    close(weak);
    assert_err(
        transfer(dst, P, 6 * P, src, 0),
        ZxStatus::OutOfRange,
        "source range",
    );
    assert_err(
        transfer(dst, P, P, src, 6 * P),
        ZxStatus::OutOfRange,
        "source offset",
    );
    assert_err(
        transfer(dst, 6 * P, P, src, 3 * P),
        ZxStatus::OutOfRange,
        "destination range",
    );
    close(src);
    close(dst);
}

fn snapshot_modified() {
    let parent = filled(b'p');
    let c = zx::vmo_create_child(parent, child_opt::SNAPSHOT_MODIFIED, 0, 2 * P)
        .expect("SNAPSHOT_MODIFIED");
    write(parent, &[b'q'; P as usize], 0);
    assert_vmo_bytes(
        c,
        0,
        P,
        b'p',
        "a snapshot: the parent's later write is not seen",
    );
    write(c, &[b'c'; P as usize], P);
    assert_vmo_bytes(parent, P, P, b'p', "the child's write stays in the child");
    let r = rights_of(c);
    assert!(
        r & rights::WRITE != 0 && r & rights::EXECUTE == 0,
        "rights {:#x}",
        r
    );
    assert!(vmo_info(c).flags & vmo_info_flags::IS_COW_CLONE != 0);
    let ro = zx::vmo_create_child(
        parent,
        child_opt::SNAPSHOT_MODIFIED | child_opt::NO_WRITE,
        0,
        P,
    )
    .expect("NO_WRITE");
    assert_eq!(
        vmo_info(ro).flags & vmo_info_flags::IMMUTABLE,
        0,
        "only an explicit SNAPSHOT is marked immutable"
    );
    let slice = zx::vmo_create_child(parent, child_opt::SLICE, 0, P).expect("slice");
    assert_err(
        zx::vmo_create_child(
            parent,
            child_opt::SNAPSHOT_MODIFIED | child_opt::SNAPSHOT,
            0,
            P,
        ),
        ZxStatus::InvalidArgs,
        "two types",
    );
    for h in [slice, ro, c, parent] {
        close(h);
    }
}

fn main(_root: Handle) -> i64 {
    assert_no_leak("transfer_data", || {
        basic();
        same_vmo();
        children();
        errors();
    });
    zx::println!("vmo_transfer_data: bytes move, the source reads zero, children and errors as Zircon's tests");
    assert_no_leak("SNAPSHOT_MODIFIED", snapshot_modified);
    zx::println!("vmo_transfer_data: SNAPSHOT_MODIFIED is a snapshot here, NO_WRITE not immutable");
    0
}

zx::entry!(main);
