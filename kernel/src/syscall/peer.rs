//! Peered objects' calls: `zx_eventpair_create`, `zx_object_signal_peer`,
//! `zx_socket_create`, `zx_socket_write`, `zx_socket_read`,
//! `zx_socket_shutdown`, and the socket parts of `zx_object_get_info`
//! (`ZX_INFO_SOCKET`) and the property calls (the thresholds, and the empty
//! name every Zircon object without a name reports).
//!
//! User memory is copied outside the socket's lock: a write asks how much
//! fits, copies that much in, then hands the bytes over; a read takes the
//! bytes out, then copies them to the caller (if that copy fails the bytes
//! are gone, as in Zircon, which consumes as it copies).

use super::{user, SysResult};
use crate::object::eventpair::EventPair;
use crate::object::socket::Socket;
use crate::object::{downcast, ObjectType};
use crate::task::Thread;
use alloc::sync::Arc;
use alloc::vec::Vec;
use zx_abi::{
    prop, Handle, Rights, Signals, SocketReadOptions, SocketShutdown, UserIn, UserOut, ZxStatus,
    ZX_MAX_NAME_LEN,
};

/// Installs handles to both endpoints and writes them out; on any failure
/// neither handle stays behind (so the endpoints die with their `Arc`s).
pub(super) fn give_pair<T: ObjectType>(
    t: &Thread,
    (a, b): (Arc<T>, Arc<T>),
    out0: UserOut<Handle>,
    out1: UserOut<Handle>,
) -> SysResult {
    let h0 = t.process.add_handle(a, T::DEFAULT_RIGHTS)?;
    let h1 = match t.process.add_handle(b, T::DEFAULT_RIGHTS) {
        Ok(h) => h,
        Err(e) => {
            t.process.close_handle(h0)?;
            return Err(e);
        }
    };
    let written = user::write(t, out0, &h0).and_then(|()| user::write(t, out1, &h1));
    if let Err(e) = written {
        t.process.close_handle(h0)?;
        t.process.close_handle(h1)?;
        return Err(e.into());
    }
    Ok(())
}

/// `zx_eventpair_create`: no options are defined (`NOT_SUPPORTED`).
pub fn eventpair_create(
    t: &Thread,
    options: u32,
    out0: UserOut<Handle>,
    out1: UserOut<Handle>,
) -> SysResult {
    if options != 0 {
        return Err(ZxStatus::NotSupported);
    }
    crate::heap::ensure_headroom()?;
    give_pair(t, EventPair::create(), out0, out1)
}

/// `zx_object_signal_peer`: the handle needs `SIGNAL_PEER`; objects without
/// a peer answer `NOT_SUPPORTED`.
pub fn object_signal_peer(t: &Thread, h: Handle, clear_mask: u32, set_mask: u32) -> SysResult {
    let (object, _) = t.process.get_any(h, Rights::SIGNAL_PEER)?;
    object.signal_peer(
        Signals::from_bits_retain(clear_mask),
        Signals::from_bits_retain(set_mask),
    )
}

/// `zx_socket_create`: `ZX_SOCKET_STREAM` (0) or `ZX_SOCKET_DATAGRAM`.
pub fn socket_create(
    t: &Thread,
    options: u32,
    out0: UserOut<Handle>,
    out1: UserOut<Handle>,
) -> SysResult {
    let pair = Socket::create(options)?;
    crate::heap::ensure_headroom()?;
    give_pair(t, pair, out0, out1)
}

fn write_actual(t: &Thread, actual: UserOut<usize>, n: usize) -> SysResult {
    if !actual.is_null() {
        user::write(t, actual, &n)?;
    }
    Ok(())
}

/// `zx_socket_write`: a NULL buffer with a size, or any option, is
/// `INVALID_ARGS` before the handle (which needs `WRITE`) is looked at.
pub fn socket_write(
    t: &Thread,
    h: Handle,
    options: u32,
    buffer: UserIn<u8>,
    size: usize,
    actual: UserOut<usize>,
) -> SysResult {
    if size > 0 && buffer.is_null() {
        return Err(ZxStatus::InvalidArgs);
    }
    if options != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let (socket, _) = t.process.get::<Socket>(h, Rights::WRITE)?;
    let n = socket.write_room(size)?;
    let written = if n == 0 {
        0
    } else {
        crate::heap::ensure_headroom_for(n)?;
        let mut data = Vec::new();
        data.try_reserve_exact(n).map_err(|_| ZxStatus::NoMemory)?;
        data.resize(n, 0);
        user::read_bytes(t, buffer, &mut data)?;
        socket.write(&data)?
    };
    write_actual(t, actual, written)
}

