//! A channel: a pair of endpoints that pass messages (bytes and handles)
//! both ways, in order. Built on the peered-object base (`peer`): the
//! pair's one lock guards both endpoints' queues (`queues[side]` is what
//! endpoint `side` reads) and the calls waiting on each endpoint for their
//! reply (`zx_channel_call`).
//!
//! Handles in a message are handles in transit ([`InFlight`]): taken out of
//! the sender's table still counted on their objects, so a channel endpoint
//! travelling in a message keeps its peer open; dropping one (a message
//! discarded, stranded in a closed endpoint or dropped on a failed write)
//! releases that count, which may run the object's zero-handles hook.
//!
//! Messages never drop under a lock: an endpoint that loses its last
//! handle moves its queue to the graveyard, which [`reap`] empties (at the
//! end of every channel call and of every handle close) and
//! [`reap_nested`] helps empty (when an endpoint is dropped). Dropping a
//! message may strand more messages (a channel inside a message inside a
//! channel); they go to the graveyard too and the same loop takes them, so
//! nesting costs no kernel stack. `reap` returns only once the graveyard
//! was empty with no core emptying it, so what a close stranded is gone
//! when the close returns (its peers already see `PEER_CLOSED`).
//!
//! Lock order: a process's handle lock, then the pair's lock, then an
//! endpoint's signal lock (then the observer registry), then a waiting
//! call's state lock and what waking its thread takes (task lock, run
//! queues); the graveyard's lock is a leaf. Nothing is copied from or to
//! user memory and no handle lock is taken while the pair's lock is held.
//!
//! Portable: host tests run it.

use super::handle::Entry;
use super::peer::{PeerLink, Peered};
use super::ObjectBase;
use crate::sync::{Arc, AtomicBool, AtomicUsize, Mutex, Ordering};
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use zx_abi::channel::{MAX_PENDING_MESSAGES, MIN_KERNEL_TXID};
use zx_abi::{obj_type, Rights, Signals, ZxStatus};

/// A handle in a message: its entry, still counted on its object. Dropping
/// it closes the handle.
pub struct InFlight(Option<Entry>);

impl InFlight {
    /// A handle taken out of a table for transfer (see
    /// `HandleTable::take_for_transfer`), or a new counted one.
    pub fn new(entry: Entry) -> Self {
        Self(Some(entry))
    }

    /// A handle to a new `object` with `rights`, made by the kernel for a
    /// message of its own (an exception's): counted now.
    pub fn fresh<T: super::ObjectType>(object: Arc<T>, rights: Rights) -> Self {
        object.base().count_handle(true);
        Self(Some(Entry::new(object, rights)))
    }

    /// A second handle to `entry`'s object with `rights` (a duplicate in
    /// transit): counted now.
    pub fn duplicate(entry: &Entry, rights: Rights) -> Self {
        entry.object.base().count_handle(true);
        Self(Some(entry.clone().with_rights(rights)))
    }

    pub fn entry(&self) -> &Entry {
        self.0
            .as_ref()
            .expect("an in-flight handle holds its entry")
    }

    /// Gives the entry (and its count) to a handle table.
    pub fn into_entry(mut self) -> Entry {
        self.0.take().expect("an in-flight handle holds its entry")
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(entry) = self.0.take() {
            entry.released();
        }
    }
}

/// One message: bytes and handles.
#[derive(Default)]
pub struct Message {
    pub bytes: Vec<u8>,
    pub handles: Vec<InFlight>,
}

impl Message {
    /// The transaction id: the first four bytes (0 if shorter).
    pub fn txid(&self) -> u32 {
        match self.bytes.get(..4) {
            Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            None => 0,
        }
    }

    fn set_txid(&mut self, txid: u32) {
        self.bytes[..4].copy_from_slice(&txid.to_le_bytes());
    }
}

/// Wakes the thread of a waiting call (the scheduler's side, kept out of
/// this portable module).
pub trait CallWake: Send + Sync {
    /// The call's outcome is set: wake its thread. Runs under the pair's
    /// lock.
    fn wake(&self);
}

