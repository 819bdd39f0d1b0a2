//! A stream: a seek offset and a mode over a VMO, Zircon's file-like view
//! of one (`zx_stream_*`; the reads and writes themselves are in
//! `syscall::stream`). It owns the modes (READ and WRITE fixed at creation,
//! APPEND switchable through `ZX_PROP_STREAM_MODE_APPEND`), whether it may
//! grow its VMO (the creating VMO handle had `ZX_RIGHT_RESIZE`) and the seek
//! offset.
//!
//! Lock order: the stream's seek lock → the VMO's `stream_lock` (the
//! content size) → the VMO's page lock and the locks a user copy takes.
//! A write or an append holds the first two from reading the offset and the
//! content size until both are updated, so appends from several threads or
//! several streams never lose bytes. `ZX_INFO_STREAM` takes them in the
//! same order.

use crate::object::ObjectBase;
use crate::sync::spin_lock::{Mutex, MutexGuard};
use crate::vm::VmoObject;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};
use zx_abi::{obj_type, stream_opt, InfoStream, Rights, Signals, ZxStatus};

#[repr(C)]
pub struct StreamObject {
    base: ObjectBase,
    pub vmo: Arc<VmoObject>,
    /// `ZX_STREAM_MODE_*` bits; APPEND may change later.
    modes: AtomicU32,
    /// The VMO handle it was made from could resize the VMO.
    pub can_resize: bool,
    /// The seek offset (first in the lock order).
    seek: Mutex<u64>,
}

crate::kernel_object!(StreamObject, obj_type::STREAM, Rights::DEFAULT_STREAM);

impl StreamObject {
    pub fn new(vmo: Arc<VmoObject>, modes: u32, seek: u64, can_resize: bool) -> Arc<Self> {
        Arc::new(Self {
            base: ObjectBase::new(Signals::empty()),
            vmo,
            modes: AtomicU32::new(modes),
            can_resize,
            seek: Mutex::new(seek),
        })
    }

    /// The rights a new handle gets: the default ones, plus READ and WRITE
    /// for the modes that grant them.
    pub fn rights_for(modes: u32) -> Rights {
        let mut r = Rights::DEFAULT_STREAM;
        if modes & stream_opt::MODE_READ != 0 {
            r |= Rights::READ;
        }
        if modes & stream_opt::MODE_WRITE != 0 {
            r |= Rights::WRITE;
        }
        r
    }

    /// The seek offset, locked (the first lock of the order).
    pub fn seek(&self) -> MutexGuard<'_, u64> {
        self.seek.lock()
    }

    pub fn is_append(&self) -> bool {
        self.modes.load(Ordering::Acquire) & stream_opt::MODE_APPEND != 0
    }

    pub fn set_append(&self, on: bool) {
        if on {
            self.modes
                .fetch_or(stream_opt::MODE_APPEND, Ordering::AcqRel);
        } else {
            self.modes
                .fetch_and(!stream_opt::MODE_APPEND, Ordering::AcqRel);
        }
    }

    /// `zx_stream_seek`: the new offset from `whence` and `offset`; one that
    /// would fall below 0 or pass 2^64 is `INVALID_ARGS`, as is an unknown
    /// origin. END is relative to the content size.
    pub fn seek_to(&self, whence: u32, offset: i64) -> Result<u64, ZxStatus> {
        let mut seek = self.seek.lock();
        let base = match whence {
            stream_opt::SEEK_ORIGIN_START => 0,
            stream_opt::SEEK_ORIGIN_CURRENT => *seek,
            stream_opt::SEEK_ORIGIN_END => self.vmo.content_size(),
            _ => return Err(ZxStatus::InvalidArgs),
        };
        if whence == stream_opt::SEEK_ORIGIN_START && offset < 0 {
            return Err(ZxStatus::InvalidArgs);
        }
        let target = base
            .checked_add_signed(offset)
            .ok_or(ZxStatus::InvalidArgs)?;
        *seek = target;
        Ok(target)
    }

    /// `ZX_INFO_STREAM`.
    pub fn info(&self) -> InfoStream {
        let seek = self.seek.lock();
        let _content = self.vmo.stream_lock().lock();
        InfoStream {
            options: self.modes.load(Ordering::Acquire),
            _padding1: 0,
            seek: *seek,
            content_size: self.vmo.content_size(),
        }
    }
}
