//! Tests `zx_vmo_get_size` (no rights needed, bad pointers, wrong and bad
//! handles) and `zx_vmo_set_size` (rights checked in order WRITE then
//! RESIZE, non-resizable VMOs UNAVAILABLE, the maximum, rounding, pages
//! freed by shrinking, zeroes after shrink-then-grow).
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, assert_vmo_bytes, close, dup, read_byte, size_of, st, unaligned,
    vmo, write, zx, ReadOnlyPage, BAD_POINTERS, GARBAGE_HANDLE, PAGE, RESIZABLE_VMO_RIGHTS,
};
use zx::{rights, vmo_opt, Handle, ZxStatus, VMO_MAX_SIZE};

fn get_size_needs_no_rights() {
    let h = vmo(3 * 4096 + 1, 0);
    let none = dup(h, rights::NONE);
    assert_eq!(
        size_of(none),
        4 * 4096,
        "get_size through a handle with no rights"
    );
    close(none);
    close(h);
    zx::println!("vmo_get_size: page-rounded, works with no rights");
}

fn get_size_bad_pointers(root: Handle) {
    let h = vmo(4096, 0);
    for (name, ptr) in BAD_POINTERS {
        // SAFETY: `ptr` is not writable by this process; the kernel must
        // reject it without writing, and no Rust memory is touched.
        let r = st(unsafe { zx::raw::vmo_get_size(h, ptr as *mut u64) });
        assert_eq!(
            r,
            Err(ZxStatus::InvalidArgs),
            "vmo_get_size size = {}",
            name
        );
    }
    let mut buf = [0u64; 4];
    let odd = unaligned::<u64>(&mut buf);
    // SAFETY: `odd` lies inside `buf`; the kernel must reject it as
    // unaligned, and Rust does not look at `buf` until after the call.
    let r = st(unsafe { zx::raw::vmo_get_size(h, odd) });
    assert_eq!(r, Err(ZxStatus::InvalidArgs), "vmo_get_size size unaligned");
    assert_eq!(buf, [0; 4], "the kernel wrote through an unaligned pointer");

    let ro = ReadOnlyPage::new(root);
    // SAFETY: the page is mapped read-only: the kernel must not write it.
    let r = st(unsafe { zx::raw::vmo_get_size(h, ro.addr() as *mut u64) });
    assert_eq!(
        r,
        Err(ZxStatus::InvalidArgs),
        "vmo_get_size size in a read-only mapping"
    );
    assert_eq!(ro.map.read_u64(0), 0, "the read-only page was written");
    ro.release();
    close(h);
    zx::println!("vmo_get_size: bad size pointers are INVALID_ARGS");
}

fn get_size_bad_handles(root: Handle) {
    assert_err(
        zx::vmo_get_size(root),
        ZxStatus::WrongType,
        "vmo_get_size(root VMAR)",
    );
    let closed = vmo(4096, 0);
    close(closed);
    for h in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
        assert_err(
            zx::vmo_get_size(h),
            ZxStatus::BadHandle,
            "vmo_get_size(invalid handle)",
        );
    }
    zx::println!("vmo_get_size: WRONG_TYPE for a VMAR, BAD_HANDLE for invalid handles");
}

fn set_size_rights() {
    let fixed = vmo(4096, 0);
    let resizable = vmo(4096, vmo_opt::RESIZABLE);

    // WRITE is checked first, whatever else the handle or the VMO is.
    let no_write = dup(fixed, rights::DEFAULT_VMO & !rights::WRITE);
    assert_err(
        zx::vmo_set_size(no_write, 8192),
        ZxStatus::AccessDenied,
        "set_size, non-resizable, no WRITE",
    );
    close(no_write);
    let no_write = dup(resizable, RESIZABLE_VMO_RIGHTS & !rights::WRITE);
    assert_err(
        zx::vmo_set_size(no_write, 8192),
        ZxStatus::AccessDenied,
        "set_size, resizable, no WRITE",
    );
    close(no_write);

    // A resizable VMO needs RESIZE too.
    let no_resize = dup(resizable, RESIZABLE_VMO_RIGHTS & !rights::RESIZE);
    assert_err(
        zx::vmo_set_size(no_resize, 8192),
        ZxStatus::AccessDenied,
        "set_size, resizable, no RESIZE",
    );
    close(no_resize);

    // A non-resizable VMO never resizes, even with every right it can have.
    assert_err(
        zx::vmo_set_size(fixed, 8192),
        ZxStatus::Unavailable,
        "set_size, non-resizable",
    );
    assert_err(
        zx::vmo_set_size(fixed, 4096),
        ZxStatus::Unavailable,
        "set_size to the same size, non-resizable",
    );
    assert_eq!(size_of(fixed), 4096, "failed set_size changed the size");

    let resize_only_needed = dup(resizable, rights::WRITE | rights::RESIZE);
    assert_eq!(
        zx::vmo_set_size(resize_only_needed, 8192),
        Ok(()),
        "set_size with WRITE|RESIZE"
    );
    assert_eq!(
        size_of(resizable),
        8192,
        "size seen through the other handle"
    );
    close(resize_only_needed);

    close(fixed);
    close(resizable);
    zx::println!("vmo_set_size: WRITE then RESIZE needed, non-resizable UNAVAILABLE");
}

