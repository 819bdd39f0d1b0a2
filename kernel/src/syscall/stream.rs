//! `zx_stream_create`, `zx_stream_writev`, `zx_stream_writev_at`,
//! `zx_stream_readv`, `zx_stream_readv_at` and `zx_stream_seek`, with
//! Zircon's rules: reads stop at the content size; a write past it grows
//! it (zeroing any gap between the old content size and the write), grows a
//! resizable VMO when the stream may resize it, and is otherwise cut at the
//! VMO's size (`NO_SPACE` when nothing fits); a partial transfer succeeds
//! with the bytes done. The locks and their order are in `object::stream`.

use super::vmo::copy_user;
use super::{user, SysResult};
use crate::object::stream::StreamObject;
use crate::task::Thread;
use crate::vm::VmoObject;
use alloc::sync::Arc;
use zx_abi::{stream_opt, Handle, Iovec, Rights, UserIn, UserInOut, UserOut, ZxStatus, PAGE_SIZE};

pub fn stream_create(
    t: &Thread,
    options: u32,
    vmo: Handle,
    seek: u64,
    out: UserOut<Handle>,
) -> SysResult {
    if options & !stream_opt::CREATE_MASK != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let mut needed = Rights::NONE;
    if options & stream_opt::MODE_READ != 0 {
        needed |= Rights::READ;
    }
    if options & stream_opt::MODE_WRITE != 0 {
        needed |= Rights::WRITE;
    }
    let (object, vmo_rights) = t.process.get::<VmoObject>(vmo, needed)?;
    crate::heap::ensure_headroom()?;
    let can_resize = vmo_rights.contains(Rights::RESIZE);
    let stream = StreamObject::new(object, options, seek, can_resize);
    let h = t
        .process
        .add_handle(stream, StreamObject::rights_for(options))?;
    user::give_handle(t, out, h)
}

/// A user vector of `zx_iovec_t`, read from user memory as it is walked.
#[derive(Clone, Copy)]
struct Vectors {
    at: UserIn<Iovec>,
    count: usize,
}

impl Vectors {
    fn get(&self, t: &Thread, i: usize) -> Result<Iovec, ZxStatus> {
        let mut v = [Iovec::default()];
        user::read_array(t, self.at.add(i), &mut v)?;
        Ok(v[0])
    }

    /// The sum of the capacities; one that passes 2^64, or a vector that
    /// cannot be read, is `INVALID_ARGS`.
    fn total(&self, t: &Thread) -> Result<u64, ZxStatus> {
        let mut total = 0u64;
        for i in 0..self.count {
            total = total
                .checked_add(self.get(t, i)?.capacity)
                .ok_or(ZxStatus::InvalidArgs)?;
        }
        Ok(total)
    }

    /// Moves at most `len` bytes between the buffers, in order, and `vmo`
    /// from `offset` on (`to_user`: from the VMO). Returns the bytes moved
    /// and, if it stopped early, why. The vectors are read again (a program
    /// may change them meanwhile: never more than `len` bytes move).
    fn transfer(
        &self,
        t: &Thread,
        vmo: &Arc<VmoObject>,
        offset: u64,
        len: u64,
        to_user: bool,
    ) -> (u64, Option<ZxStatus>) {
        let mut done = 0u64;
        for i in 0..self.count {
            if done == len {
                break;
            }
            let v = match self.get(t, i) {
                Ok(v) => v,
                Err(e) => return (done, Some(e)),
            };
            let n = v.capacity.min(len - done);
            if let Err(e) = copy_user(t, vmo, v.buffer, offset + done, n, to_user) {
                // Find how far it got, a page of the buffer at a time.
                let mut at = 0;
                while at < n {
                    let piece = (PAGE_SIZE - (v.buffer.wrapping_add(at) % PAGE_SIZE)).min(n - at);
                    let buf = v.buffer.wrapping_add(at);
                    if copy_user(t, vmo, buf, offset + done + at, piece, to_user).is_err() {
                        break;
                    }
                    at += piece;
                }
                return (done + at, Some(e));
            }
            done += n;
        }
        (done, None)
    }
}

/// The status of a transfer that moved `done` bytes: any byte is success.
fn outcome(done: u64, error: Option<ZxStatus>) -> Result<u64, ZxStatus> {
    match error {
        Some(e) if done == 0 => Err(e),
        _ => Ok(done),
    }
}

