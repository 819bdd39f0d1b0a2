//! Peered objects from EL0: event pairs, `zx_object_signal_peer`, and
//! sockets (create, write, read, shutdown, `ZX_INFO_SOCKET`), as typed
//! wrappers over `raw`.

use crate::{raw, to_result, Status};
use zx_abi::{topic, Handle, InfoSocket, ZxStatus};

/// `zx_eventpair_create`: both endpoints.
pub fn eventpair_create() -> Result<(Handle, Handle), ZxStatus> {
    let (mut a, mut b) = (0, 0);
    // SAFETY: both out-pointers name live locals.
    to_result(unsafe { raw::eventpair_create(0, &mut a, &mut b) })?;
    Ok((a, b))
}

/// `zx_object_signal_peer`: clears `clear`, then sets `set` on the peer.
pub fn object_signal_peer(h: Handle, clear: u32, set: u32) -> Status {
    // SAFETY: no memory is passed.
    to_result(unsafe { raw::object_signal_peer(h, clear, set) })
}

/// `zx_socket_create` with `options` (`socket_opt::STREAM` or `DATAGRAM`).
pub fn socket_create(options: u32) -> Result<(Handle, Handle), ZxStatus> {
    let (mut a, mut b) = (0, 0);
    // SAFETY: both out-pointers name live locals.
    to_result(unsafe { raw::socket_create(options, &mut a, &mut b) })?;
    Ok((a, b))
}

/// `zx_socket_write`; returns the bytes written.
pub fn socket_write(h: Handle, data: &[u8]) -> Result<usize, ZxStatus> {
    let mut actual = 0;
    // SAFETY: the pointer and length describe a live slice; `actual` is a
    // live local.
    to_result(unsafe { raw::socket_write(h, 0, data.as_ptr(), data.len(), &mut actual) })?;
    Ok(actual)
}

/// `zx_socket_read` into `buf` with `options` (0 or `socket_opt::PEEK`);
/// returns the bytes read.
pub fn socket_read(h: Handle, options: u32, buf: &mut [u8]) -> Result<usize, ZxStatus> {
    let mut actual = 0;
    // SAFETY: the pointer and length describe a live, writable slice;
    // `actual` is a live local.
    to_result(unsafe { raw::socket_read(h, options, buf.as_mut_ptr(), buf.len(), &mut actual) })?;
    Ok(actual)
}

/// `zx_socket_shutdown` with `socket_opt::SHUTDOWN_*` bits.
pub fn socket_shutdown(h: Handle, options: u32) -> Status {
    // SAFETY: no memory is passed.
    to_result(unsafe { raw::socket_shutdown(h, options) })
}

/// `ZX_INFO_SOCKET`.
pub fn socket_info(h: Handle) -> Result<InfoSocket, ZxStatus> {
    let mut info = InfoSocket::default();
    let (mut actual, mut avail) = (0usize, 0usize);
    // SAFETY: the pointer and size describe `info`, a live local of plain
    // data; `actual` and `avail` are live locals.
    to_result(unsafe {
        raw::object_get_info(
            h,
            topic::SOCKET,
            (&mut info as *mut InfoSocket).cast(),
            size_of::<InfoSocket>(),
            &mut actual,
            &mut avail,
        )
    })?;
    Ok(info)
}
