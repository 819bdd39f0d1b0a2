//! Exception channels and exception objects: an [`Exceptionate`] is a
//! task's slot for the kernel's end of one exception channel (a thread has
//! one, a process two, a job one plus its debuggers'), and an
//! [`Exception`] is the object a handler receives through it. The course
//! of an exception through its handlers is `crate::task::exception`'s;
//! this module knows no task, only the handles to give out and whom to
//! wake.
//!
//! An exception's last handle going (closed, or dropped with an unread
//! message) is its answer: the waiter is woken and reads the state.
//!
//! Lock order: an exceptionate's lock is a leaf (channels are made and
//! dropped outside it); the exception's zero-handles hook runs under a
//! handle lock and only wakes its waiter (task lock, run queues), as a
//! channel's does.
//!
//! Portable: host tests run it.

use super::channel::{Channel, InFlight, Message};
use super::handle::Entry;
use super::{KernelObject, ObjectBase, ObjectType};
use crate::sync::{Arc, AtomicBool, AtomicU32, Mutex, Ordering};
use alloc::sync::Weak;
use alloc::vec::Vec;
use zx_abi::exception::{
    CHANNEL_TYPE_DEBUGGER, STATE_HANDLED, STATE_THREAD_EXIT, STATE_TRY_NEXT, STRATEGY_FIRST_CHANCE,
    STRATEGY_SECOND_CHANCE,
};
use zx_abi::{obj_type, ExceptionInfo, Rights, Signals, ZxStatus};

/// Who waits for an exception's answer (the faulting thread).
pub trait ExceptionWaiter: Send + Sync {
    /// The exception was answered: wake up. Runs under a handle lock.
    fn answered(&self);
}

/// One task's exception channel of one kind.
pub struct Exceptionate {
    /// `ZX_EXCEPTION_CHANNEL_TYPE_*`.
    kind: u32,
    slot: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    bound: Option<Bound>,
    /// The task is gone: no channel can be bound any more.
    shut: bool,
}

struct Bound {
    /// The kernel's end; the handler reads the other.
    kernel: Arc<Channel>,
    /// The handler's end, to tell a live binding from one whose end never
    /// reached a handle table.
    user: Weak<Channel>,
    /// The rights of the handles `zx_exception_get_thread`/`_process` give.
    thread_rights: Rights,
    process_rights: Rights,
}

impl Bound {
    /// The handler still holds its end.
    fn is_live(&self) -> bool {
        self.user.strong_count() > 0 && !self.kernel.signals().contains(Signals::PEER_CLOSED)
    }
}

/// Lets go of a binding's kernel end, outside the exceptionate's lock. The
/// kernel's end is in no handle table, so nothing else closes it: giving it
/// up is its zero-handles moment, which tells the handler `PEER_CLOSED`.
fn release(old: Option<Bound>) {
    if let Some(b) = old {
        b.kernel.on_zero_handles();
        drop(b);
        super::channel::reap();
    }
}

/// What an exception hands out and whom it wakes.
pub struct Raised {
    pub info: ExceptionInfo,
    /// The thread and its process, as handles (their rights are the
    /// channel's to choose).
    pub thread: Entry,
    pub process: Entry,
    pub waiter: Arc<dyn ExceptionWaiter>,
}

impl Exceptionate {
    pub fn new(kind: u32) -> Self {
        Self {
            kind,
            slot: Mutex::new(Slot::default()),
        }
    }

    /// `ZX_EXCEPTION_CHANNEL_TYPE_*`.
    pub fn kind(&self) -> u32 {
        self.kind
    }

    /// Binds a new channel and returns the handler's end: `ALREADY_BOUND`
    /// while a handler holds the last one, `BAD_STATE` once the task is
    /// gone. The exceptions it sends give the thread with `thread_rights`
    /// and its process with `process_rights` (none: refused).
    pub fn create_channel(
        &self,
        thread_rights: Rights,
        process_rights: Rights,
    ) -> Result<Arc<Channel>, ZxStatus> {
        let (kernel, user) = Channel::create();
        let old = {
            let mut slot = self.slot.lock();
            if slot.shut {
                return Err(ZxStatus::BadState);
            }
            if slot.bound.as_ref().is_some_and(Bound::is_live) {
                return Err(ZxStatus::AlreadyBound);
            }
            slot.bound.replace(Bound {
                kernel,
                user: Arc::downgrade(&user),
                thread_rights,
                process_rights,
            })
        };
        release(old);
        Ok(user)
    }

