//! Tests `zx_channel_call` (built, as Zircon's vDSO builds it, on
//! `zx_channel_call_noretry` and `zx_channel_call_finish`): a server thread
//! reads requests and replies with their txid, which the kernel wrote into
//! the first four bytes (at or above 0x8000_0000); the calling thread
//! blocks (ZX_THREAD_STATE_BLOCKED_CHANNEL) until the matching reply, and
//! a message with another txid is an ordinary message. Errors: fewer than
//! four bytes (INVALID_ARGS, handles consumed), READ and WRITE needed, a
//! reply too big for the buffers (BUFFER_TOO_SMALL), NULL counts
//! (INVALID_ARGS), a deadline passed (TIMED_OUT), the peer gone before
//! (PEER_CLOSED, handles consumed) or during the call (PEER_CLOSED, the
//! caller woken), `zx_channel_call_finish` with no interrupted call
//! (BAD_STATE). Handles travel both ways. Nothing leaked.
#![no_std]
#![no_main]

#[allow(dead_code)] // each program uses part of it
#[path = "../peer_leak.rs"]
mod leak;

use core::sync::atomic::{AtomicU32, Ordering};
use el0_tests::{assert_err, close, handle_basic, zx};
use zx::channel::{channel_call, channel_call_raw, channel_create, channel_read, channel_write};
use zx::{
    channel as ch, obj_type, rights, signals, thread, thread_state, ChannelCallArgs, Handle,
    InfoThread, ZxStatus, ZX_TIME_INFINITE, ZX_TIME_INFINITE_PAST,
};

fn is_valid(h: Handle) -> bool {
    zx::object_get_info(h, zx::topic::HANDLE_VALID, &mut []).is_ok()
}

/// The server: `count` times, reads a request, replies first with a
/// wrong txid (an ordinary message for the caller), then with the
/// request's txid, the request's bytes after it reversed, and an event.
fn serve(arg: usize) {
    let (h, count) = ((arg & 0xffff_ffff) as Handle, arg >> 32);
    for _ in 0..count {
        let (s, _) = zx::object_wait_one(
            h,
            signals::CHANNEL_READABLE | signals::CHANNEL_PEER_CLOSED,
            ZX_TIME_INFINITE,
        );
        s.unwrap();
        let mut req = [0u8; 64];
        let mut hs = [0 as Handle; 4];
        let (s, n) = channel_read(h, 0, &mut req, &mut hs);
        s.unwrap();
        let txid = u32::from_le_bytes(req[..4].try_into().unwrap());
        assert!(txid >= ch::MIN_KERNEL_TXID, "a kernel txid");
        for &x in &hs[..n.handles as usize] {
            close(x);
        }
        channel_write(h, &(txid ^ 1).to_le_bytes(), &[]).unwrap();
        let mut reply = [0u8; 64];
        reply[..4].copy_from_slice(&txid.to_le_bytes());
        let body = &req[4..n.bytes as usize];
        for (i, b) in body.iter().rev().enumerate() {
            reply[4 + i] = *b;
        }
        let e = zx::event_create().unwrap();
        channel_write(h, &reply[..n.bytes as usize], &[e]).unwrap();
    }
}

fn call_and_reply() {
    let (client, server) = channel_create().unwrap();
    let j = thread::spawn("server", serve, server as usize | 2 << 32).unwrap();
    for round in 0..2u8 {
        let e = zx::event_create().unwrap();
        let mut reply = [0u8; 16];
        let mut rh = [0 as Handle; 2];
        let (s, n) = channel_call(
            client,
            ZX_TIME_INFINITE,
            &[0, 0, 0, 0, 1, 2, round],
            &[e],
            &mut reply,
            &mut rh,
        );
        assert_eq!(s, Ok(()), "round {}", round);
        assert!(!is_valid(e), "the request's handle was sent");
        assert_eq!((n.bytes, n.handles), (7, 1));
        assert_eq!(&reply[4..7], &[round, 2, 1], "the server's reply");
        assert!(u32::from_le_bytes(reply[..4].try_into().unwrap()) >= ch::MIN_KERNEL_TXID);
        assert_eq!(handle_basic(rh[0]).obj_type, obj_type::EVENT);
        close(rh[0]);
    }
    j.join().unwrap();
    // The replies with the wrong txid were queued as ordinary messages.
    let mut buf = [0u8; 4];
    for _ in 0..2 {
        let (s, n) = channel_read(client, 0, &mut buf, &mut []);
        assert_eq!((s, n.bytes), (Ok(()), 4));
    }
    close(client);
    close(server);
}

