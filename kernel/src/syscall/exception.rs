//! Exceptions: `zx_task_create_exception_channel`,
//! `zx_exception_get_thread`, `zx_exception_get_process`,
//! `zx_thread_read_state` and `zx_thread_write_state`, and the exception
//! parts of the property and info calls (`ZX_PROP_EXCEPTION_STATE`,
//! `_STRATEGY`). The exceptions themselves are `crate::task::exception`'s.

use super::{user, SysResult};
use crate::object::channel::Channel;
use crate::object::downcast;
use crate::object::exception::Exception;
use crate::task::{Job, Process, Thread};
use crate::vm::fastcopy::{record_as_bytes, record_as_bytes_mut};
use alloc::sync::Arc;
use zx_abi::exception::{
    CHANNEL_DEBUGGER, THREAD_STATE_DEBUG_REGS, THREAD_STATE_FP_REGS, THREAD_STATE_GENERAL_REGS,
    THREAD_STATE_MAX_SIZE, THREAD_STATE_SINGLE_STEP, THREAD_STATE_VECTOR_REGS,
};
use zx_abi::{obj_type, prop, GeneralRegs, Handle, Rights, UserIn, UserOut, ZxStatus};

/// `zx_task_create_exception_channel`: binds a channel to the task's
/// exceptions (a process's or a job's debugger channel with
/// `ZX_EXCEPTION_CHANNEL_DEBUGGER`) and returns its read end (TRANSFER,
/// WAIT, READ). The task handle needs INSPECT, DUPLICATE, TRANSFER and
/// MANAGE_THREAD, and ENUMERATE for a process or a job; the handles the
/// exceptions give carry its rights.
pub fn task_create_exception_channel(
    t: &Thread,
    handle: Handle,
    options: u32,
    out: UserOut<Handle>,
) -> SysResult {
    if options & !CHANNEL_DEBUGGER != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let debugger = options & CHANNEL_DEBUGGER != 0;
    let (object, rights) = t
        .process
        .get_any(handle, Rights::CREATE_EXCEPTION_CHANNEL)?;
    let needs_enumerate = || {
        if rights.contains(Rights::ENUMERATE) {
            Ok(())
        } else {
            Err(ZxStatus::AccessDenied)
        }
    };
    let user_end: Arc<Channel> = match object.obj_type() {
        obj_type::THREAD => {
            if debugger {
                return Err(ZxStatus::InvalidArgs);
            }
            let thread = downcast::<Thread>(object).ok_or(ZxStatus::WrongType)?;
            // A thread's handler gets no way up to the process.
            thread.exceptionate.create_channel(rights, Rights::NONE)?
        }
        obj_type::PROCESS => {
            let process = downcast::<Process>(object).ok_or(ZxStatus::WrongType)?;
            needs_enumerate()?;
            let slot = if debugger {
                &process.debug_exceptionate
            } else {
                &process.exceptionate
            };
            slot.create_channel(rights, rights)?
        }
        obj_type::JOB => {
            let job = downcast::<Job>(object).ok_or(ZxStatus::WrongType)?;
            needs_enumerate()?;
            if debugger {
                job.create_debug_channel(rights, rights)?
            } else {
                job.exceptionate.create_channel(rights, rights)?
            }
        }
        _ => return Err(ZxStatus::WrongType),
    };
    // If this fails the channel's end is gone, which unbinds it.
    let h = t.process.add_handle(user_end, Rights::EXCEPTION_CHANNEL)?;
    user::give_handle(t, out, h)
}

/// `zx_exception_get_thread`: the thread that raised the exception.
pub fn exception_get_thread(t: &Thread, handle: Handle, out: UserOut<Handle>) -> SysResult {
    let (exception, _) = t.process.get::<Exception>(handle, Rights::NONE)?;
    let h = t.process.add_entry(exception.thread())?;
    user::give_handle(t, out, h)
}

/// `zx_exception_get_process`: its process (`ACCESS_DENIED` through a
/// thread's channel).
pub fn exception_get_process(t: &Thread, handle: Handle, out: UserOut<Handle>) -> SysResult {
    let (exception, _) = t.process.get::<Exception>(handle, Rights::NONE)?;
    let h = t.process.add_entry(exception.process()?)?;
    user::give_handle(t, out, h)
}