/// Where a waiting call stands.
enum CallState {
    Waiting,
    Replied(Message),
    Failed(ZxStatus),
    /// The outcome was taken.
    Done,
}

/// A `zx_channel_call` waiting for the reply with its txid.
pub struct CallWaiter {
    txid: u32,
    state: Mutex<CallState>,
    waker: Arc<dyn CallWake>,
}

impl CallWaiter {
    fn finish(&self, state: CallState) {
        *self.state.lock() = state;
        self.waker.wake();
    }

    /// Whether the outcome is set.
    pub fn is_done(&self) -> bool {
        !matches!(*self.state.lock(), CallState::Waiting)
    }

    /// The call's transaction id.
    pub fn txid(&self) -> u32 {
        self.txid
    }
}

/// Both endpoints' queues and waiting calls.
#[derive(Default)]
pub struct ChannelShared {
    queues: [VecDeque<Message>; 2],
    waiters: [Vec<Arc<CallWaiter>>; 2],
    /// The last txid each endpoint's calls used.
    txid: [u32; 2],
}

#[repr(C)]
pub struct Channel {
    base: ObjectBase,
    link: PeerLink<Channel>,
}

crate::kernel_object!(Channel, obj_type::CHANNEL, Rights::DEFAULT_CHANNEL;
    crate::peered_object_items!();
);

crate::loom_static! {
    /// Messages no endpoint can read any more, waiting to be dropped
    /// outside every lock.
    static GRAVEYARD: Mutex<Vec<Message>> = Mutex::new(Vec::new());
}

crate::loom_static! {
    /// Some core is emptying the graveyard.
    static REAPING: AtomicBool = AtomicBool::new(false);
}

crate::loom_static! {
    /// How many messages lie in the graveyard, changed only under its lock
    /// but read without it: most calls have nothing to drop, and seeing
    /// that costs them no lock.
    static BURIED: AtomicUsize = AtomicUsize::new(0);
}

fn bury(messages: VecDeque<Message>) {
    if messages.is_empty() {
        return;
    }
    let mut grave = GRAVEYARD.lock();
    // Never fails for want of memory: reserving failed means dropping
    // here (still outside the pair's lock: the caller moved them out).
    if grave.try_reserve(messages.len()).is_ok() {
        BURIED.fetch_add(messages.len(), Ordering::Release);
        grave.extend(messages);
        return;
    }
    drop(grave);
    drop(messages);
}

/// Drops every stranded message (and what they strand in turn), and
/// returns once none is left and no other core is still dropping one: a
/// message another core took is gone too when this returns. Call with no
/// lock held, and never from a drop (see [`reap_nested`]).
pub fn reap() {
    if nothing_to_reap() {
        return;
    }
    loop {
        if REAPING.swap(true, Ordering::AcqRel) {
            // Another core drops messages, maybe ours: wait for it.
            while REAPING.load(Ordering::Acquire) {
                crate::sync::relax();
            }
            continue;
        }
        drain_graveyard();
        REAPING.store(false, Ordering::Release);
        if BURIED.load(Ordering::Acquire) == 0 {
            return;
        }
    }
}

/// [`reap`] for a drop, which may run inside a reap on this very core:
/// when someone already reaps, it leaves the graveyard to them.
pub fn reap_nested() {
    if nothing_to_reap() {
        return;
    }
    loop {
        if REAPING.swap(true, Ordering::AcqRel) {
            return; // Whoever reaps takes ours too.
        }
        drain_graveyard();
        REAPING.store(false, Ordering::Release);
        if BURIED.load(Ordering::Acquire) == 0 {
            return;
        }
    }
}

/// The graveyard is empty and nobody is dropping a message taken from it.
/// A core that reaps sets REAPING before it takes a message (and lowers
/// BURIED), and clears it only after the drop: having seen BURIED's lowered
/// count, this sees REAPING still set, or cleared after the drop.
fn nothing_to_reap() -> bool {
    BURIED.load(Ordering::Acquire) == 0 && !REAPING.load(Ordering::Acquire)
}

