//! Tests channels' messages: `zx_channel_create` (options INVALID_ARGS, bad
//! out-pointers INVALID_ARGS, rights 0xF00E, type, related koids),
//! WRITABLE at start and READABLE while a message is queued, messages read
//! back whole and in order (bytes and handles: a VMO sent through the
//! channel is read through the received handle), SHOULD_WAIT when empty,
//! BUFFER_TOO_SMALL with the sizes and the message left queued (dropped,
//! handles closed, with READ_MAY_DISCARD), the limits (65536 bytes and 64
//! handles fit, one more is OUT_OF_RANGE and closes every handle), rights
//! (WRITE, READ), wrong types, bad handles and pointers, unknown options,
//! PEER_CLOSED (WRITABLE cleared, queued messages still readable, then
//! PEER_CLOSED), the queue limit (SHOULD_WAIT past 3500 messages), and
//! nothing leaked (pages, VMOs, the kernel heap).
#![no_std]
#![no_main]

#[allow(dead_code)] // each program uses part of it
#[path = "../peer_leak.rs"]
mod leak;

use el0_tests::{assert_err, close, dup, handle_basic, vmo, zx, BAD_POINTERS, GARBAGE_HANDLE};
use zx::channel::{channel_create, channel_read, channel_write, Actual};
use zx::{
    channel as ch, obj_type, rights, signals, Handle, ZxStatus, ZX_HANDLE_INVALID,
    ZX_TIME_INFINITE_PAST,
};

/// The signals asserted on `h` now.
fn observed(h: Handle) -> u32 {
    let (s, seen) = zx::object_wait_one(h, 0, ZX_TIME_INFINITE_PAST);
    assert_eq!(s, Err(ZxStatus::TimedOut), "a poll times out");
    seen
}

/// Whether `h` is still a valid handle.
fn is_valid(h: Handle) -> bool {
    zx::object_get_info(h, zx::topic::HANDLE_VALID, &mut []).is_ok()
}

fn create() {
    let (mut a, mut b) = (ZX_HANDLE_INVALID, ZX_HANDLE_INVALID);
    assert_err(
        // SAFETY: both out-pointers name live locals.
        zx::to_result(unsafe { zx::raw::channel_create(1, &mut a, &mut b) }),
        ZxStatus::InvalidArgs,
        "options other than 0",
    );
    for (what, p) in BAD_POINTERS {
        assert_err(
            // SAFETY: the kernel must reject the bad pointer.
            zx::to_result(unsafe { zx::raw::channel_create(0, &mut a, p as *mut Handle) }),
            ZxStatus::InvalidArgs,
            what,
        );
    }
    let (a, b) = channel_create().unwrap();
    let (ia, ib) = (handle_basic(a), handle_basic(b));
    for i in [ia, ib] {
        assert_eq!(i.obj_type, obj_type::CHANNEL);
        assert_eq!(i.rights, rights::DEFAULT_CHANNEL);
        assert_eq!(i.rights, 0xF00E, "ZX_DEFAULT_CHANNEL_RIGHTS");
    }
    assert_eq!((ia.related_koid, ib.related_koid), (ib.koid, ia.koid));
    assert_eq!(observed(a), signals::CHANNEL_WRITABLE);
    assert_eq!(observed(b), signals::CHANNEL_WRITABLE);
    close(a);
    close(b);
}

