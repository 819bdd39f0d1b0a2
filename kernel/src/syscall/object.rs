//! `zx_object_get_property`, `zx_object_set_property`, `zx_object_get_info`,
//! `zx_object_wait_one` and `zx_object_signal`.

use super::vmo_info::{vmo_info, Via};
use super::{process_info, user, SysResult};
use crate::object::socket::Socket;
use crate::object::stream::StreamObject;
use crate::object::vmar::VmarObject;
use crate::object::{downcast, ObjectRef, ObjectType};
use crate::task::Thread;
use crate::vm::fastcopy::record_as_bytes;
use crate::vm::VmoObject;
use alloc::sync::Arc;
use zx_abi::{
    prop, topic, Handle, InfoHandleBasic, InfoHandleCount, InfoSocket, InfoStream, InfoThread,
    InfoThreadStats, InfoVmar, InfoVmo, Rights, Signals, UserIn, UserOut, ZxStatus,
    ZX_MAX_NAME_LEN,
};

/// The common start of both property calls: a NULL value is `INVALID_ARGS`
/// before the handle is looked at, then the handle needs `right`.
fn property_target(
    t: &Thread,
    h: Handle,
    value: u64,
    right: Rights,
) -> Result<(Option<Arc<VmoObject>>, Rights), ZxStatus> {
    if value == 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let (object, rights) = t.process.get_any(h, Rights::NONE)?;
    if !rights.contains(right) {
        return Err(ZxStatus::AccessDenied);
    }
    Ok((downcast::<VmoObject>(object), rights))
}

pub fn object_get_property(
    t: &Thread,
    h: Handle,
    property: u32,
    value: UserOut<u8>,
    size: usize,
) -> SysResult {
    let (vmo, _) = property_target(t, h, value.addr(), Rights::GET_PROPERTY)?;
    match (property, vmo) {
        (prop::NAME, Some(v)) => {
            if size < ZX_MAX_NAME_LEN {
                return Err(ZxStatus::BufferTooSmall);
            }
            let name = *v.inner.lock().vmo.name();
            Ok(user::write_bytes(t, value, &name)?)
        }
        (prop::VMO_CONTENT_SIZE, Some(v)) => {
            if size < 8 {
                return Err(ZxStatus::BufferTooSmall);
            }
            // A reference's is its root's.
            let content = v.content_size();
            Ok(user::write_bytes(t, value, &content.to_le_bytes())?)
        }
        (prop::VMO_CONTENT_SIZE, None) => Err(ZxStatus::WrongType),
        // Exceptions.
        (prop::EXCEPTION_STATE | prop::EXCEPTION_STRATEGY, _) => {
            super::exception::get_property(t, h, property, value, size)
        }
        // Streams.
        (prop::STREAM_MODE_APPEND, _) => super::stream::get_mode_append(t, h, value, size),
        // Sockets and event pairs.
        (prop::NAME, None) | (prop::SOCKET_RX_THRESHOLD | prop::SOCKET_TX_THRESHOLD, _) => {
            super::peer::get_property(t, h, property, value, size)
        }
        _ => Err(ZxStatus::NotSupported),
    }
}

pub fn object_set_property(
    t: &Thread,
    h: Handle,
    property: u32,
    value: UserIn<u8>,
    size: usize,
) -> SysResult {
    let (vmo, rights) = property_target(t, h, value.addr(), Rights::SET_PROPERTY)?;
    match (property, vmo) {
        (prop::NAME, Some(v)) => {
            let len = size.min(ZX_MAX_NAME_LEN - 1);
            let mut name = [0u8; ZX_MAX_NAME_LEN];
            user::read_bytes(t, value, &mut name[..len])?;
            v.inner.lock().vmo.set_name(&name[..len]);
            Ok(())
        }
        (prop::VMO_CONTENT_SIZE, Some(v)) => {
            if !rights.contains(Rights::WRITE) {
                return Err(ZxStatus::AccessDenied);
            }
            if size < 8 {
                return Err(ZxStatus::BufferTooSmall);
            }
            let mut bytes = [0u8; 8];
            user::read_bytes(t, value, &mut bytes)?;
            v.set_content_size(u64::from_le_bytes(bytes))
        }
        (prop::VMO_CONTENT_SIZE, None) => Err(ZxStatus::WrongType),
        // Exceptions.
        (prop::EXCEPTION_STATE | prop::EXCEPTION_STRATEGY, _) => {
            super::exception::set_property(t, h, property, value, size)
        }
        // Streams.
        (prop::STREAM_MODE_APPEND, _) => super::stream::set_mode_append(t, h, value, size),
        // Sockets.
        (prop::SOCKET_RX_THRESHOLD | prop::SOCKET_TX_THRESHOLD, _) => {
            super::peer::set_property(t, h, property, value, size)
        }
        _ => Err(ZxStatus::NotSupported),
    }
}

