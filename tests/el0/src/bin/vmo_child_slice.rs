//! Tests slice children (`ZX_VMO_CHILD_SLICE`): argument checks (aligned
//! offset, range inside the parent, not of a resizable parent), rights,
//! sharing in both directions at `offset + x` through vmo_read / vmo_write
//! and through mappings, a fixed size (set_size UNAVAILABLE, reads past it
//! OUT_OF_RANGE), slices of slices, NO_WRITE slices, and a slice outliving
//! its parent.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, assert_vmo_bytes, child, close, committed, dup,
    info_vmo_flags as f, koid, read_byte, rights_of, size_of, vmo, vmo_info, write, zx, Mapping,
    PAGE, RW,
};
use zx::{child_opt as c, rights, vm_opt, vmo_opt, Handle, ZxStatus};

const P: u64 = 4096;

fn argument_checks() {
    let parent = vmo(4 * P, 0);
    for offset in [1, 0x800, P + 1] {
        assert_err(
            zx::vmo_create_child(parent, c::SLICE, offset, P),
            ZxStatus::InvalidArgs,
            "slice offset not page-aligned",
        );
    }
    let outside = [
        (0, 5 * P, "longer than the parent"),
        (3 * P, 2 * P, "running past the parent's end"),
        (4 * P, P, "starting at the parent's end"),
        (8 * P, P, "past the parent's end"),
        (0, 4 * P + 1, "one byte too long"),
    ];
    for (offset, size, what) in outside {
        assert_err(
            zx::vmo_create_child(parent, c::SLICE, offset, size),
            ZxStatus::InvalidArgs,
            what,
        );
    }
    assert_err(
        zx::vmo_create_child(parent, c::SLICE | c::RESIZABLE, 0, P),
        ZxStatus::InvalidArgs,
        "SLICE | RESIZABLE",
    );
    assert_eq!(
        vmo_info(parent).num_children,
        0,
        "children after refused slices"
    );
    // The whole parent and its last page are fine.
    close(child(parent, c::SLICE, 0, 4 * P));
    close(child(parent, c::SLICE, 3 * P, P));
    close(parent);

    let resizable = vmo(4 * P, vmo_opt::RESIZABLE);
    assert_err(
        zx::vmo_create_child(resizable, c::SLICE, 0, P),
        ZxStatus::NotSupported,
        "slice of a resizable VMO",
    );
    // The range is checked first: out of range is INVALID_ARGS even here.
    for (offset, size) in [(4 * P, P), (0, 5 * P), (!(P - 1), P)] {
        assert_err(
            zx::vmo_create_child(resizable, c::SLICE, offset, size),
            ZxStatus::InvalidArgs,
            "out-of-range slice of a resizable VMO",
        );
    }
    close(resizable);
    zx::println!("vmo_child_slice: unaligned offset, range outside the parent (checked first), RESIZABLE refused");
}

fn slice_rights() {
    let parent = vmo(2 * P, 0);
    let s = child(parent, c::SLICE, 0, P);
    assert_eq!(rights_of(s), rights::DEFAULT_VMO, "slice of a default VMO");
    close(s);
    let s = child(parent, c::SLICE | c::NO_WRITE, 0, P);
    assert_eq!(
        rights_of(s),
        rights::DEFAULT_VMO & !rights::WRITE,
        "NO_WRITE slice"
    );
    close(s);
    let reduced = dup(parent, rights::DUPLICATE | rights::READ | rights::MAP);
    let s = child(reduced, c::SLICE, 0, P);
    assert_eq!(
        rights_of(s),
        rights::DUPLICATE
            | rights::READ
            | rights::MAP
            | rights::GET_PROPERTY
            | rights::SET_PROPERTY,
        "slice of a reduced handle gains no WRITE"
    );
    close(s);
    close(reduced);
    let exec = zx::vmo_replace_as_executable(parent, zx::ZX_HANDLE_INVALID)
        .expect("replace_as_executable");
    let s = child(exec, c::SLICE, 0, P);
    assert_eq!(
        rights_of(s),
        rights::DEFAULT_VMO | rights::EXECUTE,
        "slice keeps EXECUTE"
    );
    close(s);
    close(exec);
    zx::println!(
        "vmo_child_slice: rights are the parent's plus GET/SET_PROPERTY, minus WRITE for NO_WRITE"
    );
}