fn set_size_bad_handles(root: Handle) {
    assert_err(
        zx::vmo_set_size(root, 4096),
        ZxStatus::WrongType,
        "vmo_set_size(root VMAR)",
    );
    let closed = vmo(4096, vmo_opt::RESIZABLE);
    close(closed);
    for h in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
        assert_err(
            zx::vmo_set_size(h, 4096),
            ZxStatus::BadHandle,
            "vmo_set_size(invalid handle)",
        );
    }
    zx::println!("vmo_set_size: WRONG_TYPE for a VMAR, BAD_HANDLE for invalid handles");
}

fn set_size_values() {
    assert_no_leak("set_size values", || {
        let h = vmo(4096, vmo_opt::RESIZABLE);
        for (size, rounded) in [
            (5000u64, 8192u64),
            (1, 4096),
            (0, 0),
            (1 << 40, 1 << 40),
            (VMO_MAX_SIZE, VMO_MAX_SIZE),
        ] {
            assert_eq!(zx::vmo_set_size(h, size), Ok(()), "set_size({:#x})", size);
            assert_eq!(size_of(h), rounded, "size after set_size({:#x})", size);
        }
        for size in [VMO_MAX_SIZE + 1, u64::MAX - 4095, u64::MAX] {
            assert_err(
                zx::vmo_set_size(h, size),
                ZxStatus::OutOfRange,
                "set_size(too big)",
            );
            assert_eq!(size_of(h), VMO_MAX_SIZE, "failed set_size changed the size");
        }
        close(h);
    });
    zx::println!("vmo_set_size: rounds up, maximum ok (lazily), above it OUT_OF_RANGE");
}

fn shrink_frees_pages() {
    assert_no_leak("shrink", || {
        let h = vmo(4 * 4096, vmo_opt::RESIZABLE);
        let before_writes = zx::free_pages();
        for page in 0..4u64 {
            write(h, &[0xA0 + page as u8; 16], page * 4096 + 100);
        }
        let committed = zx::free_pages();
        assert!(
            committed + 4 <= before_writes,
            "writing 4 pages took {} pages",
            before_writes - committed
        );

        assert_eq!(zx::vmo_set_size(h, 4096), Ok(()), "shrink to one page");
        let shrunk = zx::free_pages();
        assert!(
            shrunk >= committed + 3,
            "shrinking from 4 to 1 page freed {} pages, expected at least 3",
            shrunk.saturating_sub(committed)
        );
        assert_eq!(read_byte(h, 100), 0xA0, "page 0 kept its data");
        let mut b = [0u8; 1];
        assert_err(
            zx::vmo_read(h, &mut b, 4096),
            ZxStatus::OutOfRange,
            "read past the shrunk end",
        );

        // Grow back: the old bytes beyond the shrink point are gone.
        assert_eq!(zx::vmo_set_size(h, 4 * 4096), Ok(()), "grow to 4 pages");
        assert_vmo_bytes(h, 4096, 3 * 4096, 0, "grown part");
        assert_eq!(
            read_byte(h, 100),
            0xA0,
            "page 0 kept its data after growing"
        );
        close(h);
    });
    zx::println!("vmo_set_size: shrinking frees pages, regrown part reads zero");
}

fn shrink_mid_page_then_grow() {
    assert_no_leak("shrink mid-page", || {
        let h = vmo(2 * 4096, vmo_opt::RESIZABLE);
        let pattern = [0x5Au8; PAGE];
        write(h, &pattern, 0);
        write(h, &pattern, 4096);
        // 4097 rounds up to 8192: nothing is cut.
        assert_eq!(zx::vmo_set_size(h, 4097), Ok(()), "set_size(4097)");
        assert_eq!(size_of(h), 8192, "size after set_size(4097)");
        assert_eq!(zx::vmo_set_size(h, 4096), Ok(()), "set_size(4096)");
        assert_eq!(zx::vmo_set_size(h, 3 * 4096), Ok(()), "set_size(3 pages)");
        assert_vmo_bytes(h, 0, 4096, 0x5A, "first page after shrink and grow");
        assert_vmo_bytes(h, 4096, 2 * 4096, 0, "bytes beyond the shrink point");
        close(h);
    });
    zx::println!("vmo_set_size: shrink then grow zeroes what was cut");
}

fn main(root: Handle) -> i64 {
    get_size_needs_no_rights();
    get_size_bad_pointers(root);
    get_size_bad_handles(root);
    set_size_rights();
    set_size_bad_handles(root);
    set_size_values();
    shrink_frees_pages();
    shrink_mid_page_then_grow();
    0
}

zx::entry!(main);