fn drain_graveyard() {
    loop {
        let next = {
            let mut grave = GRAVEYARD.lock();
            let m = grave.pop();
            if m.is_some() {
                BURIED.fetch_sub(1, Ordering::Release);
            }
            m
        };
        match next {
            Some(m) => drop(m),
            None => break,
        }
    }
}

/// How a read went wrong after a message was found.
#[derive(Debug)]
pub struct TooSmall {
    pub bytes: u32,
    pub handles: u32,
}

impl Peered for Channel {
    type Shared = ChannelShared;

    fn link(&self) -> &PeerLink<Self> {
        &self.link
    }

    /// Nobody can read this endpoint's queue any more, and its waiting
    /// calls are canceled.
    fn zero_handles_locked(&self, shared: &mut ChannelShared, side: usize) {
        bury(core::mem::take(&mut shared.queues[side]));
        cancel_waiters(&mut shared.waiters[side], ZxStatus::Canceled);
    }

    fn peer_closed_locked(&self, shared: &mut ChannelShared, side: usize) {
        self.base
            .signals
            .update(Signals::WRITABLE, Signals::PEER_CLOSED);
        cancel_waiters(&mut shared.waiters[side], ZxStatus::PeerClosed);
    }
}

fn cancel_waiters(waiters: &mut Vec<Arc<CallWaiter>>, status: ZxStatus) {
    for w in waiters.drain(..) {
        w.finish(CallState::Failed(status));
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        reap_nested();
    }
}

impl Channel {
    /// Both endpoints, writable.
    pub fn create() -> (Arc<Self>, Arc<Self>) {
        PeerLink::create_pair(ChannelShared::default(), Signals::WRITABLE, |base, link| {
            Self { base, link }
        })
    }

    fn side(&self) -> usize {
        self.link.side()
    }

    /// Queues `msg` for the peer, or hands it to the peer's call waiting
    /// for its txid. `PEER_CLOSED` without a peer, `SHOULD_WAIT` when the
    /// peer's queue is full; on failure the message is returned, to be
    /// dropped after the lock.
    pub fn write(&self, msg: Message) -> Result<(), (ZxStatus, Message)> {
        let mut guard = self.link.lock();
        let (shared, peer) = guard.parts();
        let Some(peer) = peer else {
            return Err((ZxStatus::PeerClosed, msg));
        };
        let other = 1 - self.side();
        let txid = msg.txid();
        if txid >= MIN_KERNEL_TXID {
            let waiters = &mut shared.waiters[other];
            if let Some(i) = waiters.iter().position(|w| w.txid == txid) {
                let w = waiters.swap_remove(i);
                w.finish(CallState::Replied(msg));
                return Ok(());
            }
        }
        deliver(shared, &peer, other, msg)
    }

    /// Reads the first message if it fits in `max_bytes` and
    /// `max_handles`; `BUFFER_TOO_SMALL` (with its sizes) leaves it queued,
    /// or with `may_discard` drops it (returned for dropping outside the
    /// lock). Empty: `PEER_CLOSED` without a peer, else `SHOULD_WAIT`.
    pub fn read(
        &self,
        max_bytes: u32,
        max_handles: u32,
        may_discard: bool,
    ) -> Result<Message, (ZxStatus, Option<TooSmall>, Option<Message>)> {
        let mut guard = self.link.lock();
        let (shared, peer) = guard.parts();
        let queue = &mut shared.queues[self.side()];
        let Some(front) = queue.front() else {
            let status = if peer.is_none() {
                ZxStatus::PeerClosed
            } else {
                ZxStatus::ShouldWait
            };
            return Err((status, None, None));
        };
        let (bytes, handles) = (front.bytes.len() as u32, front.handles.len() as u32);
        let fits = bytes <= max_bytes && handles <= max_handles;
        if !fits && !may_discard {
            return Err((
                ZxStatus::BufferTooSmall,
                Some(TooSmall { bytes, handles }),
                None,
            ));
        }
        let msg = queue.pop_front().expect("the queue has a first message");
        if queue.is_empty() {
            self.base
                .signals
                .update(Signals::READABLE, Signals::empty());
        }
        if fits {
            Ok(msg)
        } else {
            Err((
                ZxStatus::BufferTooSmall,
                Some(TooSmall { bytes, handles }),
                Some(msg),
            ))
        }
    }

