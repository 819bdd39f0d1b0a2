//! Tests `zx_object_wait_async` and `zx_port_cancel` on one thread: the
//! errors in Zircon's order (options, then the port, then the object), a
//! signal packet read back field by field, one packet per wait (ONCE, the
//! only mode), signals already active matching at once unless
//! `ZX_WAIT_ASYNC_EDGE`, edge waits firing only when a signal becomes
//! active, `ZX_WAIT_ASYNC_TIMESTAMP`, cancel by handle and key (armed
//! waits and queued packets, NOT_FOUND after delivery, its errors),
//! closing the waited handle (the wait goes, queued packets stay), and a
//! port closed with armed waits and packets giving back its kernel heap.
#![no_std]
#![no_main]

use el0_tests::{assert_err, close, dup, zx, GARBAGE_HANDLE};
use zx::ports::{
    assert_no_heap_leak, object_wait_async, port_cancel, port_create, port_queue, port_wait,
    signal_fields,
};
use zx::{port, rights, signals, Handle, PortPacket, ZxStatus};

const SIG: u32 = signals::EVENT_SIGNALED;

fn set(e: Handle, bits: u32) {
    zx::object_signal(e, 0, bits).unwrap();
}

fn clear(e: Handle, bits: u32) {
    zx::object_signal(e, bits, 0).unwrap();
}

/// Keys of every packet queued now.
fn drain(p: Handle) -> ([u64; 16], usize) {
    let mut keys = [0; 16];
    let mut n = 0;
    while let Ok(packet) = port_wait(p, 0) {
        keys[n] = packet.key;
        n += 1;
    }
    (keys, n)
}

fn errors() {
    let p = port_create(0).unwrap();
    let e = zx::event_create().unwrap();
    for bad in [
        20,
        8,
        1 << 31,
        port::WAIT_ASYNC_TIMESTAMP | port::WAIT_ASYNC_BOOT_TIMESTAMP,
    ] {
        assert_err(
            object_wait_async(e, p, 0, SIG, bad),
            ZxStatus::InvalidArgs,
            "options",
        );
    }
    // Options first, even before a bad handle.
    assert_err(
        object_wait_async(GARBAGE_HANDLE, GARBAGE_HANDLE, 0, SIG, 20),
        ZxStatus::InvalidArgs,
        "options before handles",
    );
    assert_err(
        object_wait_async(e, GARBAGE_HANDLE, 0, SIG, 0),
        ZxStatus::BadHandle,
        "bad port",
    );
    assert_err(
        object_wait_async(e, e, 0, SIG, 0),
        ZxStatus::WrongType,
        "an event as the port",
    );
    let ro = dup(p, rights::READ);
    assert_err(
        object_wait_async(e, ro, 0, SIG, 0),
        ZxStatus::AccessDenied,
        "port without WRITE",
    );
    // The port is checked before the object.
    assert_err(
        object_wait_async(GARBAGE_HANDLE, ro, 0, SIG, 0),
        ZxStatus::AccessDenied,
        "the port before the object",
    );
    assert_err(
        object_wait_async(GARBAGE_HANDLE, p, 0, SIG, 0),
        ZxStatus::BadHandle,
        "bad object",
    );
    let nowait = dup(e, rights::SIGNAL | rights::DUPLICATE);
    assert_err(
        object_wait_async(nowait, p, 0, SIG, 0),
        ZxStatus::AccessDenied,
        "object without WAIT",
    );
    assert_err(
        object_wait_async(p, p, 0, SIG, 0),
        ZxStatus::AccessDenied,
        "a port (no WAIT)",
    );

    object_wait_async(e, p, 5, SIG, 0).unwrap();
    assert_err(
        port_cancel(GARBAGE_HANDLE, e, 5),
        ZxStatus::BadHandle,
        "cancel, bad port",
    );
    assert_err(
        port_cancel(e, e, 5),
        ZxStatus::WrongType,
        "cancel on an event",
    );
    assert_err(
        port_cancel(ro, e, 5),
        ZxStatus::AccessDenied,
        "cancel without WRITE",
    );
    assert_err(
        port_cancel(p, GARBAGE_HANDLE, 5),
        ZxStatus::BadHandle,
        "cancel, bad source",
    );
    assert_err(
        port_cancel(p, nowait, 5),
        ZxStatus::AccessDenied,
        "cancel, source without WAIT",
    );
    assert_err(port_cancel(p, e, 6), ZxStatus::NotFound, "another key");
    let e2 = dup(e, rights::SAME_RIGHTS);
    assert_err(
        port_cancel(p, e2, 5),
        ZxStatus::NotFound,
        "another handle to the object",
    );
    port_cancel(p, e, 5).unwrap();
    assert_err(port_cancel(p, e, 5), ZxStatus::NotFound, "canceled already");
    set(e, SIG);
    assert_err(
        port_wait(p, 0),
        ZxStatus::TimedOut,
        "a canceled wait queues nothing",
    );
    for h in [e2, nowait, ro, e, p] {
        close(h);
    }
    zx::println!("port_async: wait_async and cancel check options, port, object, rights");
}