fn messages_and_signals() {
    let (a, b) = channel_create().unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        channel_read(b, 0, &mut buf, &mut []).0,
        Err(ZxStatus::ShouldWait),
        "empty"
    );
    channel_write(a, b"first", &[]).unwrap();
    channel_write(a, b"", &[]).unwrap();
    channel_write(a, b"third message", &[]).unwrap();
    assert_eq!(observed(a), signals::CHANNEL_WRITABLE);
    assert_eq!(
        observed(b),
        signals::CHANNEL_WRITABLE | signals::CHANNEL_READABLE
    );
    let (s, n) = channel_read(b, 0, &mut buf[..4], &mut []);
    assert_eq!(s, Err(ZxStatus::BufferTooSmall));
    assert_eq!(
        n,
        Actual {
            bytes: 5,
            handles: 0
        },
        "the sizes it needs"
    );
    let (s, n) = channel_read(b, 0, &mut buf, &mut []);
    assert_eq!((s, n.bytes, &buf[..5]), (Ok(()), 5, &b"first"[..]));
    let (s, n) = channel_read(b, 0, &mut buf, &mut []);
    assert_eq!((s, n.bytes), (Ok(()), 0), "an empty message");
    // Too small for the bytes with MAY_DISCARD: dropped.
    let (s, n) = channel_read(b, ch::READ_MAY_DISCARD, &mut buf[..1], &mut []);
    assert_eq!((s, n.bytes), (Err(ZxStatus::BufferTooSmall), 13));
    assert_eq!(observed(b), signals::CHANNEL_WRITABLE, "nothing left");
    assert_eq!(
        channel_read(b, 2, &mut buf, &mut []).0,
        Err(ZxStatus::NotSupported),
        "unknown read option"
    );
    // The other way works the same.
    channel_write(b, b"back", &[]).unwrap();
    let (s, n) = channel_read(a, 0, &mut buf, &mut []);
    assert_eq!((s, n.bytes, &buf[..4]), (Ok(()), 4, &b"back"[..]));
    close(a);
    close(b);
}

fn handles_and_a_vmo() {
    let (a, b) = channel_create().unwrap();
    let v = vmo(4096, 0);
    zx::vmo_write(v, b"through the channel", 100).unwrap();
    let koid = handle_basic(v).koid;
    let e = zx::event_create().unwrap();
    channel_write(a, b"hv", &[v, e]).unwrap();
    assert!(
        !is_valid(v) && !is_valid(e),
        "sent handles leave the sender"
    );
    let mut buf = [0u8; 4];
    let mut hs = [0 as Handle; 1];
    let (s, n) = channel_read(b, 0, &mut buf, &mut hs);
    assert_eq!(
        (s, n),
        (
            Err(ZxStatus::BufferTooSmall),
            Actual {
                bytes: 2,
                handles: 2
            }
        ),
        "too few handle slots"
    );
    let mut hs = [0 as Handle; 2];
    let (s, n) = channel_read(b, 0, &mut buf, &mut hs);
    assert_eq!((s, n.bytes, n.handles), (Ok(()), 2, 2));
    let got = handle_basic(hs[0]);
    assert_eq!(got.koid, koid, "the same VMO");
    assert_eq!(got.rights, rights::DEFAULT_VMO, "with its rights");
    let mut text = [0u8; 19];
    zx::vmo_read(hs[0], &mut text, 100).unwrap();
    assert_eq!(&text, b"through the channel");
    assert_eq!(handle_basic(hs[1]).obj_type, obj_type::EVENT);
    close(hs[0]);
    close(hs[1]);
    // A message with handles dropped by MAY_DISCARD closes them.
    let e = zx::event_create().unwrap();
    let keep = dup(e, rights::SAME_RIGHTS);
    channel_write(a, b"", &[e]).unwrap();
    let (s, n) = channel_read(b, ch::READ_MAY_DISCARD, &mut [], &mut []);
    assert_eq!((s, n.handles), (Err(ZxStatus::BufferTooSmall), 1));
    let mut count = [0u8; 4];
    zx::object_get_info(keep, zx::topic::HANDLE_COUNT, &mut count).unwrap();
    assert_eq!(u32::from_le_bytes(count), 1, "the discarded handle closed");
    close(keep);
    close(a);
    close(b);
    zx::println!("channel: bytes and handles cross; a VMO is read through the received handle");
}

