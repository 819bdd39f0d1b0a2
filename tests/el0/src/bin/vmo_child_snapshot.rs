//! Tests `zx_vmo_create_child` argument checks (options, size before the
//! handle, handle type and rights, offset, bad `out` pointers) and
//! snapshot children (`ZX_VMO_CHILD_SNAPSHOT` and
//! `SNAPSHOT_AT_LEAST_ON_WRITE`): the child's rights, name, content size
//! and info; copy-on-write isolation in both directions through vmo_read /
//! vmo_write and through mappings (including a parent mapping that was
//! writable before the snapshot); page accounting (a snapshot takes no
//! page, the first write to a shared page takes one); children reaching
//! past the parent's end; closing the parent first; NO_WRITE and RESIZABLE
//! children; DECOMMIT refused and ZERO isolated.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, assert_vmo_bytes, child, close, committed, content_size, dup,
    get_name, info_vmo_flags as f, koid, name32, op_range, prefault_stack, read_byte, rights_of,
    set_name, size_of, st, unaligned, vmo, vmo_info, write, zero_children, zx, Mapping,
    ReadOnlyPage, BAD_POINTERS, GARBAGE_HANDLE, PAGE, RW,
};
use zx::{child_opt as c, rights, vm_opt, vmo_op as op, vmo_opt, Handle, ZxStatus, VMO_MAX_SIZE};

const P: u64 = 4096;

/// The rights a snapshot child gets from a parent handle with `parent`.
fn snapshot_rights(parent: u32, options: u32) -> u32 {
    let base = (parent & !rights::RESIZE) | rights::GET_PROPERTY | rights::SET_PROPERTY;
    if options & c::NO_WRITE != 0 {
        base & !rights::WRITE
    } else {
        let r = (base | rights::WRITE) & !rights::EXECUTE;
        if options & c::RESIZABLE != 0 {
            r | rights::RESIZE
        } else {
            r
        }
    }
}

/// Fills page `page` of `h` with `v`.
fn fill_page(h: Handle, page: u64, v: u8) {
    write(h, &[v; PAGE], page * P);
}

fn option_checks() {
    let h = vmo(4 * P, 0);
    let invalid = [
        (0, "no type"),
        (c::SNAPSHOT | c::SLICE, "SNAPSHOT | SLICE"),
        (
            c::SNAPSHOT | c::SNAPSHOT_AT_LEAST_ON_WRITE,
            "two snapshot types",
        ),
        (
            c::SLICE | c::SNAPSHOT_AT_LEAST_ON_WRITE,
            "SLICE | AT_LEAST_ON_WRITE",
        ),
        (c::RESIZABLE, "RESIZABLE alone"),
        (c::NO_WRITE, "NO_WRITE alone"),
        (c::SNAPSHOT | 1 << 1, "unknown bit 1"),
        (c::SNAPSHOT | 1 << 6, "unknown bit 6"),
        (c::SNAPSHOT | 1 << 31, "unknown bit 31"),
        (c::SLICE | 1 << 1, "SLICE with unknown bit 1"),
        (c::SLICE | c::RESIZABLE, "SLICE | RESIZABLE"),
        (
            c::SNAPSHOT | c::NO_WRITE | c::RESIZABLE,
            "NO_WRITE | RESIZABLE",
        ),
        (
            c::SNAPSHOT_AT_LEAST_ON_WRITE | c::NO_WRITE | c::RESIZABLE,
            "AT_LEAST_ON_WRITE | NO_WRITE | RESIZABLE",
        ),
    ];
    for (options, what) in invalid {
        assert_err(
            zx::vmo_create_child(h, options, 0, P),
            ZxStatus::InvalidArgs,
            what,
        );
    }
    for offset in [1, 0x800, P + 1, P - 1] {
        assert_err(
            zx::vmo_create_child(h, c::SNAPSHOT, offset, P),
            ZxStatus::InvalidArgs,
            "snapshot offset not page-aligned",
        );
    }
    let top = !(P - 1);
    for (offset, size) in [(top, 2 * P), (top, P + 1), (top - P, VMO_MAX_SIZE)] {
        assert_err(
            zx::vmo_create_child(h, c::SNAPSHOT, offset, size),
            ZxStatus::OutOfRange,
            "snapshot offset + size overflows",
        );
    }
    assert_eq!(
        vmo_info(h).num_children,
        0,
        "children after refused creates"
    );
    assert!(zero_children(h), "ZERO_CHILDREN after refused creates");
    close(h);
    zx::println!("vmo_child_snapshot: bad options and offsets INVALID_ARGS, overflow OUT_OF_RANGE");
}

