//! Peered objects: two endpoints made together that know each other (event
//! pairs and sockets now, channels and FIFOs later). The pair owns one lock
//! that both endpoints share, with the state they share behind it (a
//! socket's two receive buffers); each endpoint holds the pair and which
//! side it is. When the last handle to one endpoint goes
//! ([`on_zero_handles`](super::KernelObject::on_zero_handles), not the endpoint's drop: a kernel
//! reference may outlive the handles), the pair marks that side closed and
//! the other endpoint hears of it through [`Peered::peer_closed_locked`]
//! (by default `ZX_OBJECT_PEER_CLOSED` is raised).
//!
//! The pair holds the endpoints weakly (no reference cycle): while a side is
//! open, its endpoint has a handle and so a strong reference somewhere, and
//! [`PeerGuard::peer`] finds it.
//!
//! Lock order: a process's handle lock (the zero-handles hook runs under
//! it), then the pair's lock, then either endpoint's signal lock, then the
//! observer registry. One lock for both sides, so there is no order between
//! the endpoints to get wrong; the pair's lock is never held while taking a
//! handle lock, a VM lock or copying user memory.
//!
//! Portable: host tests run it with a stand-in endpoint type.

use super::{ObjectBase, ObjectType};
use crate::sync::{Arc, Mutex, MutexGuard, Weak};
use zx_abi::{Signals, ZxStatus};

/// An object type whose objects come in pairs.
pub trait Peered: ObjectType {
    /// What both endpoints share, behind the pair's lock.
    type Shared: Send + 'static;

    /// The endpoint's link to its pair.
    fn link(&self) -> &PeerLink<Self>;

    /// This endpoint's own side lost its last handle; runs under the pair's
    /// lock before the peer hears of it.
    fn zero_handles_locked(&self, _shared: &mut Self::Shared, _side: usize) {}

    /// The peer lost its last handle; runs under the pair's lock on the
    /// endpoint that remains. By default raises `PEER_CLOSED`.
    fn peer_closed_locked(&self, _shared: &mut Self::Shared, _side: usize) {
        self.base()
            .signals
            .update(Signals::empty(), Signals::PEER_CLOSED);
    }
}

/// What the pair's lock guards.
struct Locked<T: Peered> {
    shared: T::Shared,
    ends: [Weak<T>; 2],
    open: [bool; 2],
}

struct Pair<T: Peered> {
    lock: Mutex<Locked<T>>,
}

/// An endpoint's half of the pair: the shared pair, its side, and the
/// peer's koid (which Zircon reports even after the peer is gone).
pub struct PeerLink<T: Peered> {
    pair: Arc<Pair<T>>,
    side: usize,
    peer_koid: u64,
}

impl<T: Peered> PeerLink<T> {
    /// Makes both endpoints: `make(base, link)` builds one from its object
    /// base and its link; side 0 is returned first.
    pub fn create_pair(
        shared: T::Shared,
        initial: Signals,
        mut make: impl FnMut(ObjectBase, PeerLink<T>) -> T,
    ) -> (Arc<T>, Arc<T>) {
        let pair = Arc::new(Pair {
            lock: Mutex::new(Locked {
                shared,
                ends: [Weak::new(), Weak::new()],
                open: [true, true],
            }),
        });
        let bases = [ObjectBase::new(initial), ObjectBase::new(initial)];
        let koids = [bases[0].koid, bases[1].koid];
        let [b0, b1] = bases;
        let a = Arc::new(make(
            b0,
            PeerLink {
                pair: pair.clone(),
                side: 0,
                peer_koid: koids[1],
            },
        ));
        let b = Arc::new(make(
            b1,
            PeerLink {
                pair: pair.clone(),
                side: 1,
                peer_koid: koids[0],
            },
        ));
        {
            let mut locked = pair.lock.lock();
            locked.ends = [Arc::downgrade(&a), Arc::downgrade(&b)];
        }
        (a, b)
    }

    /// This endpoint's side: 0 or 1.
    pub fn side(&self) -> usize {
        self.side
    }

    /// The peer's koid (`related_koid`).
    pub fn peer_koid(&self) -> u64 {
        self.peer_koid
    }

    /// Takes the pair's lock.
    pub fn lock(&self) -> PeerGuard<'_, T> {
        PeerGuard {
            locked: self.pair.lock.lock(),
            side: self.side,
        }
    }

    /// The zero-handles hook of endpoint `this`: marks its side closed and
    /// tells the peer, if the peer still has handles.
    pub fn on_zero_handles(this: &T) {
        let link = this.link();
        let mut guard = link.pair.lock.lock();
        let Locked { shared, ends, open } = &mut *guard;
        open[link.side] = false;
        this.zero_handles_locked(shared, link.side);
        let other = 1 - link.side;
        if open[other] {
            if let Some(peer) = ends[other].upgrade() {
                peer.peer_closed_locked(shared, other);
            }
        }
    }

    /// `zx_object_signal_peer` for endpoint `this`: the bits must be ones
    /// the type lets user code change (`INVALID_ARGS`), then the peer must
    /// still have handles (`PEER_CLOSED`).
    pub fn signal_peer(this: &T, clear: Signals, set: Signals) -> Result<(), ZxStatus> {
        if !this.allowed_user_signals().contains(clear | set) {
            return Err(ZxStatus::InvalidArgs);
        }
        let guard = this.link().lock();
        let peer = guard.peer().ok_or(ZxStatus::PeerClosed)?;
        peer.base().signals.update(clear, set);
        Ok(())
    }
}

/// The pair's lock, held, as one endpoint sees it.
pub struct PeerGuard<'a, T: Peered> {
    locked: MutexGuard<'a, Locked<T>>,
    side: usize,
}

