//! Tests blocking in `zx_port_wait` across threads: a wait with no
//! deadline (the thread shows `ZX_THREAD_STATE_BLOCKED_PORT`) ended by a
//! `zx_port_queue` from another thread, a wait ended by a wait_async match
//! when another thread signals the event, several threads waiting on one
//! port each getting exactly one packet (Zircon's ThreadEvents), a blocked
//! wait that times out while another thread runs, and two threads
//! answering each other over two ports.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use el0_tests::{close, wait_for_thread_state, wait_for_thread_state_or_end, zx};
use zx::ports::{object_wait_async, port_create, port_queue, port_wait};
use zx::{signals, thread, thread_state, Handle, PortPacket, ZxStatus, ZX_TIME_INFINITE};

static PORT: AtomicUsize = AtomicUsize::new(0);
/// Bit `key - 500` for each packet a waiter took.
static TAKEN: AtomicU64 = AtomicU64::new(0);
static TOOK: AtomicUsize = AtomicUsize::new(0);

fn port() -> Handle {
    PORT.load(Ordering::Acquire) as Handle
}

fn take_one(_: usize) {
    let packet = port_wait(port(), ZX_TIME_INFINITE).expect("a packet");
    let bit = 1 << (packet.key - 500);
    assert_eq!(
        TAKEN.fetch_or(bit, Ordering::AcqRel) & bit,
        0,
        "a packet taken twice"
    );
    TOOK.fetch_add(1, Ordering::AcqRel);
}

fn queue_from_another_thread() {
    let p = port_create(0).unwrap();
    PORT.store(p as usize, Ordering::Release);
    TAKEN.store(0, Ordering::Release);
    let j = thread::spawn("waiter", take_one, 0).unwrap();
    wait_for_thread_state(j.handle(), thread_state::BLOCKED_PORT);
    port_queue(p, &PortPacket::user(500, 0, [0; 4])).unwrap();
    j.join().unwrap();
    assert_eq!(TAKEN.load(Ordering::Acquire), 1);
    close(p);
    zx::println!("port_threads: an endless port_wait is ended by another thread's queue");
}

fn signal_event(e: usize) {
    zx::nanosleep(zx::deadline_after(2_000_000));
    zx::object_signal(e as Handle, 0, signals::USER_4).unwrap();
}

fn match_from_another_thread() {
    let p = port_create(0).unwrap();
    let e = zx::event_create().unwrap();
    object_wait_async(e, p, 77, signals::USER_4, 0).unwrap();
    let j = thread::spawn("signaller", signal_event, e as usize).unwrap();
    let packet = port_wait(p, ZX_TIME_INFINITE).unwrap();
    assert_eq!(packet.key, 77);
    assert_eq!(zx::ports::signal_fields(&packet).observed, signals::USER_4);
    j.join().unwrap();
    close(e);
    close(p);
    zx::println!("port_threads: a wait_async match from another thread wakes port_wait");
}

fn several_waiters() {
    let p = port_create(0).unwrap();
    let e = zx::event_create().unwrap();
    PORT.store(p as usize, Ordering::Release);
    TAKEN.store(0, Ordering::Release);
    TOOK.store(0, Ordering::Release);
    let mut joins = [None, None, None];
    for (i, j) in joins.iter_mut().enumerate() {
        object_wait_async(e, p, 500 + i as u64, signals::EVENT_SIGNALED, 0).unwrap();
        let t = thread::spawn("waiter", take_one, 0).unwrap();
        wait_for_thread_state(t.handle(), thread_state::BLOCKED_PORT);
        *j = Some(t);
    }
    zx::object_signal(e, 0, signals::EVENT_SIGNALED).unwrap();
    for j in joins {
        j.unwrap().join().unwrap();
    }
    assert_eq!(TOOK.load(Ordering::Acquire), 3);
    assert_eq!(
        TAKEN.load(Ordering::Acquire),
        0b111,
        "each packet to one waiter"
    );
    assert_eq!(port_wait(p, 0).map(|x| x.key), Err(ZxStatus::TimedOut));
    close(e);
    close(p);
    zx::println!("port_threads: three waiters, three packets, one each");
}

fn timed_out(_: usize) {
    let start = zx::clock_get_monotonic();
    assert_eq!(
        port_wait(port(), zx::deadline_after(3_000_000)).map(|x| x.key),
        Err(ZxStatus::TimedOut)
    );
    assert!(zx::clock_get_monotonic() - start >= 3_000_000);
}

fn timeout_while_blocked() {
    let p = port_create(0).unwrap();
    PORT.store(p as usize, Ordering::Release);
    let j = thread::spawn("timer", timed_out, 0).unwrap();
    // With other programs on every core this thread may look only after
    // the 3 ms are over: the waiter has then ended, which is no failure.
    wait_for_thread_state_or_end(j.handle(), thread_state::BLOCKED_PORT);
    j.join().unwrap();
    // The timed-out waiter left the port: a packet now stays queued.
    port_queue(p, &PortPacket::user(1, 0, [0; 4])).unwrap();
    assert_eq!(port_wait(p, 0).unwrap().key, 1);
    close(p);
    zx::println!("port_threads: a blocked port_wait times out and leaves the port");
}

static REPLY: AtomicUsize = AtomicUsize::new(0);

/// Answers each packet on `PORT` with one of the same key on `REPLY`, until
/// key 0.
fn echo(_: usize) {
    loop {
        let packet = port_wait(port(), ZX_TIME_INFINITE).unwrap();
        if packet.key == 0 {
            return;
        }
        let reply = REPLY.load(Ordering::Acquire) as Handle;
        port_queue(reply, &PortPacket::user(packet.key, 0, [0; 4])).unwrap();
    }
}

/// A thread blocks in port_wait over and over, woken each time by a packet
/// from this one, which waits for its answer on a second port: 200 round
/// trips, every answer the right one. (No heap check here: a thread's
/// teardown and timer entries may finish on another core around the
/// measure; port_basic and port_async check the heap of ports.)
fn ping_pong() {
    let p = port_create(0).unwrap();
    let r = port_create(0).unwrap();
    PORT.store(p as usize, Ordering::Release);
    REPLY.store(r as usize, Ordering::Release);
    let j = thread::spawn("echo", echo, 0).unwrap();
    for key in 1..=200 {
        if key % 50 == 1 {
            wait_for_thread_state(j.handle(), thread_state::BLOCKED_PORT);
        }
        port_queue(p, &PortPacket::user(key, 0, [0; 4])).unwrap();
        assert_eq!(port_wait(r, ZX_TIME_INFINITE).unwrap().key, key);
    }
    port_queue(p, &PortPacket::user(0, 0, [0; 4])).unwrap();
    j.join().unwrap();
    close(r);
    close(p);
    zx::println!("port_threads: 200 round trips between two threads over two ports");
}

fn main(_root: Handle) -> i64 {
    queue_from_another_thread();
    match_from_another_thread();
    several_waiters();
    timeout_while_blocked();
    ping_pong();
    0
}

zx::entry!(main);