/// The state of thread `h`.
fn thread_state_of(h: Handle) -> u32 {
    el0_tests::try_info::<InfoThread>(h, zx::topic::THREAD, size_of::<InfoThread>())
        .unwrap()
        .state
}

static CALLER_STATUS: AtomicU32 = AtomicU32::new(0);

fn call_forever(h: usize) {
    let (s, _) = channel_call(
        h as Handle,
        ZX_TIME_INFINITE,
        &[0; 8],
        &[],
        &mut [0; 8],
        &mut [],
    );
    CALLER_STATUS.store(s.err().map_or(0, |e| e.raw() as u32), Ordering::Release);
}

fn peer_closed_during_call() {
    let (client, server) = channel_create().unwrap();
    let j = thread::spawn("caller", call_forever, client as usize).unwrap();
    let (s, _) = zx::object_wait_one(server, signals::CHANNEL_READABLE, ZX_TIME_INFINITE);
    s.unwrap();
    while thread_state_of(j.handle()) != thread_state::BLOCKED_CHANNEL {
        zx::nanosleep(zx::deadline_after(100_000));
    }
    close(server);
    j.join().unwrap();
    assert_eq!(
        CALLER_STATUS.load(Ordering::Acquire),
        ZxStatus::PeerClosed.raw() as u32,
        "the caller woke with PEER_CLOSED"
    );
    close(client);
}

fn errors() {
    let (a, b) = channel_create().unwrap();
    let e = zx::event_create().unwrap();
    let (s, _) = channel_call(a, ZX_TIME_INFINITE, &[0; 3], &[e], &mut [], &mut []);
    assert_eq!(s, Err(ZxStatus::InvalidArgs), "shorter than a txid");
    assert!(!is_valid(e), "consumed");
    // The deadline passed: the request is written, the call times out.
    let (s, _) = channel_call(a, ZX_TIME_INFINITE_PAST, &[0; 4], &[], &mut [], &mut []);
    assert_eq!(s, Err(ZxStatus::TimedOut));
    let mut req = [0u8; 4];
    assert_eq!(channel_read(b, 0, &mut req, &mut []).0, Ok(()));
    // A late reply is an ordinary message.
    channel_write(b, &req, &[]).unwrap();
    assert_eq!(channel_read(a, 0, &mut [0; 4], &mut []).0, Ok(()));
    // Rights: READ and WRITE.
    let ro = zx::handle_replace(a, rights::DEFAULT_CHANNEL & !rights::WRITE).unwrap();
    let (s, _) = channel_call(ro, ZX_TIME_INFINITE, &[0; 4], &[], &mut [], &mut []);
    assert_eq!(s, Err(ZxStatus::AccessDenied), "no WRITE");
    close(ro);
    close(b);
    let (a, b) = channel_create().unwrap();
    let wo = zx::handle_replace(a, rights::DEFAULT_CHANNEL & !rights::READ).unwrap();
    let (s, _) = channel_call(wo, ZX_TIME_INFINITE, &[0; 4], &[], &mut [], &mut []);
    assert_eq!(s, Err(ZxStatus::AccessDenied), "no READ");
    assert_eq!(
        channel_read(b, 0, &mut [0; 4], &mut []).0,
        Err(ZxStatus::ShouldWait),
        "nothing was sent"
    );
    close(wo);
    close(b);
    // The peer gone before: PEER_CLOSED, handles consumed.
    let (a, b) = channel_create().unwrap();
    close(b);
    let e = zx::event_create().unwrap();
    let (s, _) = channel_call(a, ZX_TIME_INFINITE, &[0; 4], &[e], &mut [], &mut []);
    assert_eq!(s, Err(ZxStatus::PeerClosed));
    assert!(!is_valid(e), "consumed");
    // Bad argument pointers.
    let (mut nb, mut nh) = (0u32, 0u32);
    for (what, p) in el0_tests::BAD_POINTERS {
        // SAFETY: the kernel must reject the bad pointer.
        let s = unsafe {
            channel_call_raw(
                a,
                0,
                ZX_TIME_INFINITE,
                p as *const ChannelCallArgs,
                &mut nb,
                &mut nh,
            )
        };
        assert_err(el0_tests::st(s), ZxStatus::InvalidArgs, what);
    }
    let args = ChannelCallArgs {
        wr_bytes: [0u8; 4].as_ptr() as u64,
        wr_num_bytes: 4,
        ..Default::default()
    };
    // SAFETY: the arguments are live; the kernel rejects the options.
    let s = unsafe { channel_call_raw(a, 1, ZX_TIME_INFINITE, &args, &mut nb, &mut nh) };
    assert_err(el0_tests::st(s), ZxStatus::InvalidArgs, "options");
    // SAFETY: the arguments are live.
    let s = unsafe { zx::raw::channel_call_finish(ZX_TIME_INFINITE, &args, &mut nb, &mut nh) };
    assert_err(el0_tests::st(s), ZxStatus::BadState, "no interrupted call");
    // SAFETY: the kernel must reject the bad pointer.
    let s = unsafe {
        zx::raw::channel_call_finish(ZX_TIME_INFINITE, 0x10 as *const _, &mut nb, &mut nh)
    };
    assert_err(el0_tests::st(s), ZxStatus::InvalidArgs, "finish, bad args");
    close(a);
}

