//! Tests `zx_stream_readv`, `zx_stream_readv_at`, `zx_stream_writev` and
//! `zx_stream_writev_at` against Zircon's stream tests:
//! - rights (READ to read, WRITE to write: ACCESS_DENIED), nonzero options
//!   and NULL vectors INVALID_ARGS (before the handle), unreadable vectors
//!   and capacities summing past 2^64 INVALID_ARGS, an unusable buffer
//!   NOT_FOUND, a NULL `actual` allowed, a bad one INVALID_ARGS;
//! - bytes read back: reads stop at the content size and move the seek
//!   offset, the `_at` forms do not; several vectors fill in order;
//! - writes past the content size grow it; on a fixed VMO they are cut at
//!   the VMO's size and NO_SPACE when nothing fits; on a resizable VMO they
//!   grow the VMO (only through a stream made from a handle with RESIZE);
//!   an end past 2^64 is FILE_BIG and one whose page rounding overflows
//!   OUT_OF_RANGE, changing nothing; the gap between the old content size
//!   and a write is zeroed, bytes after it are not;
//! - an unbounded VMO takes writes far out; a stream over a slice writes
//!   its parent's bytes, one over a snapshot leaves the parent alone;
//! - nothing leaks.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, assert_vmo_bytes, child, close, content_size, dup, read, rights_of,
    set_content_size, size_of, st, vmo, write, zx, BAD_POINTERS, GARBAGE_HANDLE, PAGE,
};
use zx::stream::{self, iovec, iovec_mut, readv, readv_at, seek, writev, writev_at};
use zx::{child_opt, rights, stream_opt as so, vmo_opt, Handle, Iovec, ZxStatus, VMO_MAX_SIZE};

const P: u64 = PAGE as u64;
const ALPHABET: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";

fn create(options: u32, vmo: Handle, at: u64) -> Handle {
    match stream::create(options, vmo, at) {
        Ok(h) => h,
        Err(e) => panic!("stream_create({options:#x}): {}", e.name()),
    }
}

/// A one-page VMO holding the alphabet, content size 26.
fn alphabet_vmo() -> Handle {
    let v = vmo(P, 0);
    write(v, ALPHABET, 0);
    assert_eq!(set_content_size(v, 26), Ok(()));
    v
}

/// The VMO's bytes up to the first zero.
fn data(v: Handle) -> ([u8; 64], usize) {
    let mut buf = [0u8; 64];
    read(v, &mut buf, 0);
    let n = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    (buf, n)
}

#[track_caller]
fn assert_data(v: Handle, expected: &[u8], what: &str) {
    let (buf, n) = data(v);
    assert_eq!(&buf[..n], expected, "{}", what);
}

