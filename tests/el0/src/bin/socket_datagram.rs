//! Tests datagram sockets: each write is one message and each read returns
//! at most one (a short read truncates it and discards the rest, as in
//! Zircon), PEEK shows the first message without taking it, messages larger
//! than one payload buffer come back whole, `rx_buf_available` is the first
//! message's length while `rx_buf_size` counts them all, a message larger
//! than the buffer is OUT_OF_RANGE with `actual` untouched, one that does
//! not fit now is SHOULD_WAIT (no short write), the largest one fits an
//! empty buffer, zero-length reads take nothing, and nothing is leaked.
#![no_std]
#![no_main]

#[allow(dead_code)] // each program uses part of it
#[path = "../peer_leak.rs"]
mod leak;

use el0_tests::{assert_err, close, vmo, zx, Mapping, PAGE, RW};
use zx::peer::{socket_create, socket_info, socket_read, socket_write};
use zx::{signals, socket_opt, Handle, ZxStatus, ZX_TIME_INFINITE_PAST};

/// The signals asserted on `h` now (a wait that polls).
fn observed(h: Handle) -> u32 {
    zx::object_wait_one(h, 0, ZX_TIME_INFINITE_PAST).1
}

fn pair() -> (Handle, Handle) {
    socket_create(socket_opt::DATAGRAM).unwrap()
}

fn messages(_root: Handle) {
    let (a, b) = pair();
    assert_eq!(socket_info(a).unwrap().options, socket_opt::DATAGRAM);
    let mut buf = [0u8; 16];
    assert_err(
        socket_read(b, 0, &mut buf[..0]),
        ZxStatus::ShouldWait,
        "empty, 0 bytes",
    );
    assert_err(
        socket_read(b, socket_opt::PEEK, &mut buf),
        ZxStatus::ShouldWait,
        "peek",
    );
    assert_eq!(
        socket_write(a, b""),
        Ok(0),
        "a zero-length write writes nothing"
    );
    assert_eq!(observed(b), signals::SOCKET_WRITABLE, "no message came");
    assert_eq!(socket_write(a, b"12345"), Ok(5));
    assert_eq!(socket_write(a, b"abcdef"), Ok(6));
    let mut big = [0u8; 4096];
    for (i, x) in big.iter_mut().enumerate() {
        *x = i as u8;
    }
    assert_eq!(
        socket_write(a, &big),
        Ok(4096),
        "larger than one Zircon mbuf"
    );
    let info = socket_info(b).unwrap();
    assert_eq!((info.rx_buf_size, info.rx_buf_available), (5 + 6 + 4096, 5));
    assert_eq!(socket_info(a).unwrap().tx_buf_size, 5 + 6 + 4096);
    // Zero-length reads take nothing, even of a datagram.
    assert_eq!(socket_read(b, 0, &mut buf[..0]), Ok(0));
    assert_eq!(socket_read(b, 0, &mut buf[..0]), Ok(0));
    // Peeks, short and whole, leave the message.
    assert_eq!(socket_read(b, socket_opt::PEEK, &mut buf[..4]), Ok(4));
    assert_eq!(&buf[..4], b"1234");
    assert_eq!(
        socket_read(b, socket_opt::PEEK, &mut buf),
        Ok(5),
        "one message"
    );
    assert_eq!(&buf[..5], b"12345");
    // A short read truncates: the rest of the message is gone.
    assert_eq!(socket_read(b, 0, &mut buf[..4]), Ok(4));
    assert_eq!(&buf[..4], b"1234");
    assert_eq!(socket_info(b).unwrap().rx_buf_available, 6);
    assert_eq!(
        socket_read(b, 0, &mut buf),
        Ok(6),
        "the next message, whole"
    );
    assert_eq!(&buf[..6], b"abcdef");
    let mut back = [0u8; 5000];
    assert_eq!(socket_read(b, 0, &mut back), Ok(4096));
    assert_eq!(&back[..4096], &big[..]);
    let info = socket_info(b).unwrap();
    assert_eq!((info.rx_buf_size, info.rx_buf_available), (0, 0));
    assert_eq!(observed(b), signals::SOCKET_WRITABLE, "drained");
    close(a);
    close(b);
}