fn size_and_handle_checks(root: Handle) {
    let h = vmo(4 * P, 0);
    let closed = vmo(P, 0);
    close(closed);
    // The size is checked before the handle.
    for size in [u64::MAX, VMO_MAX_SIZE + 1, u64::MAX - P + 2] {
        for target in [h, root, zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
            for options in [c::SNAPSHOT, c::SLICE] {
                assert_err(
                    zx::vmo_create_child(target, options, 0, size),
                    ZxStatus::OutOfRange,
                    "child size too large",
                );
            }
        }
    }
    for bad in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
        assert_err(
            zx::vmo_create_child(bad, c::SNAPSHOT, 0, P),
            ZxStatus::BadHandle,
            "create_child(invalid handle)",
        );
    }
    assert_err(
        zx::vmo_create_child(root, c::SNAPSHOT, 0, P),
        ZxStatus::WrongType,
        "create_child(root VMAR)",
    );
    let vmar_none = dup(root, rights::NONE);
    assert_err(
        zx::vmo_create_child(vmar_none, c::SNAPSHOT, 0, P),
        ZxStatus::WrongType,
        "create_child(VMAR with no rights)",
    );
    close(vmar_none);
    for (missing, what) in [(rights::DUPLICATE, "DUPLICATE"), (rights::READ, "READ")] {
        let d = dup(h, rights::DEFAULT_VMO & !missing);
        for options in [c::SNAPSHOT, c::SLICE, c::SNAPSHOT_AT_LEAST_ON_WRITE] {
            assert_err(
                zx::vmo_create_child(d, options, 0, P),
                ZxStatus::AccessDenied,
                what,
            );
        }
        close(d);
    }
    // DUPLICATE | READ is all it takes.
    let minimal = dup(h, rights::DUPLICATE | rights::READ);
    close(child(minimal, c::SNAPSHOT, 0, P));
    close(minimal);
    close(h);
    zx::println!("vmo_child_snapshot: size OUT_OF_RANGE before the handle; BAD_HANDLE, WRONG_TYPE, ACCESS_DENIED");
}

fn bad_out(root: Handle) {
    let h = vmo(2 * P, 0);
    write(h, b"parent", 0);
    let try_bad = |out: *mut Handle, what: &str| {
        assert_no_leak(what, || {
            // SAFETY: `out` is not writable by this process, or lies inside
            // a scratch buffer at an unaligned address: the kernel must
            // refuse it, and Rust reads nothing through it.
            let r = st(unsafe { zx::raw::vmo_create_child(h, c::SNAPSHOT, 0, 2 * P, out) });
            assert_eq!(r, Err(ZxStatus::InvalidArgs), "create_child out = {}", what);
        });
        assert_eq!(
            vmo_info(h).num_children,
            0,
            "child left behind by out = {}",
            what
        );
        assert!(
            zero_children(h),
            "ZERO_CHILDREN inactive after out = {}",
            what
        );
    };
    for (name, bad) in BAD_POINTERS {
        try_bad(bad as *mut Handle, name);
    }
    let mut buf = [0u64; 4];
    try_bad(unaligned::<Handle>(&mut buf), "unaligned");
    assert_eq!(buf, [0; 4], "the kernel wrote through an unaligned pointer");
    let ro = ReadOnlyPage::new(root);
    try_bad(ro.addr() as *mut Handle, "read-only page");
    assert_eq!(ro.map.read_u64(0), 0, "read-only page was written");
    ro.release();
    // DECOMMIT works, so no snapshot child exists.
    assert_eq!(
        op_range(h, op::DECOMMIT, 0, 2 * P),
        Ok(()),
        "DECOMMIT after refused creates"
    );
    close(h);
    zx::println!("vmo_child_snapshot: a bad out pointer is INVALID_ARGS and leaves no child");
}