fn read_vectors() {
    assert_no_leak("readv", || {
        let v = alphabet_vmo();
        let mut buf = [0u8; 16];
        let s = create(0, v, 0);
        assert_err(
            readv(s, 0, &mut [iovec_mut(&mut buf)]),
            ZxStatus::AccessDenied,
            "no READ",
        );
        close(s);
        let s = create(so::MODE_READ, v, 0);
        assert_eq!(readv(s, 0, &mut [iovec_mut(&mut buf[..7])]), Ok(7));
        assert_eq!(&buf[..7], b"abcdefg");
        assert_err(
            readv(s, 24098, &mut [iovec_mut(&mut buf)]),
            ZxStatus::InvalidArgs,
            "readv options",
        );
        assert_err(
            readv(s, so::APPEND, &mut [iovec_mut(&mut buf)]),
            ZxStatus::InvalidArgs,
            "readv APPEND",
        );
        for count in [0, 1] {
            // SAFETY: a NULL vector must be refused before anything is read.
            let r = st(unsafe {
                zx::raw::stream_readv(s, 0, core::ptr::null_mut(), count, core::ptr::null_mut())
            });
            assert_eq!(r, Err(ZxStatus::InvalidArgs), "readv(NULL vector, {count})");
            // SAFETY: as above; the handle is not even looked at.
            let r = st(unsafe {
                zx::raw::stream_readv(
                    GARBAGE_HANDLE,
                    0,
                    core::ptr::null_mut(),
                    count,
                    core::ptr::null_mut(),
                )
            });
            assert_eq!(
                r,
                Err(ZxStatus::InvalidArgs),
                "readv(NULL vector) before the handle"
            );
        }
        // A NULL `actual` is allowed.
        let mut vecs = [iovec_mut(&mut buf[..3])];
        // SAFETY: the vector describes `buf`; `actual` may be NULL.
        let r =
            st(unsafe { zx::raw::stream_readv(s, 0, vecs.as_mut_ptr(), 1, core::ptr::null_mut()) });
        assert_eq!(r, Ok(()), "readv with a NULL actual");
        assert_eq!(&buf[..3], b"hij");
        // An unusable buffer is NOT_FOUND and moves nothing.
        for (name, ptr) in BAD_POINTERS {
            let mut bad = [Iovec {
                buffer: ptr as u64,
                capacity: 7,
            }];
            assert_err(readv(s, 0, &mut bad), ZxStatus::NotFound, name);
        }
        assert_eq!(
            seek(s, so::SEEK_ORIGIN_CURRENT, 0),
            Ok(10),
            "a failed read moved the offset"
        );
        // Capacities summing past 2^64.
        let mut huge = [Iovec {
            buffer: buf.as_mut_ptr() as u64,
            capacity: i64::MAX as u64,
        }; 7];
        assert_err(
            readv(s, 0, &mut huge),
            ZxStatus::InvalidArgs,
            "capacities past 2^64",
        );
        // Unreadable vectors.
        for (name, ptr) in BAD_POINTERS.iter().skip(1) {
            // SAFETY: the vector pointer is unreadable; the kernel must refuse it.
            let r = st(unsafe {
                zx::raw::stream_readv(s, 0, *ptr as *mut Iovec, 1, core::ptr::null_mut())
            });
            assert_eq!(r, Err(ZxStatus::InvalidArgs), "vector at {}", name);
        }
        // The rest, then nothing at the content size.
        buf = [0; 16];
        assert_eq!(readv(s, 0, &mut [iovec_mut(&mut buf)]), Ok(16));
        assert_eq!(&buf, b"klmnopqrstuvwxyz");
        assert_eq!(
            readv(s, 0, &mut [iovec_mut(&mut buf)]),
            Ok(0),
            "read at the end"
        );
        // A smaller content size stops reads earlier.
        assert_eq!(set_content_size(v, 6), Ok(()));
        assert_eq!(
            readv(s, 0, &mut [iovec_mut(&mut buf[..3])]),
            Ok(0),
            "past the content"
        );
        assert_eq!(seek(s, so::SEEK_ORIGIN_START, 0), Ok(0));
        buf = [0; 16];
        assert_eq!(readv(s, 0, &mut [iovec_mut(&mut buf[..12])]), Ok(6));
        assert_eq!(&buf[..7], b"abcdef\0");
        // Several vectors, one byte each, fill in order.
        assert_eq!(set_content_size(v, 26), Ok(()));
        assert_eq!(seek(s, so::SEEK_ORIGIN_START, 0), Ok(0));
        let mut bytes = [0u8; 7];
        let base = bytes.as_mut_ptr() as u64;
        let mut multi: [Iovec; 7] = core::array::from_fn(|i| Iovec {
            buffer: base + i as u64,
            capacity: 1,
        });
        assert_eq!(readv(s, 0, &mut multi), Ok(7));
        assert_eq!(
            &bytes, b"abcdef\0",
            "the smaller content size zeroed the rest"
        );
        write(v, ALPHABET, 0);
        // Empty vectors in between are skipped; capacity 0 overall reads 0.
        let (a, b) = buf.split_at_mut(2);
        let mut mixed = [
            iovec_mut(a),
            Iovec {
                buffer: 0,
                capacity: 0,
            },
            iovec_mut(&mut b[..2]),
        ];
        assert_eq!(readv(s, 0, &mut mixed), Ok(4));
        assert_eq!(&buf[..4], b"hijk");
        assert_eq!(
            readv(
                s,
                0,
                &mut [Iovec {
                    buffer: 0,
                    capacity: 0
                }]
            ),
            Ok(0)
        );
        // A vector that aliases the vector array itself.
        assert_eq!(seek(s, so::SEEK_ORIGIN_START, 0), Ok(0));
        let mut alias = [Iovec::default(); 7];
        let at = alias.as_mut_ptr() as u64;
        for v in alias.iter_mut() {
            *v = Iovec {
                buffer: at,
                capacity: core::mem::size_of::<[Iovec; 7]>() as u64,
            };
        }
        assert_eq!(
            readv(s, 0, &mut alias),
            Ok(26),
            "vectors aliasing themselves"
        );
        // A bad `actual` pointer.
        assert_eq!(seek(s, so::SEEK_ORIGIN_START, 0), Ok(0));
        let mut one = [iovec_mut(&mut buf[..1])];
        // SAFETY: `actual` is unwritable; the kernel must refuse to write it.
        let r = st(unsafe { zx::raw::stream_readv(s, 0, one.as_mut_ptr(), 1, 0x10 as *mut usize) });
        assert_eq!(r, Err(ZxStatus::InvalidArgs), "readv with a bad actual");
        assert_err(
            readv(v, 0, &mut [iovec_mut(&mut buf)]),
            ZxStatus::WrongType,
            "readv(VMO)",
        );
        assert_err(
            readv(GARBAGE_HANDLE, 0, &mut [iovec_mut(&mut buf)]),
            ZxStatus::BadHandle,
            "bad",
        );
        close(s);
        close(v);
    });
    zx::println!("stream_readv: rights, options, vectors, NOT_FOUND, content size, bytes back");
}

