//! A socket: a pair of endpoints that move bytes both ways, as a stream or
//! as datagrams (whole messages). Each endpoint's receive buffer lives in
//! the pair's shared state (kernel heap, at most [`BUF_MAX`] bytes), behind
//! the pair's one lock (see `peer`); a write fills the peer's buffer, a read
//! drains one's own. The signals follow Zircon's socket dispatcher:
//! READABLE while the own buffer holds bytes, WRITABLE while the peer's is
//! not full (and writing is not disabled), PEER_CLOSED when the peer loses
//! its last handle, the shutdown signals, and the read and write thresholds.
//!
//! The object works on kernel buffers only: the system-call layer copies
//! user memory outside the pair's lock (a write in two steps: how much fits,
//! then the copied bytes). A closed endpoint's buffer is freed when its
//! last handle goes; the rest when both endpoints are gone.
//!
//! Portable: host tests run it.

use crate::object::peer::{PeerLink, Peered};
use crate::object::{ObjectBase, ObjectType};
use crate::sync::Arc;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use zx_abi::{obj_type, InfoSocket, Rights, Signals, SocketOptions, SocketShutdown, ZxStatus};

/// Bytes one endpoint's receive buffer holds at most: Zircon's
/// `MBufChain::kSizeMax` (128 buffers of 2008 payload bytes), which is also
/// the largest datagram.
pub const BUF_MAX: usize = 128 * 2008;

/// One endpoint's receive side.
#[derive(Default)]
struct Rx {
    bytes: VecDeque<u8>,
    /// Datagram sockets: the length of each message in `bytes`, in order.
    datagrams: VecDeque<usize>,
    /// The endpoint may read no more once empty (`SHUTDOWN_READ` here or
    /// `SHUTDOWN_WRITE` at the peer).
    read_disabled: bool,
    /// `ZX_PROP_SOCKET_RX_THRESHOLD` of this endpoint (0: off).
    read_threshold: usize,
    /// `ZX_PROP_SOCKET_TX_THRESHOLD` of this endpoint (0: off), measured
    /// against the free room in the peer's buffer.
    write_threshold: usize,
}

impl Rx {
    fn is_full(&self) -> bool {
        self.bytes.len() >= BUF_MAX
    }

    fn room(&self) -> usize {
        BUF_MAX.saturating_sub(self.bytes.len())
    }

    /// The bytes the next read returns at most.
    fn available(&self, datagram: bool) -> usize {
        if datagram {
            self.datagrams.front().copied().unwrap_or(0)
        } else {
            self.bytes.len()
        }
    }
}

/// Both endpoints' receive sides: `rx[side]` is what endpoint `side` reads.
pub struct SocketShared {
    rx: [Rx; 2],
}

#[repr(C)]
pub struct Socket {
    base: ObjectBase,
    link: PeerLink<Socket>,
    options: SocketOptions,
}

crate::kernel_object!(Socket, obj_type::SOCKET, Rights::DEFAULT_SOCKET;
    crate::peered_object_items!();
);

impl Peered for Socket {
    type Shared = SocketShared;

    fn link(&self) -> &PeerLink<Self> {
        &self.link
    }

    /// Nobody can read this endpoint's buffer any more: free it now.
    fn zero_handles_locked(&self, shared: &mut SocketShared, side: usize) {
        shared.rx[side] = Rx::default();
    }

    fn peer_closed_locked(&self, _shared: &mut SocketShared, _side: usize) {
        self.base
            .signals
            .update(Signals::WRITABLE, Signals::PEER_CLOSED);
    }
}

impl Socket {
    /// Both endpoints; `INVALID_ARGS` for unknown options.
    pub fn create(options: u32) -> Result<(Arc<Self>, Arc<Self>), ZxStatus> {
        let options = SocketOptions::from_bits(options).ok_or(ZxStatus::InvalidArgs)?;
        let shared = SocketShared {
            rx: [Rx::default(), Rx::default()],
        };
        Ok(PeerLink::create_pair(
            shared,
            Signals::WRITABLE,
            |base, link| Self {
                base,
                link,
                options,
            },
        ))
    }