/// The thread a state call names, and a check of its kind and size: only
/// the general registers are supported (the other kinds Zircon has are
/// `NOT_SUPPORTED`, unknown kinds `INVALID_ARGS`).
fn state_target(
    t: &Thread,
    handle: Handle,
    right: Rights,
    kind: u32,
    size: usize,
) -> Result<Arc<Thread>, ZxStatus> {
    let (thread, _) = t.process.get::<Thread>(handle, right)?;
    if size > THREAD_STATE_MAX_SIZE {
        return Err(ZxStatus::InvalidArgs);
    }
    match kind {
        THREAD_STATE_GENERAL_REGS => {}
        THREAD_STATE_FP_REGS
        | THREAD_STATE_VECTOR_REGS
        | THREAD_STATE_DEBUG_REGS
        | THREAD_STATE_SINGLE_STEP => return Err(ZxStatus::NotSupported),
        _ => return Err(ZxStatus::InvalidArgs),
    }
    if size < size_of::<GeneralRegs>() {
        return Err(ZxStatus::BufferTooSmall);
    }
    Ok(thread)
}

/// `zx_thread_read_state`: the registers of a thread stopped in an
/// exception (`BAD_STATE` otherwise).
pub fn thread_read_state(
    t: &Thread,
    handle: Handle,
    kind: u32,
    buffer: UserOut<u8>,
    buffer_size: usize,
) -> SysResult {
    let thread = state_target(t, handle, Rights::READ, kind, buffer_size)?;
    let regs = thread.with_stopped(|s| s.regs)?;
    Ok(user::write_bytes(t, buffer, record_as_bytes(&regs))?)
}

/// `zx_thread_write_state`: new registers for a thread stopped in an
/// exception, taken when it goes on (only the condition flags of `cpsr`).
pub fn thread_write_state(
    t: &Thread,
    handle: Handle,
    kind: u32,
    buffer: UserIn<u8>,
    buffer_size: usize,
) -> SysResult {
    let thread = state_target(t, handle, Rights::WRITE, kind, buffer_size)?;
    let mut regs = GeneralRegs::default();
    user::read_bytes(t, buffer, record_as_bytes_mut(&mut regs))?;
    thread.with_stopped(|s| {
        s.regs = regs;
        s.regs_written = true;
    })
}

/// The exception behind `h` for a property call (`WRONG_TYPE` for any
/// other object), and a check that `size` holds a `u32`.
fn property_exception(t: &Thread, h: Handle, size: usize) -> Result<Arc<Exception>, ZxStatus> {
    let (object, _) = t.process.get_any(h, Rights::NONE)?;
    let exception = downcast::<Exception>(object).ok_or(ZxStatus::WrongType)?;
    if size < size_of::<u32>() {
        return Err(ZxStatus::BufferTooSmall);
    }
    Ok(exception)
}

/// `zx_object_get_property` of `ZX_PROP_EXCEPTION_STATE`/`_STRATEGY`.
pub fn get_property(
    t: &Thread,
    h: Handle,
    property: u32,
    value: UserOut<u8>,
    size: usize,
) -> SysResult {
    let exception = property_exception(t, h, size)?;
    let v = if property == prop::EXCEPTION_STATE {
        exception.state()
    } else {
        exception.strategy()
    };
    Ok(user::write_bytes(t, value, &v.to_le_bytes())?)
}

/// `zx_object_set_property` of `ZX_PROP_EXCEPTION_STATE`/`_STRATEGY`.
pub fn set_property(
    t: &Thread,
    h: Handle,
    property: u32,
    value: UserIn<u8>,
    size: usize,
) -> SysResult {
    let exception = property_exception(t, h, size)?;
    let mut bytes = [0u8; 4];
    user::read_bytes(t, value, &mut bytes)?;
    let v = u32::from_le_bytes(bytes);
    if property == prop::EXCEPTION_STATE {
        exception.set_state(v)
    } else {
        exception.set_strategy(v)
    }
}