fn read_at() {
    let v = alphabet_vmo();
    let s = create(so::MODE_READ, v, 0);
    let mut buf = [0u8; 16];
    assert_eq!(readv_at(s, 0, 24, &mut [iovec_mut(&mut buf[..7])]), Ok(2));
    assert_eq!(&buf[..3], b"yz\0");
    assert_eq!(
        seek(s, so::SEEK_ORIGIN_CURRENT, 0),
        Ok(0),
        "readv_at moved the offset"
    );
    assert_eq!(readv_at(s, 0, 36, &mut [iovec_mut(&mut buf)]), Ok(0));
    assert_eq!(readv_at(s, 0, 3_645_651, &mut [iovec_mut(&mut buf)]), Ok(0));
    assert_eq!(readv_at(s, 0, u64::MAX, &mut [iovec_mut(&mut buf)]), Ok(0));
    assert_err(
        readv_at(s, 1, 0, &mut [iovec_mut(&mut buf)]),
        ZxStatus::InvalidArgs,
        "options",
    );
    let w = create(so::MODE_WRITE, v, 0);
    assert_err(
        readv_at(w, 0, 0, &mut [iovec_mut(&mut buf)]),
        ZxStatus::AccessDenied,
        "no READ",
    );
    close(w);
    close(s);
    close(v);
    zx::println!("stream_readv_at: reads at the offset, stops at the content size, seek kept");
}

