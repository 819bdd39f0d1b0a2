//! Tests `zx_stream_create`, `zx_stream_seek`, `ZX_INFO_STREAM` and
//! `ZX_PROP_STREAM_MODE_APPEND` as Zircon's stream tests do:
//! - BAD_HANDLE, WRONG_TYPE (an event, the root VMAR), unknown mode bits
//!   INVALID_ARGS, a bad out-pointer INVALID_ARGS with nothing left behind;
//! - the new handle's rights: the default stream rights (no READ, no WRITE)
//!   plus READ for MODE_READ and WRITE for MODE_WRITE, APPEND adding none;
//!   the VMO handle must hold READ for MODE_READ and WRITE for MODE_WRITE
//!   (ACCESS_DENIED otherwise);
//! - the seek offset starts where asked; seek from START, CURRENT and END
//!   (against the content size), negative or past 2^64 INVALID_ARGS, an
//!   unknown origin INVALID_ARGS, a NULL out-pointer allowed, a bad one
//!   INVALID_ARGS; seek needs READ or WRITE;
//! - ZX_INFO_STREAM (modes, seek, content size; needs INSPECT, WRONG_TYPE
//!   for a VMO) and the append property (get, set, WRONG_TYPE on a VMO);
//! - nothing leaks, the stream keeps its VMO alive after the VMO's handle
//!   is closed.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, close, dup, rights_of, set_content_size, st, vmo, write, zx,
    BAD_POINTERS, GARBAGE_HANDLE, PAGE,
};
use zx::stream::{self, info, mode_append, seek, set_mode_append};
use zx::{prop, rights, stream_opt as so, topic, Handle, ZxStatus};

const P: u64 = PAGE as u64;

fn create(options: u32, vmo: Handle, at: u64) -> Handle {
    match stream::create(options, vmo, at) {
        Ok(h) => h,
        Err(e) => panic!("stream_create({options:#x}): {}", e.name()),
    }
}

fn bad_arguments(root: Handle) {
    assert_no_leak("stream_create errors", || {
        let v = vmo(4 * P, 0);
        let closed = vmo(P, 0);
        close(closed);
        for bad in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
            assert_err(
                stream::create(0, bad, 0),
                ZxStatus::BadHandle,
                "stream_create(bad)",
            );
        }
        let event = zx::event_create().expect("event");
        assert_err(
            stream::create(0, event, 0),
            ZxStatus::WrongType,
            "stream_create(event)",
        );
        assert_err(
            stream::create(0, root, 0),
            ZxStatus::WrongType,
            "stream_create(VMAR)",
        );
        close(event);
        for bit in 3..32 {
            assert_err(
                stream::create(1 << bit, v, 0),
                ZxStatus::InvalidArgs,
                "stream_create(unknown mode bit)",
            );
        }
        assert_err(
            stream::create(-42i32 as u32, v, 0),
            ZxStatus::InvalidArgs,
            "stream_create(-42)",
        );
        // Unknown bits are refused before the handle is looked at.
        assert_err(
            stream::create(1 << 3, GARBAGE_HANDLE, 0),
            ZxStatus::InvalidArgs,
            "stream_create(unknown bit, bad handle)",
        );
        for (name, ptr) in BAD_POINTERS {
            // SAFETY: the pointer is not writable by this process; the
            // kernel must refuse it, and the stream it made must go.
            let r = st(unsafe { zx::raw::stream_create(so::MODE_READ, v, 0, ptr as *mut u32) });
            assert_eq!(
                r,
                Err(ZxStatus::InvalidArgs),
                "stream_create out = {}",
                name
            );
        }
        close(v);
    });
    zx::println!("stream_create: BAD_HANDLE, WRONG_TYPE, INVALID_ARGS (modes, out pointer)");
}

