//! Tests `zx_handle_close_many`: an empty list and ZX_HANDLE_INVALID are OK;
//! every handle listed is closed even when others are invalid or repeated
//! (then BAD_HANDLE); a list longer than the kernel's copy chunk works; an
//! unreadable list is INVALID_ARGS; the pages of VMOs whose last handle was
//! in the list come back.
#![no_std]
#![no_main]

use el0_tests::{assert_no_leak, dup, vmo, write, zx, GARBAGE_HANDLE, PAGE};
use zx::{rights, Handle, ZxStatus};

/// Whether `h` still names an object.
fn is_valid(h: Handle) -> bool {
    zx::object_get_info(h, zx::topic::HANDLE_VALID, &mut []).is_ok()
}

fn empty_and_invalid() {
    assert_eq!(zx::handle_close_many(&[]), Ok(()), "empty list");
    // SAFETY: zero handles: the kernel reads nothing, NULL included.
    let r = unsafe { zx::raw::handle_close_many(core::ptr::null(), 0) };
    assert_eq!(zx::to_result(r), Ok(()), "NULL with count 0");
    assert_eq!(
        zx::handle_close_many(&[zx::ZX_HANDLE_INVALID; 3]),
        Ok(()),
        "only ZX_HANDLE_INVALID"
    );
    zx::println!("handle_close_many: an empty list and ZX_HANDLE_INVALID are OK");
}

fn closes_all_listed() {
    assert_no_leak("close_many", || {
        let a = vmo(4 * PAGE as u64, 0);
        let b = vmo(PAGE as u64, 0);
        write(a, &[1; 3 * PAGE], 0);
        write(b, &[2; 10], 0);
        assert_eq!(
            zx::handle_close_many(&[a, zx::ZX_HANDLE_INVALID, b]),
            Ok(())
        );
        assert!(!is_valid(a) && !is_valid(b), "listed handles are closed");
    });
    zx::println!("handle_close_many: listed handles close, their pages come back");
}

fn bad_entries_close_the_rest() {
    assert_no_leak("close_many with bad entries", || {
        let a = vmo(PAGE as u64, 0);
        let b = vmo(PAGE as u64, 0);
        let c = dup(b, rights::SAME_RIGHTS);
        assert_eq!(
            zx::handle_close_many(&[a, GARBAGE_HANDLE, b]),
            Err(ZxStatus::BadHandle),
            "a garbage entry"
        );
        assert!(
            !is_valid(a) && !is_valid(b),
            "the valid ones are still closed"
        );
        assert!(is_valid(c), "an unlisted duplicate stays open");
        assert_eq!(
            zx::handle_close_many(&[c, c]),
            Err(ZxStatus::BadHandle),
            "the same handle twice"
        );
        assert!(!is_valid(c), "the repeated handle is closed once");
    });
    zx::println!("handle_close_many: garbage or repeated entries are BAD_HANDLE, the rest close");
}

fn long_list() {
    assert_no_leak("close_many long list", || {
        let v = vmo(PAGE as u64, 0);
        let mut hs = [0 as Handle; 150];
        for h in hs.iter_mut() {
            *h = dup(v, rights::SAME_RIGHTS);
        }
        zx::handle_close(v).expect("close the original");
        assert_eq!(zx::handle_close_many(&hs), Ok(()), "150 handles");
        assert!(hs.iter().all(|&h| !is_valid(h)), "every one closed");
    });
    zx::println!("handle_close_many: a list longer than one copy chunk closes every handle");
}

fn unreadable_list() {
    let v = vmo(PAGE as u64, 0);
    for (what, ptr) in el0_tests::BAD_POINTERS {
        // SAFETY: the kernel must refuse to read through these pointers.
        let r = unsafe { zx::raw::handle_close_many(ptr as *const Handle, 2) };
        assert_eq!(zx::to_result(r), Err(ZxStatus::InvalidArgs), "{}", what);
    }
    assert!(is_valid(v), "nothing was closed");
    zx::handle_close(v).expect("close");
    zx::println!("handle_close_many: an unreadable list is INVALID_ARGS");
}

fn main(_root: Handle) -> i64 {
    empty_and_invalid();
    closes_all_listed();
    bad_entries_close_the_rest();
    long_list();
    unreadable_list();
    0
}

zx::entry!(main);
