//! Tests stream sockets: `zx_socket_create` (options INVALID_ARGS, bad
//! out-pointers INVALID_ARGS, default rights, type, related koids), bytes
//! written and read back in order, PEEK leaving them, SHOULD_WAIT when
//! empty and when full, a short write into the last room, zero-length
//! reads and writes, `actual` optional, READABLE/WRITABLE following the
//! buffers, the argument checks (NULL buffer with a size, options, bad
//! buffers INVALID_ARGS), rights (WRITE, READ, INSPECT) and types
//! (WRONG_TYPE), `ZX_INFO_SOCKET` on both ends, signal_peer's bits,
//! PEER_CLOSED (writes refused, the rest still readable, then PEER_CLOSED),
//! `zx_socket_shutdown`, the threshold properties and the name, and that
//! the buffered bytes are freed: pages, VMOs and kernel heap all come back.
#![no_std]
#![no_main]

#[allow(dead_code)] // each program uses part of it
#[path = "../peer_leak.rs"]
mod leak;

use el0_tests::{
    assert_err, close, dup, handle_basic, vmo, zx, Mapping, BAD_POINTERS, GARBAGE_HANDLE, PAGE, RW,
};
use zx::peer::socket_write;
use zx::peer::{object_signal_peer, socket_create, socket_info, socket_read, socket_shutdown};
use zx::{
    obj_type, prop, rights, signals, socket_opt, Handle, ZxStatus, ZX_HANDLE_INVALID,
    ZX_MAX_NAME_LEN, ZX_TIME_INFINITE_PAST,
};

const R: u32 = signals::SOCKET_READABLE;
const W: u32 = signals::SOCKET_WRITABLE;

/// The signals asserted on `h` now (a wait that polls).
fn observed(h: Handle) -> u32 {
    zx::object_wait_one(h, 0, ZX_TIME_INFINITE_PAST).1
}

fn pair() -> (Handle, Handle) {
    socket_create(socket_opt::STREAM).unwrap()
}

#[track_caller]
fn write_all(h: Handle, data: &[u8]) {
    assert_eq!(socket_write(h, data), Ok(data.len()), "a whole write");
}

#[track_caller]
fn read_exact(h: Handle, expected: &[u8]) {
    let mut buf = [0u8; 64];
    let n = socket_read(h, 0, &mut buf[..expected.len()]).unwrap();
    assert_eq!(&buf[..n], expected, "the bytes read back");
}

fn create() {
    let (mut a, mut b) = (ZX_HANDLE_INVALID, ZX_HANDLE_INVALID);
    for bad in [2, 1 << 3, u32::MAX] {
        assert_err(
            // SAFETY: both out-pointers name live locals.
            zx::to_result(unsafe { zx::raw::socket_create(bad, &mut a, &mut b) }),
            ZxStatus::InvalidArgs,
            "unknown options",
        );
    }
    assert_eq!((a, b), (ZX_HANDLE_INVALID, ZX_HANDLE_INVALID), "no handles");
    for (what, p) in BAD_POINTERS {
        assert_err(
            // SAFETY: the kernel must reject the bad pointer, whichever.
            zx::to_result(unsafe { zx::raw::socket_create(0, &mut a, p as *mut Handle) }),
            ZxStatus::InvalidArgs,
            what,
        );
        assert_err(
            // SAFETY: as above.
            zx::to_result(unsafe { zx::raw::socket_create(1, p as *mut Handle, &mut b) }),
            ZxStatus::InvalidArgs,
            what,
        );
    }
    let (a, b) = pair();
    let (ia, ib) = (handle_basic(a), handle_basic(b));
    for i in [ia, ib] {
        assert_eq!(i.obj_type, obj_type::SOCKET);
        assert_eq!(i.rights, rights::DEFAULT_SOCKET);
        assert_eq!(
            i.rights,
            rights::BASIC
                | rights::IO
                | rights::PROPERTY
                | rights::SIGNAL
                | rights::SIGNAL_PEER
                | rights::MANAGE_SOCKET
        );
    }
    assert_eq!((ia.related_koid, ib.related_koid), (ib.koid, ia.koid));
    assert_eq!((observed(a), observed(b)), (W, W), "both writable at start");
    close(a);
    close(b);
}