fn signal_packet() {
    let p = port_create(0).unwrap();
    let e = zx::event_create().unwrap();
    object_wait_async(e, p, 0xabcd, SIG | signals::USER_2, 0).unwrap();
    assert_err(port_wait(p, 0), ZxStatus::TimedOut, "nothing active yet");
    set(e, signals::USER_2 | signals::USER_5);
    let out = port_wait(p, 0).unwrap();
    assert_eq!(out.key, 0xabcd);
    assert_eq!(out.packet_type, port::PKT_TYPE_SIGNAL_ONE);
    assert_eq!(out.status, 0);
    let s = signal_fields(&out);
    assert_eq!(s.trigger, SIG | signals::USER_2);
    assert_eq!(
        s.observed,
        signals::USER_2 | signals::USER_5,
        "every active signal"
    );
    assert_eq!(s.count, 1);
    assert_eq!(s.timestamp, 0, "no timestamp asked for");
    assert_eq!(s.reserved1, 0);
    // One packet per wait.
    clear(e, signals::USER_2);
    set(e, signals::USER_2);
    assert_err(port_wait(p, 0), ZxStatus::TimedOut, "a wait fires once");
    // Already active: queued at once.
    object_wait_async(e, p, 1, signals::USER_5, port::WAIT_ASYNC_ONCE).unwrap();
    let out = port_wait(p, 0).unwrap();
    assert_eq!(
        (out.key, signal_fields(&out).observed),
        (1, signals::USER_2 | signals::USER_5)
    );
    // Seven waits, seven packets (Zircon's EventAsyncSignalWaitSingle).
    for key in 0..7 {
        object_wait_async(e, p, key, SIG, 0).unwrap();
    }
    set(e, SIG);
    let (keys, n) = drain(p);
    assert_eq!(n, 7);
    assert_eq!(keys[..n].iter().sum::<u64>(), 21);
    close(e);
    close(p);
    zx::println!("port_async: signal packets carry key, trigger, observed, count 1; once each");
}

fn edge_and_timestamp() {
    let p = port_create(0).unwrap();
    let e = zx::event_create().unwrap();
    set(e, SIG | signals::USER_3);
    object_wait_async(e, p, 1, SIG, port::WAIT_ASYNC_EDGE).unwrap();
    assert_err(
        port_wait(p, 0),
        ZxStatus::TimedOut,
        "an edge wait ignores active signals",
    );
    clear(e, signals::USER_3);
    assert_err(
        port_wait(p, 0),
        ZxStatus::TimedOut,
        "a change that only clears",
    );
    clear(e, SIG);
    set(e, SIG);
    let out = port_wait(p, 0).unwrap();
    assert_eq!((out.key, signal_fields(&out).observed), (1, SIG));

    let e2 = zx::event_create().unwrap();
    object_wait_async(e, p, 2, signals::USER_0, port::WAIT_ASYNC_TIMESTAMP).unwrap();
    object_wait_async(e2, p, 3, signals::USER_0, 0).unwrap();
    object_wait_async(e2, p, 4, signals::USER_1, port::WAIT_ASYNC_BOOT_TIMESTAMP).unwrap();
    let before = zx::clock_get_monotonic();
    set(e, signals::USER_0);
    let after = zx::clock_get_monotonic();
    set(e2, signals::USER_0 | signals::USER_1);
    let late = zx::clock_get_monotonic();
    let stamped = signal_fields(&port_wait(p, 0).unwrap()).timestamp;
    assert!(
        before <= stamped && stamped <= after,
        "timestamp {stamped} within [{before}, {after}]"
    );
    let plain = port_wait(p, 0).unwrap();
    assert_eq!((plain.key, signal_fields(&plain).timestamp), (3, 0));
    let boot = signal_fields(&port_wait(p, 0).unwrap()).timestamp;
    assert!(after <= boot && boot <= late, "boot timestamp {boot}");
    close(e2);
    close(e);
    close(p);
    zx::println!("port_async: EDGE waits for a new signal; TIMESTAMP stamps the match");
}