    fn is_datagram(&self) -> bool {
        self.options.contains(SocketOptions::DATAGRAM)
    }

    fn side(&self) -> usize {
        self.link.side()
    }

    /// The first step of a write of `len` bytes, in Zircon's order of
    /// checks: how many bytes to copy in (0: none, the write succeeds with
    /// nothing written).
    pub fn write_room(&self, len: usize) -> Result<usize, ZxStatus> {
        let mut guard = self.link.lock();
        let (shared, peer) = guard.parts();
        if peer.is_none() {
            return Err(ZxStatus::PeerClosed);
        }
        if self.signals().contains(Signals::SOCKET_WRITE_DISABLED) {
            return Err(ZxStatus::BadState);
        }
        if len == 0 {
            return Ok(0);
        }
        if u32::try_from(len).is_err() {
            return Err(ZxStatus::InvalidArgs);
        }
        let rx = &shared.rx[1 - self.side()];
        if rx.is_full() {
            return Err(ZxStatus::ShouldWait);
        }
        if self.is_datagram() {
            if len > BUF_MAX {
                return Err(ZxStatus::OutOfRange);
            }
            if len > rx.room() {
                return Err(ZxStatus::ShouldWait);
            }
            Ok(len)
        } else {
            Ok(len.min(rx.room()))
        }
    }

    /// The second step: puts `data` (copied in after [`Self::write_room`])
    /// in the peer's buffer, as one datagram or as much of the stream as
    /// fits now; the checks run again, as the socket may have changed in
    /// between. Returns the bytes written.
    pub fn write(&self, data: &[u8]) -> Result<usize, ZxStatus> {
        let mut guard = self.link.lock();
        let (shared, peer) = guard.parts();
        let peer = peer.ok_or(ZxStatus::PeerClosed)?;
        if self.signals().contains(Signals::SOCKET_WRITE_DISABLED) {
            return Err(ZxStatus::BadState);
        }
        if data.is_empty() {
            return Ok(0);
        }
        let datagram = self.is_datagram();
        let write_threshold = shared.rx[self.side()].write_threshold;
        let rx = &mut shared.rx[1 - self.side()];
        if rx.is_full() {
            return Err(ZxStatus::ShouldWait);
        }
        let n = if datagram {
            if data.len() > rx.room() {
                return Err(ZxStatus::ShouldWait);
            }
            rx.datagrams
                .try_reserve(1)
                .map_err(|_| ZxStatus::NoMemory)?;
            data.len()
        } else {
            data.len().min(rx.room())
        };
        rx.bytes.try_reserve(n).map_err(|_| ZxStatus::NoMemory)?;
        let was_empty = rx.bytes.is_empty();
        rx.bytes.extend(&data[..n]);
        if datagram {
            rx.datagrams.push_back(n);
        }
        let mut set = Signals::empty();
        if was_empty {
            set |= Signals::READABLE;
        }
        if rx.read_threshold > 0 && rx.bytes.len() >= rx.read_threshold {
            set |= Signals::SOCKET_READ_THRESHOLD;
        }
        if !set.is_empty() {
            peer.base.signals.update(Signals::empty(), set);
        }
        let mut clear = Signals::empty();
        if write_threshold > 0 && rx.room() < write_threshold {
            clear |= Signals::SOCKET_WRITE_THRESHOLD;
        }
        if rx.is_full() {
            clear |= Signals::WRITABLE;
        }
        if !clear.is_empty() {
            self.base.signals.update(clear, Signals::empty());
        }
        Ok(n)
    }

