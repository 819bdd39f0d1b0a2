//! Tests ports without observers: `zx_port_create` (options 0 and
//! `ZX_PORT_BIND_TO_INTERRUPT`, anything else INVALID_ARGS, a bad out
//! pointer, the type and default rights), user packets queued and read back
//! field by field in FIFO order (the kernel sets the type), the errors of
//! `zx_port_queue` and `zx_port_wait` (handles, types, rights, pointers),
//! deadlines (past ones poll, a near one waits until it passes), ports
//! not being waitable, the queue limit (SHOULD_WAIT), and a port closed
//! with packets queued giving back its kernel heap.
#![no_std]
#![no_main]

use el0_tests::{assert_err, close, dup, handle_basic, zx, BAD_POINTERS, GARBAGE_HANDLE};
use zx::ports::{assert_no_heap_leak, port_create, port_queue, port_wait, user_words};
use zx::{
    obj_type, port, rights, signals, Handle, PortPacket, ZxStatus, ZX_TIME_INFINITE,
    ZX_TIME_INFINITE_PAST,
};

fn create() {
    let mut out: Handle = 0;
    for bad in [2, 3, 0x8000_0000, u32::MAX] {
        // SAFETY: `out` is a live local.
        let s = zx::to_result(unsafe { zx::raw::port_create(bad, &mut out) });
        assert_err(s, ZxStatus::InvalidArgs, "port_create options");
    }
    for (what, p) in BAD_POINTERS {
        // SAFETY: the kernel must refuse the pointer.
        let s = zx::to_result(unsafe { zx::raw::port_create(0, p as *mut Handle) });
        assert_err(s, ZxStatus::InvalidArgs, what);
    }
    let p = port_create(0).unwrap();
    let b = handle_basic(p);
    assert_eq!(b.obj_type, obj_type::PORT);
    assert_eq!(b.rights, rights::DEFAULT_PORT);
    assert_eq!(
        rights::DEFAULT_PORT,
        rights::TRANSFER | rights::DUPLICATE | rights::INSPECT | rights::READ | rights::WRITE,
        "Zircon's ZX_DEFAULT_PORT_RIGHTS"
    );
    // Not waitable: the handle has no WAIT right to try with.
    let (s, _) = zx::object_wait_one(p, signals::USER_0, 0);
    assert_err(s, ZxStatus::AccessDenied, "wait_one on a port");
    close(p);
    let p = port_create(port::BIND_TO_INTERRUPT).unwrap();
    port_queue(p, &PortPacket::user(1, 0, [0; 4])).unwrap();
    assert_eq!(port_wait(p, 0).unwrap().key, 1);
    close(p);
    zx::println!("port_basic: create takes 0 or BIND_TO_INTERRUPT; default port rights");
}

fn packets() {
    let p = port_create(0).unwrap();
    let mut first = PortPacket::user(12, -3, [0x1111, u64::MAX, 0, 0x8000_0000_0000_0001]);
    first.packet_type = port::PKT_TYPE_USER + 5;
    port_queue(p, &first).unwrap();
    port_queue(p, &PortPacket::user(13, 7, [4, 3, 2, 1])).unwrap();
    let out = port_wait(p, ZX_TIME_INFINITE).unwrap();
    assert_eq!(out.key, 12);
    assert_eq!(
        out.packet_type,
        port::PKT_TYPE_USER,
        "the kernel sets the type"
    );
    assert_eq!(out.status, -3);
    assert_eq!(
        user_words(&out),
        [0x1111, u64::MAX, 0, 0x8000_0000_0000_0001]
    );
    let out = port_wait(p, 0).unwrap();
    assert_eq!(
        (out.key, out.status, user_words(&out)),
        (13, 7, [4, 3, 2, 1])
    );
    assert_err(port_wait(p, 0), ZxStatus::TimedOut, "an empty port");
    close(p);
    zx::println!("port_basic: user packets come back field by field, in order");
}

