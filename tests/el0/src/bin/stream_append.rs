//! Tests appending to a stream: `ZX_STREAM_APPEND` for `zx_stream_writev`,
//! streams created with `ZX_STREAM_MODE_APPEND` and the append property:
//! - an append lands at the content size whatever the seek offset, grows
//!   the content size and leaves the seek offset after it; on a fixed VMO
//!   the last one is cut at the VMO's end, then NO_SPACE; a size past 2^64
//!   is OUT_OF_RANGE;
//! - turning the property on makes plain writes append, off again writes
//!   at the seek offset;
//! - several threads appending one byte at a time, each through its own
//!   stream, then through one shared stream, lose no byte and overwrite
//!   none; threads appending to a resizable VMO grow it past a page while
//!   readers read; nothing leaks.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use el0_tests::smp::{Barrier, Group};
use el0_tests::{
    assert_err, assert_no_leak, close, content_size, read, set_content_size, size_of, vmo, write,
    zx, PAGE,
};
use zx::stream::{self, info, iovec, iovec_mut, readv_at, seek, set_mode_append, writev};
use zx::{stream_opt as so, vmo_opt, Handle, Iovec, ZxStatus};

const P: u64 = PAGE as u64;
const ALPHABET: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";

fn create(options: u32, vmo: Handle, at: u64) -> Handle {
    match stream::create(options, vmo, at) {
        Ok(h) => h,
        Err(e) => panic!("stream_create({options:#x}): {}", e.name()),
    }
}

/// Appends `vec` until the VMO's page is full, checking each step as
/// Zircon's `Append` test does; `flag` is passed to every writev.
fn fill_by_appending(s: Handle, v: Handle, flag: u32, what: &str) {
    let src = *b"0123456789ABCDEF";
    let i = info(s).expect("ZX_INFO_STREAM");
    assert_eq!((i.seek, i.content_size), (0, 26), "{what}: before");
    assert_eq!(writev(s, flag, &[iovec(&src[..7])]), Ok(7), "{what}");
    let mut got = [0u8; 33];
    read(v, &mut got, 0);
    assert_eq!(&got[..26], ALPHABET);
    assert_eq!(
        &got[26..],
        b"0123456",
        "{what}: appended at the content size"
    );
    let i = info(s).expect("ZX_INFO_STREAM");
    assert_eq!(
        (i.seek, i.content_size),
        (33, 33),
        "{what}: seek after the append"
    );
    // Appends ignore the seek offset.
    assert_eq!(seek(s, so::SEEK_ORIGIN_START, 0), Ok(0));
    let mut size = 33;
    while size + 16 < P {
        assert_eq!(writev(s, flag, &[iovec(&src)]), Ok(16), "{what}");
        size += 16;
    }
    assert_eq!(content_size(v), size);
    assert_eq!(
        writev(s, flag, &[iovec(&src)]),
        Ok((P - size) as usize),
        "{what}: cut at the end"
    );
    assert_eq!(content_size(v), P);
    assert_eq!(info(s).map(|i| i.seek), Ok(P));
    assert_err(writev(s, flag, &[iovec(&src)]), ZxStatus::NoSpace, what);
    let all = [Iovec {
        buffer: src.as_ptr() as u64,
        capacity: u64::MAX,
    }];
    assert_err(writev(s, flag, &all), ZxStatus::OutOfRange, what);
    assert_eq!(
        (size_of(v), content_size(v)),
        (P, P),
        "{what}: sizes after the errors"
    );
}

fn alphabet_vmo() -> Handle {
    let v = vmo(P, 0);
    write(v, ALPHABET, 0);
    assert_eq!(set_content_size(v, 26), Ok(()));
    v
}

fn append_flag_and_mode() {
    assert_no_leak("append", || {
        let v = alphabet_vmo();
        let s = create(so::MODE_WRITE, v, 0);
        fill_by_appending(s, v, so::APPEND, "ZX_STREAM_APPEND");
        close(s);
        close(v);
        let v = alphabet_vmo();
        let s = create(so::MODE_WRITE | so::MODE_APPEND, v, 0);
        assert_eq!(
            info(s).map(|i| i.options),
            Ok(so::MODE_WRITE | so::MODE_APPEND)
        );
        fill_by_appending(s, v, 0, "MODE_APPEND");
        close(s);
        close(v);
        // APPEND needs WRITE like any write.
        let v = alphabet_vmo();
        let s = create(so::MODE_READ | so::MODE_APPEND, v, 0);
        assert_err(
            writev(s, so::APPEND, &[iovec(b"x")]),
            ZxStatus::AccessDenied,
            "no WRITE",
        );
        assert_err(
            writev(s, 2, &[iovec(b"x")]),
            ZxStatus::InvalidArgs,
            "writev option 2",
        );
        close(s);
        close(v);
    });
    zx::println!("stream append: at the content size, seek after it, cut, NO_SPACE, OUT_OF_RANGE");
}

