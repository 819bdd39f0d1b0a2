//! Races on ports between threads (after Zircon's PortStressTest cases):
//! - a wait armed, seen to match through `zx_object_wait_one`, then
//!   canceled, while another thread toggles the signal: the cancel always
//!   finds the armed wait or its packet (WaitSignalCancel);
//! - ports closed while another thread signals the event their waits are
//!   armed on (MatchHandleCloseRace, CloseWaitRace);
//! - threads draining a port while others arm waits, signal and close
//!   their events, until each drainer gets a user packet (SignalCloseWait).
//!
//! A lock-order mistake deadlocks (the time limit kills it), a lost packet
//! leaves a drainer blocked (the program is killed as blocked forever or by
//! the time limit), and the runner checks every page came back.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use el0_tests::{close, zx};
use zx::ports::{object_wait_async, port_cancel, port_create, port_queue, port_wait};
use zx::{port, signals, thread, Handle, PortPacket, ZX_TIME_INFINITE};

const SIG: u32 = signals::EVENT_SIGNALED;

static RUNNING: AtomicBool = AtomicBool::new(true);
static EVENT: AtomicU32 = AtomicU32::new(0);
static PORT: AtomicU32 = AtomicU32::new(0);
static DRAINED: AtomicUsize = AtomicUsize::new(0);

fn toggle(_: usize) {
    let e = EVENT.load(Ordering::Acquire) as Handle;
    let mut n = 0u64;
    while RUNNING.load(Ordering::Acquire) {
        zx::object_signal(e, 0, SIG).unwrap();
        if n.is_multiple_of(3) {
            zx::nanosleep(zx::deadline_after(10_000));
        }
        zx::object_signal(e, SIG, 0).unwrap();
        n += 1;
    }
}

fn with_toggler(f: impl FnOnce(Handle)) {
    let e = zx::event_create().unwrap();
    EVENT.store(e, Ordering::Release);
    RUNNING.store(true, Ordering::Release);
    let j = thread::spawn("toggler", toggle, 0).unwrap();
    f(e);
    RUNNING.store(false, Ordering::Release);
    j.join().unwrap();
    close(e);
}

fn wait_signal_cancel() {
    with_toggler(|e| {
        let p = port_create(0).unwrap();
        for _ in 0..2000 {
            object_wait_async(e, p, 919, SIG, 0).unwrap();
            let (s, _) = zx::object_wait_one(e, SIG, ZX_TIME_INFINITE);
            s.unwrap();
            port_cancel(p, e, 919).expect("the armed wait or its packet");
        }
        assert!(port_wait(p, 0).is_err(), "every packet was canceled");
        close(p);
    });
    zx::println!("port_stress: 2000 arm, match, cancel rounds against a toggling signal");
}

fn close_while_matching() {
    with_toggler(|e| {
        for i in 0..2000u64 {
            let p = port_create(0).unwrap();
            for key in 0..4 {
                object_wait_async(e, p, key, SIG, (i % 2) as u32 * port::WAIT_ASYNC_EDGE).unwrap();
            }
            if i % 3 == 0 {
                let _ = port_wait(p, 0);
            }
            close(p);
        }
    });
    zx::println!("port_stress: 2000 ports closed while their waits match");
}

fn drain(_: usize) {
    let p = PORT.load(Ordering::Acquire) as Handle;
    loop {
        let packet = port_wait(p, ZX_TIME_INFINITE).unwrap();
        if packet.packet_type == port::PKT_TYPE_USER {
            DRAINED.fetch_add(1, Ordering::AcqRel);
            return;
        }
    }
}

fn arm_signal_close(seed: usize) {
    let p = PORT.load(Ordering::Acquire) as Handle;
    let mut x = seed as u64 | 1;
    let mut e = 0;
    while RUNNING.load(Ordering::Acquire) {
        if e == 0 {
            e = zx::event_create().unwrap();
            object_wait_async(e, p, 0, SIG, 0).unwrap();
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        match x % 3 {
            0 => zx::nanosleep(zx::deadline_after(100_000)),
            1 => zx::object_signal(e, 0, SIG).unwrap(),
            _ => {
                zx::object_signal(e, 0, SIG).unwrap();
                close(e);
                e = 0;
            }
        }
    }
    if e != 0 {
        close(e);
    }
}

fn signal_close_drain() {
    let p = port_create(0).unwrap();
    PORT.store(p, Ordering::Release);
    DRAINED.store(0, Ordering::Release);
    RUNNING.store(true, Ordering::Release);
    let drainers = [
        thread::spawn("drainer", drain, 0).unwrap(),
        thread::spawn("drainer", drain, 0).unwrap(),
    ];
    let signallers = [
        thread::spawn("signaller", arm_signal_close, 0x9e37).unwrap(),
        thread::spawn("signaller", arm_signal_close, 0x51ed).unwrap(),
    ];
    zx::nanosleep(zx::deadline_after(100_000_000));
    RUNNING.store(false, Ordering::Release);
    for s in signallers {
        s.join().unwrap();
    }
    for _ in &drainers {
        port_queue(p, &PortPacket::user(1, 0, [0; 4])).unwrap();
    }
    for d in drainers {
        d.join().unwrap();
    }
    assert_eq!(DRAINED.load(Ordering::Acquire), 2);
    close(p);
    zx::println!(
        "port_stress: drainers got their user packets through 100 ms of arm, signal, close"
    );
}

fn main(_root: Handle) -> i64 {
    wait_signal_cancel();
    close_while_matching();
    signal_close_drain();
    0
}

zx::entry!(main);
