//! An event: an object with nothing but signals, which user code sets and
//! clears (`ZX_EVENT_SIGNALED` and the user signals).

use crate::object::ObjectBase;
use alloc::sync::Arc;
use zx_abi::{obj_type, Rights, Signals};

#[repr(C)]
pub struct Event {
    base: ObjectBase,
}

crate::kernel_object!(Event, obj_type::EVENT, Rights::DEFAULT_EVENT;
    fn allowed_user_signals(&self) -> Signals {
        Signals::USER_ALL | Signals::EVENT_SIGNALED
    }
);

impl Event {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            base: ObjectBase::new(Signals::empty()),
        })
    }
}