fn sharing() {
    let parent = vmo(4 * P, 0);
    write(parent, b"before", P + 10);
    let s = child(parent, c::SLICE, P, 2 * P);
    assert_eq!(size_of(s), 2 * P, "slice size");
    let i = vmo_info(s);
    assert_eq!(i.parent_koid, koid(parent), "slice parent_koid");
    assert_eq!(i.flags & f::IS_COW_CLONE, 0, "a slice is not a COW clone");
    assert_eq!(
        vmo_info(parent).num_children,
        1,
        "parent's num_children with a slice"
    );

    // Data written before the slice existed.
    assert_eq!(
        read_byte(s, 10),
        b'b',
        "slice reads the parent's earlier data"
    );
    // Slice writes land in the parent at offset + x.
    write(s, b"from-slice", P + 20);
    let mut buf = [0u8; 10];
    el0_tests::read(parent, &mut buf, 2 * P + 20);
    assert_eq!(&buf, b"from-slice", "slice write seen by the parent");
    // Parent writes are seen by the slice.
    write(parent, b"from-parent", 3 * P - 11);
    let mut buf = [0u8; 11];
    el0_tests::read(s, &mut buf, 2 * P - 11);
    assert_eq!(&buf, b"from-parent", "parent write seen by the slice");
    // Outside the slice the parent is untouched.
    assert_vmo_bytes(parent, 0, P, 0, "parent page 0");
    assert_vmo_bytes(parent, 3 * P, P, 0, "parent page 3");

    // Pages live in the parent; writing through the slice commits them
    // once.
    let before = committed(parent);
    write(s, &[1], 5);
    assert_eq!(committed(parent), before, "page 1 was already committed");
    let free0 = zx::free_pages();
    write(parent, &[2], 2 * P + 100);
    write(s, &[3], P + 200);
    assert_eq!(
        zx::free_pages(),
        free0,
        "writing a shared page twice took pages"
    );
    close(s);
    assert_eq!(
        vmo_info(parent).num_children,
        0,
        "parent's num_children after the slice"
    );
    assert_eq!(
        read_byte(parent, 2 * P + 200),
        3,
        "slice data stays in the parent"
    );
    close(parent);
    zx::println!("vmo_child_slice: writes show on both sides at offset + x");
}

fn sharing_mappings(root: Handle) {
    let parent = vmo(4 * P, 0);
    let s = child(parent, c::SLICE, 2 * P, 2 * P);
    let mp = Mapping::new(root, parent, 4 * PAGE, RW);
    let ms = Mapping::new(root, s, 2 * PAGE, RW);
    mp.write_u64(2 * PAGE + 16, 0x1111_2222);
    assert_eq!(
        ms.read_u64(16),
        0x1111_2222,
        "parent mapping write seen in the slice mapping"
    );
    ms.write_u64(PAGE + 8, 0x3333_4444);
    assert_eq!(
        mp.read_u64(3 * PAGE + 8),
        0x3333_4444,
        "slice mapping write seen in the parent mapping"
    );
    write(parent, &[0x5A; 8], 3 * P + 24);
    assert_eq!(
        ms.read_u64(PAGE + 24),
        0x5A5A_5A5A_5A5A_5A5A,
        "parent vmo_write in the slice mapping"
    );
    write(s, &[0x6B; 8], 32);
    assert_eq!(
        mp.read_u64(2 * PAGE + 32),
        0x6B6B_6B6B_6B6B_6B6B,
        "slice vmo_write in the parent mapping"
    );
    assert_eq!(mp.read_u64(16), 0, "parent page 0 untouched");
    ms.unmap();
    mp.unmap();
    close(s);
    close(parent);
    zx::println!("vmo_child_slice: sharing holds through mappings");
}

fn fixed_size() {
    let parent = vmo(4 * P, 0);
    let s = child(parent, c::SLICE, 0, 2 * P);
    for new in [P, 2 * P, 4 * P] {
        assert_err(
            zx::vmo_set_size(s, new),
            ZxStatus::Unavailable,
            "set_size on a slice",
        );
    }
    assert_eq!(size_of(s), 2 * P, "slice size after refused set_size");
    assert_err(
        zx::vmo_write(s, &[1], 2 * P),
        ZxStatus::OutOfRange,
        "write past the slice",
    );
    let mut b = [0u8; 2];
    assert_err(
        zx::vmo_read(s, &mut b, 2 * P - 1),
        ZxStatus::OutOfRange,
        "read past the slice",
    );
    close(s);
    close(parent);
    zx::println!("vmo_child_slice: a slice's size is fixed");
}