    /// The first half of `zx_channel_call`: gives `msg` a fresh kernel
    /// txid, registers a waiter for the reply with it, and queues `msg` for
    /// the peer. `PEER_CLOSED` (the message returned) without a peer.
    pub fn call(
        &self,
        mut msg: Message,
        waker: Arc<dyn CallWake>,
    ) -> Result<Arc<CallWaiter>, (ZxStatus, Message)> {
        let mut guard = self.link.lock();
        let (shared, peer) = guard.parts();
        let Some(peer) = peer else {
            return Err((ZxStatus::PeerClosed, msg));
        };
        let side = self.side();
        if shared.waiters[side].try_reserve(1).is_err() {
            return Err((ZxStatus::NoMemory, msg));
        }
        let txid = loop {
            shared.txid[side] = shared.txid[side].wrapping_add(1);
            let txid = shared.txid[side] | MIN_KERNEL_TXID;
            if !shared.waiters[side].iter().any(|w| w.txid == txid) {
                break txid;
            }
        };
        msg.set_txid(txid);
        let waiter = Arc::new(CallWaiter {
            txid,
            state: Mutex::new(CallState::Waiting),
            waker,
        });
        deliver(shared, &peer, 1 - side, msg)?;
        shared.waiters[side].push(waiter.clone());
        Ok(waiter)
    }

    /// The outcome of a call once [`CallWaiter::is_done`], or with
    /// `give_up` (deadline or stop), `TIMED_OUT`/`CANCELED` after removing
    /// the waiter, unless the outcome came first.
    pub fn end_call(&self, waiter: &CallWaiter, give_up: ZxStatus) -> Result<Message, ZxStatus> {
        let mut guard = self.link.lock();
        let state = core::mem::replace(&mut *waiter.state.lock(), CallState::Done);
        match state {
            CallState::Replied(m) => Ok(m),
            CallState::Failed(s) => Err(s),
            CallState::Waiting | CallState::Done => {
                let side = self.side();
                guard.shared().waiters[side].retain(|w| !core::ptr::eq(&**w, waiter));
                Err(give_up)
            }
        }
    }

    /// This endpoint arrived in another process through a message: calls
    /// waiting on it end with `CANCELED` (Zircon's rule).
    pub fn cancel_calls(&self) {
        let mut guard = self.link.lock();
        let side = self.side();
        cancel_waiters(&mut guard.shared().waiters[side], ZxStatus::Canceled);
    }

    /// Messages queued for this endpoint (tests).
    pub fn queued(&self) -> usize {
        let side = self.side();
        self.link.lock().shared().queues[side].len()
    }
}

/// Queues `msg` for endpoint `side` (`peer`), raising READABLE.
fn deliver(
    shared: &mut ChannelShared,
    peer: &Channel,
    side: usize,
    msg: Message,
) -> Result<(), (ZxStatus, Message)> {
    let queue = &mut shared.queues[side];
    if queue.len() >= MAX_PENDING_MESSAGES {
        return Err((ZxStatus::ShouldWait, msg));
    }
    if queue.try_reserve(1).is_err() {
        return Err((ZxStatus::NoMemory, msg));
    }
    queue.push_back(msg);
    if queue.len() == 1 {
        peer.base
            .signals
            .update(Signals::empty(), Signals::READABLE);
    }
    Ok(())
}