/// `zx_socket_read`: a NULL buffer with a size, or an option other than
/// `ZX_SOCKET_PEEK`, is `INVALID_ARGS`; the handle needs `READ`.
pub fn socket_read(
    t: &Thread,
    h: Handle,
    options: u32,
    buffer: UserOut<u8>,
    size: usize,
    actual: UserOut<usize>,
) -> SysResult {
    if size > 0 && buffer.is_null() {
        return Err(ZxStatus::InvalidArgs);
    }
    let options = SocketReadOptions::from_bits(options).ok_or(ZxStatus::InvalidArgs)?;
    let (socket, _) = t.process.get::<Socket>(h, Rights::READ)?;
    let data = socket.read(size, options.contains(SocketReadOptions::PEEK))?;
    user::write_bytes(t, buffer, &data)?;
    write_actual(t, actual, data.len())
}

/// `zx_socket_shutdown`: the handle needs `WRITE`.
pub fn socket_shutdown(t: &Thread, h: Handle, options: u32) -> SysResult {
    let how = SocketShutdown::from_bits(options).ok_or(ZxStatus::InvalidArgs)?;
    let (socket, _) = t.process.get::<Socket>(h, Rights::WRITE)?;
    socket.shutdown(how);
    Ok(())
}

/// The object behind `h` as a socket, for the property calls (which have
/// checked the handle's rights already).
fn socket_of(t: &Thread, h: Handle) -> Result<Option<Arc<Socket>>, ZxStatus> {
    let (object, _) = t.process.get_any(h, Rights::NONE)?;
    Ok(downcast::<Socket>(object))
}

/// Whether `h` names a peered object (which has no name of its own).
fn is_peered(t: &Thread, h: Handle) -> Result<bool, ZxStatus> {
    let (object, _) = t.process.get_any(h, Rights::NONE)?;
    Ok(downcast::<Socket>(object.clone()).is_some() || downcast::<EventPair>(object).is_some())
}

/// `zx_object_get_property` on sockets and event pairs: the thresholds
/// (`size_t`), and `ZX_PROP_NAME`, which reads as the empty name (Zircon's
/// answer for objects without a name). Other objects: `NOT_SUPPORTED`, or
/// for a socket property `BUFFER_TOO_SMALL` (checked first) then
/// `WRONG_TYPE`.
pub fn get_property(
    t: &Thread,
    h: Handle,
    property: u32,
    value: UserOut<u8>,
    size: usize,
) -> SysResult {
    if property == prop::NAME {
        if !is_peered(t, h)? {
            return Err(ZxStatus::NotSupported);
        }
        if size < ZX_MAX_NAME_LEN {
            return Err(ZxStatus::BufferTooSmall);
        }
        return Ok(user::write_bytes(t, value, &[0u8; ZX_MAX_NAME_LEN])?);
    }
    if size < size_of::<usize>() {
        return Err(ZxStatus::BufferTooSmall);
    }
    let socket = socket_of(t, h)?.ok_or(ZxStatus::WrongType)?;
    let v = match property {
        prop::SOCKET_RX_THRESHOLD => socket.read_threshold(),
        _ => socket.write_threshold(),
    };
    Ok(user::write_bytes(t, value, &v.to_le_bytes())?)
}

/// `zx_object_set_property` on sockets and event pairs: the thresholds;
/// `ZX_PROP_NAME` is `NOT_SUPPORTED`, as Zircon gives for objects without
/// a name.
pub fn set_property(
    t: &Thread,
    h: Handle,
    property: u32,
    value: UserIn<u8>,
    size: usize,
) -> SysResult {
    if property == prop::NAME {
        return Err(ZxStatus::NotSupported);
    }
    if size < size_of::<usize>() {
        return Err(ZxStatus::BufferTooSmall);
    }
    let socket = socket_of(t, h)?.ok_or(ZxStatus::WrongType)?;
    let mut bytes = [0u8; size_of::<usize>()];
    user::read_bytes(t, value, &mut bytes)?;
    let v = usize::from_le_bytes(bytes);
    match property {
        prop::SOCKET_RX_THRESHOLD => socket.set_read_threshold(v),
        _ => socket.set_write_threshold(v),
    }
}