fn bytes_and_signals() {
    let (a, b) = pair();
    let mut buf = [0u8; 16];
    assert_err(socket_read(a, 0, &mut buf), ZxStatus::ShouldWait, "empty");
    assert_err(
        socket_read(a, socket_opt::PEEK, &mut buf),
        ZxStatus::ShouldWait,
        "peek into empty",
    );
    assert_err(
        socket_read(a, 0, &mut buf[..0]),
        ZxStatus::ShouldWait,
        "0 bytes of empty",
    );
    write_all(a, b"12345");
    write_all(a, b"abc");
    assert_eq!(socket_write(a, b""), Ok(0), "a zero-length write");
    assert_eq!((observed(a), observed(b)), (W, W | R));
    assert_eq!(socket_read(b, 0, &mut buf[..0]), Ok(0), "0 bytes read");
    assert_eq!(socket_read(b, socket_opt::PEEK, &mut buf), Ok(8));
    assert_eq!(&buf[..8], b"12345abc", "a peek sees both writes");
    assert_eq!(observed(b), W | R, "a peek leaves the bytes");
    read_exact(b, b"123");
    read_exact(b, b"45abc");
    assert_eq!(observed(b), W, "drained");
    // `actual` may be NULL.
    // SAFETY: the buffer is live; NULL `actual` is allowed.
    let s = unsafe { zx::raw::socket_write(b, 0, b"xyz".as_ptr(), 3, core::ptr::null_mut()) };
    assert_eq!(zx::to_result(s), Ok(()));
    // SAFETY: as above, for a read into `buf`.
    let s = unsafe { zx::raw::socket_read(a, 0, buf.as_mut_ptr(), 16, core::ptr::null_mut()) };
    assert_eq!(zx::to_result(s), Ok(()));
    assert_eq!(&buf[..3], b"xyz");
    close(a);
    close(b);
}

fn argument_checks(root: Handle) {
    let (a, b) = pair();
    let mut actual = 99usize;
    // SAFETY: NULL with a size is what is tested; `actual` is live.
    let s = unsafe { zx::raw::socket_write(a, 0, core::ptr::null(), 1, &mut actual) };
    assert_err(zx::to_result(s), ZxStatus::InvalidArgs, "write from NULL");
    // SAFETY: as above.
    let s = unsafe { zx::raw::socket_read(a, 0, core::ptr::null_mut(), 1, &mut actual) };
    assert_err(zx::to_result(s), ZxStatus::InvalidArgs, "read into NULL");
    // SAFETY: NULL with size 0 is allowed.
    let s = unsafe { zx::raw::socket_write(a, 0, core::ptr::null(), 0, &mut actual) };
    assert_eq!((zx::to_result(s), actual), (Ok(()), 0), "NULL, 0 bytes");
    let mut buf = [0u8; 8];
    for opt in [1, socket_opt::PEEK, u32::MAX] {
        // SAFETY: the buffer is live.
        let s = unsafe { zx::raw::socket_write(a, opt, buf.as_ptr(), 1, &mut actual) };
        assert_err(zx::to_result(s), ZxStatus::InvalidArgs, "write options");
    }
    for opt in [1, 2, socket_opt::PEEK << 1, u32::MAX] {
        assert_err(
            socket_read(a, opt, &mut buf),
            ZxStatus::InvalidArgs,
            "read options",
        );
    }
    // Bad user buffers: nothing is written or read.
    write_all(b, b"q");
    for (what, p) in BAD_POINTERS.iter().skip(1) {
        actual = 99;
        // SAFETY: the kernel must refuse the bad pointer.
        let s = unsafe { zx::raw::socket_write(a, 0, *p as *const u8, 4, &mut actual) };
        assert_err(zx::to_result(s), ZxStatus::InvalidArgs, what);
        assert_eq!(actual, 99, "{}: actual untouched", what);
    }
    assert_eq!(observed(b), W, "nothing reached b");
    // SAFETY: as above, for a read into a bad pointer.
    let s = unsafe { zx::raw::socket_read(a, 0, 0x10 as *mut u8, 1, &mut actual) };
    assert_err(
        zx::to_result(s),
        ZxStatus::InvalidArgs,
        "read into a bad pointer",
    );
    assert_eq!(actual, 99, "actual untouched");
    // A bad `actual` after a good write: the bytes went, the call says so.
    write_all(b, b"r");
    // SAFETY: the buffer is live; `actual` is bad on purpose.
    let s = unsafe { zx::raw::socket_write(b, 0, buf.as_ptr(), 1, 0x10 as *mut usize) };
    assert_err(zx::to_result(s), ZxStatus::InvalidArgs, "a bad actual");

    // Rights and types.
    let ro = dup(a, rights::DEFAULT_SOCKET & !rights::WRITE);
    let wo = dup(a, rights::DEFAULT_SOCKET & !rights::READ);
    assert_err(socket_write(ro, b"x"), ZxStatus::AccessDenied, "no WRITE");
    assert_err(
        socket_read(wo, 0, &mut buf),
        ZxStatus::AccessDenied,
        "no READ",
    );
    assert_err(
        socket_shutdown(ro, 0),
        ZxStatus::AccessDenied,
        "shutdown, no WRITE",
    );
    let blind = dup(a, rights::DEFAULT_SOCKET & !rights::INSPECT);
    assert_err(socket_info(blind), ZxStatus::AccessDenied, "no INSPECT");
    let v = vmo(PAGE as u64, 0);
    assert_err(socket_write(v, b"x"), ZxStatus::WrongType, "write a VMO");
    assert_err(
        socket_read(v, 0, &mut buf),
        ZxStatus::WrongType,
        "read a VMO",
    );
    assert_err(
        socket_shutdown(v, 0),
        ZxStatus::WrongType,
        "shut down a VMO",
    );
    assert_err(
        socket_info(v),
        ZxStatus::WrongType,
        "ZX_INFO_SOCKET of a VMO",
    );
    assert_err(
        socket_info(root),
        ZxStatus::WrongType,
        "ZX_INFO_SOCKET of a VMAR",
    );
    assert_err(
        socket_write(GARBAGE_HANDLE, b"x"),
        ZxStatus::BadHandle,
        "bad handle",
    );
    assert_err(
        socket_read(GARBAGE_HANDLE, 0, &mut buf),
        ZxStatus::BadHandle,
        "bad handle",
    );
    assert_err(
        socket_shutdown(a, 4),
        ZxStatus::InvalidArgs,
        "shutdown options",
    );
    for h in [ro, wo, blind, v, a, b] {
        close(h);
    }
    zx::println!("socket_stream: arguments, rights and types are checked as in Zircon");
}