fn property_switches_append() {
    let v = vmo(P, 0);
    assert_eq!(set_content_size(v, 0), Ok(()));
    let src = *b"0123456789ABCDEF";
    let s = create(so::MODE_WRITE, v, 0);
    assert_eq!(writev(s, 0, &[iovec(&src)]), Ok(16));
    assert_eq!(
        info(s).map(|i| (i.options & so::MODE_APPEND, i.seek)),
        Ok((0, 16))
    );
    assert_eq!(set_mode_append(s, true), Ok(()));
    assert_eq!(seek(s, so::SEEK_ORIGIN_START, 10), Ok(10));
    assert_eq!(writev(s, 0, &[iovec(&src)]), Ok(16));
    let mut got = [0u8; 33];
    read(v, &mut got, 0);
    assert_eq!(
        &got[..32],
        b"0123456789ABCDEF0123456789ABCDEF",
        "appended despite the seek"
    );
    assert_eq!(set_mode_append(s, false), Ok(()));
    assert_eq!(info(s).map(|i| (i.seek, i.content_size)), Ok((32, 32)));
    assert_eq!(seek(s, so::SEEK_ORIGIN_START, 10), Ok(10));
    assert_eq!(writev(s, 0, &[iovec(&src)]), Ok(16));
    read(v, &mut got, 0);
    assert_eq!(
        &got[..32],
        b"01234567890123456789ABCDEFABCDEF",
        "written at the seek offset"
    );
    close(s);
    close(v);
    zx::println!("ZX_PROP_STREAM_MODE_APPEND: on, plain writes append; off, they do not");
}

const THREADS: usize = 4;
const PER_THREAD: usize = 256;
const TOTAL: usize = THREADS * PER_THREAD;

static VMO: AtomicU32 = AtomicU32::new(0);
static SHARED: AtomicU32 = AtomicU32::new(0);
static START: Barrier = Barrier::new(THREADS as u32);
static FAILED: AtomicU32 = AtomicU32::new(0);

/// The byte thread `t` writes `i`-th: every (t, i) pair gives a different
/// 16-bit value, written as two one-byte appends would interleave; so each
/// thread appends 2-byte records `[t, i]` with one vector of two bytes.
fn record(t: usize, i: usize) -> [u8; 2] {
    [t as u8, i as u8]
}

fn appender(t: usize) {
    let own = t.is_multiple_of(2);
    let s = if own {
        create(
            so::MODE_WRITE | so::MODE_APPEND,
            VMO.load(Ordering::Acquire),
            0,
        )
    } else {
        SHARED.load(Ordering::Acquire)
    };
    START.wait();
    for i in 0..PER_THREAD {
        let r = record(t, i);
        let flag = if own { 0 } else { so::APPEND };
        if writev(s, flag, &[iovec(&r)]) != Ok(2) {
            FAILED.fetch_add(1, Ordering::Relaxed);
        }
    }
    if own {
        close(s);
    }
}

fn concurrent_appends() {
    assert_no_leak("concurrent appends", || {
        // Resizable, one page: the appends grow it to a page and a half.
        let v = vmo(P, vmo_opt::RESIZABLE);
        assert_eq!(set_content_size(v, 0), Ok(()));
        VMO.store(v, Ordering::Release);
        let shared = create(so::MODE_WRITE, v, 0);
        SHARED.store(shared, Ordering::Release);
        let mut g = Group::new();
        g.spawn_n("appender", THREADS, appender);
        g.join();
        assert_eq!(FAILED.load(Ordering::Relaxed), 0, "an append failed");
        let len = (TOTAL * 2) as u64;
        assert_eq!(content_size(v), len, "bytes lost: the content size");
        assert_eq!(size_of(v), len.div_ceil(P) * P, "the VMO grew to hold them");
        // Every record once, each thread's in its own order.
        let mut seen = [[false; PER_THREAD]; THREADS];
        let mut next = [0usize; THREADS];
        let r = create(so::MODE_READ, v, 0);
        let mut buf = [0u8; 256];
        let mut at = 0u64;
        while at < len {
            let n = readv_at(r, 0, at, &mut [iovec_mut(&mut buf)]).expect("readv_at");
            assert!(n > 0 && n.is_multiple_of(2), "a read of {n} bytes");
            for rec in buf[..n].chunks(2) {
                let (t, i) = (rec[0] as usize, rec[1] as usize);
                assert!(t < THREADS, "a record no thread wrote: {rec:?}");
                assert!(
                    !seen[t][i],
                    "record {t}/{i} twice: an append overwrote another"
                );
                assert_eq!(i, next[t], "thread {t}'s records out of order");
                seen[t][i] = true;
                next[t] += 1;
            }
            at += n as u64;
        }
        assert_eq!(next, [PER_THREAD; THREADS], "records missing");
        assert_eq!(info(shared).map(|i| i.content_size), Ok(len));
        close(r);
        close(shared);
        close(v);
    });
    zx::println!(
        "stream append: {THREADS} threads x {PER_THREAD} appends, own and shared streams, none lost"
    );
}

fn main(_root: Handle) -> i64 {
    append_flag_and_mode();
    property_switches_append();
    concurrent_appends();
    0
}

zx::entry!(main);
