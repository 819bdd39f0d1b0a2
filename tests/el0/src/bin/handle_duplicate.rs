//! Tests `zx_handle_duplicate`: bad handles, the DUPLICATE right, rights
//! that must be a subset (or SAME_RIGHTS), bad `out` pointers (nothing
//! leaked), rights 0, and that a duplicate refers to the same object with
//! exactly the rights asked for (READ, WRITE, DUPLICATE, MAP removed in
//! turn).
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, close, dup, read, size_of, st, unaligned, vmo, write, zx,
    ReadOnlyPage, BAD_POINTERS, GARBAGE_HANDLE, RESIZABLE_VMO_RIGHTS, RW,
};
use zx::{rights, vm_opt, vmo_opt, Handle, ZxStatus};

fn bad_handles() {
    let closed = vmo(4096, 0);
    close(closed);
    for h in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
        assert_err(
            zx::handle_duplicate(h, rights::SAME_RIGHTS),
            ZxStatus::BadHandle,
            "duplicate(invalid)",
        );
        assert_err(
            zx::handle_duplicate(h, rights::NONE),
            ZxStatus::BadHandle,
            "duplicate(invalid, 0)",
        );
    }
    zx::println!("handle_duplicate: invalid handles are BAD_HANDLE");
}

fn needs_duplicate_right() {
    let h = vmo(4096, 0);
    let no_dup = dup(h, rights::DEFAULT_VMO & !rights::DUPLICATE);
    for r in [rights::SAME_RIGHTS, rights::NONE, rights::READ] {
        assert_err(
            zx::handle_duplicate(no_dup, r),
            ZxStatus::AccessDenied,
            "duplicate without DUPLICATE",
        );
    }
    // The right is checked before the requested rights.
    assert_err(
        zx::handle_duplicate(no_dup, rights::EXECUTE),
        ZxStatus::AccessDenied,
        "duplicate without DUPLICATE, rights not a subset",
    );
    close(no_dup);
    close(h);
    zx::println!("handle_duplicate: no DUPLICATE right is ACCESS_DENIED");
}

fn rights_subset() {
    let h = vmo(4096, 0);
    let cases = [
        (
            rights::DEFAULT_VMO | rights::EXECUTE,
            "DEFAULT_VMO | EXECUTE",
        ),
        (rights::RESIZE, "RESIZE on a non-resizable VMO"),
        (rights::SAME_RIGHTS | rights::READ, "SAME_RIGHTS | READ"),
        (u32::MAX, "all bits"),
    ];
    for (r, what) in cases {
        assert_err(zx::handle_duplicate(h, r), ZxStatus::InvalidArgs, what);
    }
    // Rights removed from a handle cannot come back through a duplicate.
    let reduced = dup(h, rights::DUPLICATE | rights::READ);
    assert_err(
        zx::handle_duplicate(reduced, rights::READ | rights::WRITE),
        ZxStatus::InvalidArgs,
        "regain WRITE",
    );
    let same = dup(reduced, rights::SAME_RIGHTS);
    close(dup(same, rights::DUPLICATE | rights::READ));
    assert_err(
        zx::handle_duplicate(same, rights::DUPLICATE | rights::WRITE),
        ZxStatus::InvalidArgs,
        "SAME_RIGHTS kept WRITE",
    );
    close(same);
    close(reduced);
    close(h);
    zx::println!("handle_duplicate: rights beyond the handle's are INVALID_ARGS");
}

fn bad_out(root: Handle) {
    // If a duplicate leaked, the VMO and its committed page would survive
    // the close of `h`.
    for (name, ptr) in BAD_POINTERS {
        assert_no_leak(name, || {
            let h = vmo(4096, 0);
            write(h, &[1], 0);
            // SAFETY: `ptr` is not writable by this process; the kernel must
            // reject it without writing, and no Rust memory is touched.
            let r = st(unsafe {
                zx::raw::handle_duplicate(h, rights::SAME_RIGHTS, ptr as *mut Handle)
            });
            assert_eq!(r, Err(ZxStatus::InvalidArgs), "duplicate out = {}", name);
            close(h);
        });
    }
    let mut buf = [0u64; 4];
    let odd = unaligned::<Handle>(&mut buf);
    assert_no_leak("unaligned out", || {
        let h = vmo(4096, 0);
        write(h, &[1], 0);
        // SAFETY: `odd` lies inside `buf`; the kernel must reject it as
        // unaligned, and Rust does not look at `buf` until after the call.
        let r = st(unsafe { zx::raw::handle_duplicate(h, rights::SAME_RIGHTS, odd) });
        assert_eq!(r, Err(ZxStatus::InvalidArgs), "duplicate out unaligned");
        close(h);
    });
    assert_eq!(buf, [0; 4], "the kernel wrote through an unaligned pointer");
    let ro = ReadOnlyPage::new(root);
    assert_no_leak("read-only out", || {
        let h = vmo(4096, 0);
        write(h, &[1], 0);
        // SAFETY: the page is mapped read-only: the kernel must not write it.
        let r = st(unsafe {
            zx::raw::handle_duplicate(h, rights::SAME_RIGHTS, ro.addr() as *mut Handle)
        });
        assert_eq!(
            r,
            Err(ZxStatus::InvalidArgs),
            "duplicate out in a read-only mapping"
        );
        close(h);
    });
    ro.release();
    zx::println!("handle_duplicate: bad out pointers are INVALID_ARGS, nothing leaked");
}