fn fill_and_drain() {
    let (a, b) = pair();
    let info = socket_info(a).unwrap();
    let max = info.rx_buf_max;
    assert!(max > 0);
    assert_eq!((info.tx_buf_max, info.tx_buf_size), (max, 0));
    let chunk = [0x5au8; 4096];
    let mut total = 0;
    // Whole chunks while they fit, then the last room in a short write.
    while max - total >= chunk.len() {
        write_all(a, &chunk);
        total += chunk.len();
    }
    assert_eq!(observed(a), W, "room left");
    assert_eq!(socket_write(a, &chunk), Ok(max - total), "a short write");
    assert_eq!(observed(a), 0, "full: not writable");
    assert_err(socket_write(a, &chunk), ZxStatus::ShouldWait, "full");
    assert_eq!(socket_write(a, b""), Ok(0), "0 bytes fit even now");
    let (ia, ib) = (socket_info(a).unwrap(), socket_info(b).unwrap());
    assert_eq!((ia.tx_buf_size, ia.rx_buf_size), (max, 0));
    assert_eq!(
        (ib.rx_buf_size, ib.rx_buf_available, ib.tx_buf_size),
        (max, max, 0)
    );
    let mut buf = [0u8; 100];
    assert_eq!(socket_read(b, 0, &mut buf), Ok(100));
    assert_eq!(observed(a), W, "writable again");
    assert_eq!(socket_write(a, &chunk), Ok(100), "exactly the room read");
    // Drain everything: b is readable until the last byte.
    let mut left = max;
    let mut big = [0u8; 4096];
    while left > 0 {
        assert_eq!(observed(b) & R, R);
        let n = socket_read(b, 0, &mut big).unwrap();
        assert!(big[..n].iter().all(|&x| x == 0x5a));
        left -= n;
    }
    assert_eq!((observed(a), observed(b)), (W, W));
    close(a);
    close(b);
}

fn peer_closed() {
    let (a, b) = pair();
    write_all(a, b"for b");
    write_all(b, b"for a");
    object_signal_peer(a, 0, signals::USER_1).unwrap();
    assert_err(
        object_signal_peer(a, signals::SOCKET_WRITABLE, 0),
        ZxStatus::InvalidArgs,
        "WRITABLE is the kernel's",
    );
    assert_eq!(observed(b), W | R | signals::USER_1);
    close(a);
    assert_eq!(
        observed(b),
        R | signals::USER_1 | signals::SOCKET_PEER_CLOSED,
        "not writable, still readable"
    );
    assert_err(socket_write(b, b"x"), ZxStatus::PeerClosed, "write");
    assert_err(
        object_signal_peer(b, 0, signals::USER_0),
        ZxStatus::PeerClosed,
        "signal",
    );
    let info = socket_info(b).unwrap();
    assert_eq!(
        (info.rx_buf_size, info.tx_buf_max, info.tx_buf_size),
        (5, 0, 0)
    );
    read_exact(b, b"for b");
    let mut buf = [0u8; 4];
    assert_err(socket_read(b, 0, &mut buf), ZxStatus::PeerClosed, "drained");
    close(b);
}

