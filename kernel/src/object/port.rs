//! Ports: a queue of `zx_port_packet_t`s, the threads waiting to take one,
//! and the observers `zx_object_wait_async` arms on other objects. Owns the
//! packets and the observers; the blocking `zx_port_wait` is in
//! `crate::wait::port` (it registers a [`PacketWaiter`] here).
//!
//! - A packet goes to exactly one waiter: queueing hands it to the oldest
//!   waiter if there is one (under the port's lock), else it joins the
//!   queue; a waiter that comes later takes the oldest queued packet.
//! - An observer ([`PortObserver`]) is one-shot (`ZX_WAIT_ASYNC_ONCE`, the
//!   only mode Zircon still has): the first match removes it from the port
//!   and queues its signal packet. Level-triggered by default (signals
//!   already active match at once), edge-triggered with
//!   `ZX_WAIT_ASYNC_EDGE` (only a later change matches).
//! - Room for an armed observer's packet is reserved when it is armed, so a
//!   match, which runs under the observed object's signal lock, never
//!   allocates: the queue's capacity is at least its length plus the number
//!   of armed observers. Only user packets count towards
//!   `port::MAX_USER_PACKETS`.
//! - The port holds its observers (`Arc`); the observed objects' registry
//!   holds them weakly, and an observer holds the port's queue and the
//!   observed object weakly, so nothing here keeps an object alive. When the
//!   port goes (its last handle, and the last call using it) its packets are
//!   freed and every armed observer is unregistered.
//! - Closing the handle an observer was armed through removes the observer;
//!   packets already queued stay (Zircon's rule). `zx_port_cancel` removes
//!   both the armed observers and the queued packets of a (handle, key).
//!
//! Lock order: an object's signal lock, then the observer registry, then a
//! port's lock, then (waking a waiter) a process's task lock and the run
//! queues. Nothing that takes a signal lock or the registry runs under a
//! port's lock: arming registers after the port's lock is released, and
//! canceling unregisters after it.
//!
//! Portable: host tests run it with stand-in objects and waiters.

use super::signals::Observer;
use super::{KernelObject, ObjectBase};
use crate::sync::{Arc, AtomicBool, Mutex, Ordering, Weak};
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use zx_abi::{obj_type, port, Handle, PacketSignal, PortPacket, Rights, Signals, ZxStatus};

/// A thread blocked in `zx_port_wait`.
pub trait PacketWaiter: Send + Sync {
    /// Hands `packet` over. Runs under the port's lock (and maybe an
    /// object's signal lock): record it, wake the thread, return.
    fn deliver(&self, packet: PortPacket);
}

/// A handle of a process, as observers and signal packets remember it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// The process (an address, as a key).
    pub owner: usize,
    pub handle: Handle,
}

struct Queued {
    packet: PortPacket,
    /// Whose wait queued it (None: a user packet).
    source: Option<Source>,
}

#[derive(Default)]
struct Inner {
    packets: VecDeque<Queued>,
    /// Of `packets`, those queued by `zx_port_queue`.
    user_packets: usize,
    /// Armed observers.
    observers: Vec<Arc<PortObserver>>,
    /// Threads in `zx_port_wait`, oldest first.
    waiters: VecDeque<Arc<dyn PacketWaiter>>,
}

impl Inner {
    /// Gives `packet` to the oldest waiter, or queues it (room must have
    /// been reserved).
    fn post(&mut self, packet: PortPacket, source: Option<Source>) {
        if let Some(w) = self.waiters.pop_front() {
            w.deliver(packet);
            return;
        }
        if source.is_none() {
            self.user_packets += 1;
        }
        self.packets.push_back(Queued { packet, source });
    }

    /// Room for `n` more packets beyond what the armed observers may queue.
    fn reserve(&mut self, n: usize) -> Result<(), ZxStatus> {
        self.packets
            .try_reserve(n + self.observers.len())
            .map_err(|_| ZxStatus::NoMemory)
    }
}

/// What observers reach: the queue, not the port object, so that an
/// observer's match never holds the last reference to the port (whose end
/// takes the registry's lock).
#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
}

#[repr(C)]
pub struct Port {
    base: ObjectBase,
    shared: Arc<Shared>,
}

crate::kernel_object!(Port, obj_type::PORT, Rights::DEFAULT_PORT;
    // Ports are waited on with zx_port_wait, not zx_object_wait_*.
    fn is_waitable(&self) -> bool {
        false
    }
);