/// Makes room for content up to `end` (Zircon's `ExpandIfNecessary`): the
/// VMO's size afterwards, with the status of a growth that failed.
fn expand(stream: &StreamObject, end: u64) -> (u64, Option<ZxStatus>) {
    let size = stream.vmo.size();
    let Some(needed) = end.checked_next_multiple_of(PAGE_SIZE) else {
        return (size, Some(ZxStatus::OutOfRange));
    };
    if needed <= size {
        return (size, None);
    }
    if !stream.can_resize {
        return (size, Some(ZxStatus::NotSupported));
    }
    match stream.vmo.grow_for_stream(needed) {
        Ok(()) => (needed, None),
        Err(e) => (size, Some(e)),
    }
}

/// The error of a write that cannot even start at `offset` because the VMO
/// could not grow: range errors stay, the rest is `NO_SPACE` (Zircon's).
fn no_room(error: Option<ZxStatus>) -> ZxStatus {
    match error {
        Some(ZxStatus::OutOfRange) => ZxStatus::OutOfRange,
        _ => ZxStatus::NoSpace,
    }
}

/// A write at `offset` (not appending), under the content-size lock: grows
/// the content (and the VMO) as needed, zeroes the gap after the old
/// content, then writes. Returns the bytes written.
fn write_at(
    t: &Thread,
    stream: &StreamObject,
    vectors: Vectors,
    total: u64,
    offset: u64,
) -> Result<u64, ZxStatus> {
    let vmo = &stream.vmo;
    let _content = vmo.stream_lock().lock();
    let end = offset.checked_add(total).ok_or(ZxStatus::FileBig)?;
    let old_content = vmo.content_size();
    // As in Zircon, always: the content size may already pass the VMO's.
    let (size, grow_error) = expand(stream, end);
    if grow_error.is_some() && size <= offset {
        return Err(no_room(grow_error));
    }
    let len = end.min(size) - offset;
    if old_content < offset {
        vmo.zero_range(old_content, offset - old_content)?;
    }
    let (done, error) = vectors.transfer(t, vmo, offset, len, false);
    if done > 0 && offset + done > old_content {
        vmo.record_content_size(offset + done);
    }
    outcome(done, error)
}

/// An append: the write lands at the content size, read and grown under the
/// stream's seek lock and the content-size lock; the seek offset ends after
/// it.
fn append(
    t: &Thread,
    stream: &StreamObject,
    vectors: Vectors,
    total: u64,
) -> Result<u64, ZxStatus> {
    let vmo = &stream.vmo;
    let mut seek = stream.seek();
    let _content = vmo.stream_lock().lock();
    let offset = vmo.content_size();
    let end = offset.checked_add(total).ok_or(ZxStatus::OutOfRange)?;
    let (size, grow_error) = expand(stream, end);
    if grow_error.is_some() && size <= offset {
        return Err(no_room(grow_error));
    }
    let len = end.min(size) - offset;
    let (done, error) = vectors.transfer(t, vmo, offset, len, false);
    *seek = offset + done;
    if done > 0 {
        vmo.record_content_size(offset + done);
    }
    outcome(done, error)
}

/// A read at `offset`, stopped at the content size.
fn read_at(
    t: &Thread,
    stream: &StreamObject,
    vectors: Vectors,
    total: u64,
    offset: u64,
) -> Result<u64, ZxStatus> {
    let vmo = &stream.vmo;
    let _content = vmo.stream_lock().lock();
    let limit = vmo.content_size().min(offset.saturating_add(total));
    if limit <= offset {
        return Ok(0);
    }
    let (done, error) = vectors.transfer(t, vmo, offset, limit - offset, true);
    outcome(done, error)
}

/// The checks every read and write makes before the handle: a NULL vector
/// is `INVALID_ARGS` (even with a count of 0), then the handle needs
/// `right`.
fn target(
    t: &Thread,
    h: Handle,
    vectors: u64,
    count: usize,
    right: Rights,
) -> Result<(Arc<StreamObject>, Vectors), ZxStatus> {
    if vectors == 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let (stream, _) = t.process.get::<StreamObject>(h, right)?;
    Ok((
        stream,
        Vectors {
            at: UserIn::new(vectors),
            count,
        },
    ))
}

/// Reports the bytes moved through `actual`, when given.
fn report(t: &Thread, actual: UserOut<usize>, done: u64) -> SysResult {
    if actual.is_null() {
        return Ok(());
    }
    Ok(user::write(t, actual, &(done as usize))?)
}