fn limits() {
    let (a, b) = channel_create().unwrap();
    static mut BIG: [u8; ch::MAX_MSG_BYTES as usize + 1] = [0; ch::MAX_MSG_BYTES as usize + 1];
    // SAFETY: only this thread touches BIG.
    let big = unsafe { &mut *core::ptr::addr_of_mut!(BIG) };
    big[ch::MAX_MSG_BYTES as usize - 1] = 0x5a;
    channel_write(a, &big[..ch::MAX_MSG_BYTES as usize], &[]).unwrap();
    assert_err(
        channel_write(a, &big[..], &[]),
        ZxStatus::OutOfRange,
        "65537 bytes",
    );
    big.fill(0);
    let (s, n) = channel_read(b, 0, &mut big[..], &mut []);
    assert_eq!((s, n.bytes), (Ok(()), ch::MAX_MSG_BYTES));
    assert_eq!(big[ch::MAX_MSG_BYTES as usize - 1], 0x5a);

    let mut hs = [0 as Handle; ch::MAX_MSG_HANDLES as usize + 1];
    for h in hs.iter_mut() {
        *h = zx::event_create().unwrap();
    }
    assert_err(
        channel_write(a, b"", &hs),
        ZxStatus::OutOfRange,
        "65 handles",
    );
    assert!(hs.iter().all(|&h| !is_valid(h)), "every handle closed");
    // The byte limit with handles: they are closed too.
    for h in hs.iter_mut().take(3) {
        *h = zx::event_create().unwrap();
    }
    assert_err(
        channel_write(a, &big[..], &hs[..3]),
        ZxStatus::OutOfRange,
        "too many bytes",
    );
    assert!(hs[..3].iter().all(|&h| !is_valid(h)));
    for h in hs.iter_mut().take(64) {
        *h = zx::event_create().unwrap();
    }
    channel_write(a, b"", &hs[..64]).unwrap();
    let mut got = [0 as Handle; 64];
    let (s, n) = channel_read(b, 0, &mut [], &mut got);
    assert_eq!((s, n.handles), (Ok(()), 64));
    for h in got {
        close(h);
    }
    close(a);
    close(b);
}

fn rights_types_pointers(root: Handle) {
    // Channels carry no DUPLICATE right: the reduced handles replace the
    // full ones.
    let (a, b) = channel_create().unwrap();
    let ro = zx::handle_replace(a, rights::DEFAULT_CHANNEL & !rights::WRITE).unwrap();
    let e = zx::event_create().unwrap();
    assert_err(
        channel_write(ro, b"x", &[e]),
        ZxStatus::AccessDenied,
        "no WRITE",
    );
    assert!(!is_valid(e), "the handle is consumed anyway");
    channel_write(b, b"x", &[]).unwrap();
    assert_eq!(channel_read(ro, 0, &mut [0; 1], &mut []).0, Ok(()));
    let wo = zx::handle_replace(b, rights::DEFAULT_CHANNEL & !rights::READ).unwrap();
    channel_write(wo, b"x", &[]).unwrap();
    channel_write(ro, b"", &[]).unwrap_err();
    assert_eq!(
        channel_read(wo, 0, &mut [0; 1], &mut []).0,
        Err(ZxStatus::AccessDenied),
        "no READ"
    );
    close(ro);
    close(wo);
    let (a, b) = channel_create().unwrap();
    assert_err(
        channel_write(root, b"x", &[]),
        ZxStatus::WrongType,
        "a VMAR",
    );
    assert_eq!(
        channel_read(root, 0, &mut [], &mut []).0,
        Err(ZxStatus::WrongType)
    );
    assert_err(
        channel_write(GARBAGE_HANDLE, b"x", &[]),
        ZxStatus::BadHandle,
        "a bad handle",
    );
    let e = zx::event_create().unwrap();
    assert_err(
        // SAFETY: no memory is passed but the handle list.
        zx::to_result(unsafe { zx::raw::channel_write(a, 1, core::ptr::null(), 0, &e, 1) }),
        ZxStatus::InvalidArgs,
        "write options",
    );
    assert!(!is_valid(e), "consumed on INVALID_ARGS too");
    for (what, p) in BAD_POINTERS {
        assert_err(
            // SAFETY: the kernel must reject the bad pointer.
            zx::to_result(unsafe {
                zx::raw::channel_write(a, 0, p as *const u8, 8, core::ptr::null(), 0)
            }),
            ZxStatus::InvalidArgs,
            what,
        );
        assert_err(
            // SAFETY: as above.
            zx::to_result(unsafe {
                zx::raw::channel_write(a, 0, core::ptr::null(), 0, p as *const Handle, 1)
            }),
            ZxStatus::InvalidArgs,
            what,
        );
    }
    assert_eq!(observed(b), signals::CHANNEL_WRITABLE, "nothing was sent");
    channel_write(a, b"data", &[]).unwrap();
    for (what, p) in BAD_POINTERS {
        let mut n = 0u32;
        let s = zx::to_result(
            // SAFETY: the kernel must reject the bad pointer.
            unsafe {
                zx::raw::channel_read(
                    b,
                    0,
                    core::ptr::null_mut(),
                    core::ptr::null_mut(),
                    0,
                    0,
                    p as *mut u32,
                    &mut n,
                )
            },
        );
        if p == 0 {
            assert_eq!(s, Err(ZxStatus::BufferTooSmall), "NULL counts are allowed");
        } else {
            assert_err(s, ZxStatus::InvalidArgs, what);
        }
    }
    channel_write(a, b"data", &[]).unwrap();
    let (s, _) = channel_read(b, 0, &mut [0; 4], &mut []);
    assert_eq!(s, Ok(()), "the message stayed queued");
    // A read that cannot copy the bytes out consumes the message.
    let s = zx::to_result(
        // SAFETY: the kernel must reject the bad pointer.
        unsafe {
            zx::raw::channel_read(
                b,
                0,
                0x10 as *mut u8,
                core::ptr::null_mut(),
                4,
                0,
                core::ptr::null_mut(),
                core::ptr::null_mut(),
            )
        },
    );
    assert_err(s, ZxStatus::InvalidArgs, "unwritable bytes");
    assert_eq!(
        channel_read(b, 0, &mut [0; 4], &mut []).0,
        Err(ZxStatus::ShouldWait)
    );
    close(a);
    close(b);
    zx::println!("channel: WRITE and READ needed, wrong types, bad handles and pointers refused");
}