/// What `zx_object_wait_async` asks for.
#[derive(Clone, Copy, Debug)]
pub struct AsyncWait {
    pub key: u64,
    pub trigger: Signals,
    /// `ZX_WAIT_ASYNC_EDGE`.
    pub edge: bool,
    /// The clock a timestamp is read from (`ZX_WAIT_ASYNC_TIMESTAMP` or
    /// `_BOOT_TIMESTAMP`), if one was asked for.
    pub clock: Option<fn() -> i64>,
}

/// One armed `zx_object_wait_async`.
pub struct PortObserver {
    port: Weak<Shared>,
    object: Weak<dyn KernelObject>,
    source: Source,
    wait: AsyncWait,
    /// Matched, canceled, or its port is gone: it queues nothing more.
    done: AtomicBool,
}

impl PortObserver {
    /// Takes this observer off its port; true if it was still armed there
    /// (then this caller queues its packet or reports the cancel). The
    /// port's reference is returned for dropping after the lock.
    fn disarm(&self, inner: &mut Inner) -> Option<Arc<PortObserver>> {
        let at = inner
            .observers
            .iter()
            .position(|o| core::ptr::eq(Arc::as_ptr(o), self))?;
        Some(inner.observers.swap_remove(at))
    }

    /// The observed object has `now`, which matches: queue the packet,
    /// once.
    fn fire(&self, now: Signals) {
        if self.done.swap(true, Ordering::AcqRel) {
            return;
        }
        let Some(shared) = self.port.upgrade() else {
            return;
        };
        let timestamp = self.wait.clock.map_or(0, |clock| clock());
        let mut inner = shared.inner.lock();
        let Some(mine) = self.disarm(&mut inner) else {
            return;
        };
        let signal = PacketSignal {
            trigger: self.wait.trigger.bits(),
            observed: now.bits(),
            count: 1,
            timestamp,
            reserved1: 0,
        };
        // Never allocates: arming reserved the room.
        inner.post(PortPacket::signal(self.wait.key, signal), Some(self.source));
        drop(inner);
        drop(mine);
    }

    /// Removes this observer from the observed object's registry.
    fn unregister(self: &Arc<Self>) {
        if let Some(object) = self.object.upgrade() {
            let me: Arc<dyn Observer> = self.clone();
            object.base().signals.unobserve(&me);
        }
    }
}

impl Observer for PortObserver {
    fn interest(&self) -> Signals {
        self.wait.trigger
    }

    fn notify(&self, now: Signals) {
        self.fire(now);
    }

    fn handle_closed(&self, owner: usize, handle: u32) {
        if self.source != (Source { owner, handle }) || self.done.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(shared) = self.port.upgrade() {
            let mine = self.disarm(&mut shared.inner.lock());
            drop(mine);
        }
    }
}