/// Writes the record-count out-pointers of `zx_object_get_info`, when given.
fn write_counts(
    t: &Thread,
    actual: UserOut<usize>,
    avail: UserOut<usize>,
    n_actual: usize,
    n_avail: usize,
) -> SysResult {
    for (ptr, value) in [(actual, n_actual), (avail, n_avail)] {
        if !ptr.is_null() {
            user::write(t, ptr, &value)?;
        }
    }
    Ok(())
}

/// A record `zx_object_get_info` returns, and how many of its bytes.
enum InfoRecord {
    HandleBasic(InfoHandleBasic),
    HandleCount(InfoHandleCount),
    Vmar(InfoVmar),
    Vmo(InfoVmo, usize),
    ThreadStats(InfoThreadStats),
    Thread(InfoThread),
    Stream(InfoStream),
    Socket(InfoSocket),
    // Processes and jobs.
    Process(zx_abi::InfoProcess),
    Job(zx_abi::InfoJob),
    // Exceptions.
    ExceptionReport(zx_abi::ExceptionReport),
    ExceptionReportV1(zx_abi::ExceptionReportV1),
}

/// The object as a `T` a topic describes, which the handle may inspect
/// (`WRONG_TYPE`, then `ACCESS_DENIED`).
fn inspect<T: ObjectType>(object: ObjectRef, rights: Rights) -> Result<Arc<T>, ZxStatus> {
    let typed = downcast::<T>(object).ok_or(ZxStatus::WrongType)?;
    if !rights.contains(Rights::INSPECT) {
        return Err(ZxStatus::AccessDenied);
    }
    Ok(typed)
}