/// Closing both ends with bytes buffered on both sides frees them.
fn close_with_bytes_buffered() {
    let (a, b) = pair();
    let chunk = [1u8; 4096];
    for _ in 0..16 {
        write_all(a, &chunk);
        write_all(b, &chunk);
    }
    close(b);
    close(a);
}

fn shutdown() {
    let (a, b) = pair();
    write_all(a, b"last");
    socket_shutdown(a, socket_opt::SHUTDOWN_WRITE).unwrap();
    assert_eq!(observed(a), signals::SOCKET_WRITE_DISABLED);
    assert_eq!(observed(b), W | R | signals::SOCKET_PEER_WRITE_DISABLED);
    assert_err(
        socket_write(a, b"x"),
        ZxStatus::BadState,
        "writes shut down",
    );
    socket_shutdown(a, socket_opt::SHUTDOWN_WRITE).unwrap();
    read_exact(b, b"last");
    let mut buf = [0u8; 4];
    assert_err(
        socket_read(b, 0, &mut buf),
        ZxStatus::BadState,
        "nothing more will come",
    );
    write_all(b, b"back");
    read_exact(a, b"back");
    // Read shutdown at b stops b's peer... which is a: already done. At a:
    // b may write no more.
    socket_shutdown(a, socket_opt::SHUTDOWN_READ).unwrap();
    assert_err(socket_write(b, b"x"), ZxStatus::BadState, "a reads no more");
    assert_eq!(
        observed(b),
        signals::SOCKET_PEER_WRITE_DISABLED | signals::SOCKET_WRITE_DISABLED
    );
    assert_err(
        socket_read(a, 0, &mut buf),
        ZxStatus::BadState,
        "a's reads shut down",
    );
    close(a);
    assert_eq!(
        observed(b) & signals::SOCKET_PEER_CLOSED,
        signals::SOCKET_PEER_CLOSED
    );
    socket_shutdown(b, socket_opt::SHUTDOWN_READ | socket_opt::SHUTDOWN_WRITE).unwrap();
    close(b);
}

fn get_usize(h: Handle, property: u32) -> Result<usize, ZxStatus> {
    let mut v = [0u8; 8];
    zx::object_get_property(h, property, &mut v)?;
    Ok(usize::from_le_bytes(v))
}

fn set_usize(h: Handle, property: u32, value: usize) -> zx::Status {
    zx::object_set_property(h, property, &value.to_le_bytes())
}