fn write_vectors() {
    assert_no_leak("writev", || {
        let v = alphabet_vmo();
        let src = *b"0123456789ABCDEF";
        let s = create(so::MODE_READ, v, 0);
        assert_err(
            writev(s, 0, &[iovec(&src)]),
            ZxStatus::AccessDenied,
            "no WRITE",
        );
        close(s);
        let s = create(so::MODE_WRITE, v, 0);
        assert_eq!(writev(s, 0, &[iovec(&src[..7])]), Ok(7));
        assert_data(v, b"0123456hijklmnopqrstuvwxyz", "writev 7");
        write(v, ALPHABET, 0);
        assert_err(
            writev(s, 24098, &[iovec(&src)]),
            ZxStatus::InvalidArgs,
            "writev options",
        );
        for count in [0, 1] {
            // SAFETY: a NULL vector must be refused before anything is read.
            let r = st(unsafe {
                zx::raw::stream_writev(s, 0, core::ptr::null(), count, core::ptr::null_mut())
            });
            assert_eq!(
                r,
                Err(ZxStatus::InvalidArgs),
                "writev(NULL vector, {count})"
            );
        }
        let vecs = [iovec(&src[..3])];
        // SAFETY: the vector describes `src`; `actual` may be NULL.
        let r =
            st(unsafe { zx::raw::stream_writev(s, 0, vecs.as_ptr(), 1, core::ptr::null_mut()) });
        assert_eq!(r, Ok(()), "writev with a NULL actual");
        assert_data(v, b"abcdefg012klmnopqrstuvwxyz", "writev 3 at 7");
        write(v, ALPHABET, 0);
        for (name, ptr) in BAD_POINTERS {
            let bad = [Iovec {
                buffer: ptr as u64,
                capacity: 7,
            }];
            assert_err(writev(s, 0, &bad), ZxStatus::NotFound, name);
        }
        assert_data(v, ALPHABET, "a failed write changed the VMO");
        let huge = [Iovec {
            buffer: src.as_ptr() as u64,
            capacity: i64::MAX as u64,
        }; 7];
        assert_err(
            writev(s, 0, &huge),
            ZxStatus::InvalidArgs,
            "capacities past 2^64",
        );
        // Seven one-byte vectors, the source reversed.
        let base = src.as_ptr() as u64;
        let multi: [Iovec; 7] = core::array::from_fn(|i| Iovec {
            buffer: base + 6 - i as u64,
            capacity: 1,
        });
        assert_eq!(seek(s, so::SEEK_ORIGIN_START, 0), Ok(0));
        assert_eq!(writev(s, 0, &multi), Ok(7));
        assert_data(v, b"6543210hijklmnopqrstuvwxyz", "seven vectors");
        assert_eq!(
            seek(s, so::SEEK_ORIGIN_CURRENT, 0),
            Ok(7),
            "the offset after a write"
        );
        assert_eq!(
            content_size(v),
            26,
            "a write inside the content kept its size"
        );
        assert_err(
            writev(v, 0, &[iovec(&src)]),
            ZxStatus::WrongType,
            "writev(VMO)",
        );
        close(s);
        close(v);
    });
    zx::println!("stream_writev: rights, options, vectors, NOT_FOUND, bytes written in order");
}