fn cancel() {
    // Zircon's CancelEventKey: a repeated key, canceled before the signal.
    let p = port_create(0).unwrap();
    let e = zx::event_create().unwrap();
    for key in [128, 13, 7, 13] {
        object_wait_async(e, p, key, SIG, 0).unwrap();
    }
    port_cancel(p, e, 13).unwrap();
    for _ in 0..2 {
        set(e, SIG);
        clear(e, SIG);
    }
    let (keys, n) = drain(p);
    assert_eq!(n, 2);
    assert_eq!(keys[0] + keys[1], 128 + 7);
    assert_err(port_cancel(p, e, 128), ZxStatus::NotFound, "after delivery");
    // CancelEventKeyAfter: queued packets and armed waits both go.
    let evs = [
        zx::event_create().unwrap(),
        zx::event_create().unwrap(),
        zx::event_create().unwrap(),
    ];
    for (ev, key) in evs.iter().zip([128, 3, 3]) {
        object_wait_async(*ev, p, key, SIG, 0).unwrap();
    }
    set(evs[0], SIG);
    set(evs[1], SIG);
    port_cancel(p, evs[1], 3).unwrap();
    port_cancel(p, evs[2], 3).unwrap();
    set(evs[2], SIG);
    let (keys, n) = drain(p);
    assert_eq!((n, keys[0]), (1, 128));
    // User packets are not any handle's.
    port_queue(p, &PortPacket::user(3, 0, [0; 4])).unwrap();
    assert_err(
        port_cancel(p, evs[1], 3),
        ZxStatus::NotFound,
        "a user packet with the key",
    );
    assert_eq!(port_wait(p, 0).unwrap().key, 3);
    for h in evs {
        close(h);
    }
    close(e);
    close(p);
    zx::println!("port_async: cancel removes armed waits and queued packets of its handle and key");
}

fn handle_closed() {
    let p = port_create(0).unwrap();
    let e = zx::event_create().unwrap();
    let other = dup(e, rights::SAME_RIGHTS);
    object_wait_async(e, p, 1, signals::USER_0, 0).unwrap();
    object_wait_async(e, p, 2, signals::USER_1, 0).unwrap();
    object_wait_async(other, p, 3, signals::USER_1, 0).unwrap();
    set(e, signals::USER_0);
    close(e);
    set(other, signals::USER_1);
    let (keys, n) = drain(p);
    assert_eq!(
        &keys[..n],
        &[1, 3],
        "the queued packet stays, the closed handle's wait goes"
    );
    close(other);
    close(p);
    zx::println!("port_async: closing the waited handle ends its waits, not its packets");
}

fn nothing_leaks() {
    // The events outlive the ports: only the ports' teardown can give their
    // observers back.
    let a = zx::event_create().unwrap();
    let b = zx::event_create().unwrap();
    assert_no_heap_leak(
        "a port closed with waits armed and packets queued",
        |scale| {
            let p = port_create(0).unwrap();
            for key in 0..10 * scale {
                object_wait_async(a, p, key, signals::USER_0, 0).unwrap();
                object_wait_async(b, p, key, signals::USER_1, port::WAIT_ASYNC_EDGE).unwrap();
                object_wait_async(b, p, key, SIG, 0).unwrap();
            }
            set(b, SIG);
            port_queue(p, &PortPacket::user(1, 0, [0; 4])).unwrap();
            close(p);
            clear(b, SIG);
        },
    );
    close(a);
    close(b);
    assert_no_heap_leak("events closed before their port", |scale| {
        let p = port_create(0).unwrap();
        let a = zx::event_create().unwrap();
        for key in 0..scale {
            object_wait_async(a, p, key, signals::USER_0, 0).unwrap();
            object_wait_async(a, p, 100 + key, SIG, 0).unwrap();
        }
        set(a, SIG);
        close(a);
        let _ = port_wait(p, 0).unwrap();
        close(p);
    });
    zx::println!("port_async: ports give back packets and waits whichever closes first");
}

fn main(_root: Handle) -> i64 {
    errors();
    signal_packet();
    edge_and_timestamp();
    cancel();
    handle_closed();
    nothing_leaks();
    0
}

zx::entry!(main);