fn properties() {
    let (a, b) = pair();
    let max = socket_info(a).unwrap().rx_buf_max;
    assert_eq!(get_usize(a, prop::SOCKET_RX_THRESHOLD), Ok(0));
    set_usize(a, prop::SOCKET_RX_THRESHOLD, 3).unwrap();
    assert_err(
        set_usize(a, prop::SOCKET_RX_THRESHOLD, max + 1),
        ZxStatus::InvalidArgs,
        "past the buffer",
    );
    let d = dup(a, rights::SAME_RIGHTS);
    assert_eq!(get_usize(d, prop::SOCKET_RX_THRESHOLD), Ok(3), "per object");
    set_usize(b, prop::SOCKET_TX_THRESHOLD, max - 2).unwrap();
    assert_eq!(get_usize(b, prop::SOCKET_TX_THRESHOLD), Ok(max - 2));
    assert_eq!(observed(b), W | signals::SOCKET_WRITE_THRESHOLD);
    write_all(b, b"ab");
    assert_eq!(observed(a), W | R, "below the read threshold");
    assert_eq!(
        observed(b),
        W | signals::SOCKET_WRITE_THRESHOLD,
        "room = max - 2"
    );
    write_all(b, b"c");
    assert_eq!(observed(a), W | R | signals::SOCKET_READ_THRESHOLD);
    assert_eq!(observed(b), W, "room below the write threshold");
    read_exact(a, b"a");
    assert_eq!(observed(a), W | R, "below the read threshold again");
    read_exact(a, b"bc");
    assert_eq!(observed(b), W | signals::SOCKET_WRITE_THRESHOLD);
    assert_err(
        zx::object_set_property(a, prop::SOCKET_RX_THRESHOLD, &[0u8; 7]),
        ZxStatus::BufferTooSmall,
        "a short value",
    );
    let v = vmo(PAGE as u64, 0);
    assert_err(
        get_usize(v, prop::SOCKET_RX_THRESHOLD),
        ZxStatus::WrongType,
        "a VMO",
    );
    assert_err(
        set_usize(v, prop::SOCKET_TX_THRESHOLD, 1),
        ZxStatus::WrongType,
        "a VMO",
    );
    let no_set = dup(a, rights::DEFAULT_SOCKET & !rights::SET_PROPERTY);
    assert_err(
        set_usize(no_set, prop::SOCKET_RX_THRESHOLD, 1),
        ZxStatus::AccessDenied,
        "no SET_PROPERTY",
    );
    // Sockets have no name: it reads empty, and cannot be set (Zircon).
    let mut name = [0xffu8; ZX_MAX_NAME_LEN];
    zx::object_get_property(a, prop::NAME, &mut name).unwrap();
    assert_eq!(name, [0u8; ZX_MAX_NAME_LEN], "the empty name");
    assert_err(
        zx::object_get_property(a, prop::NAME, &mut name[..ZX_MAX_NAME_LEN - 1]),
        ZxStatus::BufferTooSmall,
        "a short name buffer",
    );
    assert_err(
        zx::object_set_property(a, prop::NAME, b"sock"),
        ZxStatus::NotSupported,
        "set a socket's name",
    );
    set_usize(a, prop::SOCKET_TX_THRESHOLD, 1).unwrap();
    close(b);
    assert_err(
        set_usize(a, prop::SOCKET_TX_THRESHOLD, 1),
        ZxStatus::PeerClosed,
        "no peer to measure against",
    );
    for h in [v, no_set, d, a] {
        close(h);
    }
    zx::println!("socket_stream: thresholds raise their signals; the name reads empty");
}

/// A large write from a mapping, read back into another: every byte.
fn large_transfer(root: Handle) {
    let (a, b) = pair();
    let max = socket_info(a).unwrap().rx_buf_max;
    let len = (max + PAGE) & !(PAGE - 1);
    let (src_vmo, dst_vmo) = (vmo(len as u64, 0), vmo(len as u64, 0));
    let src = Mapping::new(root, src_vmo, len, RW);
    let dst = Mapping::new(root, dst_vmo, len, RW);
    for i in 0..max {
        src.write_u8(i, (i * 7 + i / 251) as u8);
    }
    let mut actual = 0;
    // SAFETY: the mapping is live and `len` bytes long.
    let s = unsafe { zx::raw::socket_write(a, 0, src.ptr(0), len, &mut actual) };
    assert_eq!((zx::to_result(s), actual), (Ok(()), max), "as much as fits");
    // SAFETY: as above, for the destination.
    let s = unsafe { zx::raw::socket_read(b, 0, dst.ptr(0), len, &mut actual) };
    assert_eq!(
        (zx::to_result(s), actual),
        (Ok(()), max),
        "all of it at once"
    );
    for i in 0..max {
        assert_eq!(dst.read_u8(i), (i * 7 + i / 251) as u8, "byte {}", i);
    }
    src.unmap();
    dst.unmap();
    for h in [src_vmo, dst_vmo, a, b] {
        close(h);
    }
}

fn main(root: Handle) -> i64 {
    leak::check("socket_stream: create", create);
    leak::check("socket_stream: bytes", bytes_and_signals);
    zx::println!("socket_stream: bytes come back in order; PEEK leaves them; signals follow");
    argument_checks(root);
    leak::check("socket_stream: fill and drain", fill_and_drain);
    zx::println!("socket_stream: SHOULD_WAIT when full, a short write into the last room");
    leak::check("socket_stream: peer closed", peer_closed);
    zx::println!("socket_stream: PEER_CLOSED refuses writes, leaves the rest to read");
    leak::check("socket_stream: buffered bytes", close_with_bytes_buffered);
    zx::println!("socket_stream: buffered bytes are freed with the socket");
    leak::check("socket_stream: shutdown", shutdown);
    zx::println!("socket_stream: shutdown disables writes and then reads, as Zircon");
    properties();
    large_transfer(root);
    zx::println!("socket_stream: a buffer's worth from a mapping comes back byte for byte");
    0
}

zx::entry!(main);