    /// Whether a handler holds this channel.
    pub fn is_bound(&self) -> bool {
        self.slot.lock().bound.as_ref().is_some_and(Bound::is_live)
    }

    /// The task is gone: its channel closes (the handler sees
    /// `PEER_CLOSED`) and none can be bound again.
    pub fn shutdown(&self) {
        let old = {
            let mut slot = self.slot.lock();
            slot.shut = true;
            slot.bound.take()
        };
        release(old);
    }

    /// Sends an exception to the bound handler: the exception, if the
    /// handler got it (None: nobody is bound, or its end went away).
    pub fn send(&self, raised: Raised) -> Option<Arc<Exception>> {
        let (kernel, thread_rights, process_rights) = {
            let slot = self.slot.lock();
            let bound = slot.bound.as_ref().filter(|b| b.is_live())?;
            (
                bound.kernel.clone(),
                bound.thread_rights,
                bound.process_rights,
            )
        };
        let exception = Arc::new(Exception {
            base: ObjectBase::new(Signals::empty()),
            thread: raised.thread.with_rights(thread_rights),
            process: (!process_rights.is_empty())
                .then(|| raised.process.with_rights(process_rights)),
            waiter: raised.waiter,
            kind: self.kind,
            state: AtomicU32::new(STATE_TRY_NEXT),
            strategy: AtomicU32::new(STRATEGY_FIRST_CHANCE),
            closed: AtomicBool::new(false),
        });
        let info = &raised.info;
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(size_of::<ExceptionInfo>()).ok()?;
        bytes.extend_from_slice(&info.pid.to_le_bytes());
        bytes.extend_from_slice(&info.tid.to_le_bytes());
        bytes.extend_from_slice(&info.type_.to_le_bytes());
        bytes.extend_from_slice(&info.padding1);
        let mut handles = Vec::new();
        handles.try_reserve_exact(1).ok()?;
        handles.push(InFlight::fresh(
            exception.clone(),
            Rights::DEFAULT_EXCEPTION,
        ));
        match kernel.write(Message { bytes, handles }) {
            Ok(()) => Some(exception),
            // Dropped after the pair's lock: the exception's last handle
            // goes, which is a TRY_NEXT nobody waits for.
            Err((_, msg)) => {
                drop(msg);
                None
            }
        }
    }
}

/// The exception object (`ZX_OBJ_TYPE_EXCEPTION`) a handler holds.
#[repr(C)]
pub struct Exception {
    base: ObjectBase,
    thread: Entry,
    /// None through a thread's channel.
    process: Option<Entry>,
    waiter: Arc<dyn ExceptionWaiter>,
    /// The kind of channel it was sent on.
    kind: u32,
    /// `ZX_PROP_EXCEPTION_STATE`.
    state: AtomicU32,
    /// `ZX_PROP_EXCEPTION_STRATEGY`.
    strategy: AtomicU32,
    /// Its last handle is gone: the answer is in.
    closed: AtomicBool,
}

crate::kernel_object!(Exception, obj_type::EXCEPTION, Rights::DEFAULT_EXCEPTION;
    fn on_zero_handles(&self) {
        self.closed.store(true, Ordering::Release);
        self.waiter.answered();
    }
);

impl Exception {
    /// `zx_exception_get_thread`: a handle's worth of the thread, with the
    /// rights of the task handle the channel was made from.
    pub fn thread(&self) -> Entry {
        self.thread.clone()
    }

    /// `zx_exception_get_process`: `ACCESS_DENIED` through a thread's
    /// channel.
    pub fn process(&self) -> Result<Entry, ZxStatus> {
        self.process.clone().ok_or(ZxStatus::AccessDenied)
    }

    /// Whether its last handle is gone (the answer is in).
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub fn state(&self) -> u32 {
        self.state.load(Ordering::Acquire)
    }

    /// `INVALID_ARGS` for a value that is no state.
    pub fn set_state(&self, state: u32) -> Result<(), ZxStatus> {
        if !matches!(state, STATE_TRY_NEXT | STATE_HANDLED | STATE_THREAD_EXIT) {
            return Err(ZxStatus::InvalidArgs);
        }
        self.state.store(state, Ordering::Release);
        Ok(())
    }

    pub fn strategy(&self) -> u32 {
        self.strategy.load(Ordering::Acquire)
    }