fn sizes(root: Handle) {
    let (a, b) = pair();
    let max = socket_info(a).unwrap().tx_buf_max;
    assert!(max > 0);
    let len = (2 * max + PAGE) & !(PAGE - 1);
    let (src_vmo, dst_vmo) = (vmo(len as u64, 0), vmo(len as u64, 0));
    let src = Mapping::new(root, src_vmo, len, RW);
    let dst = Mapping::new(root, dst_vmo, len, RW);
    for i in (0..max).step_by(PAGE) {
        src.write_u64(i, i as u64);
    }
    let mut actual = usize::MAX;
    // SAFETY: the mapping is live and `len` bytes long.
    let s = unsafe { zx::raw::socket_write(a, 0, src.ptr(0), 2 * max, &mut actual) };
    assert_err(
        zx::to_result(s),
        ZxStatus::OutOfRange,
        "a message larger than the buffer",
    );
    assert_eq!(actual, usize::MAX, "actual untouched on failure");
    // SAFETY: as above.
    let s = unsafe { zx::raw::socket_write(a, 0, src.ptr(0), max + 1, &mut actual) };
    assert_err(zx::to_result(s), ZxStatus::OutOfRange, "one byte too many");
    // The largest message fits an empty buffer, then nothing else does.
    // SAFETY: as above.
    let s = unsafe { zx::raw::socket_write(a, 0, src.ptr(0), max, &mut actual) };
    assert_eq!(
        (zx::to_result(s), actual),
        (Ok(()), max),
        "the largest message"
    );
    assert_eq!(observed(a), 0, "full");
    assert_err(socket_write(a, b"x"), ZxStatus::ShouldWait, "full");
    // SAFETY: the destination mapping is live and `len` bytes long.
    let s = unsafe { zx::raw::socket_read(b, 0, dst.ptr(0), len, &mut actual) };
    assert_eq!((zx::to_result(s), actual), (Ok(()), max), "read whole");
    for i in (0..max).step_by(PAGE) {
        assert_eq!(dst.read_u64(i), i as u64, "offset {}", i);
    }
    assert_eq!(dst.read_u8(max - 1), src.read_u8(max - 1), "the last byte");
    // A message that does not fit now waits: no short write.
    assert_eq!(socket_write(a, &[7u8; 100]), Ok(100));
    // SAFETY: as above, for the source.
    let s = unsafe { zx::raw::socket_write(a, 0, src.ptr(0), max - 99, &mut actual) };
    assert_err(
        zx::to_result(s),
        ZxStatus::ShouldWait,
        "does not fit beside 100 bytes",
    );
    assert_eq!(observed(a), signals::SOCKET_WRITABLE, "yet not full");
    // SAFETY: as above.
    let s = unsafe { zx::raw::socket_write(a, 0, src.ptr(0), max - 100, &mut actual) };
    assert_eq!(
        (zx::to_result(s), actual),
        (Ok(()), max - 100),
        "fits exactly"
    );
    assert_eq!(socket_info(b).unwrap().rx_buf_available, 100);
    src.unmap();
    dst.unmap();
    for h in [src_vmo, dst_vmo, a, b] {
        close(h);
    }
}

fn main(root: Handle) -> i64 {
    leak::check("socket_datagram: messages", || messages(root));
    zx::println!("socket_datagram: one message a read, truncated on short reads; PEEK keeps it");
    leak::check("socket_datagram: sizes", || sizes(root));
    zx::println!("socket_datagram: OUT_OF_RANGE past the buffer, SHOULD_WAIT, no short write");
    0
}

zx::entry!(main);