fn child_rights() {
    let plain = vmo(2 * P, 0);
    let resizable = vmo(2 * P, vmo_opt::RESIZABLE);
    let exec = zx::vmo_replace_as_executable(vmo(2 * P, 0), zx::ZX_HANDLE_INVALID)
        .expect("replace_as_executable");
    let reduced = dup(plain, rights::DUPLICATE | rights::READ | rights::MAP);
    let cases = [
        (plain, c::SNAPSHOT, Some(0xD0EF), "plain, SNAPSHOT"),
        (
            plain,
            c::SNAPSHOT_AT_LEAST_ON_WRITE,
            Some(0xD0EF),
            "plain, AT_LEAST_ON_WRITE",
        ),
        (
            plain,
            c::SNAPSHOT | c::RESIZABLE,
            Some(0x40_D0EF),
            "plain, RESIZABLE",
        ),
        (
            plain,
            c::SNAPSHOT | c::NO_WRITE,
            Some(0xD0E7),
            "plain, NO_WRITE",
        ),
        (resizable, c::SNAPSHOT, Some(0xD0EF), "resizable parent"),
        (
            resizable,
            c::SNAPSHOT | c::RESIZABLE,
            Some(0x40_D0EF),
            "resizable, RESIZABLE",
        ),
        (exec, c::SNAPSHOT, Some(0xD0EF), "executable parent"),
        (
            exec,
            c::SNAPSHOT | c::NO_WRITE,
            Some(0xD0F7),
            "executable, NO_WRITE",
        ),
        (reduced, c::SNAPSHOT, None, "reduced parent"),
        (
            reduced,
            c::SNAPSHOT | c::NO_WRITE,
            None,
            "reduced, NO_WRITE",
        ),
        (
            reduced,
            c::SNAPSHOT | c::RESIZABLE,
            None,
            "reduced, RESIZABLE",
        ),
    ];
    for (parent, options, literal, what) in cases {
        let expected = snapshot_rights(rights_of(parent), options);
        if let Some(l) = literal {
            assert_eq!(expected, l, "{}: the rule itself", what);
        }
        let ch = child(parent, options, 0, 2 * P);
        assert_eq!(rights_of(ch), expected, "{}: child rights", what);
        assert_eq!(
            vmo_info(ch).handle_rights,
            expected,
            "{}: info handle_rights",
            what
        );
        close(ch);
    }
    assert_eq!(
        snapshot_rights(rights::DUPLICATE | rights::READ | rights::MAP, c::SNAPSHOT),
        rights::DUPLICATE
            | rights::READ
            | rights::MAP
            | rights::GET_PROPERTY
            | rights::SET_PROPERTY
            | rights::WRITE
    );
    close(reduced);
    close(plain);
    close(resizable);
    close(exec);
    zx::println!("vmo_child_snapshot: child rights follow the parent handle's and the options");
}