fn write_grows_content_fixed_vmo() {
    assert_no_leak("writes on a fixed VMO", || {
        let v = vmo(P, 0);
        write(v, ALPHABET, 0);
        assert_eq!(set_content_size(v, 3), Ok(()));
        let src = *b"0123456789ABCDEF";
        let s = create(so::MODE_WRITE, v, 0);
        assert_eq!(writev(s, 0, &[iovec(&src[..7])]), Ok(7));
        assert_data(v, b"0123456", "the content size zeroed the rest");
        assert_eq!(content_size(v), 7, "a write grew the content size");
        write(v, ALPHABET, 0);
        assert_eq!(writev(s, 0, &[iovec(&src[..2])]), Ok(2));
        assert_data(v, b"abcdefg01jklmnopqrstuvwxyz", "second write");
        assert_eq!(content_size(v), 9);
        assert_eq!(seek(s, so::SEEK_ORIGIN_START, 0), Ok(0));
        let mut n = 0;
        while n + 10 < P {
            assert_eq!(writev(s, 0, &[iovec(&src[..10])]), Ok(10));
            n += 10;
        }
        assert_eq!(content_size(v), 4090);
        assert_eq!(
            writev(s, 0, &[iovec(&src[..10])]),
            Ok(6),
            "cut at the VMO's size"
        );
        assert_eq!(content_size(v), P);
        let mut tail = [0u8; 6];
        read(v, &mut tail, 4090);
        assert_eq!(&tail, b"012345");
        assert_err(
            writev(s, 0, &[iovec(&src[..10])]),
            ZxStatus::NoSpace,
            "nothing fits",
        );
        assert_eq!(content_size(v), P);
        assert_eq!(size_of(v), P, "a fixed VMO grew");
        // writev_at: inside, then past the end.
        write(v, ALPHABET, 0);
        assert_eq!(writev_at(s, 0, 7, &[iovec(&src[..3])]), Ok(3));
        let mut got = [0u8; 26];
        read(v, &mut got, 0);
        assert_eq!(&got, b"abcdefg012klmnopqrstuvwxyz", "writev_at 3 at 7");
        assert_eq!(
            seek(s, so::SEEK_ORIGIN_CURRENT, 0),
            Ok(P),
            "writev_at moved the offset"
        );
        assert_err(
            writev_at(s, 0, 4100, &[iovec(&src[..10])]),
            ZxStatus::NoSpace,
            "at 4100",
        );
        assert_err(
            writev_at(s, 1, 0, &[iovec(&src)]),
            ZxStatus::InvalidArgs,
            "writev_at options",
        );
        assert_err(
            writev_at(s, so::APPEND, 0, &[iovec(&src)]),
            ZxStatus::InvalidArgs,
            "writev_at APPEND",
        );
        // An end past 2^64 is FILE_BIG.
        let all = [Iovec {
            buffer: src.as_ptr() as u64,
            capacity: u64::MAX,
        }];
        assert_err(
            writev_at(s, 0, 10, &all),
            ZxStatus::FileBig,
            "end past 2^64",
        );
        // A content size past the VMO's end does not make room there.
        assert_eq!(set_content_size(v, 3 * P), Ok(()));
        assert_err(
            writev_at(s, 0, P + 10, &[iovec(&src[..4])]),
            ZxStatus::NoSpace,
            "inside the content, past the VMO",
        );
        assert_eq!(
            writev_at(s, 0, P - 2, &[iovec(&src[..4])]),
            Ok(2),
            "across the VMO's end"
        );
        assert_eq!(
            content_size(v),
            3 * P,
            "a write inside the content changed it"
        );
        close(s);
        close(v);
    });
    zx::println!(
        "stream writes on a fixed VMO: content grows, cut at the size, NO_SPACE, FILE_BIG"
    );
}