impl<T: Peered> PeerGuard<'_, T> {
    /// The state both endpoints share.
    pub fn shared(&mut self) -> &mut T::Shared {
        &mut self.locked.shared
    }

    /// The peer, while it has handles.
    pub fn peer(&self) -> Option<Arc<T>> {
        let other = 1 - self.side;
        if self.locked.open[other] {
            self.locked.ends[other].upgrade()
        } else {
            None
        }
    }

    /// The shared state and the peer at once.
    pub fn parts(&mut self) -> (&mut T::Shared, Option<Arc<T>>) {
        let peer = self.peer();
        (&mut self.locked.shared, peer)
    }
}

/// Implements the peered parts of [`KernelObject`] (zero-handles hook,
/// related koid, signal-peer) for a [`Peered`] type with a `link` field;
/// use inside [`kernel_object!`](crate::kernel_object)'s extra items.
#[macro_export]
macro_rules! peered_object_items {
    () => {
        fn on_zero_handles(&self) {
            $crate::object::peer::PeerLink::on_zero_handles(self)
        }
        fn related_koid(&self) -> u64 {
            self.link.peer_koid()
        }
        fn signal_peer(
            &self,
            clear: zx_abi::Signals,
            set: zx_abi::Signals,
        ) -> Result<(), zx_abi::ZxStatus> {
            $crate::object::peer::PeerLink::signal_peer(self, clear, set)
        }
    };
}

// Under loom, `ObjectBase` holds loom atomics, made only inside a model.
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::object::{HandleTable, KernelObject};
    use zx_abi::Rights;

    /// A stand-in endpoint whose shared state counts zero-handles hooks.
    #[repr(C)]
    struct End {
        base: ObjectBase,
        link: PeerLink<End>,
    }
    crate::kernel_object!(End, 16, Rights::BASIC.union(Rights::SIGNAL_PEER);
        crate::peered_object_items!();
    );
    impl Peered for End {
        type Shared = [u32; 2];
        fn link(&self) -> &PeerLink<Self> {
            &self.link
        }
        fn zero_handles_locked(&self, shared: &mut [u32; 2], side: usize) {
            shared[side] += 1;
        }
    }

    fn pair() -> (Arc<End>, Arc<End>) {
        PeerLink::create_pair([0, 0], Signals::empty(), |base, link| End { base, link })
    }

    #[test]
    fn endpoints_know_each_others_koids() {
        let (a, b) = pair();
        assert_eq!(a.related_koid(), b.koid());
        assert_eq!(b.related_koid(), a.koid());
        assert_ne!(a.koid(), b.koid());
    }

    #[test]
    fn the_last_handle_not_the_first_closes_the_peer() {
        let (a, b) = pair();
        let mut t = HandleTable::new();
        let h = t.add_new(a.clone()).unwrap();
        let d = t.duplicate(h, zx_abi::rights::SAME_RIGHTS).unwrap();
        drop(t.remove(h).unwrap());
        assert_eq!(b.signals(), Signals::empty(), "one handle remains");
        // Replacing the last handle moves it: the peer stays open.
        let r = t.replace(d, zx_abi::rights::SAME_RIGHTS).ok().unwrap();
        assert_eq!(b.signals(), Signals::empty(), "replace is not a close");
        assert_eq!(a.link.lock().shared()[0], 0);
        drop(t.remove(r).unwrap());
        assert_eq!(b.signals(), Signals::PEER_CLOSED);
        assert_eq!(a.link.lock().shared()[0], 1, "the hook ran once");
        assert!(b.link.lock().peer().is_none());
        // The kernel's own reference to `a` did not keep the peer open.
        assert!(a.link.lock().peer().is_some(), "b has no handles yet");
    }

    #[test]
    fn signal_peer_checks_bits_then_the_peer() {
        let (a, b) = pair();
        let mut t = HandleTable::new();
        let ha = t.add_new(a.clone()).unwrap();
        let hb = t.add_new(b.clone()).unwrap();
        assert_eq!(
            a.signal_peer(Signals::empty(), Signals::READABLE),
            Err(ZxStatus::InvalidArgs)
        );
        a.signal_peer(Signals::empty(), Signals::USER_0).unwrap();
        assert_eq!(b.signals(), Signals::USER_0);
        assert_eq!(a.signals(), Signals::empty());
        drop(t.remove(hb).unwrap());
        assert_eq!(
            a.signal_peer(Signals::empty(), Signals::USER_0),
            Err(ZxStatus::PeerClosed)
        );
        assert_eq!(a.signals(), Signals::PEER_CLOSED);
        drop(t.remove(ha).unwrap());
    }

    /// An object with no peer, whatever its rights.
    #[repr(C)]
    struct Lonely {
        base: ObjectBase,
    }
    crate::kernel_object!(Lonely, 5, Rights::BASIC.union(Rights::SIGNAL_PEER));

    #[test]
    fn objects_without_a_peer_do_not_support_signal_peer() {
        let l = Lonely {
            base: ObjectBase::default(),
        };
        assert_eq!(
            l.signal_peer(Signals::empty(), Signals::USER_0),
            Err(ZxStatus::NotSupported)
        );
        assert_eq!(l.related_koid(), 0);
    }

    #[test]
    fn a_dying_table_closes_its_peers() {
        let (a, b) = pair();
        let weak = Arc::downgrade(&a);
        let mut t = HandleTable::new();
        t.add_new(a).unwrap();
        let mut u = HandleTable::new();
        u.add_new(b.clone()).unwrap();
        drop(t.take_all());
        assert!(weak.upgrade().is_none(), "no cycle keeps the endpoint");
        assert_eq!(b.signals(), Signals::PEER_CLOSED);
        drop(u.take_all());
    }
}