/// The common course of the four transfers: the stream and its vectors
/// (`right` needed), their total length, then `moved(stream, vectors,
/// total)` unless there is nothing to move, and the bytes moved reported
/// through `actual`.
fn transfer(
    t: &Thread,
    h: Handle,
    vectors: u64,
    count: usize,
    right: Rights,
    actual: UserOut<usize>,
    moved: impl FnOnce(&Arc<StreamObject>, Vectors, u64) -> Result<u64, ZxStatus>,
) -> SysResult {
    let (stream, vectors) = target(t, h, vectors, count, right)?;
    let total = vectors.total(t)?;
    if total == 0 {
        return report(t, actual, 0);
    }
    let done = moved(&stream, vectors, total)?;
    report(t, actual, done)
}

pub fn stream_writev(
    t: &Thread,
    h: Handle,
    options: u32,
    vectors: UserIn<Iovec>,
    count: usize,
    actual: UserOut<usize>,
) -> SysResult {
    if options & !stream_opt::APPEND != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    transfer(
        t,
        h,
        vectors.addr(),
        count,
        Rights::WRITE,
        actual,
        |stream, vectors, total| {
            if options & stream_opt::APPEND != 0 || stream.is_append() {
                return append(t, stream, vectors, total);
            }
            let mut seek = stream.seek();
            let done = write_at(t, stream, vectors, total, *seek)?;
            *seek += done;
            Ok(done)
        },
    )
}

pub fn stream_writev_at(
    t: &Thread,
    h: Handle,
    options: u32,
    offset: u64,
    vectors: UserIn<Iovec>,
    count: usize,
    actual: UserOut<usize>,
) -> SysResult {
    if options != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    transfer(
        t,
        h,
        vectors.addr(),
        count,
        Rights::WRITE,
        actual,
        |stream, vectors, total| write_at(t, stream, vectors, total, offset),
    )
}

pub fn stream_readv(
    t: &Thread,
    h: Handle,
    options: u32,
    vectors: UserInOut<Iovec>,
    count: usize,
    actual: UserOut<usize>,
) -> SysResult {
    if options != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    transfer(
        t,
        h,
        vectors.addr(),
        count,
        Rights::READ,
        actual,
        |stream, vectors, total| {
            let mut seek = stream.seek();
            let done = read_at(t, stream, vectors, total, *seek)?;
            *seek += done;
            Ok(done)
        },
    )
}

pub fn stream_readv_at(
    t: &Thread,
    h: Handle,
    options: u32,
    offset: u64,
    vectors: UserInOut<Iovec>,
    count: usize,
    actual: UserOut<usize>,
) -> SysResult {
    if options != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    transfer(
        t,
        h,
        vectors.addr(),
        count,
        Rights::READ,
        actual,
        |stream, vectors, total| read_at(t, stream, vectors, total, offset),
    )
}

/// Needs READ or WRITE (either).
pub fn stream_seek(
    t: &Thread,
    h: Handle,
    whence: u32,
    offset: i64,
    out: UserOut<u64>,
) -> SysResult {
    let (stream, rights) = t.process.get::<StreamObject>(h, Rights::NONE)?;
    if !rights.intersects(Rights::READ | Rights::WRITE) {
        return Err(ZxStatus::AccessDenied);
    }
    let target = stream.seek_to(whence, offset)?;
    if out.is_null() {
        return Ok(());
    }
    Ok(user::write(t, out, &target)?)
}

/// `ZX_PROP_STREAM_MODE_APPEND` (a `u8`), read.
pub fn get_mode_append(t: &Thread, h: Handle, value: UserOut<u8>, size: usize) -> SysResult {
    let stream = property_stream(t, h)?;
    if size < 1 {
        return Err(ZxStatus::BufferTooSmall);
    }
    Ok(user::write_bytes(t, value, &[stream.is_append() as u8])?)
}

/// `ZX_PROP_STREAM_MODE_APPEND`, set: any nonzero byte turns it on.
pub fn set_mode_append(t: &Thread, h: Handle, value: UserIn<u8>, size: usize) -> SysResult {
    let stream = property_stream(t, h)?;
    if size < 1 {
        return Err(ZxStatus::BufferTooSmall);
    }
    let mut byte = [0u8];
    user::read_bytes(t, value, &mut byte)?;
    stream.set_append(byte[0] != 0);
    Ok(())
}

/// The stream behind a property call's handle (its rights were checked).
fn property_stream(t: &Thread, h: Handle) -> Result<Arc<StreamObject>, ZxStatus> {
    Ok(t.process.get::<StreamObject>(h, Rights::NONE)?.0)
}