    /// Reads (or with `peek`, copies) up to `len` bytes of this endpoint's
    /// buffer: at most one datagram, whose bytes past `len` are discarded.
    /// Empty: `PEER_CLOSED` if the peer is gone, `BAD_STATE` if reading was
    /// shut down, else `SHOULD_WAIT`.
    pub fn read(&self, len: usize, peek: bool) -> Result<Vec<u8>, ZxStatus> {
        let mut guard = self.link.lock();
        let (shared, peer) = guard.parts();
        if u32::try_from(len).is_err() {
            return Err(ZxStatus::InvalidArgs);
        }
        let side = self.side();
        let datagram = self.is_datagram();
        let rx = &mut shared.rx[side];
        if rx.bytes.is_empty() {
            return Err(if peer.is_none() {
                ZxStatus::PeerClosed
            } else if rx.read_disabled {
                ZxStatus::BadState
            } else {
                ZxStatus::ShouldWait
            });
        }
        let n = len.min(rx.available(datagram));
        let mut out = Vec::new();
        out.try_reserve_exact(n).map_err(|_| ZxStatus::NoMemory)?;
        let (a, b) = rx.bytes.as_slices();
        let from_a = n.min(a.len());
        out.extend_from_slice(&a[..from_a]);
        out.extend_from_slice(&b[..n - from_a]);
        // A zero-length read consumes nothing, even of a datagram.
        if peek || n == 0 {
            return Ok(out);
        }
        let was_full = rx.is_full();
        let consumed = if datagram {
            rx.datagrams.pop_front().unwrap_or(n)
        } else {
            n
        };
        rx.bytes.drain(..consumed);
        let mut clear = Signals::empty();
        if rx.read_threshold > 0 && rx.bytes.len() < rx.read_threshold {
            clear |= Signals::SOCKET_READ_THRESHOLD;
        }
        if rx.bytes.is_empty() {
            clear |= Signals::READABLE;
        }
        if !clear.is_empty() {
            self.base.signals.update(clear, Signals::empty());
        }
        if let Some(peer) = peer {
            let room = rx.room();
            let peer_threshold = shared.rx[1 - side].write_threshold;
            let mut set = Signals::empty();
            if peer_threshold > 0 && room >= peer_threshold {
                set |= Signals::SOCKET_WRITE_THRESHOLD;
            }
            // Room again, unless the peer may not write at all.
            if was_full && !peer.signals().contains(Signals::SOCKET_WRITE_DISABLED) {
                set |= Signals::WRITABLE;
            }
            if !set.is_empty() {
                peer.base.signals.update(Signals::empty(), set);
            }
        }
        Ok(out)
    }

    /// `zx_socket_shutdown`: `READ` stops the peer's writes to this
    /// endpoint, `WRITE` this endpoint's writes (the peer may still read
    /// what was written). Asking for exactly the state already in place
    /// does nothing (Zircon's check).
    pub fn shutdown(&self, how: SocketShutdown) {
        let mut guard = self.link.lock();
        let (shared, peer) = guard.parts();
        let side = self.side();
        let mut want = Signals::empty();
        if how.contains(SocketShutdown::READ) {
            want |= Signals::SOCKET_PEER_WRITE_DISABLED;
        }
        if how.contains(SocketShutdown::WRITE) {
            want |= Signals::SOCKET_WRITE_DISABLED;
        }
        let have =
            self.signals() & (Signals::SOCKET_PEER_WRITE_DISABLED | Signals::SOCKET_WRITE_DISABLED);
        if want == have {
            return;
        }
        let (mut clear, mut set) = (Signals::empty(), Signals::empty());
        if how.contains(SocketShutdown::READ) {
            shared.rx[side].read_disabled = true;
            set |= Signals::SOCKET_PEER_WRITE_DISABLED;
        }
        if how.contains(SocketShutdown::WRITE) {
            clear |= Signals::WRITABLE;
            set |= Signals::SOCKET_WRITE_DISABLED;
        }
        self.base.signals.update(clear, set);
        if let Some(peer) = peer {
            let (mut clear, mut set) = (Signals::empty(), Signals::empty());
            if how.contains(SocketShutdown::READ) {
                clear |= Signals::WRITABLE;
                set |= Signals::SOCKET_WRITE_DISABLED;
            }
            if how.contains(SocketShutdown::WRITE) {
                shared.rx[1 - side].read_disabled = true;
                set |= Signals::SOCKET_PEER_WRITE_DISABLED;
            }
            peer.base.signals.update(clear, set);
        }
    }

