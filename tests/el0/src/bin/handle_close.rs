//! Tests `zx_handle_close`: ZX_HANDLE_INVALID is OK, a second close and
//! garbage values are BAD_HANDLE, and a VMO's pages come back when its last
//! handle (not an earlier one) is closed.
#![no_std]
#![no_main]

use el0_tests::{assert_no_leak, assert_vmo_bytes, close, dup, vmo, write, zx, GARBAGE_HANDLE};
use zx::{rights, Handle, ZxStatus};

fn invalid_is_ok() {
    assert_eq!(
        zx::handle_close(zx::ZX_HANDLE_INVALID),
        Ok(()),
        "close(ZX_HANDLE_INVALID)"
    );
    assert_eq!(
        zx::handle_close(zx::ZX_HANDLE_INVALID),
        Ok(()),
        "close(ZX_HANDLE_INVALID) again"
    );
    zx::println!("handle_close: ZX_HANDLE_INVALID is OK");
}

fn twice_and_garbage(root: Handle) {
    let h = vmo(4096, 0);
    close(h);
    assert_eq!(
        zx::handle_close(h),
        Err(ZxStatus::BadHandle),
        "second close"
    );
    for g in [GARBAGE_HANDLE, 1, 2, 0xFFFF_FFFF, 0x7FFF_FFFF, h ^ 0x100] {
        if g == root {
            continue; // the one live handle: not garbage
        }
        assert_eq!(
            zx::handle_close(g),
            Err(ZxStatus::BadHandle),
            "close({:#x})",
            g
        );
    }
    zx::println!("handle_close: closed and garbage handles are BAD_HANDLE");
}

fn last_close_frees() {
    assert_no_leak("close last handle", || {
        let h = vmo(8 * 4096, 0);
        for page in [0u64, 3, 7] {
            write(h, &[0x77; 100], page * 4096 + 50);
        }
        close(h);
    });

    // Pages stay while any handle is open.
    assert_no_leak("close two handles", || {
        let h = vmo(4 * 4096, 0);
        let d = dup(h, rights::SAME_RIGHTS);
        let before = zx::free_pages();
        write(h, &[0x42; 2 * 4096], 4096);
        let committed = zx::free_pages();
        assert!(
            committed + 2 <= before,
            "writing two pages took {} pages",
            before - committed
        );
        close(h);
        assert!(
            zx::free_pages() < before,
            "pages freed while a duplicate is open"
        );
        assert_vmo_bytes(d, 4096, 2 * 4096, 0x42, "data through the remaining handle");
        close(d);
    });
    zx::println!("handle_close: closing the last handle returns every page");
}

fn main(root: Handle) -> i64 {
    invalid_is_ok();
    twice_and_garbage(root);
    last_close_frees();
    0
}

zx::entry!(main);