fn rights_by_mode() {
    assert_no_leak("stream rights", || {
        let v = vmo(4 * P, 0);
        let cases = [
            (0, 0),
            (so::MODE_READ, rights::READ),
            (so::MODE_WRITE, rights::WRITE),
            (so::MODE_READ | so::MODE_WRITE, rights::READ | rights::WRITE),
            (so::MODE_APPEND, 0),
            (so::MODE_READ | so::MODE_APPEND, rights::READ),
            (so::MODE_WRITE | so::MODE_APPEND, rights::WRITE),
            (so::CREATE_MASK, rights::READ | rights::WRITE),
        ];
        assert_eq!(rights::DEFAULT_STREAM & (rights::READ | rights::WRITE), 0);
        for (mode, extra) in cases {
            let s = create(mode, v, 0);
            assert_eq!(
                rights_of(s),
                rights::DEFAULT_STREAM | extra,
                "rights, mode {mode:#x}"
            );
            assert_eq!(
                info(s).map(|i| i.options),
                Ok(mode),
                "ZX_INFO_STREAM options"
            );
            close(s);
        }
        // The VMO handle's rights must cover the mode.
        let read_only = dup(v, rights::READ);
        let write_only = dup(v, rights::WRITE);
        let none = dup(v, rights::NONE);
        for (h, ok_modes) in [
            (read_only, [0, so::MODE_READ]),
            (write_only, [0, so::MODE_WRITE]),
            (none, [0, so::MODE_APPEND]),
        ] {
            for mode in [
                0,
                so::MODE_READ,
                so::MODE_WRITE,
                so::MODE_READ | so::MODE_WRITE,
            ] {
                let r = stream::create(mode, h, 0);
                if ok_modes.contains(&mode) {
                    close(r.expect("a mode the VMO handle allows"));
                } else {
                    assert_err(
                        r,
                        ZxStatus::AccessDenied,
                        "mode the VMO handle does not allow",
                    );
                }
            }
        }
        close(read_only);
        close(write_only);
        close(none);
        close(v);
    });
    zx::println!("stream_create: default rights + READ/WRITE per mode; VMO rights must match");
}

fn seeking() {
    let v = vmo(4 * P, 0);
    assert_eq!(set_content_size(v, 42), Ok(()));
    let s = create(0, v, 0);
    assert_err(
        seek(s, so::SEEK_ORIGIN_START, 0),
        ZxStatus::AccessDenied,
        "seek, no READ/WRITE",
    );
    close(s);
    let s = create(so::MODE_READ, v, 9);
    assert_eq!(seek(s, so::SEEK_ORIGIN_CURRENT, 0), Ok(9), "created at 9");
    close(s);
    let s = create(so::MODE_WRITE, v, 518);
    assert_eq!(
        seek(s, so::SEEK_ORIGIN_CURRENT, 0),
        Ok(518),
        "write-only stream seeks"
    );
    close(s);
    let s = create(so::MODE_READ | so::MODE_WRITE, v, 0);
    assert_err(seek(s, 34893, 12), ZxStatus::InvalidArgs, "unknown origin");
    assert_err(seek(s, 3, 0), ZxStatus::InvalidArgs, "origin 3");
    assert_err(
        seek(s, so::SEEK_ORIGIN_START, -10),
        ZxStatus::InvalidArgs,
        "START - 10",
    );
    assert_eq!(seek(s, so::SEEK_ORIGIN_START, 10), Ok(10));
    assert_eq!(seek(s, so::SEEK_ORIGIN_START, 12), Ok(12));
    assert_err(
        seek(s, so::SEEK_ORIGIN_CURRENT, -21),
        ZxStatus::InvalidArgs,
        "below 0",
    );
    assert_eq!(
        seek(s, so::SEEK_ORIGIN_CURRENT, 0),
        Ok(12),
        "a refused seek moved"
    );
    assert_eq!(seek(s, so::SEEK_ORIGIN_CURRENT, 3), Ok(15));
    assert_eq!(seek(s, so::SEEK_ORIGIN_CURRENT, -15), Ok(0));
    assert_eq!(
        seek(s, so::SEEK_ORIGIN_CURRENT, i64::MAX),
        Ok(i64::MAX as u64)
    );
    assert_eq!(
        seek(s, so::SEEK_ORIGIN_CURRENT, 1038),
        Ok(i64::MAX as u64 + 1038)
    );
    assert_err(
        seek(s, so::SEEK_ORIGIN_CURRENT, i64::MAX),
        ZxStatus::InvalidArgs,
        "past 2^64",
    );
    assert_eq!(
        seek(s, so::SEEK_ORIGIN_END, 0),
        Ok(42),
        "END is the content size"
    );
    assert_eq!(seek(s, so::SEEK_ORIGIN_END, -11), Ok(31));
    assert_eq!(seek(s, so::SEEK_ORIGIN_END, -42), Ok(0));
    assert_eq!(
        seek(s, so::SEEK_ORIGIN_END, 24),
        Ok(66),
        "past the end is allowed"
    );
    assert_err(
        seek(s, so::SEEK_ORIGIN_END, -1238),
        ZxStatus::InvalidArgs,
        "END below 0",
    );
    assert_eq!(set_content_size(v, u64::MAX), Ok(()));
    assert_eq!(seek(s, so::SEEK_ORIGIN_END, -11), Ok(u64::MAX - 11));
    assert_err(
        seek(s, so::SEEK_ORIGIN_END, 5),
        ZxStatus::InvalidArgs,
        "END past 2^64",
    );
    // SAFETY: a NULL out-pointer is allowed; no memory is written.
    let r = st(unsafe { zx::raw::stream_seek(s, so::SEEK_ORIGIN_START, 7, core::ptr::null_mut()) });
    assert_eq!(r, Ok(()), "seek with a NULL out-pointer");
    assert_eq!(
        info(s).map(|i| i.seek),
        Ok(7),
        "the NULL-out seek moved the offset"
    );
    for (name, ptr) in BAD_POINTERS.iter().skip(1) {
        // SAFETY: the pointer is not writable by this process.
        let r = st(unsafe { zx::raw::stream_seek(s, so::SEEK_ORIGIN_START, 0, *ptr as *mut u64) });
        assert_eq!(r, Err(ZxStatus::InvalidArgs), "seek out = {}", name);
    }
    assert_err(
        seek(v, so::SEEK_ORIGIN_START, 0),
        ZxStatus::WrongType,
        "seek(VMO)",
    );
    assert_err(seek(GARBAGE_HANDLE, 0, 0), ZxStatus::BadHandle, "seek(bad)");
    close(s);
    close(v);
    zx::println!("stream_seek: START/CURRENT/END, INVALID_ARGS below 0, past 2^64, bad origin");
}