fn cow_data_and_pages() {
    let parent = vmo(4 * P, 0);
    for (page, v) in [(0, 0x10), (1, 0x11), (2, 0x12)] {
        fill_page(parent, page, v);
    }
    assert_eq!(committed(parent), 3 * P);

    let free0 = zx::free_pages();
    let ch = child(parent, c::SNAPSHOT, 0, 4 * P);
    assert_eq!(zx::free_pages(), free0, "creating a snapshot took pages");
    for (page, v) in [(0, 0x10), (1, 0x11), (2, 0x12), (3, 0)] {
        assert_vmo_bytes(ch, page * P, P, v, "child reads the parent's data");
    }
    assert_eq!(zx::free_pages(), free0, "reading the snapshot took pages");
    let (pi, ci) = (vmo_info(parent), vmo_info(ch));
    assert_eq!(
        (pi.committed_bytes, pi.committed_private_bytes),
        (3 * P, 0),
        "parent, shared"
    );
    assert_eq!(
        (ci.committed_bytes, ci.committed_private_bytes),
        (3 * P, 0),
        "child, shared"
    );
    assert_eq!(
        pi.populated_bytes, pi.committed_bytes,
        "parent populated_bytes"
    );
    assert_eq!(
        ci.populated_bytes, ci.committed_bytes,
        "child populated_bytes"
    );

    // A parent write to a shared page takes one page and is not seen by
    // the child.
    write(parent, &[0xF0], 0);
    assert_eq!(zx::free_pages(), free0 - 1, "parent write to a shared page");
    assert_eq!(read_byte(parent, 0), 0xF0, "parent sees its write");
    assert_vmo_bytes(parent, 1, P - 1, 0x10, "rest of the parent's copied page");
    assert_vmo_bytes(ch, 0, P, 0x10, "child after the parent's write");

    // A child write to a shared page takes one page and is not seen by the
    // parent.
    write(ch, &[0xF1], P);
    assert_eq!(zx::free_pages(), free0 - 2, "child write to a shared page");
    assert_eq!(read_byte(ch, P), 0xF1, "child sees its write");
    assert_vmo_bytes(ch, P + 1, P - 1, 0x11, "rest of the child's copied page");
    assert_vmo_bytes(parent, P, P, 0x11, "parent after the child's write");
    // Writing the now-private page again takes nothing.
    write(ch, &[0xF2; 16], P + 8);
    write(parent, &[0xF3; 16], 8);
    assert_eq!(zx::free_pages(), free0 - 2, "rewriting private pages");

    let (pi, ci) = (vmo_info(parent), vmo_info(ch));
    assert_eq!(
        (pi.committed_bytes, pi.committed_private_bytes),
        (3 * P, 2 * P),
        "parent, after both writes"
    );
    assert_eq!(
        (ci.committed_bytes, ci.committed_private_bytes),
        (3 * P, 2 * P),
        "child, after both writes"
    );

    // A page the parent never committed: each side gets its own.
    write(ch, &[0xC3], 3 * P + 5);
    write(parent, &[0xB3], 3 * P + 6);
    assert_eq!(read_byte(ch, 3 * P + 5), 0xC3);
    assert_eq!(
        read_byte(ch, 3 * P + 6),
        0,
        "child sees the parent's write to page 3"
    );
    assert_eq!(
        read_byte(parent, 3 * P + 5),
        0,
        "parent sees the child's write to page 3"
    );
    assert_eq!(read_byte(parent, 3 * P + 6), 0xB3);

    // A later parent write to a page still shared.
    write(parent, &[0xE2; 8], 2 * P);
    assert_vmo_bytes(ch, 2 * P, P, 0x12, "child page 2 after the parent's write");
    assert_vmo_bytes(
        parent,
        2 * P + 8,
        P - 8,
        0x12,
        "parent page 2 beyond the write",
    );

    close(ch);
    // The parent keeps its data.
    assert_eq!(read_byte(parent, 0), 0xF0);
    assert_eq!(read_byte(parent, 8), 0xF3);
    assert_vmo_bytes(parent, P, P, 0x11, "parent page 1 after the child closed");
    assert_eq!(read_byte(parent, 2 * P), 0xE2);
    assert_eq!(
        vmo_info(parent).committed_bytes,
        4 * P,
        "parent holds its four pages"
    );
    close(parent);
    zx::println!(
        "vmo_child_snapshot: copy-on-write both ways; a snapshot takes no page, a first write one"
    );
}

