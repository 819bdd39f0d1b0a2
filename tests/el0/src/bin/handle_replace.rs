//! Tests `zx_handle_replace`: bad handles are left alone (BAD_HANDLE);
//! otherwise the old handle is always consumed, on success and on
//! INVALID_ARGS (rights not a subset, bad `out`); the new handle has
//! exactly the requested rights; no rights are needed to replace.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, close, dup, read, size_of, st, vmo, write, zx, BAD_POINTERS,
    GARBAGE_HANDLE,
};
use zx::{rights, Handle, ZxStatus};

fn assert_closed(h: Handle, what: &str) {
    assert_err(zx::handle_close(h), ZxStatus::BadHandle, what);
}

fn bad_handles() {
    let closed = vmo(4096, 0);
    close(closed);
    for h in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
        assert_err(
            zx::handle_replace(h, rights::SAME_RIGHTS),
            ZxStatus::BadHandle,
            "replace(invalid)",
        );
    }
    zx::println!("handle_replace: invalid handles are BAD_HANDLE");
}

fn success() {
    assert_no_leak("replace", || {
        let h = vmo(4096, 0);
        write(h, b"keep", 0);
        let r = match zx::handle_replace(h, rights::READ | rights::DUPLICATE) {
            Ok(r) => r,
            Err(e) => panic!("replace with fewer rights: {}", e.name()),
        };
        assert_eq!(
            r & zx::ZX_HANDLE_FIXED_BITS_MASK,
            3,
            "replacement {:#x} lacks the fixed low bits",
            r
        );
        assert_closed(h, "old handle after replace");
        let mut b = [0u8; 4];
        read(r, &mut b, 0);
        assert_eq!(&b, b"keep", "replacement refers to the same VMO");
        assert_err(
            zx::vmo_write(r, b"lost", 0),
            ZxStatus::AccessDenied,
            "write through a READ-only replacement",
        );
        assert_err(
            zx::handle_duplicate(r, rights::READ | rights::WRITE),
            ZxStatus::InvalidArgs,
            "replacement has more rights than asked",
        );

        let same = match zx::handle_replace(r, rights::SAME_RIGHTS) {
            Ok(s) => s,
            Err(e) => panic!("replace with SAME_RIGHTS: {}", e.name()),
        };
        assert_closed(r, "old handle after replace(SAME_RIGHTS)");
        read(same, &mut b, 0);
        assert_eq!(&b, b"keep", "SAME_RIGHTS replacement reads");
        close(same);
    });
    zx::println!("handle_replace: new handle with the asked rights, old one gone");
}

fn needs_no_rights() {
    assert_no_leak("replace without rights", || {
        let h = vmo(4096, 0);
        let none = dup(h, rights::NONE);
        let none2 = match zx::handle_replace(none, rights::NONE) {
            Ok(n) => n,
            Err(e) => panic!("replace of a handle with no rights: {}", e.name()),
        };
        assert_closed(none, "old no-rights handle");
        assert_eq!(size_of(none2), 4096, "replacement works");
        close(none2);
        close(h);
    });
    zx::println!("handle_replace: needs no rights");
}

fn not_subset_consumes() {
    assert_no_leak("replace with too many rights", || {
        let h = vmo(4096, 0);
        write(h, &[9], 0);
        let d = dup(h, rights::READ);
        assert_err(
            zx::handle_replace(d, rights::READ | rights::WRITE),
            ZxStatus::InvalidArgs,
            "replace gaining WRITE",
        );
        assert_closed(d, "handle after a failed replace");
        // The only handle: the VMO dies with it, and its page comes back.
        assert_err(
            zx::handle_replace(h, rights::DEFAULT_VMO | rights::EXECUTE),
            ZxStatus::InvalidArgs,
            "replace gaining EXECUTE",
        );
        assert_closed(h, "last handle after a failed replace");
    });
    zx::println!("handle_replace: rights not a subset are INVALID_ARGS and consume the handle");
}

fn bad_out_consumes() {
    for (name, ptr) in BAD_POINTERS {
        assert_no_leak(name, || {
            let h = vmo(4096, 0);
            write(h, &[9], 0);
            // SAFETY: `ptr` is not writable by this process; the kernel must
            // reject it without writing, and no Rust memory is touched.
            let r =
                st(unsafe { zx::raw::handle_replace(h, rights::SAME_RIGHTS, ptr as *mut Handle) });
            assert_eq!(r, Err(ZxStatus::InvalidArgs), "replace out = {}", name);
            assert_closed(h, "handle after replace with a bad out");
        });
    }
    zx::println!("handle_replace: bad out pointers are INVALID_ARGS and consume the handle");
}

fn main(_root: Handle) -> i64 {
    bad_handles();
    success();
    needs_no_rights();
    not_subset_consumes();
    bad_out_consumes();
    0
}

zx::entry!(main);