impl Port {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            base: ObjectBase::new(Signals::empty()),
            shared: Arc::new(Shared::default()),
        })
    }

    /// `zx_port_queue`: a user packet (its type is set to
    /// `ZX_PKT_TYPE_USER`). `ShouldWait` with more than
    /// `MAX_USER_PACKETS` of them queued (Zircon's test, so one more fits).
    pub fn queue_user(&self, mut packet: PortPacket) -> Result<(), ZxStatus> {
        packet.packet_type = port::PKT_TYPE_USER;
        let mut inner = self.shared.inner.lock();
        if inner.user_packets > port::MAX_USER_PACKETS {
            return Err(ZxStatus::ShouldWait);
        }
        if inner.waiters.is_empty() {
            inner.reserve(1)?;
        }
        inner.post(packet, None);
        Ok(())
    }

    /// The oldest queued packet, if any.
    pub fn try_take(&self) -> Option<PortPacket> {
        take(&mut self.shared.inner.lock())
    }

    /// The oldest queued packet, or else `waiter` joins the waiters (it is
    /// handed the next packet through [`PacketWaiter::deliver`]).
    pub fn take_or_wait(
        &self,
        waiter: &Arc<dyn PacketWaiter>,
    ) -> Result<Option<PortPacket>, ZxStatus> {
        let mut inner = self.shared.inner.lock();
        if let Some(p) = take(&mut inner) {
            return Ok(Some(p));
        }
        inner
            .waiters
            .try_reserve(1)
            .map_err(|_| ZxStatus::NoMemory)?;
        inner.waiters.push_back(waiter.clone());
        Ok(None)
    }

    /// Takes `waiter` off the waiters (its wait ended); false if it was no
    /// longer there, because a packet was delivered to it. Looked at under
    /// the port's lock, so a packet is either delivered or stays queued.
    pub fn stop_waiting(&self, waiter: &Arc<dyn PacketWaiter>) -> bool {
        let mut inner = self.shared.inner.lock();
        let target = Arc::as_ptr(waiter) as *const ();
        let before = inner.waiters.len();
        inner
            .waiters
            .retain(|w| Arc::as_ptr(w) as *const () != target);
        inner.waiters.len() != before
    }

    /// `zx_object_wait_async`: arms an observer on `object`, waited on
    /// through `source`. `still_open` is asked once the observer is
    /// registered: if the handle was closed meanwhile (before its close
    /// could reach the observer), the observer is removed again, as if the
    /// close came just after this call.
    pub fn wait_async(
        &self,
        object: &Arc<dyn KernelObject>,
        source: Source,
        wait: AsyncWait,
        still_open: impl FnOnce() -> bool,
    ) -> Result<(), ZxStatus> {
        let observer = Arc::new(PortObserver {
            port: Arc::downgrade(&self.shared),
            object: Arc::downgrade(object),
            source,
            wait,
            done: AtomicBool::new(false),
        });
        {
            let mut inner = self.shared.inner.lock();
            inner.reserve(1)?;
            inner
                .observers
                .try_reserve(1)
                .map_err(|_| ZxStatus::NoMemory)?;
            inner.observers.push(observer.clone());
        }
        let as_observer: Arc<dyn Observer> = observer.clone();
        let now = object.base().signals.observe(&as_observer);
        if !wait.edge && now.intersects(wait.trigger) {
            observer.fire(now);
        }
        if !still_open() {
            observer.handle_closed(source.owner, source.handle);
        }
        if observer.done.load(Ordering::Acquire) {
            observer.unregister();
        }
        Ok(())
    }

    /// `zx_port_cancel`: removes the armed observers and the queued
    /// packets of `source` with `key`; `NotFound` if there were none.
    pub fn cancel(&self, source: Source, key: u64) -> Result<(), ZxStatus> {
        let mut canceled = Vec::new();
        let removed_packets = {
            let mut inner = self.shared.inner.lock();
            let mut i = 0;
            while i < inner.observers.len() {
                let o = &inner.observers[i];
                if o.source == source && o.wait.key == key {
                    let o = inner.observers.swap_remove(i);
                    o.done.store(true, Ordering::Release);
                    // Room for one is always there: the list held it.
                    canceled.push(o);
                } else {
                    i += 1;
                }
            }
            let before = inner.packets.len();
            inner
                .packets
                .retain(|q| !(q.source == Some(source) && q.packet.key == key));
            before != inner.packets.len()
        };
        let found = removed_packets || !canceled.is_empty();
        for o in canceled {
            o.unregister();
        }
        if found {
            Ok(())
        } else {
            Err(ZxStatus::NotFound)
        }
    }

    /// Packets queued (tests).
    pub fn queued(&self) -> usize {
        self.shared.inner.lock().packets.len()
    }

    /// Observers armed (tests).
    pub fn armed(&self) -> usize {
        self.shared.inner.lock().observers.len()
    }
}

fn take(inner: &mut Inner) -> Option<PortPacket> {
    let q = inner.packets.pop_front()?;
    if q.source.is_none() {
        inner.user_packets -= 1;
    }
    Some(q.packet)
}

impl Drop for Port {
    /// The port is gone: its packets are freed and its observers
    /// unregistered (outside its lock).
    fn drop(&mut self) {
        let (observers, packets) = {
            let mut inner = self.shared.inner.lock();
            inner.user_packets = 0;
            (
                core::mem::take(&mut inner.observers),
                core::mem::take(&mut inner.packets),
            )
        };
        drop(packets);
        for o in observers {
            o.done.store(true, Ordering::Release);
            o.unregister();
        }
    }
}