fn cow_mappings(root: Handle) {
    let parent = vmo(4 * P, 0);
    // The parent's pages are written through a mapping, so they are mapped
    // writable before the snapshot exists.
    let mp = Mapping::new(root, parent, 4 * PAGE, RW);
    mp.write_u64(0, 0x2121);
    mp.write_u64(PAGE, 0x2222);
    mp.write_u64(2 * PAGE, 0x2323);
    let ch = child(parent, c::SNAPSHOT, 0, 4 * P);
    let mc = Mapping::new(root, ch, 4 * PAGE, RW);
    assert_eq!(mc.read_u64(0), 0x2121, "child mapping, page 0");
    assert_eq!(mc.read_u64(PAGE), 0x2222, "child mapping, page 1");
    assert_eq!(
        mc.read_u64(3 * PAGE),
        0,
        "child mapping, uncommitted page 3"
    );

    // Parent writes through its old writable mapping.
    mp.write_u64(0, 0x3131);
    assert_eq!(
        mc.read_u64(0),
        0x2121,
        "child mapping after a parent mapping write"
    );
    assert_eq!(
        read_byte(ch, 0),
        0x21,
        "child vmo_read after a parent mapping write"
    );
    assert_eq!(
        read_byte(parent, 0),
        0x31,
        "parent vmo_read after its mapping write"
    );

    // Child writes through its mapping.
    mc.write_u64(PAGE, 0x4242);
    assert_eq!(
        mp.read_u64(PAGE),
        0x2222,
        "parent mapping after a child mapping write"
    );
    assert_eq!(
        read_byte(parent, P),
        0x22,
        "parent vmo_read after a child mapping write"
    );
    assert_eq!(
        read_byte(ch, P),
        0x42,
        "child vmo_read after its mapping write"
    );

    // vmo_write on one side, read through the other's mapping (the child
    // reads page 2 first, so its mapping already shows the shared page).
    assert_eq!(mc.read_u64(2 * PAGE), 0x2323, "child mapping, page 2");
    write(parent, &[0x77; 8], 2 * P);
    assert_eq!(
        mc.read_u64(2 * PAGE),
        0x2323,
        "child mapping after a parent vmo_write"
    );
    assert_eq!(
        mp.read_u64(2 * PAGE),
        0x7777_7777_7777_7777,
        "parent mapping after its vmo_write"
    );
    write(ch, &[0x88; 8], 8);
    assert_eq!(mp.read_u64(8), 0, "parent mapping after a child vmo_write");
    assert_eq!(
        mc.read_u64(8),
        0x8888_8888_8888_8888,
        "child mapping after its vmo_write"
    );

    // Page 3 was uncommitted in both: later writes stay on their side.
    mp.write_u64(3 * PAGE, 0x5353);
    assert_eq!(
        mc.read_u64(3 * PAGE),
        0,
        "child mapping, page 3 after the parent's write"
    );
    mc.write_u64(3 * PAGE + 8, 0x6363);
    assert_eq!(
        mp.read_u64(3 * PAGE + 8),
        0,
        "parent mapping, page 3 after the child's write"
    );
    assert_eq!(mp.read_u64(3 * PAGE), 0x5353);
    assert_eq!(mc.read_u64(3 * PAGE + 8), 0x6363);

    mc.unmap();
    mp.unmap();
    close(ch);
    close(parent);
    zx::println!(
        "vmo_child_snapshot: isolation holds through mappings, old writable ones included"
    );
}

fn past_parent_end() {
    let parent = vmo(2 * P, 0);
    fill_page(parent, 0, 0x61);
    fill_page(parent, 1, 0x62);
    let ch = child(parent, c::SNAPSHOT, P, 4 * P);
    assert_eq!(
        size_of(ch),
        4 * P,
        "size of a child reaching past the parent"
    );
    assert_eq!(size_of(parent), 2 * P, "parent size unchanged");
    assert_vmo_bytes(ch, 0, P, 0x62, "child page 0 = parent page 1");
    assert_vmo_bytes(ch, P, 3 * P, 0, "child pages past the parent's end");
    write(ch, &[0x99], 3 * P + 1);
    assert_eq!(
        read_byte(ch, 3 * P + 1),
        0x99,
        "write past the parent's end"
    );
    close(ch);

    // Entirely past the parent's end.
    let ch = child(parent, c::SNAPSHOT, 2 * P, 2 * P);
    assert_vmo_bytes(ch, 0, 2 * P, 0, "child entirely past the parent's end");
    close(ch);

    // Uncommitted parent pages read zero.
    let sparse = vmo(8 * P, 0);
    write(sparse, &[5], 6 * P);
    let ch = child(sparse, c::SNAPSHOT_AT_LEAST_ON_WRITE, 0, 8 * P);
    assert_vmo_bytes(ch, 0, 6 * P, 0, "uncommitted parent pages in the child");
    assert_eq!(
        read_byte(ch, 6 * P),
        5,
        "committed parent page in the child"
    );
    close(ch);
    close(sparse);
    close(parent);
    zx::println!("vmo_child_snapshot: children may reach past the parent; missing pages read zero");
}