fn nested_slices() {
    let parent = vmo(4 * P, 0);
    let s1 = child(parent, c::SLICE, P, 2 * P);
    assert_err(
        zx::vmo_create_child(s1, c::SLICE, P, 2 * P),
        ZxStatus::InvalidArgs,
        "slice of a slice past its end",
    );
    let s2 = child(s1, c::SLICE, P, P);
    assert_eq!(
        vmo_info(s2).parent_koid,
        koid(s1),
        "nested slice's parent_koid"
    );
    write(s2, b"deep", 7);
    let mut buf = [0u8; 4];
    el0_tests::read(s1, &mut buf, P + 7);
    assert_eq!(&buf, b"deep", "nested slice write seen in the slice");
    el0_tests::read(parent, &mut buf, 2 * P + 7);
    assert_eq!(&buf, b"deep", "nested slice write seen in the parent");
    write(parent, b"top!", 2 * P + 100);
    el0_tests::read(s2, &mut buf, 100);
    assert_eq!(&buf, b"top!", "parent write seen in the nested slice");
    // Closing the middle slice first keeps the nested one working.
    close(s1);
    write(s2, b"more", 200);
    el0_tests::read(parent, &mut buf, 2 * P + 200);
    assert_eq!(&buf, b"more", "nested slice after its parent slice closed");
    close(s2);
    close(parent);
    zx::println!("vmo_child_slice: slices of slices share the same pages");
}

fn no_write_slice(root: Handle) {
    let parent = vmo(2 * P, 0);
    let s = child(parent, c::SLICE | c::NO_WRITE, 0, 2 * P);
    assert_err(
        zx::vmo_write(s, &[1], 0),
        ZxStatus::AccessDenied,
        "vmo_write to a NO_WRITE slice",
    );
    assert_err(
        zx::vmar_map(root, RW, 0, s, 0, PAGE),
        ZxStatus::AccessDenied,
        "writable mapping of a NO_WRITE slice",
    );
    write(parent, &[0x42], P + 1);
    assert_eq!(
        read_byte(s, P + 1),
        0x42,
        "NO_WRITE slice sees parent writes"
    );
    let m = Mapping::new(root, s, 2 * PAGE, vm_opt::PERM_READ);
    assert_eq!(m.read_u8(PAGE + 1), 0x42, "NO_WRITE slice mapping");
    m.unmap();
    close(s);
    close(parent);
    zx::println!("vmo_child_slice: NO_WRITE slices read the parent and refuse writes");
}

fn parent_closed_first(root: Handle) {
    let parent = vmo(3 * P, 0);
    write(parent, b"kept", 2 * P);
    let s = child(parent, c::SLICE, P, 2 * P);
    close(parent);
    let mut buf = [0u8; 4];
    el0_tests::read(s, &mut buf, P);
    assert_eq!(&buf, b"kept", "slice after the parent closed");
    write(s, b"new!", 4);
    el0_tests::read(s, &mut buf, 4);
    assert_eq!(&buf, b"new!", "slice write after the parent closed");
    let m = Mapping::new(root, s, 2 * PAGE, RW);
    assert_eq!(
        m.read_u8(PAGE),
        b'k',
        "slice mapping after the parent closed"
    );
    m.write_u8(PAGE + 1, b'E');
    assert_eq!(read_byte(s, P + 1), b'E');
    m.unmap();
    close(s);
    zx::println!("vmo_child_slice: a slice keeps working after the parent closes");
}

fn main(root: Handle) -> i64 {
    el0_tests::prefault_stack();
    assert_no_leak("vmo_child_slice", || {
        argument_checks();
        slice_rights();
        sharing();
        sharing_mappings(root);
        fixed_size();
        nested_slices();
        no_write_slice(root);
        assert_no_leak("parent closed first", || parent_closed_first(root));
    });
    0
}

zx::entry!(main);
