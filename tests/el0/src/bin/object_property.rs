//! Tests `zx_object_get_property` and `zx_object_set_property`: NULL values
//! (INVALID_ARGS before the handle is looked at), bad handles, the
//! GET_PROPERTY / SET_PROPERTY rights, unknown properties, bad value
//! pointers; `ZX_PROP_NAME` (32 bytes NUL-padded, truncated to 31, cut at
//! the first NUL, emptied by size 0); `ZX_PROP_VMO_CONTENT_SIZE` (the
//! unrounded create size, WRITE needed to set it, accepted past the
//! VMO's size, bytes past a smaller content size zeroed, set by
//! `zx_vmo_set_size`).
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, assert_vmo_bytes, close, content_size, dup, get_name, name32,
    set_content_size, set_name, size_of, st, vmo, write, zx, ReadOnlyPage, BAD_POINTERS,
    GARBAGE_HANDLE,
};
use zx::{prop, rights, vmo_opt, Handle, ZxStatus};

/// Both calls with a raw value pointer.
fn raw_get(h: Handle, property: u32, value: usize, size: usize) -> zx::Status {
    // SAFETY: callers pass either an address the kernel must refuse (no
    // Rust memory touched) or a live buffer of at least `size` bytes.
    st(unsafe { zx::raw::object_get_property(h, property, value as *mut u8, size) })
}

fn raw_set(h: Handle, property: u32, value: usize, size: usize) -> zx::Status {
    // SAFETY: the kernel only reads from `value`; callers pass addresses the
    // kernel must refuse or live memory of at least `size` bytes.
    st(unsafe { zx::raw::object_set_property(h, property, value as *const u8, size) })
}

fn null_value_first(root: Handle) {
    let h = vmo(4096, 0);
    let closed = vmo(4096, 0);
    close(closed);
    for target in [h, root, zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
        for (p, size) in [(prop::NAME, 32), (prop::VMO_CONTENT_SIZE, 8)] {
            assert_eq!(
                raw_get(target, p, 0, size),
                Err(ZxStatus::InvalidArgs),
                "get_property(handle {:#x}, property {}, NULL)",
                target,
                p
            );
            assert_eq!(
                raw_set(target, p, 0, size),
                Err(ZxStatus::InvalidArgs),
                "set_property(handle {:#x}, property {}, NULL)",
                target,
                p
            );
        }
    }
    // Even with size 0.
    assert_eq!(
        raw_set(h, prop::NAME, 0, 0),
        Err(ZxStatus::InvalidArgs),
        "set_property(NAME, NULL, 0)"
    );
    close(h);
    zx::println!("object_property: a NULL value is INVALID_ARGS, checked before the handle");
}

fn handle_and_rights(root: Handle) {
    let mut buf = [0u8; 32];
    let closed = vmo(4096, 0);
    close(closed);
    for h in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
        for p in [prop::NAME, prop::VMO_CONTENT_SIZE] {
            assert_err(
                zx::object_get_property(h, p, &mut buf),
                ZxStatus::BadHandle,
                "get_property(invalid handle)",
            );
            assert_err(
                zx::object_set_property(h, p, &buf[..8]),
                ZxStatus::BadHandle,
                "set_property(invalid handle)",
            );
        }
    }
    // The root VMAR handle has neither GET_PROPERTY nor SET_PROPERTY.
    assert_eq!(rights::ROOT_VMAR & rights::PROPERTY, 0);
    for p in [prop::NAME, prop::VMO_CONTENT_SIZE] {
        assert_err(
            zx::object_get_property(root, p, &mut buf),
            ZxStatus::AccessDenied,
            "get_property(root VMAR)",
        );
        assert_err(
            zx::object_set_property(root, p, &buf[..8]),
            ZxStatus::AccessDenied,
            "set_property(root VMAR)",
        );
    }

    let h = vmo(4096, 0);
    set_name(h, b"before");
    let no_get = dup(h, rights::DEFAULT_VMO & !rights::GET_PROPERTY);
    let no_set = dup(h, rights::DEFAULT_VMO & !rights::SET_PROPERTY);
    for p in [prop::NAME, prop::VMO_CONTENT_SIZE] {
        assert_err(
            zx::object_get_property(no_get, p, &mut buf),
            ZxStatus::AccessDenied,
            "get_property without GET_PROPERTY",
        );
        assert_err(
            zx::object_set_property(no_set, p, &4096u64.to_le_bytes()),
            ZxStatus::AccessDenied,
            "set_property without SET_PROPERTY",
        );
    }
    // Each handle still does what its rights allow.
    set_name(no_get, b"after");
    assert_eq!(
        get_name(no_set),
        name32(b"after"),
        "name set through no_get"
    );
    close(no_get);
    close(no_set);

    let get_only = dup(h, rights::GET_PROPERTY);
    assert_eq!(get_name(get_only), name32(b"after"), "GET_PROPERTY alone");
    assert_eq!(
        content_size(get_only),
        4096,
        "content size, GET_PROPERTY alone"
    );
    close(get_only);
    close(h);
    zx::println!("object_property: BAD_HANDLE, and ACCESS_DENIED without GET/SET_PROPERTY");
}