fn same_object() {
    let h = vmo(2 * 4096, 0);
    let d = dup(h, rights::SAME_RIGHTS);
    assert_ne!(d, h, "duplicate has the same value");
    assert_eq!(
        d & zx::ZX_HANDLE_FIXED_BITS_MASK,
        3,
        "duplicate {:#x} lacks the fixed low bits",
        d
    );
    write(h, b"one", 100);
    let mut b = [0u8; 3];
    read(d, &mut b, 100);
    assert_eq!(
        &b, b"one",
        "write through the original, read through the duplicate"
    );
    write(d, b"two", 4096 + 5);
    read(h, &mut b, 4096 + 5);
    assert_eq!(
        &b, b"two",
        "write through the duplicate, read through the original"
    );
    close(h);
    read(d, &mut b, 100);
    assert_eq!(
        &b, b"one",
        "duplicate still works after the original is closed"
    );
    close(d);
    zx::println!("handle_duplicate: duplicates refer to the same VMO");
}

fn reduced_rights(root: Handle) {
    let h = vmo(4096, vmo_opt::RESIZABLE);
    let mut b = [0u8; 4];

    let none = dup(h, rights::NONE);
    assert_eq!(size_of(none), 4096, "get_size with no rights");
    assert_err(
        zx::vmo_read(none, &mut b, 0),
        ZxStatus::AccessDenied,
        "read with no rights",
    );
    close(none);

    let no_read = dup(h, RESIZABLE_VMO_RIGHTS & !rights::READ);
    assert_err(
        zx::vmo_read(no_read, &mut b, 0),
        ZxStatus::AccessDenied,
        "read without READ",
    );
    assert_eq!(
        zx::vmo_write(no_read, b"abcd", 0),
        Ok(()),
        "write with WRITE, without READ"
    );
    close(no_read);

    let no_write = dup(h, RESIZABLE_VMO_RIGHTS & !rights::WRITE);
    assert_err(
        zx::vmo_write(no_write, b"efgh", 0),
        ZxStatus::AccessDenied,
        "write without WRITE",
    );
    assert_err(
        zx::vmo_set_size(no_write, 8192),
        ZxStatus::AccessDenied,
        "set_size without WRITE",
    );
    assert_eq!(
        zx::vmo_read(no_write, &mut b, 0),
        Ok(()),
        "read with READ, without WRITE"
    );
    assert_eq!(&b, b"abcd", "data written through the no-READ handle");
    close(no_write);

    let no_dup = dup(h, RESIZABLE_VMO_RIGHTS & !rights::DUPLICATE);
    assert_err(
        zx::handle_duplicate(no_dup, rights::SAME_RIGHTS),
        ZxStatus::AccessDenied,
        "duplicate without DUPLICATE",
    );
    close(no_dup);

    let no_map = dup(h, RESIZABLE_VMO_RIGHTS & !rights::MAP);
    assert_no_leak("map without MAP", || {
        assert_err(
            zx::vmar_map(root, vm_opt::PERM_READ, 0, no_map, 0, 4096),
            ZxStatus::AccessDenied,
            "vmar_map without MAP",
        );
    });
    close(no_map);

    // A duplicate of the root VMAR maps like the original.
    let vmar = dup(root, rights::SAME_RIGHTS);
    let addr = match zx::vmar_map(vmar, RW, 0, h, 0, 4096) {
        Ok(a) => a,
        Err(e) => panic!("vmar_map through a duplicated VMAR: {}", e.name()),
    };
    assert_eq!(
        zx::vmar_unmap(root, addr, 4096),
        Ok(()),
        "unmap through the original VMAR handle"
    );
    close(vmar);
    close(h);
    zx::println!("handle_duplicate: rights 0 ok, each removed right is enforced");
}

fn main(root: Handle) -> i64 {
    bad_handles();
    needs_duplicate_right();
    rights_subset();
    bad_out(root);
    same_object();
    reduced_rights(root);
    0
}

zx::entry!(main);
