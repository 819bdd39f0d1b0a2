//! Waiting and time: `zx_object_wait_one`/`_many`, `zx_futex_*`,
//! `zx_nanosleep`, `zx_clock_get_monotonic_via_kernel`, and events
//! (`zx_event_create`), the objects that exist only to be waited on.

use super::{user, SysResult, Value};
use crate::object::event::Event;
use crate::object::ObjectRef;
use crate::sched;
use crate::task::Thread;
use crate::wait::{futex, objects as wait};
use alloc::vec::Vec;
use zx_abi::{
    Handle, Rights, Signals, UserIn, UserInOut, UserOut, WaitItem, ZxStatus, WAIT_MANY_MAX_ITEMS,
    ZX_HANDLE_INVALID,
};

/// `zx_object_wait_one`: blocks until the object has one of `wanted`, or
/// the deadline; `observed` gets the signals at the end either way.
pub fn object_wait_one(
    t: &Thread,
    h: Handle,
    wanted: u32,
    deadline: i64,
    observed: UserOut<u32>,
) -> SysResult {
    let (object, _) = t.process.get_any(h, Rights::WAIT)?;
    if !object.is_waitable() {
        return Err(ZxStatus::NotSupported);
    }
    let items = [(object, Signals::from_bits_retain(wanted), h)];
    let (outcome, states) = wait::wait_any(t, &items, deadline)?;
    if !observed.is_null() {
        user::write(t, observed, &states[0].bits())?;
    }
    outcome
}

/// `zx_object_wait_many`: blocks until any item's object has one of its
/// `waitfor` signals; every item's `pending` gets that object's signals.
/// No items: sleeps until the deadline.
pub fn object_wait_many(
    t: &Thread,
    items: UserInOut<WaitItem>,
    count: usize,
    deadline: i64,
) -> SysResult {
    if count > WAIT_MANY_MAX_ITEMS {
        return Err(ZxStatus::OutOfRange);
    }
    if count == 0 {
        wait::sleep_until(t, deadline);
        return Err(ZxStatus::TimedOut);
    }
    let mut buf = [WaitItem::default(); WAIT_MANY_MAX_ITEMS];
    let buf = &mut buf[..count];
    user::read_array(t, UserIn::new(items.addr()), buf)?;
    let mut objects: Vec<(ObjectRef, Signals, Handle)> = Vec::new();
    objects
        .try_reserve_exact(count)
        .map_err(|_| ZxStatus::NoMemory)?;
    for item in buf.iter() {
        let (object, _) = t.process.get_any(item.handle, Rights::WAIT)?;
        if !object.is_waitable() {
            return Err(ZxStatus::NotSupported);
        }
        objects.push((object, Signals::from_bits_retain(item.waitfor), item.handle));
    }
    let (outcome, states) = wait::wait_any(t, &objects, deadline)?;
    for (i, (item, state)) in buf.iter_mut().zip(&states).enumerate() {
        item.pending = state.bits();
        user::write(t, UserOut::new(items.add(i).addr()), item)?;
    }
    outcome
}

/// `zx_nanosleep`.
pub fn nanosleep(t: &Thread, deadline: i64) -> SysResult {
    wait::sleep_until(t, deadline);
    Ok(())
}

/// `zx_clock_get_monotonic_via_kernel`: the monotonic clock, in x0.
pub fn clock_get_monotonic_via_kernel(_t: &Thread) -> Value {
    Value(sched::now_ns())
}

/// `zx_event_create`.
pub fn event_create(t: &Thread, options: u32, out: UserOut<Handle>) -> SysResult {
    if options != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let h = t.process.add_handle(Event::new(), Rights::DEFAULT_EVENT)?;
    user::give_handle(t, out, h)
}

/// A futex address must be non-null and 4-byte aligned.
fn futex_address(ptr: UserIn<u32>) -> Result<u64, ZxStatus> {
    if ptr.is_null() || !ptr.is_aligned() {
        return Err(ZxStatus::InvalidArgs);
    }
    Ok(ptr.addr())
}

/// A futex owner argument: none, or a thread other than the caller.
fn check_owner(t: &Thread, owner: Handle) -> Result<(), ZxStatus> {
    if owner == ZX_HANDLE_INVALID {
        return Ok(());
    }
    let (thread, _) = t.process.get::<Thread>(owner, Rights::NONE)?;
    if core::ptr::eq(&*thread, t) {
        return Err(ZxStatus::InvalidArgs);
    }
    Ok(())
}

fn read_futex(t: &Thread, ptr: UserIn<u32>) -> Result<u32, ZxStatus> {
    let mut bytes = [0u8; 4];
    user::read_bytes(t, UserIn::new(ptr.addr()), &mut bytes)?;
    Ok(u32::from_ne_bytes(bytes))
}

/// `zx_futex_wait`.
pub fn futex_wait(
    t: &Thread,
    value_ptr: UserIn<u32>,
    current_value: u32,
    new_futex_owner: Handle,
    deadline: i64,
) -> SysResult {
    let address = futex_address(value_ptr)?;
    check_owner(t, new_futex_owner)?;
    futex::wait(
        t,
        address,
        || read_futex(t, value_ptr),
        current_value,
        deadline,
    )
}

/// `zx_futex_wake`.
pub fn futex_wake(t: &Thread, value_ptr: UserIn<u32>, wake_count: u32) -> SysResult {
    let address = futex_address(value_ptr)?;
    futex::wake(t, address, wake_count);
    Ok(())
}

/// `zx_futex_requeue`.
pub fn futex_requeue(
    t: &Thread,
    value_ptr: UserIn<u32>,
    wake_count: u32,
    current_value: u32,
    requeue_ptr: UserIn<u32>,
    requeue_count: u32,
    new_requeue_owner: Handle,
) -> SysResult {
    let address = futex_address(value_ptr)?;
    let requeue_address = futex_address(requeue_ptr)?;
    if address == requeue_address {
        return Err(ZxStatus::InvalidArgs);
    }
    check_owner(t, new_requeue_owner)?;
    futex::requeue(
        t,
        address,
        || read_futex(t, value_ptr),
        current_value,
        wake_count,
        requeue_address,
        requeue_count,
    )
}