fn unknown_properties() {
    let h = vmo(4096, 0);
    let mut buf = [0u8; 32];
    for p in [0, 1, 2, 99, u32::MAX] {
        assert_err(
            zx::object_get_property(h, p, &mut buf),
            ZxStatus::NotSupported,
            "get_property(unknown property)",
        );
        assert_err(
            zx::object_set_property(h, p, &buf),
            ZxStatus::NotSupported,
            "set_property(unknown property)",
        );
    }
    close(h);
    zx::println!("object_property: unknown properties are NOT_SUPPORTED");
}

fn bad_value_pointers(root: Handle) {
    let h = vmo(8192, 0);
    set_name(h, b"unchanged");
    for (name, bad) in BAD_POINTERS {
        if bad == 0 {
            continue;
        }
        for (p, size) in [(prop::NAME, 32), (prop::VMO_CONTENT_SIZE, 8)] {
            assert_eq!(
                raw_get(h, p, bad, size),
                Err(ZxStatus::InvalidArgs),
                "get_property(property {}, value = {})",
                p,
                name
            );
            assert_eq!(
                raw_set(h, p, bad, size),
                Err(ZxStatus::InvalidArgs),
                "set_property(property {}, value = {})",
                p,
                name
            );
        }
    }
    // A read-only page can be read from but not written.
    let ro = ReadOnlyPage::new(root);
    for (p, size) in [(prop::NAME, 32), (prop::VMO_CONTENT_SIZE, 8)] {
        assert_eq!(
            raw_get(h, p, ro.addr(), size),
            Err(ZxStatus::InvalidArgs),
            "get_property(property {}) into a read-only page",
            p
        );
    }
    assert_eq!(ro.map.read_u64(0), 0, "read-only page was written");
    ro.release();
    assert_eq!(get_name(h), name32(b"unchanged"), "name after failed sets");
    assert_eq!(content_size(h), 8192, "content size after failed sets");
    close(h);
    zx::println!("object_property: bad value pointers are INVALID_ARGS and change nothing");
}

fn name_property() {
    let h = vmo(4096, 0);
    assert_eq!(get_name(h), [0u8; 32], "a new VMO's name");

    let mut small = [0xEEu8; 31];
    assert_err(
        zx::object_get_property(h, prop::NAME, &mut small),
        ZxStatus::BufferTooSmall,
        "get NAME into 31 bytes",
    );
    assert_err(
        zx::object_get_property(h, prop::NAME, &mut small[..0]),
        ZxStatus::BufferTooSmall,
        "get NAME into 0 bytes",
    );

    set_name(h, b"hello");
    assert_eq!(get_name(h), name32(b"hello"), "short name, NUL-padded");
    let mut big = [0xEEu8; 40];
    assert_eq!(
        zx::object_get_property(h, prop::NAME, &mut big),
        Ok(()),
        "get NAME into 40 bytes"
    );
    assert_eq!(&big[..32], &name32(b"hello"), "name in a 40-byte buffer");

    // A shorter name leaves nothing of the longer one behind.
    set_name(h, b"a-much-longer-name");
    set_name(h, b"x");
    assert_eq!(get_name(h), name32(b"x"), "shorter name after a longer one");

    let long = b"0123456789abcdefghijklmnopqrstuvwxyzABCD"; // 40 bytes
    set_name(h, long);
    let got = get_name(h);
    assert_eq!(&got[..31], &long[..31], "long name truncated to 31 bytes");
    assert_eq!(got[31], 0, "byte 31 of a truncated name");
    set_name(h, &long[..31]);
    assert_eq!(get_name(h), name32(&long[..31]), "31-byte name kept whole");
    set_name(h, &long[..32]);
    assert_eq!(get_name(h), name32(&long[..31]), "32-byte name truncated");

    set_name(h, b"ab\0cd");
    assert_eq!(get_name(h), name32(b"ab"), "name stops at the first NUL");
    set_name(h, b"\0xyz");
    assert_eq!(get_name(h), [0u8; 32], "name starting with NUL is empty");

    set_name(h, b"again");
    set_name(h, b"");
    assert_eq!(get_name(h), [0u8; 32], "empty name");

    set_name(h, b"again");
    let buf = [b'z'; 8];
    assert_eq!(
        raw_set(h, prop::NAME, buf.as_ptr() as usize, 0),
        Ok(()),
        "set NAME with value_size 0"
    );
    assert_eq!(get_name(h), [0u8; 32], "name after value_size 0");

    // The name belongs to the object, not the handle.
    let d = dup(h, rights::SAME_RIGHTS);
    set_name(d, b"shared");
    assert_eq!(
        get_name(h),
        name32(b"shared"),
        "name set through a duplicate"
    );
    close(d);
    close(h);
    zx::println!("object_property: NAME is 32 bytes NUL-padded, truncated to 31, stops at NUL");
}