fn peer_closed() {
    let (a, b) = channel_create().unwrap();
    channel_write(a, b"one", &[]).unwrap();
    channel_write(a, b"two", &[]).unwrap();
    close(a);
    assert_eq!(
        observed(b),
        signals::CHANNEL_READABLE | signals::CHANNEL_PEER_CLOSED,
        "WRITABLE cleared"
    );
    let e = zx::event_create().unwrap();
    assert_err(
        channel_write(b, b"x", &[e]),
        ZxStatus::PeerClosed,
        "no peer",
    );
    assert!(!is_valid(e), "consumed");
    let mut buf = [0u8; 3];
    assert_eq!(channel_read(b, 0, &mut buf, &mut []).0, Ok(()));
    assert_eq!(channel_read(b, 0, &mut buf, &mut []).0, Ok(()));
    assert_eq!(&buf, b"two");
    assert_eq!(
        channel_read(b, 0, &mut buf, &mut []).0,
        Err(ZxStatus::PeerClosed)
    );
    assert_eq!(observed(b), signals::CHANNEL_PEER_CLOSED);
    assert_err(
        zx::peer::object_signal_peer(b, 0, signals::USER_0),
        ZxStatus::PeerClosed,
        "signal_peer",
    );
    close(b);
}

/// An endpoint holds at most `MAX_PENDING_MESSAGES` (Zircon's 3500); one
/// more is refused with SHOULD_WAIT and its handles closed.
fn queue_limit() {
    let (a, b) = channel_create().unwrap();
    for i in 0..ch::MAX_PENDING_MESSAGES {
        channel_write(a, &(i as u32).to_le_bytes(), &[]).unwrap();
    }
    let e = zx::event_create().unwrap();
    assert_err(
        channel_write(a, b"", &[e]),
        ZxStatus::ShouldWait,
        "one message past the limit",
    );
    assert!(!is_valid(e), "its handle closed");
    let mut buf = [0u8; 4];
    assert_eq!(channel_read(b, 0, &mut buf, &mut []).0, Ok(()));
    assert_eq!(u32::from_le_bytes(buf), 0, "the first message first");
    channel_write(a, b"more", &[]).unwrap();
    close(a);
    close(b);
}

fn main(root: Handle) -> i64 {
    create();
    messages_and_signals();
    handles_and_a_vmo();
    limits();
    rights_types_pointers(root);
    peer_closed();
    queue_limit();
    leak::check("channel: messages", messages_and_signals);
    leak::check("channel: handles", handles_and_a_vmo);
    leak::check("channel: limits", limits);
    leak::check("channel: peer closed", peer_closed);
    leak::check("channel: queue limit", queue_limit);
    zx::println!("channel: limits, PEER_CLOSED, nothing leaked");
    0
}

zx::entry!(main);