fn info_and_property() {
    assert_no_leak("stream info and property", || {
        let v = vmo(P, 0);
        write(v, b"abcdefghijklmnopqrstuvwxyz", 0);
        assert_eq!(set_content_size(v, 26), Ok(()));
        let s = create(so::MODE_WRITE, v, 3);
        let i = info(s).expect("ZX_INFO_STREAM");
        assert_eq!((i.options, i.seek, i.content_size), (so::MODE_WRITE, 3, 26));
        assert_eq!(mode_append(s), Ok(false));
        assert_eq!(set_mode_append(s, true), Ok(()));
        assert_eq!(mode_append(s), Ok(true));
        assert_eq!(
            info(s).map(|i| i.options),
            Ok(so::MODE_WRITE | so::MODE_APPEND)
        );
        // Any nonzero byte turns it on; zero off.
        assert_eq!(
            zx::object_set_property(s, prop::STREAM_MODE_APPEND, &[0]),
            Ok(())
        );
        assert_eq!(mode_append(s), Ok(false));
        assert_eq!(
            zx::object_set_property(s, prop::STREAM_MODE_APPEND, &[7]),
            Ok(())
        );
        assert_eq!(mode_append(s), Ok(true));
        assert_err(
            zx::object_get_property(s, prop::STREAM_MODE_APPEND, &mut []),
            ZxStatus::BufferTooSmall,
            "append property into 0 bytes",
        );
        assert_err(
            zx::object_set_property(s, prop::STREAM_MODE_APPEND, &[]),
            ZxStatus::BufferTooSmall,
            "append property from 0 bytes",
        );
        assert_err(
            mode_append(v),
            ZxStatus::WrongType,
            "append property of a VMO",
        );
        assert_err(
            set_mode_append(v, true),
            ZxStatus::WrongType,
            "set it on a VMO",
        );
        // Property rights.
        let no_props = dup(s, rights::DEFAULT_STREAM & !rights::PROPERTY);
        assert_err(
            mode_append(no_props),
            ZxStatus::AccessDenied,
            "get without GET_PROPERTY",
        );
        assert_err(
            set_mode_append(no_props, false),
            ZxStatus::AccessDenied,
            "set w/o SET_PROPERTY",
        );
        // ZX_INFO_STREAM needs INSPECT (which that handle has) and a stream.
        assert!(info(no_props).is_ok(), "ZX_INFO_STREAM with INSPECT");
        close(no_props);
        let no_inspect = dup(s, rights::DEFAULT_STREAM & !rights::INSPECT);
        assert_err(
            info(no_inspect),
            ZxStatus::AccessDenied,
            "ZX_INFO_STREAM without INSPECT",
        );
        close(no_inspect);
        assert_err(info(v), ZxStatus::WrongType, "ZX_INFO_STREAM of a VMO");
        let mut small = [0u8; 23];
        assert_err(
            zx::object_get_info(s, topic::STREAM, &mut small),
            ZxStatus::BufferTooSmall,
            "ZX_INFO_STREAM into 23 bytes",
        );
        // The stream keeps the VMO alive.
        close(v);
        assert_eq!(
            info(s).map(|i| i.content_size),
            Ok(26),
            "the VMO outlives its handle"
        );
        close(s);
    });
    zx::println!("ZX_INFO_STREAM and ZX_PROP_STREAM_MODE_APPEND: values, rights, WRONG_TYPE");
}

fn main(root: Handle) -> i64 {
    bad_arguments(root);
    rights_by_mode();
    seeking();
    info_and_property();
    0
}

zx::entry!(main);