    /// `ZX_INFO_SOCKET`; the peer's side reads 0 once it is gone.
    pub fn info(&self) -> InfoSocket {
        let mut guard = self.link.lock();
        let (shared, peer) = guard.parts();
        let rx = &shared.rx[self.side()];
        let mut info = InfoSocket {
            options: self.options.bits(),
            rx_buf_max: BUF_MAX,
            rx_buf_size: rx.bytes.len(),
            rx_buf_available: rx.available(self.is_datagram()),
            ..Default::default()
        };
        if peer.is_some() {
            info.tx_buf_max = BUF_MAX;
            info.tx_buf_size = shared.rx[1 - self.side()].bytes.len();
        }
        info
    }

    /// `ZX_PROP_SOCKET_RX_THRESHOLD`.
    pub fn read_threshold(&self) -> usize {
        let side = self.side();
        self.link.lock().shared().rx[side].read_threshold
    }

    /// `ZX_PROP_SOCKET_TX_THRESHOLD`.
    pub fn write_threshold(&self) -> usize {
        let side = self.side();
        self.link.lock().shared().rx[side].write_threshold
    }

    /// Sets `ZX_PROP_SOCKET_RX_THRESHOLD` (at most [`BUF_MAX`]; 0 turns it
    /// off) and the signal it now implies.
    pub fn set_read_threshold(&self, value: usize) -> Result<(), ZxStatus> {
        if value > BUF_MAX {
            return Err(ZxStatus::InvalidArgs);
        }
        let side = self.side();
        let mut guard = self.link.lock();
        let rx = &mut guard.shared().rx[side];
        rx.read_threshold = value;
        let reached = value > 0 && rx.bytes.len() >= value;
        self.update_flag(Signals::SOCKET_READ_THRESHOLD, reached);
        Ok(())
    }

    /// Sets `ZX_PROP_SOCKET_TX_THRESHOLD`: `PEER_CLOSED` without a peer,
    /// at most [`BUF_MAX`].
    pub fn set_write_threshold(&self, value: usize) -> Result<(), ZxStatus> {
        let side = self.side();
        let mut guard = self.link.lock();
        let (shared, peer) = guard.parts();
        if peer.is_none() {
            return Err(ZxStatus::PeerClosed);
        }
        if value > BUF_MAX {
            return Err(ZxStatus::InvalidArgs);
        }
        shared.rx[side].write_threshold = value;
        let reached = value > 0 && shared.rx[1 - side].room() >= value;
        self.update_flag(Signals::SOCKET_WRITE_THRESHOLD, reached);
        Ok(())
    }

    fn update_flag(&self, flag: Signals, on: bool) {
        if on {
            self.base.signals.update(Signals::empty(), flag);
        } else {
            self.base.signals.update(flag, Signals::empty());
        }
    }
}