fn parent_closed_first(root: Handle) {
    let parent = vmo(3 * P, 0);
    fill_page(parent, 0, 0x70);
    fill_page(parent, 1, 0x71);
    let ch = child(parent, c::SNAPSHOT, 0, 3 * P);
    fill_page(parent, 0, 0x80);
    write(ch, &[0x90], P);
    close(parent);
    assert_vmo_bytes(ch, 0, P, 0x70, "child page 0 after the parent closed");
    assert_eq!(
        read_byte(ch, P),
        0x90,
        "child's own write after the parent closed"
    );
    assert_vmo_bytes(
        ch,
        P + 1,
        P - 1,
        0x71,
        "child page 1 after the parent closed",
    );
    assert_vmo_bytes(ch, 2 * P, P, 0, "child page 2 after the parent closed");
    write(ch, &[0x91], 2 * P);
    assert_eq!(read_byte(ch, 2 * P), 0x91);
    let m = Mapping::new(root, ch, 3 * PAGE, RW);
    assert_eq!(m.read_u8(0), 0x70, "child mapping after the parent closed");
    m.write_u8(1, 0x92);
    assert_eq!(read_byte(ch, 1), 0x92);
    m.unmap();
    close(ch);
    zx::println!("vmo_child_snapshot: a child keeps its data when the parent closes first");
}

fn name_size_and_info() {
    let parent = vmo(4 * P, 0);
    set_name(parent, b"snap-parent");
    let pk = koid(parent);
    let ch = child(parent, c::SNAPSHOT, 0, 5000);
    assert_eq!(
        get_name(ch),
        name32(b"snap-parent"),
        "child's name is the parent's"
    );
    assert_eq!(size_of(ch), 8192, "child size rounded up");
    assert_eq!(content_size(ch), 5000, "child content size as given");
    let ci = vmo_info(ch);
    assert_ne!(ci.koid, pk, "child and parent share a koid");
    assert_eq!(ci.koid, koid(ch));
    assert_eq!(ci.parent_koid, pk, "child's parent_koid");
    assert_eq!(ci.num_children, 0, "child's num_children");
    assert_eq!(ci.size_bytes, 8192);
    assert_eq!(
        ci.flags,
        f::TYPE_PAGED | f::IS_COW_CLONE | f::VIA_HANDLE,
        "child flags"
    );
    assert_eq!(ci.flags, 0xD);
    assert_eq!(&ci.name, &name32(b"snap-parent"));
    let pi = vmo_info(parent);
    assert_eq!(pi.num_children, 1, "parent's num_children");
    assert_eq!(pi.parent_koid, 0, "parent's parent_koid");
    assert_eq!(pi.flags, 0x9, "parent flags");

    // The names are separate afterwards.
    set_name(ch, b"snap-child");
    assert_eq!(
        get_name(parent),
        name32(b"snap-parent"),
        "parent name after renaming the child"
    );
    let ch2 = child(parent, c::SNAPSHOT_AT_LEAST_ON_WRITE, P, 3 * P);
    assert_eq!(vmo_info(parent).num_children, 2, "two children");
    let i2 = vmo_info(ch2);
    assert_eq!(i2.flags, 0xD, "AT_LEAST_ON_WRITE child flags");
    assert_eq!(i2.parent_koid, pk);
    assert_eq!(content_size(ch2), 3 * P);
    close(ch2);
    close(ch);
    assert_eq!(
        vmo_info(parent).num_children,
        0,
        "no children after closing them"
    );

    let rc = child(parent, c::SNAPSHOT | c::RESIZABLE, 0, 2 * P);
    assert_eq!(
        vmo_info(rc).flags,
        0xD | f::RESIZABLE,
        "resizable child flags"
    );
    assert_eq!(
        zx::vmo_set_size(rc, 6 * P),
        Ok(()),
        "grow a resizable child"
    );
    assert_eq!(size_of(rc), 6 * P);
    assert_vmo_bytes(rc, 2 * P, 4 * P, 0, "grown part of the child");
    close(rc);
    let fixed = child(parent, c::SNAPSHOT, 0, 2 * P);
    assert_err(
        zx::vmo_set_size(fixed, 4 * P),
        ZxStatus::Unavailable,
        "set_size on a non-resizable child",
    );
    close(fixed);
    close(parent);
    zx::println!("vmo_child_snapshot: name copied, content size as given, info parent_koid/num_children/flags");
}