fn write_grows_resizable_vmo() {
    assert_no_leak("writes on a resizable VMO", || {
        let v = vmo(P, vmo_opt::RESIZABLE);
        assert_eq!(set_content_size(v, 0), Ok(()));
        let src = *b"0123456789ABCDEF";
        let s = create(so::MODE_WRITE, v, 0);
        let mut n = 0;
        while n + 10 < P {
            assert_eq!(writev(s, 0, &[iovec(&src[..10])]), Ok(10));
            n += 10;
        }
        assert_eq!(
            writev(s, 0, &[iovec(&src[..10])]),
            Ok(10),
            "a write across the end"
        );
        assert_eq!(content_size(v), 4100);
        assert_eq!(size_of(v), 2 * P, "the VMO grew to hold it");
        let mut got = [0u8; 10];
        read(v, &mut got, 4090);
        assert_eq!(&got, b"0123456789");
        let all = [Iovec {
            buffer: src.as_ptr() as u64,
            capacity: u64::MAX,
        }];
        assert_err(writev(s, 0, &all), ZxStatus::FileBig, "writev past 2^64");
        assert_err(
            writev_at(s, 0, 5414, &all),
            ZxStatus::FileBig,
            "writev_at past 2^64",
        );
        assert_eq!(
            (size_of(v), content_size(v)),
            (2 * P, 4100),
            "FILE_BIG changed sizes"
        );
        // A bad buffer past the content changes nothing.
        let bad = [Iovec {
            buffer: 0,
            capacity: 42,
        }];
        assert_err(
            writev_at(s, 0, 5000, &bad),
            ZxStatus::NotFound,
            "bad buffer at 5000",
        );
        assert_eq!(content_size(v), 4100, "a failed write grew the content");
        // A page rounding that overflows is OUT_OF_RANGE.
        let four = [iovec(&src[..4])];
        assert_err(
            writev_at(s, 0, 0xffff_ffff_ffff_fff8, &four),
            ZxStatus::OutOfRange,
            "2^64 - 8",
        );
        assert_err(
            writev_at(s, 0, VMO_MAX_SIZE, &four),
            ZxStatus::OutOfRange,
            "past the max",
        );
        assert_eq!(
            (size_of(v), content_size(v)),
            (2 * P, 4100),
            "OUT_OF_RANGE changed sizes"
        );
        assert_eq!(
            zx::vmo_set_size(v, 3 * P),
            Ok(()),
            "set_size after a refused growth"
        );
        assert_eq!(content_size(v), 3 * P);
        close(s);
        close(v);
    });
    zx::println!(
        "stream writes on a resizable VMO: the VMO grows; FILE_BIG, OUT_OF_RANGE, NOT_FOUND"
    );
}

fn resize_right_needed() {
    assert_no_leak("RESIZE right", || {
        let v = vmo(P, vmo_opt::RESIZABLE);
        let all = rights_of(v);
        assert_ne!(all & rights::RESIZE, 0);
        let no_resize = dup(v, all & !rights::RESIZE);
        let s = create(so::MODE_WRITE, v, P - 1);
        let s_no = create(so::MODE_WRITE, no_resize, P - 1);
        let src = *b"012345678\0";
        assert_eq!(
            writev(s_no, 0, &[iovec(&src)]),
            Ok(1),
            "up to the VMO's size without RESIZE"
        );
        assert_err(
            writev(s_no, 0, &[iovec(&src)]),
            ZxStatus::NoSpace,
            "growing without RESIZE",
        );
        assert_eq!(size_of(v), P, "grown without RESIZE");
        assert_eq!(writev(s, 0, &[iovec(&src)]), Ok(10), "with RESIZE");
        assert_eq!(size_of(v), 2 * P);
        let mut got = [0u8; 10];
        read(v, &mut got, P - 1);
        assert_eq!(&got, &src);
        close(s_no);
        close(s);
        close(no_resize);
        close(v);
    });
    zx::println!("stream writes grow a VMO only when made from a handle with RESIZE");
}

fn extend_fills_with_zeros() {
    assert_no_leak("gap zeroing", || {
        let pages = 6;
        let v = vmo(pages * P, 0);
        assert_eq!(set_content_size(v, 0), Ok(()));
        let s = create(so::MODE_WRITE, v, 0);
        let x = [b'x'; PAGE];
        for i in 0..pages {
            write(v, &x, i * P);
        }
        let src = *b"0123";
        assert_eq!(writev_at(s, 0, 2 * P - 2, &[iovec(&src)]), Ok(4));
        assert_vmo_bytes(v, 0, 2 * P - 2, 0, "the gap before the write");
        let mut got = [0u8; 6];
        read(v, &mut got, 2 * P - 2);
        assert_eq!(&got, b"0123xx", "bytes after the write kept");
        assert_eq!(
            seek(s, so::SEEK_ORIGIN_START, (5 * P - 2) as i64),
            Ok(5 * P - 2)
        );
        assert_eq!(writev(s, 0, &[iovec(&src)]), Ok(4));
        assert_vmo_bytes(v, 2 * P + 2, 3 * P - 4, 0, "the second gap");
        read(v, &mut got, 5 * P - 2);
        assert_eq!(&got, b"0123xx");
        assert_eq!(content_size(v), 5 * P + 2);
        close(s);
        close(v);
    });
    zx::println!("stream writes zero the gap after the old content size, not after the write");
}

