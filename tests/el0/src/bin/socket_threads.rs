//! Streams through sockets between two threads that block on the signals:
//! a writer thread pushes 1 MiB in chunks of varying size, waiting for
//! WRITABLE whenever the socket is full, then closes its end; a reader
//! thread reads in other sizes, waiting for READABLE, checks every byte's
//! value and position, and ends on PEER_CLOSED, which wakes it. Then the same with
//! datagrams: every message arrives whole, in order, with its own length,
//! the writer waiting on the write threshold (room for its largest message).
//! Nothing is leaked (pages, VMOs, kernel heap).
#![no_std]
#![no_main]

#[allow(dead_code)] // each program uses part of it
#[path = "../peer_leak.rs"]
mod leak;

use core::sync::atomic::{AtomicUsize, Ordering};
use el0_tests::{close, zx};
use zx::peer::{socket_create, socket_read, socket_write};
use zx::{prop, signals, socket_opt, thread, thread_state, Handle, ZxStatus, ZX_TIME_INFINITE};

const TOTAL: usize = 1 << 20;
/// Datagram messages sent (lengths 1..=MAX_MESSAGE, varying).
const MESSAGES: usize = 2000;
const MAX_MESSAGE: usize = 1500;

/// What the reader found: bytes (or messages) received.
static RECEIVED: AtomicUsize = AtomicUsize::new(0);
/// Times either side had to wait for a signal.
static WAITS: AtomicUsize = AtomicUsize::new(0);
/// The stream reader's wait ended with PEER_CLOSED.
static WOKEN_BY_PEER_CLOSED: AtomicUsize = AtomicUsize::new(0);

fn byte_at(i: usize) -> u8 {
    (i ^ (i >> 8) ^ (i >> 16)) as u8
}

/// Blocks until `h` has one of `wanted`; returns what it saw.
fn wait_for(h: Handle, wanted: u32) -> u32 {
    WAITS.fetch_add(1, Ordering::Relaxed);
    let (s, seen) = zx::object_wait_one(h, wanted, ZX_TIME_INFINITE);
    assert_eq!(s, Ok(()), "wait for {:#x}", wanted);
    seen
}

fn stream_writer(h: usize) {
    let h = h as Handle;
    let mut chunk = [0u8; 3000];
    let mut sent = 0;
    let mut step = 1;
    while sent < TOTAL {
        step = (step * 7 + 13) % chunk.len() + 1;
        let n = step.min(TOTAL - sent);
        for (k, x) in chunk[..n].iter_mut().enumerate() {
            *x = byte_at(sent + k);
        }
        match socket_write(h, &chunk[..n]) {
            Ok(written) => sent += written,
            Err(ZxStatus::ShouldWait) => {
                let seen = wait_for(h, signals::SOCKET_WRITABLE | signals::SOCKET_PEER_CLOSED);
                assert_eq!(
                    seen & signals::SOCKET_PEER_CLOSED,
                    0,
                    "the reader left early"
                );
            }
            Err(e) => panic!("socket_write: {}", e.name()),
        }
    }
    // The handle stays: `stream` closes it once the reader is blocked.
}

fn stream_reader(h: usize) {
    let h = h as Handle;
    let mut buf = [0u8; 2048];
    let mut got = 0;
    let mut step = 5;
    loop {
        step = (step * 11 + 3) % buf.len() + 1;
        match socket_read(h, 0, &mut buf[..step]) {
            Ok(n) => {
                assert!(n > 0 && n <= step);
                for (k, &x) in buf[..n].iter().enumerate() {
                    assert_eq!(x, byte_at(got + k), "byte {}", got + k);
                }
                got += n;
                RECEIVED.store(got, Ordering::Release);
            }
            Err(ZxStatus::ShouldWait) => {
                let seen = wait_for(h, signals::SOCKET_READABLE | signals::SOCKET_PEER_CLOSED);
                if seen & signals::SOCKET_PEER_CLOSED != 0 {
                    WOKEN_BY_PEER_CLOSED.store(1, Ordering::Relaxed);
                }
            }
            Err(ZxStatus::PeerClosed) => break,
            Err(e) => panic!("socket_read: {}", e.name()),
        }
    }
    RECEIVED.store(got, Ordering::Relaxed);
    close(h);
}

fn message_len(m: usize) -> usize {
    (m * 389) % MAX_MESSAGE + 1
}