/// Replies to one request with `len` bytes and `handles` events.
fn reply_big(arg: usize) {
    let h = (arg & 0xffff_ffff) as Handle;
    let (len, handles) = ((arg >> 32) & 0xff, arg >> 40);
    zx::object_wait_one(h, signals::CHANNEL_READABLE, ZX_TIME_INFINITE)
        .0
        .unwrap();
    let mut req = [0u8; 8];
    channel_read(h, 0, &mut req, &mut []).0.unwrap();
    let mut reply = [0u8; 64];
    reply[..4].copy_from_slice(&req[..4]);
    let mut hs = [0 as Handle; 4];
    for x in hs.iter_mut().take(handles) {
        *x = zx::event_create().unwrap();
    }
    channel_write(h, &reply[..len], &hs[..handles]).unwrap();
}

fn reply_too_big() {
    for (len, handles, what) in [(9usize, 0usize, "bytes"), (4, 2, "handles")] {
        let (client, server) = channel_create().unwrap();
        let arg = server as usize | len << 32 | handles << 40;
        let j = thread::spawn("server", reply_big, arg).unwrap();
        let mut hs = [0 as Handle; 1];
        let (s, _) = channel_call(client, ZX_TIME_INFINITE, &[0; 8], &[], &mut [0; 8], &mut hs);
        assert_eq!(s, Err(ZxStatus::BufferTooSmall), "{}", what);
        j.join().unwrap();
        assert_eq!(
            channel_read(client, 0, &mut [0; 64], &mut [0; 4]).0,
            Err(ZxStatus::ShouldWait),
            "the reply was dropped"
        );
        close(client);
        close(server);
    }
    // NULL counts: INVALID_ARGS after the reply arrived.
    let (client, server) = channel_create().unwrap();
    let j = thread::spawn("server", reply_big, server as usize | 4 << 32).unwrap();
    let mut req = [0u8; 8];
    let mut rep = [0u8; 8];
    let args = ChannelCallArgs {
        wr_bytes: req.as_mut_ptr() as u64,
        rd_bytes: rep.as_mut_ptr() as u64,
        wr_num_bytes: 8,
        rd_num_bytes: 8,
        ..Default::default()
    };
    let mut nh = 0u32;
    // SAFETY: the arguments are live; the byte count pointer is NULL.
    let s = unsafe {
        channel_call_raw(
            client,
            0,
            ZX_TIME_INFINITE,
            &args,
            core::ptr::null_mut(),
            &mut nh,
        )
    };
    assert_err(el0_tests::st(s), ZxStatus::InvalidArgs, "NULL actual_bytes");
    j.join().unwrap();
    close(client);
    close(server);
}

fn main(_root: Handle) -> i64 {
    call_and_reply();
    zx::println!("channel_call: the reply with the call's txid comes back to the caller");
    errors();
    reply_too_big();
    peer_closed_during_call();
    zx::println!("channel_call: TIMED_OUT, PEER_CLOSED (before and during), BUFFER_TOO_SMALL");
    leak::check("channel_call: errors", errors);
    leak::check_threads("channel_call: replies", call_and_reply);
    leak::check_threads("channel_call: too big", reply_too_big);
    zx::println!("channel_call: nothing leaked");
    0
}

zx::entry!(main);