fn content_size_property() {
    for (create, expected_size) in [(5000, 8192), (0, 0), (4096, 4096), (1, 4096)] {
        let h = vmo(create, 0);
        assert_eq!(size_of(h), expected_size, "size of vmo_create({})", create);
        assert_eq!(
            content_size(h),
            create,
            "content size of vmo_create({})",
            create
        );
        close(h);
    }

    let h = vmo(8192, 0);
    let mut small = [0u8; 7];
    assert_err(
        zx::object_get_property(h, prop::VMO_CONTENT_SIZE, &mut small),
        ZxStatus::BufferTooSmall,
        "get VMO_CONTENT_SIZE into 7 bytes",
    );
    assert_err(
        zx::object_set_property(h, prop::VMO_CONTENT_SIZE, &small),
        ZxStatus::BufferTooSmall,
        "set VMO_CONTENT_SIZE from 7 bytes",
    );

    // Setting needs WRITE as well as SET_PROPERTY.
    let no_write = dup(h, rights::DEFAULT_VMO & !rights::WRITE);
    assert_err(
        set_content_size(no_write, 100),
        ZxStatus::AccessDenied,
        "set VMO_CONTENT_SIZE without WRITE",
    );
    assert_eq!(content_size(no_write), 8192, "get needs no WRITE");
    close(no_write);

    // Zircon lets the content size pass the VMO's size (nothing to zero).
    for big in [8193, 12288, u64::MAX] {
        assert_eq!(
            set_content_size(h, big),
            Ok(()),
            "content size {} past the VMO's size",
            big
        );
        assert_eq!(content_size(h), big, "content size after setting {}", big);
        assert_eq!(size_of(h), 8192, "VMO size after a large content size");
    }

    for ok in [0, 1, 4096, 5000, 8192] {
        assert_eq!(set_content_size(h, ok), Ok(()), "set content size {}", ok);
        assert_eq!(content_size(h), ok, "content size after setting {}", ok);
        assert_eq!(size_of(h), 8192, "VMO size after content size {}", ok);
    }
    close(h);
    zx::println!(
        "object_property: VMO_CONTENT_SIZE is the create size; set needs WRITE, may pass the size"
    );
}

fn content_size_zeroes_tail() {
    let h = vmo(3 * 4096, 0);
    let ones = [0xAAu8; 4096];
    for page in 0..3 {
        write(h, &ones, page * 4096);
    }
    assert_eq!(set_content_size(h, 100), Ok(()), "set content size 100");
    assert_vmo_bytes(h, 0, 100, 0xAA, "bytes below the content size");
    assert_vmo_bytes(h, 100, 3 * 4096 - 100, 0, "bytes past the content size");

    // Growing the content size again does not bring the bytes back.
    assert_eq!(set_content_size(h, 3 * 4096), Ok(()), "grow content size");
    assert_vmo_bytes(h, 100, 3 * 4096 - 100, 0, "bytes after growing back");
    close(h);
    zx::println!("object_property: a smaller content size zeroes [content size, VMO size)");
}

fn set_size_sets_content_size() {
    let h = vmo(4096, vmo_opt::RESIZABLE);
    for new in [5000, 12289, 4096, 1, 0, 8192] {
        assert_eq!(zx::vmo_set_size(h, new), Ok(()), "vmo_set_size({})", new);
        assert_eq!(content_size(h), new, "content size after set_size({})", new);
    }
    close(h);
    zx::println!("object_property: vmo_set_size sets the content size, unrounded");
}

fn main(root: Handle) -> i64 {
    assert_no_leak("object_property", || {
        null_value_first(root);
        handle_and_rights(root);
        unknown_properties();
        bad_value_pointers(root);
        name_property();
        content_size_property();
        content_size_zeroes_tail();
        set_size_sets_content_size();
    });
    0
}

zx::entry!(main);