    /// `INVALID_ARGS` for a value that is no strategy, `BAD_STATE` unless
    /// the exception came through a process's debugger channel.
    pub fn set_strategy(&self, strategy: u32) -> Result<(), ZxStatus> {
        if !matches!(strategy, STRATEGY_FIRST_CHANCE | STRATEGY_SECOND_CHANCE) {
            return Err(ZxStatus::InvalidArgs);
        }
        if self.kind != CHANNEL_TYPE_DEBUGGER {
            return Err(ZxStatus::BadState);
        }
        self.strategy.store(strategy, Ordering::Release);
        Ok(())
    }
}

// Under loom, `ObjectBase` holds loom atomics, made only inside a model.
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::object::event::Event;
    use crate::object::HandleTable;
    use core::sync::atomic::AtomicUsize;

    #[derive(Default)]
    struct Counter(AtomicUsize);
    impl ExceptionWaiter for Counter {
        fn answered(&self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn raised(waiter: &Arc<Counter>) -> Raised {
        Raised {
            info: ExceptionInfo {
                pid: 7,
                tid: 8,
                type_: zx_abi::exception::FATAL_PAGE_FAULT,
                ..Default::default()
            },
            thread: Entry::new(Event::new(), Rights::NONE),
            process: Entry::new(Event::new(), Rights::NONE),
            waiter: waiter.clone(),
        }
    }

    #[test]
    fn one_live_binding_at_a_time_and_none_after_shutdown() {
        let slot = Exceptionate::new(zx_abi::exception::CHANNEL_TYPE_THREAD);
        let mut t = HandleTable::new();
        let user = slot.create_channel(Rights::INSPECT, Rights::NONE).unwrap();
        let h = t.add_new(user).unwrap();
        assert!(slot.is_bound());
        assert_eq!(
            slot.create_channel(Rights::INSPECT, Rights::NONE).err(),
            Some(ZxStatus::AlreadyBound)
        );
        // The handler closes its end: the slot is free again.
        drop(t.remove(h).unwrap());
        assert!(!slot.is_bound());
        // An end that never reached a table does not hold the slot.
        drop(slot.create_channel(Rights::NONE, Rights::NONE).unwrap());
        assert!(!slot.is_bound());
        let user = slot.create_channel(Rights::INSPECT, Rights::NONE).unwrap();
        let h = t.add_new(user.clone()).unwrap();
        slot.shutdown();
        assert!(user.signals().contains(Signals::PEER_CLOSED));
        assert_eq!(
            slot.create_channel(Rights::NONE, Rights::NONE).err(),
            Some(ZxStatus::BadState)
        );
        drop(t.remove(h).unwrap());
    }

    #[test]
    fn an_exception_is_answered_when_its_last_handle_goes() {
        let slot = Exceptionate::new(zx_abi::exception::CHANNEL_TYPE_PROCESS);
        let waiter = Arc::new(Counter::default());
        assert!(slot.send(raised(&waiter)).is_none(), "nobody bound");
        let mut t = HandleTable::new();
        let user = slot
            .create_channel(Rights::INSPECT, Rights::DUPLICATE)
            .unwrap();
        let h = t.add_new(user.clone()).unwrap();
        let exc = slot.send(raised(&waiter)).expect("delivered");
        assert_eq!(exc.process().unwrap().rights, Rights::DUPLICATE);
        assert_eq!(exc.thread().rights, Rights::INSPECT);
        let mut msg = user.read(64, 1, false).ok().unwrap();
        assert_eq!(msg.bytes.len(), size_of::<ExceptionInfo>());
        assert_eq!(
            msg.bytes[16..20],
            zx_abi::exception::FATAL_PAGE_FAULT.to_le_bytes()
        );
        let in_flight = msg.handles.pop().unwrap();
        assert!(!exc.is_closed());
        assert_eq!(exc.set_state(9).err(), Some(ZxStatus::InvalidArgs));
        exc.set_state(STATE_HANDLED).unwrap();
        assert_eq!(
            exc.set_strategy(STRATEGY_SECOND_CHANCE).err(),
            Some(ZxStatus::BadState),
            "only a debugger's exception has a second chance"
        );
        drop(in_flight);
        assert!(exc.is_closed());
        assert_eq!(exc.state(), STATE_HANDLED);
        assert_eq!(waiter.0.load(Ordering::Relaxed), 1);
        // An unread exception dropped with its channel is an answer too.
        let exc = slot.send(raised(&waiter)).unwrap();
        drop(t.remove(h).unwrap());
        drop(user);
        super::super::channel::reap();
        assert!(exc.is_closed());
        assert_eq!(exc.state(), STATE_TRY_NEXT);
        assert_eq!(waiter.0.load(Ordering::Relaxed), 2);
    }
}