// Under loom the locks are loom's, made only inside a model.
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::object::event::Event;
    use crate::object::ObjectType;
    use core::sync::atomic::AtomicUsize;
    use std::sync::Mutex as StdMutex;

    const OWNER: usize = 0x1000;

    fn source(handle: Handle) -> Source {
        Source {
            owner: OWNER,
            handle,
        }
    }

    fn level(key: u64, trigger: Signals) -> AsyncWait {
        AsyncWait {
            key,
            trigger,
            edge: false,
            clock: None,
        }
    }

    fn event() -> (Arc<Event>, Arc<dyn KernelObject>) {
        let e = Event::new();
        let o: Arc<dyn KernelObject> = e.clone();
        (e, o)
    }

    fn signal(e: &Event, set: Signals) {
        e.base().signals.update(Signals::empty(), set);
    }

    fn clear(e: &Event, bits: Signals) {
        e.base().signals.update(bits, Signals::empty());
    }

    #[derive(Default)]
    struct Catcher {
        got: StdMutex<Vec<u64>>,
    }

    impl PacketWaiter for Catcher {
        fn deliver(&self, packet: PortPacket) {
            self.got.lock().unwrap().push(packet.key);
        }
    }

    #[test]
    fn user_packets_come_out_in_order_with_their_type_set() {
        let p = Port::new();
        let mut packet = PortPacket::user(7, -3, [1, 2, 3, 4]);
        packet.packet_type = 99;
        p.queue_user(packet).unwrap();
        p.queue_user(PortPacket::user(8, 0, [0; 4])).unwrap();
        let first = p.try_take().unwrap();
        assert_eq!((first.key, first.packet_type, first.status), (7, 0, -3));
        assert_eq!(p.try_take().unwrap().key, 8);
        assert!(p.try_take().is_none());
    }

    #[test]
    fn the_user_queue_is_limited() {
        let p = Port::new();
        for i in 0..=port::MAX_USER_PACKETS {
            p.queue_user(PortPacket::user(i as u64, 0, [0; 4])).unwrap();
        }
        assert_eq!(
            p.queue_user(PortPacket::user(0, 0, [0; 4])),
            Err(ZxStatus::ShouldWait)
        );
        p.try_take().unwrap();
        p.queue_user(PortPacket::user(0, 0, [0; 4])).unwrap();
    }

    #[test]
    fn each_packet_goes_to_one_waiter() {
        let p = Port::new();
        let a = Arc::new(Catcher::default());
        let b = Arc::new(Catcher::default());
        let (ad, bd): (Arc<dyn PacketWaiter>, Arc<dyn PacketWaiter>) = (a.clone(), b.clone());
        assert!(p.take_or_wait(&ad).unwrap().is_none());
        assert!(p.take_or_wait(&bd).unwrap().is_none());
        p.queue_user(PortPacket::user(1, 0, [0; 4])).unwrap();
        p.queue_user(PortPacket::user(2, 0, [0; 4])).unwrap();
        p.queue_user(PortPacket::user(3, 0, [0; 4])).unwrap();
        assert_eq!(*a.got.lock().unwrap(), [1]);
        assert_eq!(*b.got.lock().unwrap(), [2]);
        assert_eq!(p.queued(), 1);
        assert!(!p.stop_waiting(&ad), "a was handed its packet");
        assert!(p.take_or_wait(&ad).unwrap().is_some());
        assert!(p.take_or_wait(&ad).unwrap().is_none());
        assert!(p.stop_waiting(&ad));
    }

    #[test]
    fn a_level_wait_on_active_signals_matches_at_once() {
        let p = Port::new();
        let (e, o) = event();
        signal(&e, Signals::USER_1);
        p.wait_async(&o, source(5), level(9, Signals::USER_1), || true)
            .unwrap();
        let packet = p.try_take().unwrap();
        assert_eq!(
            (packet.key, packet.packet_type),
            (9, port::PKT_TYPE_SIGNAL_ONE)
        );
        assert_eq!(p.armed(), 0);
        assert_eq!(e.base().signals.observer_count(), 0);
    }

    #[test]
    fn an_observer_matches_once() {
        let p = Port::new();
        let (e, o) = event();
        p.wait_async(&o, source(5), level(1, Signals::USER_0), || true)
            .unwrap();
        assert_eq!((p.armed(), p.queued()), (1, 0));
        signal(&e, Signals::USER_0);
        clear(&e, Signals::USER_0);
        signal(&e, Signals::USER_0);
        assert_eq!((p.armed(), p.queued()), (0, 1));
        assert_eq!(e.base().signals.observer_count(), 0, "unregistered");
    }

    #[test]
    fn an_edge_wait_ignores_signals_already_active() {
        let p = Port::new();
        let (e, o) = event();
        signal(&e, Signals::USER_0 | Signals::USER_3);
        let wait = AsyncWait {
            edge: true,
            ..level(1, Signals::USER_0)
        };
        p.wait_async(&o, source(5), wait, || true).unwrap();
        assert_eq!(p.queued(), 0);
        clear(&e, Signals::USER_3);
        assert_eq!(p.queued(), 0, "a change that sets nothing");
        clear(&e, Signals::USER_0);
        signal(&e, Signals::USER_0);
        assert_eq!(p.queued(), 1);
    }

    #[test]
    fn timestamps_come_from_the_clock() {
        fn clock() -> i64 {
            1234
        }
        let p = Port::new();
        let (e, o) = event();
        let wait = AsyncWait {
            clock: Some(clock),
            ..level(1, Signals::USER_0)
        };
        p.wait_async(&o, source(5), wait, || true).unwrap();
        signal(&e, Signals::USER_0);
        let got = p.try_take().unwrap();
        // SAFETY (test): the signal view of a signal packet.
        let sig = unsafe { got.payload.signal };
        assert_eq!(sig.timestamp, 1234);
        assert_eq!(sig.observed, Signals::USER_0.bits());
        assert_eq!(sig.count, 1);
    }

    #[test]
    fn closing_the_handle_removes_the_observer_not_the_packets() {
        let p = Port::new();
        let (e, o) = event();
        p.wait_async(&o, source(5), level(1, Signals::USER_0), || true)
            .unwrap();
        p.wait_async(&o, source(5), level(2, Signals::USER_1), || true)
            .unwrap();
        p.wait_async(&o, source(6), level(3, Signals::USER_1), || true)
            .unwrap();
        signal(&e, Signals::USER_0);
        e.base().signals.handle_closed(OWNER, 5);
        assert_eq!((p.armed(), p.queued()), (1, 1));
        signal(&e, Signals::USER_1);
        assert_eq!(p.try_take().unwrap().key, 1);
        assert_eq!(p.try_take().unwrap().key, 3);
        assert_eq!(e.base().signals.observer_count(), 0);
    }

    #[test]
    fn a_handle_closed_while_arming_removes_the_observer() {
        let p = Port::new();
        let (e, o) = event();
        p.wait_async(&o, source(5), level(1, Signals::USER_0), || false)
            .unwrap();
        assert_eq!(p.armed(), 0);
        assert_eq!(e.base().signals.observer_count(), 0);
    }

    #[test]
    fn cancel_removes_observers_and_packets_of_that_handle_and_key() {
        let p = Port::new();
        let (e, o) = event();
        for (h, key) in [(5, 1), (5, 2), (6, 1), (5, 1)] {
            p.wait_async(&o, source(h), level(key, Signals::USER_0), || true)
                .unwrap();
        }
        p.queue_user(PortPacket::user(1, 0, [0; 4])).unwrap();
        assert_eq!(p.cancel(source(5), 1), Ok(()));
        assert_eq!(p.cancel(source(5), 1), Err(ZxStatus::NotFound));
        signal(&e, Signals::USER_0);
        assert_eq!(p.cancel(source(5), 2), Ok(()), "a queued packet");
        let keys: Vec<u64> = core::iter::from_fn(|| p.try_take().map(|x| x.key)).collect();
        assert_eq!(keys, [1, 1], "the user packet and handle 6's");
        assert_eq!(e.base().signals.observer_count(), 0);
    }

    #[test]
    fn the_port_unregisters_its_observers_when_it_goes() {
        let (e, o) = event();
        let p = Port::new();
        for key in 0..3 {
            p.wait_async(&o, source(5), level(key, Signals::USER_0), || true)
                .unwrap();
        }
        p.queue_user(PortPacket::user(1, 0, [0; 4])).unwrap();
        assert_eq!(e.base().signals.observer_count(), 3);
        drop(p);
        assert_eq!(e.base().signals.observer_count(), 0);
        signal(&e, Signals::USER_0);
        // And the other way round: the object goes first.
        let p = Port::new();
        let (e, o) = event();
        p.wait_async(&o, source(5), level(1, Signals::USER_0), || true)
            .unwrap();
        drop((e, o));
        assert_eq!(p.armed(), 1);
        drop(p);
    }

    #[test]
    fn matches_wake_waiters_directly() {
        static DELIVERED: AtomicUsize = AtomicUsize::new(0);
        struct Counter;
        impl PacketWaiter for Counter {
            fn deliver(&self, _packet: PortPacket) {
                DELIVERED.fetch_add(1, Ordering::Relaxed);
            }
        }
        let p = Port::new();
        let (e, o) = event();
        p.wait_async(&o, source(5), level(1, Signals::USER_0), || true)
            .unwrap();
        let w: Arc<dyn PacketWaiter> = Arc::new(Counter);
        assert!(p.take_or_wait(&w).unwrap().is_none());
        signal(&e, Signals::USER_0);
        assert_eq!(DELIVERED.load(Ordering::Relaxed), 1);
        assert_eq!(p.queued(), 0);
    }
}
