//! Tests `zx_vmo_get_stream_size` and `zx_vmo_set_stream_size` (the content
//! size under Zircon's newer name) and `ZX_VMO_UNBOUNDED`:
//! - get needs no rights; set needs WRITE; BAD_HANDLE, WRONG_TYPE, and bad
//!   out-pointers INVALID_ARGS;
//! - set shrinks and grows within the VMO, zeroing from the smaller of the
//!   old and new size to the VMO's end (a grown stream reads zeroes past its
//!   old end); past the VMO's size it is OUT_OF_RANGE, resizable or not, and
//!   changes nothing; the stream size is the content size property;
//! - an unbounded VMO is as large as a VMO may be (get_size, ZX_INFO_VMO),
//!   not resizable (set_size UNAVAILABLE, no RESIZE right), its stream size
//!   starts at the size given, which may not pass the maximum
//!   (OUT_OF_RANGE); with RESIZABLE it is INVALID_ARGS; it holds data far
//!   out and frees it when closed.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, assert_vmo_bytes, close, content_size, dup, read_byte, rights_of,
    set_content_size, size_of, st, vmo, vmo_info, write, zx, BAD_POINTERS, GARBAGE_HANDLE, PAGE,
};
use zx::stream::{vmo_get_stream_size, vmo_set_stream_size};
use zx::{rights, vmo_opt, Handle, VmoInfoFlags, ZxStatus, VMO_MAX_SIZE};

const P: u64 = PAGE as u64;

fn stream_size(h: Handle) -> u64 {
    match vmo_get_stream_size(h) {
        Ok(s) => s,
        Err(e) => panic!("vmo_get_stream_size: {}", e.name()),
    }
}

fn get_rights_and_errors(root: Handle) {
    let h = vmo(3 * P + 5, 0);
    assert_eq!(stream_size(h), 3 * P + 5, "a new VMO's stream size");
    let none = dup(h, rights::NONE);
    assert_eq!(
        stream_size(none),
        3 * P + 5,
        "get through a handle with no rights"
    );
    close(none);
    assert_err(
        vmo_get_stream_size(root),
        ZxStatus::WrongType,
        "get(root VMAR)",
    );
    let closed = vmo(P, 0);
    close(closed);
    for bad in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
        assert_err(
            vmo_get_stream_size(bad),
            ZxStatus::BadHandle,
            "get(bad handle)",
        );
        assert_err(
            vmo_set_stream_size(bad, 0),
            ZxStatus::BadHandle,
            "set(bad handle)",
        );
    }
    for (name, ptr) in BAD_POINTERS {
        // SAFETY: the pointer is not writable by this process; the kernel
        // must refuse it without touching Rust memory.
        let r = st(unsafe { zx::raw::vmo_get_stream_size(h, ptr as *mut u64) });
        assert_eq!(
            r,
            Err(ZxStatus::InvalidArgs),
            "get stream size into {}",
            name
        );
    }
    close(h);
    zx::println!("vmo_get_stream_size: no rights needed; BAD_HANDLE, WRONG_TYPE, INVALID_ARGS");
}

fn set_rights() {
    let h = vmo(2 * P, 0);
    let ro = dup(h, rights::DEFAULT_VMO & !rights::WRITE);
    assert_err(
        vmo_set_stream_size(ro, 5),
        ZxStatus::AccessDenied,
        "set without WRITE",
    );
    assert_eq!(
        stream_size(h),
        2 * P,
        "a refused set changed the stream size"
    );
    let wo = dup(h, rights::WRITE);
    assert_eq!(vmo_set_stream_size(wo, 5), Ok(()), "set with WRITE alone");
    assert_eq!(stream_size(h), 5);
    close(wo);
    close(ro);
    assert_err(
        vmo_set_stream_size(zx::root_vmar(), 0),
        ZxStatus::WrongType,
        "set(root VMAR)",
    );
    close(h);
    zx::println!("vmo_set_stream_size: needs WRITE (RESIZE not), WRONG_TYPE for a VMAR");
}