fn errors() {
    let p = port_create(0).unwrap();
    let e = zx::event_create().unwrap();
    let packet = PortPacket::user(1, 0, [0; 4]);
    assert_err(
        port_queue(GARBAGE_HANDLE, &packet),
        ZxStatus::BadHandle,
        "queue, bad handle",
    );
    assert_err(
        port_queue(e, &packet),
        ZxStatus::WrongType,
        "queue on an event",
    );
    let ro = dup(p, rights::READ | rights::DUPLICATE);
    assert_err(
        port_queue(ro, &packet),
        ZxStatus::AccessDenied,
        "queue without WRITE",
    );
    for (what, ptr) in BAD_POINTERS {
        // SAFETY: the kernel must refuse the pointer.
        let s = zx::to_result(unsafe { zx::raw::port_queue(p, ptr as *const PortPacket) });
        assert_err(s, ZxStatus::InvalidArgs, what);
    }
    let mut buf = [0u64; 8];
    let unaligned = (buf.as_mut_ptr() as usize + 4) as *const PortPacket;
    // SAFETY: 48 bytes from `unaligned` lie in `buf`; the kernel refuses it.
    let s = zx::to_result(unsafe { zx::raw::port_queue(p, unaligned) });
    assert_err(s, ZxStatus::InvalidArgs, "an unaligned packet");
    assert_err(
        port_wait(p, 0),
        ZxStatus::TimedOut,
        "nothing was queued by those",
    );

    assert_err(
        port_wait(GARBAGE_HANDLE, 0),
        ZxStatus::BadHandle,
        "wait, bad handle",
    );
    assert_err(port_wait(e, 0), ZxStatus::WrongType, "wait on an event");
    let wo = dup(p, rights::WRITE);
    assert_err(
        port_wait(wo, 0),
        ZxStatus::AccessDenied,
        "wait without READ",
    );
    port_queue(wo, &packet).unwrap();
    // SAFETY: the kernel must refuse the pointer.
    let s = zx::to_result(unsafe { zx::raw::port_wait(ro, 0, core::ptr::null_mut()) });
    assert_err(s, ZxStatus::InvalidArgs, "wait into NULL");
    assert_err(
        port_wait(p, 0),
        ZxStatus::TimedOut,
        "a packet written to NULL is lost",
    );
    close(wo);
    close(ro);
    close(e);
    close(p);
    zx::println!("port_basic: queue and wait check handle, type, rights, then the pointer");
}

fn deadlines() {
    let p = port_create(0).unwrap();
    for d in [
        0,
        -1,
        ZX_TIME_INFINITE_PAST,
        zx::clock_get_monotonic() - 1000,
    ] {
        assert_err(port_wait(p, d), ZxStatus::TimedOut, "a deadline past");
    }
    let start = zx::clock_get_monotonic();
    assert_err(
        port_wait(p, zx::deadline_after(2_000_000)),
        ZxStatus::TimedOut,
        "a deadline 2 ms away",
    );
    assert!(
        zx::clock_get_monotonic() - start >= 2_000_000,
        "waited until the deadline"
    );
    port_queue(p, &PortPacket::user(3, 0, [0; 4])).unwrap();
    assert_eq!(
        port_wait(p, ZX_TIME_INFINITE_PAST).unwrap().key,
        3,
        "a past deadline still takes a packet"
    );
    close(p);
    zx::println!("port_basic: a past deadline polls, a near one times out after it");
}

fn limit() {
    let p = port_create(0).unwrap();
    for i in 0..=port::MAX_USER_PACKETS {
        port_queue(p, &PortPacket::user(i as u64, 0, [0; 4])).unwrap();
    }
    assert_err(
        port_queue(p, &PortPacket::user(0, 0, [0; 4])),
        ZxStatus::ShouldWait,
        "past the packet limit",
    );
    assert_eq!(port_wait(p, 0).unwrap().key, 0);
    port_queue(p, &PortPacket::user(9999, 0, [0; 4])).unwrap();
    assert_err(
        port_queue(p, &PortPacket::user(0, 0, [0; 4])),
        ZxStatus::ShouldWait,
        "full again",
    );
    close(p);
    zx::println!(
        "port_basic: {} user packets fit, then SHOULD_WAIT",
        port::MAX_USER_PACKETS + 1
    );
}

fn closed_with_packets() {
    assert_no_heap_leak("a port closed with packets", |scale| {
        let p = port_create(0).unwrap();
        for i in 0..100 * scale {
            port_queue(p, &PortPacket::user(i, 0, [i; 4])).unwrap();
        }
        close(p);
    });
    zx::println!("port_basic: a port closed with packets queued frees them");
}

fn main(_root: Handle) -> i64 {
    create();
    packets();
    errors();
    deadlines();
    limit();
    closed_with_packets();
    0
}

zx::entry!(main);
