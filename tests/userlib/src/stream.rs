//! Streams: typed wrappers for `zx_stream_*`, the stream-size calls and the
//! stream property and info topic. Buffers are slices: [`iovec`] and
//! [`iovec_mut`] make the `zx_iovec_t` for one.

use crate::{raw, status, Handle, InfoStream, Iovec, Status, ZxStatus};
use zx_abi::{prop, topic};

/// A `zx_iovec_t` for a buffer the kernel reads (writes to a stream).
pub fn iovec(buf: &[u8]) -> Iovec {
    Iovec {
        buffer: buf.as_ptr() as u64,
        capacity: buf.len() as u64,
    }
}

/// A `zx_iovec_t` for a buffer the kernel fills (reads from a stream).
pub fn iovec_mut(buf: &mut [u8]) -> Iovec {
    Iovec {
        buffer: buf.as_mut_ptr() as u64,
        capacity: buf.len() as u64,
    }
}

/// `zx_stream_create(options, vmo, seek)`.
pub fn create(options: u32, vmo: Handle, seek: u64) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    status(unsafe { raw::stream_create(options, vmo, seek, &mut out) })?;
    Ok(out)
}

/// `zx_stream_writev`; the bytes written. Every vector must describe live
/// memory the kernel may read.
pub fn writev(h: Handle, options: u32, vectors: &[Iovec]) -> Result<usize, ZxStatus> {
    let mut actual = 0;
    // SAFETY: the vectors are live; the caller vouches for their buffers.
    status(unsafe {
        raw::stream_writev(h, options, vectors.as_ptr(), vectors.len(), &mut actual)
    })?;
    Ok(actual)
}

/// `zx_stream_writev_at`; the bytes written.
pub fn writev_at(
    h: Handle,
    options: u32,
    offset: u64,
    vectors: &[Iovec],
) -> Result<usize, ZxStatus> {
    let mut actual = 0;
    // SAFETY: as for `writev`.
    status(unsafe {
        raw::stream_writev_at(
            h,
            options,
            offset,
            vectors.as_ptr(),
            vectors.len(),
            &mut actual,
        )
    })?;
    Ok(actual)
}

/// `zx_stream_readv`; the bytes read. Every vector's buffer must be live
/// memory nothing else uses during the call.
pub fn readv(h: Handle, options: u32, vectors: &mut [Iovec]) -> Result<usize, ZxStatus> {
    let mut actual = 0;
    // SAFETY: the vectors are live; the caller vouches for their buffers.
    status(unsafe {
        raw::stream_readv(h, options, vectors.as_mut_ptr(), vectors.len(), &mut actual)
    })?;
    Ok(actual)
}

/// `zx_stream_readv_at`; the bytes read.
pub fn readv_at(
    h: Handle,
    options: u32,
    offset: u64,
    vectors: &mut [Iovec],
) -> Result<usize, ZxStatus> {
    let mut actual = 0;
    // SAFETY: as for `readv`.
    status(unsafe {
        raw::stream_readv_at(
            h,
            options,
            offset,
            vectors.as_mut_ptr(),
            vectors.len(),
            &mut actual,
        )
    })?;
    Ok(actual)
}

/// Writes `buf` at the seek offset; the bytes written.
pub fn write(h: Handle, buf: &[u8]) -> Result<usize, ZxStatus> {
    writev(h, 0, &[iovec(buf)])
}

/// Reads into `buf` from the seek offset; the bytes read.
pub fn read(h: Handle, buf: &mut [u8]) -> Result<usize, ZxStatus> {
    readv(h, 0, &mut [iovec_mut(buf)])
}

/// `zx_stream_seek`; the new offset.
pub fn seek(h: Handle, whence: u32, offset: i64) -> Result<u64, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    status(unsafe { raw::stream_seek(h, whence, offset, &mut out) })?;
    Ok(out)
}

/// `ZX_INFO_STREAM`.
pub fn info(h: Handle) -> Result<InfoStream, ZxStatus> {
    let mut info = InfoStream::default();
    let (mut actual, mut avail) = (0usize, 0usize);
    // SAFETY: the pointers describe live locals; `InfoStream` is plain data
    // of the size passed.
    status(unsafe {
        raw::object_get_info(
            h,
            topic::STREAM,
            (&mut info as *mut InfoStream).cast(),
            core::mem::size_of::<InfoStream>(),
            &mut actual,
            &mut avail,
        )
    })?;
    Ok(info)
}

/// `ZX_PROP_STREAM_MODE_APPEND`.
pub fn mode_append(h: Handle) -> Result<bool, ZxStatus> {
    let mut b = [0xAAu8];
    crate::object_get_property(h, prop::STREAM_MODE_APPEND, &mut b)?;
    Ok(b[0] != 0)
}

/// Sets `ZX_PROP_STREAM_MODE_APPEND`.
pub fn set_mode_append(h: Handle, on: bool) -> Status {
    crate::object_set_property(h, prop::STREAM_MODE_APPEND, &[on as u8])
}

/// `zx_vmo_get_stream_size`.
pub fn vmo_get_stream_size(vmo: Handle) -> Result<u64, ZxStatus> {
    let mut size = 0;
    // SAFETY: `size` is a live local.
    status(unsafe { raw::vmo_get_stream_size(vmo, &mut size) })?;
    Ok(size)
}

/// `zx_vmo_set_stream_size`.
pub fn vmo_set_stream_size(vmo: Handle, size: u64) -> Status {
    // SAFETY: no memory is passed.
    status(unsafe { raw::vmo_set_stream_size(vmo, size) })
}