// Under loom, `ObjectBase` holds loom atomics, made only inside a model.
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::object::HandleTable;

    fn stream() -> (Arc<Socket>, Arc<Socket>) {
        Socket::create(0).unwrap()
    }

    fn write_all(s: &Socket, data: &[u8]) -> Result<usize, ZxStatus> {
        let n = s.write_room(data.len())?;
        s.write(&data[..n])
    }

    #[test]
    fn bytes_cross_and_signals_follow() {
        let (a, b) = stream();
        assert_eq!(a.signals(), Signals::WRITABLE);
        assert_eq!(write_all(&a, b"hello"), Ok(5));
        assert_eq!(b.signals(), Signals::WRITABLE | Signals::READABLE);
        assert_eq!(b.read(2, true).unwrap(), b"he");
        assert_eq!(b.read(0, false).unwrap(), b"");
        assert_eq!(b.read(10, false).unwrap(), b"hello");
        assert_eq!(b.signals(), Signals::WRITABLE);
        assert_eq!(b.read(1, false), Err(ZxStatus::ShouldWait));
    }

    #[test]
    fn a_full_buffer_takes_part_of_a_write_then_none() {
        let (a, b) = stream();
        let big = alloc::vec![7u8; BUF_MAX + 10];
        assert_eq!(write_all(&a, &big), Ok(BUF_MAX));
        assert!(!a.signals().contains(Signals::WRITABLE));
        assert_eq!(a.write_room(1), Err(ZxStatus::ShouldWait));
        assert_eq!(b.read(10, false).unwrap().len(), 10);
        assert!(a.signals().contains(Signals::WRITABLE));
        assert_eq!(write_all(&a, &big), Ok(10));
    }

    #[test]
    fn datagrams_are_whole_and_truncated_on_short_reads() {
        let (a, b) = Socket::create(SocketOptions::DATAGRAM.bits()).unwrap();
        assert_eq!(write_all(&a, b"12345"), Ok(5));
        assert_eq!(write_all(&a, b"abcdef"), Ok(6));
        assert_eq!(b.info().rx_buf_available, 5);
        assert_eq!(b.info().rx_buf_size, 11);
        assert_eq!(b.read(4, false).unwrap(), b"1234");
        assert_eq!(b.read(100, false).unwrap(), b"abcdef");
        let huge = alloc::vec![0u8; BUF_MAX + 1];
        assert_eq!(a.write_room(huge.len()), Err(ZxStatus::OutOfRange));
        assert_eq!(Socket::create(4).err(), Some(ZxStatus::InvalidArgs));
    }

    #[test]
    fn closing_an_endpoint_frees_its_buffer_and_tells_the_peer() {
        let (a, b) = stream();
        let mut t = HandleTable::new();
        let ha = t.add_new(a.clone()).unwrap();
        let hb = t.add_new(b.clone()).unwrap();
        write_all(&b, b"left for a").unwrap();
        write_all(&a, b"left for b").unwrap();
        drop(t.remove(ha).unwrap());
        assert_eq!(b.signals(), Signals::READABLE | Signals::PEER_CLOSED);
        assert_eq!(b.write_room(1), Err(ZxStatus::PeerClosed));
        assert_eq!(b.info().tx_buf_max, 0);
        assert_eq!(a.info().rx_buf_size, 0, "a's buffer was freed");
        assert_eq!(b.read(100, false).unwrap(), b"left for b");
        assert_eq!(b.read(1, false), Err(ZxStatus::PeerClosed));
        drop(t.remove(hb).unwrap());
    }

    #[test]
    fn shutdown_stops_writes_and_the_peers_reads_once_empty() {
        let (a, b) = stream();
        write_all(&a, b"x").unwrap();
        a.shutdown(SocketShutdown::WRITE);
        assert_eq!(a.signals(), Signals::SOCKET_WRITE_DISABLED);
        assert_eq!(a.write_room(1), Err(ZxStatus::BadState));
        assert!(b.signals().contains(Signals::SOCKET_PEER_WRITE_DISABLED));
        assert_eq!(b.read(1, false).unwrap(), b"x");
        assert_eq!(b.read(1, false), Err(ZxStatus::BadState));
        assert_eq!(write_all(&b, b"y"), Ok(1), "the other way still works");
    }

    #[test]
    fn thresholds_follow_the_buffers() {
        let (a, b) = stream();
        b.set_read_threshold(3).unwrap();
        a.set_write_threshold(BUF_MAX - 2).unwrap();
        assert!(a.signals().contains(Signals::SOCKET_WRITE_THRESHOLD));
        write_all(&a, b"abc").unwrap();
        assert!(b.signals().contains(Signals::SOCKET_READ_THRESHOLD));
        assert!(!a.signals().contains(Signals::SOCKET_WRITE_THRESHOLD));
        b.read(1, false).unwrap();
        assert!(!b.signals().contains(Signals::SOCKET_READ_THRESHOLD));
        b.read(2, false).unwrap();
        assert!(a.signals().contains(Signals::SOCKET_WRITE_THRESHOLD));
        assert_eq!(
            b.set_read_threshold(BUF_MAX + 1),
            Err(ZxStatus::InvalidArgs)
        );
        assert_eq!((b.read_threshold(), a.write_threshold()), (3, BUF_MAX - 2));
    }
}