fn unbounded_vmo() {
    assert_no_leak("streams over an unbounded VMO", || {
        let v = vmo(0, vmo_opt::UNBOUNDED);
        let s = create(so::MODE_READ | so::MODE_WRITE, v, 0);
        let far = 1u64 << 50;
        let src = *b"unbounded";
        assert_eq!(writev_at(s, 0, far, &[iovec(&src)]), Ok(9));
        assert_eq!(content_size(v), far + 9);
        assert_eq!(size_of(v), VMO_MAX_SIZE);
        let mut got = [0u8; 9];
        assert_eq!(readv_at(s, 0, far, &mut [iovec_mut(&mut got)]), Ok(9));
        assert_eq!(&got, &src);
        assert_eq!(
            readv_at(s, 0, far + 5, &mut [iovec_mut(&mut got)]),
            Ok(4),
            "stops at the end"
        );
        // Appending after it, and the top of the VMO.
        assert_eq!(writev(s, so::APPEND, &[iovec(&src[..2])]), Ok(2));
        assert_eq!(content_size(v), far + 11);
        assert_eq!(
            writev_at(s, 0, VMO_MAX_SIZE - 4, &[iovec(&src)]),
            Ok(4),
            "cut at the max"
        );
        assert_err(
            writev_at(s, 0, VMO_MAX_SIZE, &[iovec(&src)]),
            ZxStatus::NoSpace,
            "at the max",
        );
        close(s);
        close(v);
    });
    zx::println!("streams over an unbounded VMO: far writes, reads back, cut at the maximum");
}

fn children() {
    assert_no_leak("streams over children", || {
        let parent = vmo(2 * P, 0);
        write(parent, b"parent", P);
        let slice = child(parent, child_opt::SLICE, P, P);
        let s = create(so::MODE_READ | so::MODE_WRITE, slice, 0);
        let mut got = [0u8; 6];
        assert_eq!(readv(s, 0, &mut [iovec_mut(&mut got)]), Ok(6));
        assert_eq!(&got, b"parent", "a slice's stream reads its parent's bytes");
        assert_eq!(writev_at(s, 0, 0, &[iovec(b"SLICE!")]), Ok(6));
        read(parent, &mut got, P);
        assert_eq!(
            &got, b"SLICE!",
            "a slice's stream writes its parent's bytes"
        );
        assert_err(
            writev_at(s, 0, P, &[iovec(b"x")]),
            ZxStatus::NoSpace,
            "past the slice",
        );
        close(s);
        close(slice);
        let snap = child(parent, child_opt::SNAPSHOT, 0, 2 * P);
        let s = create(so::MODE_WRITE, snap, P);
        assert_eq!(writev(s, 0, &[iovec(b"snap")]), Ok(4));
        read(parent, &mut got, P);
        assert_eq!(&got, b"SLICE!", "a snapshot's stream wrote the parent");
        read(snap, &mut got[..4], P);
        assert_eq!(&got[..4], b"snap");
        close(s);
        close(snap);
        close(parent);
    });
    zx::println!("streams over a slice and a snapshot: the right VMO's bytes");
}

fn main(_root: Handle) -> i64 {
    read_vectors();
    read_at();
    write_vectors();
    write_grows_content_fixed_vmo();
    write_grows_resizable_vmo();
    resize_right_needed();
    extend_fills_with_zeros();
    unbounded_vmo();
    children();
    0
}

zx::entry!(main);