fn datagram_writer(h: usize) {
    let h = h as Handle;
    let mut msg = [0u8; MAX_MESSAGE];
    zx::object_set_property(h, prop::SOCKET_TX_THRESHOLD, &MAX_MESSAGE.to_le_bytes()).unwrap();
    let mut m = 0;
    while m < MESSAGES {
        let len = message_len(m);
        for (k, x) in msg[..len].iter_mut().enumerate() {
            *x = (m + k) as u8;
        }
        match socket_write(h, &msg[..len]) {
            Ok(n) => {
                assert_eq!(n, len, "a datagram is written whole");
                m += 1;
            }
            Err(ZxStatus::ShouldWait) => {
                // WRITABLE stays while the buffer is not full, even when
                // this message does not fit: the write threshold says when
                // the largest message fits again.
                let seen = wait_for(
                    h,
                    signals::SOCKET_WRITE_THRESHOLD | signals::SOCKET_PEER_CLOSED,
                );
                assert_eq!(
                    seen & signals::SOCKET_PEER_CLOSED,
                    0,
                    "the reader left early"
                );
            }
            Err(e) => panic!("socket_write: {}", e.name()),
        }
    }
    close(h);
}

fn datagram_reader(h: usize) {
    let h = h as Handle;
    let mut buf = [0u8; MAX_MESSAGE + 10];
    let mut m = 0;
    loop {
        match socket_read(h, 0, &mut buf) {
            Ok(n) => {
                assert_eq!(n, message_len(m), "message {} has its own length", m);
                for (k, &x) in buf[..n].iter().enumerate() {
                    assert_eq!(x, (m + k) as u8, "message {} byte {}", m, k);
                }
                m += 1;
            }
            Err(ZxStatus::ShouldWait) => {
                wait_for(h, signals::SOCKET_READABLE | signals::SOCKET_PEER_CLOSED);
            }
            Err(ZxStatus::PeerClosed) => break,
            Err(e) => panic!("socket_read: {}", e.name()),
        }
    }
    RECEIVED.store(m, Ordering::Relaxed);
    close(h);
}

fn run(options: u32, writer: fn(usize), reader: fn(usize)) -> usize {
    let (a, b) = socket_create(options).unwrap();
    RECEIVED.store(0, Ordering::Relaxed);
    let r = thread::spawn("reader", reader, b as usize).unwrap();
    let w = thread::spawn("writer", writer, a as usize).unwrap();
    w.join().unwrap();
    r.join().unwrap();
    RECEIVED.load(Ordering::Relaxed)
}

fn stream() {
    WOKEN_BY_PEER_CLOSED.store(0, Ordering::Relaxed);
    let (a, b) = socket_create(socket_opt::STREAM).unwrap();
    RECEIVED.store(0, Ordering::Relaxed);
    let r = thread::spawn("reader", stream_reader, b as usize).unwrap();
    let w = thread::spawn("writer", stream_writer, a as usize).unwrap();
    w.join().unwrap();
    // Once the reader has every byte, its next wait is its last: when it
    // blocks there, the writer's end closes, which must wake it. (Its state
    // alone could still show an earlier wait it was just woken from.)
    while RECEIVED.load(Ordering::Acquire) < TOTAL {
        zx::nanosleep(zx::deadline_after(100_000));
    }
    el0_tests::wait_for_thread_state(r.handle(), thread_state::BLOCKED_WAIT_ONE);
    close(a);
    r.join().unwrap();
    assert_eq!(
        RECEIVED.load(Ordering::Relaxed),
        TOTAL,
        "every byte arrived"
    );
    assert_eq!(
        WOKEN_BY_PEER_CLOSED.load(Ordering::Relaxed),
        1,
        "the blocked reader was woken by PEER_CLOSED"
    );
}

fn datagrams() {
    let got = run(socket_opt::DATAGRAM, datagram_writer, datagram_reader);
    assert_eq!(got, MESSAGES, "every message arrived");
}

fn main(_root: Handle) -> i64 {
    WAITS.store(0, Ordering::Relaxed);
    leak::check_threads("socket_threads: stream", stream);
    zx::println!(
        "socket_threads: 1 MiB a run streamed between two threads, every byte checked ({} waits)",
        WAITS.load(Ordering::Relaxed)
    );
    leak::check_threads("socket_threads: datagrams", datagrams);
    zx::println!(
        "socket_threads: {} datagrams a run arrived whole and in order",
        MESSAGES
    );
    0
}

zx::entry!(main);