fn no_write_child(root: Handle) {
    let parent = vmo(2 * P, 0);
    fill_page(parent, 0, 0xA0);
    let ro = child(parent, c::SNAPSHOT | c::NO_WRITE, 0, 2 * P);
    assert_eq!(
        vmo_info(ro).flags,
        0xD | f::IMMUTABLE,
        "NO_WRITE snapshot flags"
    );
    assert_err(
        zx::vmo_write(ro, &[1], 0),
        ZxStatus::AccessDenied,
        "vmo_write to a NO_WRITE child",
    );
    assert_err(
        zx::vmar_map(root, RW, 0, ro, 0, PAGE),
        ZxStatus::AccessDenied,
        "writable mapping of a NO_WRITE child",
    );
    let m = Mapping::new(root, ro, 2 * PAGE, vm_opt::PERM_READ);
    assert_eq!(m.read_u8(0), 0xA0, "NO_WRITE child mapping");
    fill_page(parent, 0, 0xB0);
    fill_page(parent, 1, 0xB1);
    assert_eq!(
        m.read_u8(0),
        0xA0,
        "NO_WRITE child mapping after parent writes"
    );
    assert_vmo_bytes(ro, 0, P, 0xA0, "NO_WRITE child after parent writes");
    assert_vmo_bytes(ro, P, P, 0, "NO_WRITE child page 1 after parent writes");
    m.unmap();
    close(ro);
    close(parent);
    zx::println!("vmo_child_snapshot: NO_WRITE snapshots are immutable and refuse writes");
}

fn decommit_and_zero() {
    let parent = vmo(2 * P, 0);
    fill_page(parent, 0, 0xD0);
    fill_page(parent, 1, 0xD1);
    let ch = child(parent, c::SNAPSHOT, 0, 2 * P);
    assert_eq!(
        op_range(ch, op::DECOMMIT, 0, P),
        Err(ZxStatus::NotSupported),
        "DECOMMIT on a snapshot child"
    );
    assert_eq!(
        op_range(parent, op::DECOMMIT, 0, P),
        Err(ZxStatus::NotSupported),
        "DECOMMIT on a VMO with a snapshot child"
    );
    assert_vmo_bytes(ch, 0, P, 0xD0, "child after refused DECOMMIT");
    assert_vmo_bytes(parent, 0, P, 0xD0, "parent after refused DECOMMIT");

    assert_eq!(op_range(ch, op::ZERO, 0, P), Ok(()), "ZERO on the child");
    assert_vmo_bytes(ch, 0, P, 0, "child after ZERO");
    assert_vmo_bytes(parent, 0, P, 0xD0, "parent after the child's ZERO");
    assert_eq!(
        op_range(parent, op::ZERO, P + 100, 200),
        Ok(()),
        "ZERO on the parent"
    );
    assert_vmo_bytes(parent, P + 100, 200, 0, "parent after ZERO");
    assert_vmo_bytes(ch, P, P, 0xD1, "child after the parent's ZERO");
    close(ch);

    assert_eq!(
        op_range(parent, op::DECOMMIT, 0, 2 * P),
        Ok(()),
        "DECOMMIT once the child is gone"
    );
    assert_eq!(committed(parent), 0);
    close(parent);
    zx::println!(
        "vmo_child_snapshot: DECOMMIT NOT_SUPPORTED with snapshots; ZERO stays on its side"
    );
}

fn main(root: Handle) -> i64 {
    prefault_stack();
    assert_no_leak("vmo_child_snapshot", || {
        option_checks();
        size_and_handle_checks(root);
        bad_out(root);
        child_rights();
        assert_no_leak("copy-on-write pages", cow_data_and_pages);
        cow_mappings(root);
        past_parent_end();
        assert_no_leak("parent closed first", || parent_closed_first(root));
        name_size_and_info();
        no_write_child(root);
        decommit_and_zero();
    });
    0
}

zx::entry!(main);