// Under loom, `ObjectBase` holds loom atomics, made only inside a model.
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::object::event::Event;
    use crate::object::{HandleTable, ObjectType};
    use alloc::vec;

    struct NoWake;
    impl CallWake for NoWake {
        fn wake(&self) {}
    }

    fn bytes(b: &[u8]) -> Message {
        Message {
            bytes: b.to_vec(),
            handles: Vec::new(),
        }
    }

    #[test]
    fn messages_cross_in_order_and_signals_follow() {
        let (a, b) = Channel::create();
        assert_eq!(a.signals(), Signals::WRITABLE);
        a.write(bytes(b"one")).ok().unwrap();
        a.write(bytes(b"two")).ok().unwrap();
        assert_eq!(b.signals(), Signals::WRITABLE | Signals::READABLE);
        assert_eq!(a.signals(), Signals::WRITABLE);
        let (s, small, _) = b.read(2, 0, false).err().unwrap();
        assert_eq!(s, ZxStatus::BufferTooSmall);
        assert_eq!(small.unwrap().bytes, 3);
        assert_eq!(b.read(3, 0, false).ok().unwrap().bytes, b"one");
        assert_eq!(b.read(3, 0, false).ok().unwrap().bytes, b"two");
        assert_eq!(b.signals(), Signals::WRITABLE);
        assert_eq!(b.read(3, 0, false).err().unwrap().0, ZxStatus::ShouldWait);
    }

    #[test]
    fn may_discard_drops_what_does_not_fit() {
        let (a, b) = Channel::create();
        a.write(bytes(b"long message")).ok().unwrap();
        let (s, _, dropped) = b.read(1, 0, true).err().unwrap();
        assert_eq!(s, ZxStatus::BufferTooSmall);
        assert!(dropped.is_some());
        assert_eq!(b.queued(), 0);
        assert_eq!(b.signals(), Signals::WRITABLE);
    }

    #[test]
    fn a_closed_endpoint_strands_its_handles_and_tells_the_peer() {
        let (a, b) = Channel::create();
        let mut t = HandleTable::new();
        let ha = t.add_new(a.clone()).unwrap();
        let hb = t.add_new(b.clone()).unwrap();
        let e = Event::new();
        let he = t.add_new(e.clone()).unwrap();
        let moved = InFlight::new(t.take_for_transfer(he).unwrap());
        assert_eq!(e.base().handle_count(), 1, "in transit, still counted");
        b.write(Message {
            bytes: vec![],
            handles: vec![moved],
        })
        .ok()
        .unwrap();
        drop(a);
        drop(t.remove(ha).unwrap());
        reap();
        assert_eq!(e.base().handle_count(), 0, "the stranded handle closed");
        assert_eq!(b.signals(), Signals::PEER_CLOSED);
        assert_eq!(b.write(bytes(b"x")).err().unwrap().0, ZxStatus::PeerClosed);
        assert_eq!(b.read(0, 0, false).err().unwrap().0, ZxStatus::PeerClosed);
        drop(t.remove(hb).unwrap());
    }

    #[test]
    fn a_reply_with_the_txid_goes_to_the_call() {
        let (a, b) = Channel::create();
        let mut t = HandleTable::new();
        let _ha = t.add_new(a.clone()).unwrap();
        let hb = t.add_new(b.clone()).unwrap();
        let w = a.call(bytes(&[0; 8]), Arc::new(NoWake)).ok().unwrap();
        assert!(w.txid() >= MIN_KERNEL_TXID);
        let req = b.read(8, 0, false).ok().unwrap();
        assert_eq!(req.txid(), w.txid());
        b.write(bytes(&[0; 4])).ok().unwrap();
        assert!(!w.is_done(), "another txid is an ordinary message");
        b.write(bytes(&req.bytes[..4])).ok().unwrap();
        assert!(w.is_done());
        assert_eq!(a.end_call(&w, ZxStatus::TimedOut).unwrap().bytes.len(), 4);
        assert_eq!(a.queued(), 1);
        let w = a.call(bytes(&[0; 4]), Arc::new(NoWake)).ok().unwrap();
        drop(t.remove(hb).unwrap());
        assert_eq!(
            a.end_call(&w, ZxStatus::TimedOut).err(),
            Some(ZxStatus::PeerClosed)
        );
        let w2 = a.call(bytes(&[0; 4]), Arc::new(NoWake)).err().unwrap().0;
        assert_eq!(w2, ZxStatus::PeerClosed);
        reap();
    }
}
