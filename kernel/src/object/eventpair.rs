//! An event pair: two events made together, each of which can signal the
//! other (`zx_object_signal_peer`) and hears `ZX_EVENTPAIR_PEER_CLOSED` when
//! the other loses its last handle. Nothing is shared but the link.

use crate::object::peer::{PeerLink, Peered};
use crate::object::ObjectBase;
use crate::sync::Arc;
use zx_abi::{obj_type, Rights, Signals};

#[repr(C)]
pub struct EventPair {
    base: ObjectBase,
    link: PeerLink<EventPair>,
}

crate::kernel_object!(EventPair, obj_type::EVENTPAIR, Rights::DEFAULT_EVENTPAIR;
    fn allowed_user_signals(&self) -> Signals {
        Signals::USER_ALL | Signals::EVENTPAIR_SIGNALED
    }
    crate::peered_object_items!();
);

impl Peered for EventPair {
    type Shared = ();
    fn link(&self) -> &PeerLink<Self> {
        &self.link
    }
}

impl EventPair {
    /// Both endpoints, no signal set.
    pub fn create() -> (Arc<Self>, Arc<Self>) {
        PeerLink::create_pair((), Signals::empty(), |base, link| Self { base, link })
    }
}
