//! Ports: `zx_port_create`, `zx_port_queue`, `zx_port_wait`,
//! `zx_port_cancel`, and `zx_object_wait_async`, which arms a port's
//! observer on another object. Each checks in Zircon's order; the queue,
//! the observers and the waiting are `crate::object::port` and
//! `crate::wait::port`.

use super::{user, SysResult};
use crate::object::port::{AsyncWait, Port, Source};
use crate::sched;
use crate::task::Thread;
use crate::wait::port as wait;
use alloc::sync::Arc;
use zx_abi::{port, Handle, PortPacket, Rights, Signals, UserIn, UserOut, ZxStatus};

/// `zx_port_create`: options 0 or `ZX_PORT_BIND_TO_INTERRUPT` (accepted, as
/// Zircon does; no interrupt object exists to bind, so such a port only
/// ever sees ordinary packets).
pub fn port_create(t: &Thread, options: u32, out: UserOut<Handle>) -> SysResult {
    if options != 0 && options != port::BIND_TO_INTERRUPT {
        return Err(ZxStatus::InvalidArgs);
    }
    let h = t.process.add_handle(Port::new(), Rights::DEFAULT_PORT)?;
    user::give_handle(t, out, h)
}

/// `zx_port_queue`: needs `ZX_RIGHT_WRITE`; the packet is read after the
/// handle is checked.
pub fn port_queue(t: &Thread, h: Handle, packet: UserIn<PortPacket>) -> SysResult {
    let (port, _) = t.process.get::<Port>(h, Rights::WRITE)?;
    let mut p = [PortPacket::default()];
    user::read_array(t, packet, &mut p)?;
    port.queue_user(p[0])
}

/// `zx_port_wait`: needs `ZX_RIGHT_READ`. The packet is taken off the port
/// before it is written out, so one written to a bad pointer is lost, as in
/// Zircon.
pub fn port_wait(t: &Thread, h: Handle, deadline: i64, packet: UserOut<PortPacket>) -> SysResult {
    let (port, _) = t.process.get::<Port>(h, Rights::READ)?;
    let p = wait::wait(t, &port, deadline)?;
    drop(port);
    user::write(t, packet, &p)?;
    Ok(())
}

/// `zx_port_cancel`: the port needs `ZX_RIGHT_WRITE`; `source` needs
/// `ZX_RIGHT_WAIT` (Zircon's kernel; its documentation says WRITE) and
/// must be waitable.
pub fn port_cancel(t: &Thread, h: Handle, source: Handle, key: u64) -> SysResult {
    let (port, _) = t.process.get::<Port>(h, Rights::WRITE)?;
    let (object, _) = t.process.get_any(source, Rights::WAIT)?;
    if !object.is_waitable() {
        return Err(ZxStatus::NotSupported);
    }
    port.cancel(
        Source {
            owner: t.process.key(),
            handle: source,
        },
        key,
    )
}

/// `zx_object_wait_async`: options first, then the port (type, then
/// `ZX_RIGHT_WRITE`), then the object (`ZX_RIGHT_WAIT`, waitable).
pub fn object_wait_async(
    t: &Thread,
    h: Handle,
    port_handle: Handle,
    key: u64,
    signals: u32,
    options: u32,
) -> SysResult {
    let known =
        port::WAIT_ASYNC_TIMESTAMP | port::WAIT_ASYNC_EDGE | port::WAIT_ASYNC_BOOT_TIMESTAMP;
    let both_clocks = port::WAIT_ASYNC_TIMESTAMP | port::WAIT_ASYNC_BOOT_TIMESTAMP;
    if options & !known != 0 || options & both_clocks == both_clocks {
        return Err(ZxStatus::InvalidArgs);
    }
    let (port, _) = t.process.get::<Port>(port_handle, Rights::WRITE)?;
    let (object, _) = t.process.get_any(h, Rights::WAIT)?;
    if !object.is_waitable() {
        return Err(ZxStatus::NotSupported);
    }
    let wait = AsyncWait {
        key,
        trigger: Signals::from_bits_retain(signals),
        edge: options & port::WAIT_ASYNC_EDGE != 0,
        // One timeline: nothing here suspends, so boot time is monotonic
        // time.
        clock: (options & both_clocks != 0).then_some(sched::now_ns as fn() -> i64),
    };
    let source = Source {
        owner: t.process.key(),
        handle: h,
    };
    let still_open = || {
        t.process
            .get_any(h, Rights::NONE)
            .is_ok_and(|(o, _)| Arc::ptr_eq(&o, &object))
    };
    port.wait_async(&object, source, wait, still_open)
}