fn shrink_and_grow_zero() {
    assert_no_leak("stream size shrink/grow", || {
        let h = vmo(3 * P, 0);
        write(h, &[0x11; 3 * PAGE], 0);
        // Shrink: everything from the new size on is zero.
        assert_eq!(vmo_set_stream_size(h, P + 100), Ok(()));
        assert_eq!(stream_size(h), P + 100);
        assert_eq!(
            content_size(h),
            P + 100,
            "the content size property is the stream size"
        );
        assert_eq!(size_of(h), 3 * P, "the VMO keeps its size");
        assert_vmo_bytes(h, 0, P + 100, 0x11, "bytes below the new stream size");
        assert_vmo_bytes(h, P + 100, 2 * P - 100, 0, "bytes cut off");
        // Bytes written past the stream size are zeroed when it grows.
        write(h, &[0x22; 64], 2 * P);
        assert_eq!(vmo_set_stream_size(h, 2 * P + 10), Ok(()));
        assert_eq!(
            read_byte(h, 2 * P),
            0,
            "grown stream: old bytes past the end read zero"
        );
        assert_vmo_bytes(h, P + 100, P + 10, 0, "the grown range");
        assert_vmo_bytes(h, 0, P + 100, 0x11, "bytes kept");
        // The same size again changes nothing (no zeroing).
        write(h, &[0x33; 8], 2 * P + 20);
        assert_eq!(vmo_set_stream_size(h, 2 * P + 10), Ok(()));
        assert_eq!(
            read_byte(h, 2 * P + 20),
            0x33,
            "setting the same size zeroed"
        );
        // Up to the VMO's size, not past it.
        assert_eq!(vmo_set_stream_size(h, 3 * P), Ok(()));
        assert_eq!(stream_size(h), 3 * P);
        for bad in [3 * P + 1, 4 * P, u64::MAX] {
            assert_err(
                vmo_set_stream_size(h, bad),
                ZxStatus::OutOfRange,
                "set past the VMO",
            );
        }
        assert_eq!(
            stream_size(h),
            3 * P,
            "a refused set changed the stream size"
        );
        assert_eq!(vmo_set_stream_size(h, 0), Ok(()));
        assert_vmo_bytes(h, 0, 3 * P, 0, "stream size 0: all zero");
        close(h);
        // A resizable VMO is not resized by it either.
        let r = vmo(P, vmo_opt::RESIZABLE);
        assert_err(
            vmo_set_stream_size(r, 2 * P),
            ZxStatus::OutOfRange,
            "resizable, past",
        );
        assert_eq!(size_of(r), P, "set_stream_size resized the VMO");
        assert_eq!(stream_size(r), P);
        // The content size property set beyond the VMO is the stream size.
        assert_eq!(set_content_size(r, 5 * P), Ok(()));
        assert_eq!(stream_size(r), 5 * P);
        close(r);
    });
    zx::println!(
        "vmo_set_stream_size: zeroes from min(old, new) to the end; OUT_OF_RANGE past the VMO"
    );
}

fn unbounded() {
    assert_no_leak("unbounded VMOs", || {
        let h = vmo(3000, vmo_opt::UNBOUNDED);
        assert_eq!(size_of(h), VMO_MAX_SIZE, "an unbounded VMO's size");
        assert_eq!(stream_size(h), 3000, "its stream size is the size given");
        let info = vmo_info(h);
        assert_eq!(info.size_bytes, VMO_MAX_SIZE, "ZX_INFO_VMO size_bytes");
        assert_eq!(
            info.flags & VmoInfoFlags::RESIZABLE.bits(),
            0,
            "not resizable"
        );
        assert_eq!(rights_of(h), rights::DEFAULT_VMO, "no RESIZE right");
        assert_err(
            zx::vmo_set_size(h, P),
            ZxStatus::Unavailable,
            "set_size(unbounded)",
        );
        // Far out: the stream size may be set there; growing zeroes what
        // was written past the old one, shrinking keeps what lies below.
        let far = VMO_MAX_SIZE - P;
        write(h, b"far", far);
        assert_eq!(read_byte(h, far + 2), b'r');
        assert_eq!(vmo_set_stream_size(h, far + 3), Ok(()));
        assert_eq!(stream_size(h), far + 3);
        assert_eq!(
            read_byte(h, far),
            0,
            "grown over bytes past the old stream size"
        );
        write(h, b"far", far);
        assert_eq!(vmo_set_stream_size(h, far + 2), Ok(()));
        assert_eq!(
            read_byte(h, far + 1),
            b'a',
            "bytes below the stream size kept"
        );
        assert_eq!(read_byte(h, far + 2), 0, "the byte cut off");
        assert_eq!(vmo_set_stream_size(h, VMO_MAX_SIZE), Ok(()));
        assert_err(
            vmo_set_stream_size(h, VMO_MAX_SIZE + 1),
            ZxStatus::OutOfRange,
            "unbounded: past the maximum",
        );
        close(h);
        let z = vmo(0, vmo_opt::UNBOUNDED | vmo_opt::DISCARDABLE);
        assert_eq!((size_of(z), stream_size(z)), (VMO_MAX_SIZE, 0));
        close(z);
        let top = vmo(VMO_MAX_SIZE, vmo_opt::UNBOUNDED);
        assert_eq!(stream_size(top), VMO_MAX_SIZE);
        close(top);
        for size in [VMO_MAX_SIZE + 1, u64::MAX] {
            assert_err(
                zx::vmo_create(size, vmo_opt::UNBOUNDED),
                ZxStatus::OutOfRange,
                "unbounded past the maximum",
            );
        }
        for size in [0, P, u64::MAX] {
            assert_err(
                zx::vmo_create(size, vmo_opt::UNBOUNDED | vmo_opt::RESIZABLE),
                ZxStatus::InvalidArgs,
                "UNBOUNDED | RESIZABLE",
            );
        }
    });
    zx::println!("ZX_VMO_UNBOUNDED: maximum size, stream size as given, not resizable");
}

fn main(root: Handle) -> i64 {
    get_rights_and_errors(root);
    set_rights();
    shrink_and_grow_zero();
    unbounded();
    0
}

zx::entry!(main);
