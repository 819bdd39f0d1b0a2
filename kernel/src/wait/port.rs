//! Blocking in `zx_port_wait`: take the oldest queued packet, or join the
//! port's waiters and sleep until a packet is handed over, the deadline, or
//! the thread's end. A packet is handed to one waiter under the port's
//! lock (`crate::object::port`), and a waiter that stops waiting leaves
//! under the same lock, so a packet is either delivered to it or stays for
//! another: none is lost or given twice. A wait with no deadline counts
//! towards its process's "every thread waits forever" rule, and the thread
//! that hands a packet over takes the waiter out of that count before
//! waking it (as a futex wake does).
//!
//! Lock order: the port's lock, then the woken thread's task lock and the
//! run queues (see `crate::object::port`).

use crate::object::port::{PacketWaiter, Port};
use crate::sched::{deadline_ticks, park_current};
use crate::sync::spin_lock::Mutex;
use crate::task::Thread;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, Ordering};
use platform::arch::cpu;
use zx_abi::{PortPacket, ZxStatus};

/// One thread in `zx_port_wait`.
struct Waiter {
    thread: Arc<Thread>,
    packet: Mutex<Option<PortPacket>>,
    /// A packet was handed over (the thread then no longer waits forever).
    delivered: AtomicBool,
}

impl PacketWaiter for Waiter {
    fn deliver(&self, packet: PortPacket) {
        *self.packet.lock() = Some(packet);
        self.delivered.store(true, Ordering::Release);
        self.thread.process.wait_forever_ended(&self.thread);
        self.thread.wake();
    }
}

impl Waiter {
    fn take(&self) -> Result<PortPacket, ZxStatus> {
        // Set only together with the packet.
        self.packet.lock().take().ok_or(ZxStatus::BadState)
    }
}

/// `zx_port_wait`'s blocking part: the next packet, `TimedOut` at the
/// deadline, `Canceled` if the thread must stop first.
pub fn wait(t: &Thread, port: &Port, deadline_ns: i64) -> Result<PortPacket, ZxStatus> {
    let deadline = deadline_ticks(deadline_ns);
    if let Some(p) = port.try_take() {
        return Ok(p);
    }
    if deadline.is_some_and(|d| cpu::counter() >= d) {
        return Err(ZxStatus::TimedOut);
    }
    let waiter = Arc::new(Waiter {
        thread: t.arc(),
        packet: Mutex::new(None),
        delivered: AtomicBool::new(false),
    });
    let as_waiter: Arc<dyn PacketWaiter> = waiter.clone();
    if let Some(p) = port.take_or_wait(&as_waiter)? {
        return Ok(p);
    }
    t.set_blocked(zx_abi::thread_state::BLOCKED_PORT);
    let result = loop {
        if waiter.delivered.load(Ordering::Acquire) {
            break waiter.take();
        }
        let timed_out = deadline.is_some_and(|d| cpu::counter() >= d);
        if timed_out || t.stop_requested() {
            if !port.stop_waiting(&as_waiter) {
                // Handed a packet meanwhile: it is this thread's.
                break waiter.take();
            }
            break Err(if timed_out {
                ZxStatus::TimedOut
            } else {
                ZxStatus::Canceled
            });
        }
        if deadline.is_none() {
            let woken = || waiter.delivered.load(Ordering::Acquire);
            t.process.wait_forever(t, &woken);
        }
        park_current(t, deadline);
        t.process.wait_forever_ended(t);
    };
    t.set_blocked(0);
    result
}