pub fn object_get_info(
    t: &Thread,
    h: Handle,
    info_topic: u32,
    buffer: UserOut<u8>,
    buffer_size: usize,
    actual: UserOut<usize>,
    avail: UserOut<usize>,
) -> SysResult {
    let (object, rights) = t.process.get_any(h, Rights::NONE)?;
    if let Some(records) = process_info::records(info_topic, object.clone(), rights)? {
        let n = records.count().min(buffer_size / records.record_len());
        user::write_bytes(t, buffer, &records.bytes(n))?;
        return write_counts(t, actual, avail, n, records.count());
    }
    let record = match info_topic {
        topic::HANDLE_VALID => return Ok(()),
        topic::HANDLE_BASIC => InfoRecord::HandleBasic(InfoHandleBasic {
            koid: object.koid(),
            rights: rights.bits(),
            obj_type: object.obj_type(),
            related_koid: object.related_koid(),
            ..Default::default()
        }),
        topic::HANDLE_COUNT => {
            if !rights.contains(Rights::INSPECT) {
                return Err(ZxStatus::AccessDenied);
            }
            InfoRecord::HandleCount(InfoHandleCount {
                handle_count: object.base().handle_count(),
            })
        }
        topic::VMAR => {
            let vmar = inspect::<VmarObject>(object, rights)?;
            InfoRecord::Vmar(InfoVmar {
                base: vmar.base_addr,
                len: vmar.size,
            })
        }
        topic::THREAD => {
            let thread = inspect::<Thread>(object, rights)?;
            let mut mask = [0u64; 8];
            for cpu in 0..crate::sched::cores_online().min(64 * mask.len()) {
                mask[cpu / 64] |= 1 << (cpu % 64);
            }
            InfoRecord::Thread(InfoThread {
                state: thread.state(),
                wait_exception_channel_type: thread.exception_channel(),
                cpu_affinity_mask: mask,
            })
        }
        topic::THREAD_STATS => {
            let thread = inspect::<Thread>(object, rights)?;
            InfoRecord::ThreadStats(InfoThreadStats {
                total_runtime: thread.runtime_ns(),
                last_scheduled_cpu: thread.last_cpu() as u32,
                ..Default::default()
            })
        }
        t if InfoVmo::size_for_topic(t).is_some() => {
            let Some(v) = downcast::<VmoObject>(object) else {
                return Err(ZxStatus::WrongType);
            };
            let len = InfoVmo::size_for_topic(t).unwrap_or(0);
            InfoRecord::Vmo(vmo_info(&v, Via::Handle(rights)), len)
        }
        // Streams.
        topic::STREAM => InfoRecord::Stream(inspect::<StreamObject>(object, rights)?.info()),
        topic::SOCKET => InfoRecord::Socket(inspect::<Socket>(object, rights)?.info()),
        // Processes and jobs.
        topic::PROCESS => {
            let process = inspect::<crate::task::Process>(object, rights)?;
            InfoRecord::Process(process.info())
        }
        topic::JOB => {
            let job = inspect::<crate::task::Job>(object, rights)?;
            let killed = job.is_killed();
            InfoRecord::Job(zx_abi::InfoJob {
                return_code: if killed {
                    zx_abi::TASK_RETCODE_SYSCALL_KILL
                } else {
                    0
                },
                exited: u8::from(killed),
                debugger_attached: u8::from(!job.debuggers().is_empty()),
                ..Default::default()
            })
        }
        // Exceptions: the report of a thread stopped in one.
        topic::THREAD_EXCEPTION_REPORT => {
            let thread = inspect::<Thread>(object, rights)?;
            InfoRecord::ExceptionReport(thread.with_stopped(|s| s.report)?)
        }
        topic::THREAD_EXCEPTION_REPORT_V1 => {
            let thread = inspect::<Thread>(object, rights)?;
            InfoRecord::ExceptionReportV1(thread.with_stopped(|s| s.report)?.into())
        }
        _ => return Err(ZxStatus::NotSupported),
    };
    // The bytes the topic returns: the whole record, or a VMO topic's prefix.
    let bytes = match &record {
        InfoRecord::HandleBasic(r) => record_as_bytes(r),
        InfoRecord::HandleCount(r) => record_as_bytes(r),
        InfoRecord::Vmar(r) => record_as_bytes(r),
        InfoRecord::Vmo(r, len) => &record_as_bytes(r)[..*len],
        InfoRecord::ThreadStats(r) => record_as_bytes(r),
        InfoRecord::Thread(r) => record_as_bytes(r),
        InfoRecord::Stream(r) => record_as_bytes(r),
        InfoRecord::Socket(r) => record_as_bytes(r),
        InfoRecord::Process(r) => record_as_bytes(r),
        InfoRecord::Job(r) => record_as_bytes(r),
        InfoRecord::ExceptionReport(r) => record_as_bytes(r),
        InfoRecord::ExceptionReportV1(r) => record_as_bytes(r),
    };
    if buffer_size < bytes.len() {
        write_counts(t, actual, avail, 0, 1)?;
        return Err(ZxStatus::BufferTooSmall);
    }
    user::write_bytes(t, buffer, bytes)?;
    write_counts(t, actual, avail, 1, 1)
}

/// `zx_object_signal`: clears then sets user signals on the object.
pub fn object_signal(t: &Thread, h: Handle, clear_mask: u32, set_mask: u32) -> SysResult {
    let (object, _) = t.process.get_any(h, Rights::SIGNAL)?;
    let clear = Signals::from_bits_retain(clear_mask);
    let set = Signals::from_bits_retain(set_mask);
    if !object.allowed_user_signals().contains(clear | set) {
        return Err(ZxStatus::InvalidArgs);
    }
    object.base().signals.update(clear, set);
    Ok(())
}
