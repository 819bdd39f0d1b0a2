//! Channel calls: `zx_channel_create`, `zx_channel_write`/`_etc`,
//! `zx_channel_read`/`_etc`, and the kernel half of the vDSO's
//! `zx_channel_call`: `zx_channel_call_noretry` (write with a kernel txid,
//! block until the reply with it, the deadline or the peer's end, read the
//! reply) and `zx_channel_call_finish` (resume an interrupted call; calls
//! are never interrupted here, so it is always `BAD_STATE`).
//!
//! Handles follow Zircon's rule: every handle of a write's list is
//! consumed, whether the write succeeds or fails (`ZX_HANDLE_OP_DUPLICATE`
//! entries of `_etc` stay with the caller), and nothing is half-moved: the
//! list is taken out of the table in one hold of its lock, each entry
//! checked (TRANSFER, not the channel itself, type, rights); on any failure
//! the message is dropped with every handle it took. User memory is copied
//! before or after the channel's lock, never under it. Stranded messages
//! are dropped at the end of each call (`channel::reap`), outside every
//! lock.

use super::{user, SysResult};
use crate::object::channel::{reap, CallWake, Channel, InFlight, Message};
use crate::object::handle::Entry;
use crate::object::{downcast, HandleTable, ObjectRef};
use crate::sched::{deadline_ticks, park_current};
use crate::task::Thread;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use platform::arch::cpu;
use zx_abi::channel::{
    HANDLE_OP_DUPLICATE, HANDLE_OP_MOVE, MAX_MSG_BYTES, MAX_MSG_HANDLES, READ_MAY_DISCARD,
};
use zx_abi::{
    obj_type, rights, ChannelCallArgs, Handle, HandleDisposition, HandleInfo, Rights, UserIn,
    UserInOut, UserOut, ZxStatus,
};

/// Handles one message carries at most.
const MAX_HANDLES: usize = MAX_MSG_HANDLES as usize;

/// The handles a write sends: plain values, or `_etc`'s dispositions.
#[derive(Clone, Copy)]
enum HandleList {
    Plain(UserIn<Handle>),
    Etc(UserInOut<HandleDisposition>),
}

/// Where a read puts the handles: values, or `_etc`'s infos.
#[derive(Clone, Copy)]
enum HandleOut {
    Plain(UserOut<Handle>),
    Etc(UserOut<HandleInfo>),
}

/// `zx_channel_create`: no options are defined (`INVALID_ARGS`).
pub fn channel_create(
    t: &Thread,
    options: u32,
    out0: UserOut<Handle>,
    out1: UserOut<Handle>,
) -> SysResult {
    if options != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    crate::heap::ensure_headroom()?;
    super::peer::give_pair(t, Channel::create(), out0, out1)
}

/// Closes the handles of a failed write's list, as Zircon does before the
/// handles were looked at (duplicated entries stay): in chunks of a
/// message's worth, stopping at an unreadable chunk.
fn consume_all(t: &Thread, list: HandleList, count: usize) {
    let mut done = 0;
    while done < count {
        let n = (count - done).min(MAX_HANDLES);
        let mut values = [0 as Handle; MAX_HANDLES];
        match list {
            HandleList::Plain(p) => {
                if user::read_array(t, p.add(done), &mut values[..n]).is_err() {
                    return;
                }
            }
            HandleList::Etc(p) => {
                let mut d = [HandleDisposition::default(); MAX_HANDLES];
                if user::read_array(t, UserIn::new(p.add(done).addr()), &mut d[..n]).is_err() {
                    return;
                }
                for (v, d) in values.iter_mut().zip(&d[..n]) {
                    if d.operation != HANDLE_OP_DUPLICATE {
                        *v = d.handle;
                    }
                }
            }
        }
        for &h in &values[..n] {
            if h != 0 {
                let _ = t.process.close_handle(h);
            }
        }
        done += n;
    }
}

/// Zircon's checks of a handle sent through `channel`, in its order.
fn check_transfer(
    e: &Entry,
    channel: &Arc<Channel>,
    wanted_type: u32,
    wanted_rights: u32,
) -> Result<(), ZxStatus> {
    if !e.rights.contains(Rights::TRANSFER) {
        return Err(ZxStatus::AccessDenied);
    }
    if Arc::as_ptr(&e.object) as *const u8 == Arc::as_ptr(channel) as *const u8 {
        return Err(ZxStatus::NotSupported);
    }
    if wanted_type != obj_type::NONE && e.object.obj_type() != wanted_type {
        return Err(ZxStatus::WrongType);
    }
    if wanted_rights != rights::SAME_RIGHTS
        && !e.rights.contains(Rights::from_bits_retain(wanted_rights))
    {
        return Err(ZxStatus::InvalidArgs);
    }
    Ok(())
}

/// What one entry of the list asks for.
struct Wanted {
    op: u32,
    handle: Handle,
    obj_type: u32,
    rights: u32,
}

/// Takes (or duplicates) one handle for the message, under the table's
/// lock. A moved handle leaves the table whatever the checks say; on
/// failure it goes to `rejected` (closed after the lock).
fn take_one(
    table: &mut HandleTable,
    w: &Wanted,
    channel: &Arc<Channel>,
    gone: &mut Vec<(Handle, ObjectRef)>,
    rejected: &mut Vec<InFlight>,
) -> Result<InFlight, ZxStatus> {
    if w.op == HANDLE_OP_DUPLICATE {
        let e = table.entry(w.handle)?;
        check_transfer(e, channel, w.obj_type, w.rights)?;
        if !e.rights.contains(Rights::DUPLICATE) {
            return Err(ZxStatus::AccessDenied);
        }
        let rights = e.rights.derive(w.rights)?;
        return Ok(InFlight::duplicate(e, rights));
    }
    let e = table.take_for_transfer(w.handle)?;
    gone.push((w.handle, e.object.clone()));
    let checked = if w.op == HANDLE_OP_MOVE {
        check_transfer(&e, channel, w.obj_type, w.rights)
    } else {
        Err(ZxStatus::InvalidArgs)
    };
    match checked {
        Ok(()) => {
            // The checks made sure the rights are a subset.
            let rights = e.rights.derive(w.rights).unwrap_or(e.rights);
            Ok(InFlight::new(e.with_rights(rights)))
        }
        Err(s) => {
            rejected.push(InFlight::new(e));
            Err(s)
        }
    }
}

/// Takes every handle of the list for a message to `channel` (count at
/// most a message's worth). On failure every handle taken is closed and
/// the first failure returned (`_etc` gets each entry's status).
fn put_handles(
    t: &Thread,
    list: HandleList,
    count: usize,
    channel: &Arc<Channel>,
) -> Result<Vec<InFlight>, ZxStatus> {
    let mut wanted = [(); MAX_HANDLES].map(|()| Wanted {
        op: HANDLE_OP_MOVE,
        handle: 0,
        obj_type: obj_type::NONE,
        rights: rights::SAME_RIGHTS,
    });
    let mut dispositions = [HandleDisposition::default(); MAX_HANDLES];
    match list {
        HandleList::Plain(p) => {
            let mut values = [0 as Handle; MAX_HANDLES];
            user::read_array(t, p, &mut values[..count])?;
            for (w, v) in wanted.iter_mut().zip(&values[..count]) {
                w.handle = *v;
            }
        }
        HandleList::Etc(p) => {
            user::read_array(t, UserIn::new(p.addr()), &mut dispositions[..count])?;
            for (w, d) in wanted.iter_mut().zip(&dispositions[..count]) {
                *w = Wanted {
                    op: d.operation,
                    handle: d.handle,
                    obj_type: d.obj_type,
                    rights: d.rights,
                };
            }
        }
    }
    let mut taken = Vec::new();
    let mut rejected = Vec::new();
    let mut gone = Vec::new();
    let reserved = taken.try_reserve_exact(count).is_ok()
        && rejected.try_reserve_exact(count).is_ok()
        && gone.try_reserve_exact(count).is_ok();
    if !reserved {
        consume_all(t, list, count);
        return Err(ZxStatus::NoMemory);
    }
    let mut first = None;
    t.process.with_handles(|table| {
        for (i, w) in wanted[..count].iter().enumerate() {
            match take_one(table, w, channel, &mut gone, &mut rejected) {
                Ok(f) => taken.push(f),
                Err(s) => {
                    first.get_or_insert(s);
                    dispositions[i].result = s.raw();
                }
            }
        }
    });
    for (h, object) in &gone {
        t.process.handle_gone(*h, object);
    }
    drop(gone);
    let Some(status) = first else {
        return Ok(taken);
    };
    drop(taken);
    drop(rejected);
    if let HandleList::Etc(p) = list {
        for (i, d) in dispositions[..count].iter().enumerate() {
            user::write(t, UserOut::new(p.add(i).addr()), d)?;
        }
    }
    Err(status)
}

/// The bytes of a message to write (`OUT_OF_RANGE` past the limits, which
/// are checked for both counts first).
fn copy_bytes(
    t: &Thread,
    bytes: UserIn<u8>,
    num_bytes: u32,
    num_handles: u32,
) -> Result<Vec<u8>, ZxStatus> {
    if num_bytes > MAX_MSG_BYTES || num_handles > MAX_MSG_HANDLES {
        return Err(ZxStatus::OutOfRange);
    }
    let n = num_bytes as usize;
    crate::heap::ensure_headroom_for(n)?;
    let mut data = Vec::new();
    data.try_reserve_exact(n).map_err(|_| ZxStatus::NoMemory)?;
    data.resize(n, 0);
    user::read_bytes(t, bytes, &mut data)?;
    Ok(data)
}

/// `zx_channel_write` and `_etc`.
fn write_common(
    t: &Thread,
    h: Handle,
    options: u32,
    bytes: UserIn<u8>,
    num_bytes: u32,
    list: HandleList,
    num_handles: u32,
) -> SysResult {
    let prepared = (|| {
        if options != 0 {
            return Err(ZxStatus::InvalidArgs);
        }
        let (channel, _) = t.process.get::<Channel>(h, Rights::WRITE)?;
        let data = copy_bytes(t, bytes, num_bytes, num_handles)?;
        Ok((channel, data))
    })();
    let (channel, data) = match prepared {
        Ok(p) => p,
        Err(e) => {
            consume_all(t, list, num_handles as usize);
            return Err(e);
        }
    };
    let handles = put_handles(t, list, num_handles as usize, &channel);
    let result = handles.and_then(|handles| {
        channel
            .write(Message {
                bytes: data,
                handles,
            })
            .map_err(|(s, dropped)| {
                drop(dropped);
                s
            })
    });
    reap();
    result
}

/// `zx_channel_write`: the handle needs WRITE; every handle sent needs
/// TRANSFER and is consumed whatever happens.
pub fn channel_write(
    t: &Thread,
    h: Handle,
    options: u32,
    bytes: UserIn<u8>,
    num_bytes: u32,
    handles: UserIn<Handle>,
    num_handles: u32,
) -> SysResult {
    write_common(
        t,
        h,
        options,
        bytes,
        num_bytes,
        HandleList::Plain(handles),
        num_handles,
    )
}

/// `zx_channel_write_etc`: each disposition moves or duplicates its handle,
/// checks its type and reduces its rights; a failed entry's status is
/// written to its `result`.
pub fn channel_write_etc(
    t: &Thread,
    h: Handle,
    options: u32,
    bytes: UserIn<u8>,
    num_bytes: u32,
    handles: UserInOut<HandleDisposition>,
    num_handles: u32,
) -> SysResult {
    write_common(
        t,
        h,
        options,
        bytes,
        num_bytes,
        HandleList::Etc(handles),
        num_handles,
    )
}

/// Installs a message's handles in the caller's table and writes their
/// values (or infos) out; if that fails, the handles are closed again.
/// A channel endpoint arriving so ends the calls waiting on it.
fn receive_handles(t: &Thread, handles: Vec<InFlight>, out: HandleOut) -> SysResult {
    for f in &handles {
        if let Some(c) = downcast::<Channel>(f.entry().object.clone()) {
            c.cancel_calls();
        }
    }
    let n = handles.len();
    let mut infos = [HandleInfo::default(); MAX_HANDLES];
    let mut refused: Vec<Entry> = Vec::new();
    refused
        .try_reserve_exact(n)
        .map_err(|_| ZxStatus::NoMemory)?;
    let mut failed = None;
    let mut installed = 0;
    t.process.with_handles(|table| {
        for f in handles {
            let e = f.into_entry();
            let (obj_type, rights) = (e.object.obj_type(), e.rights.bits());
            match table.add_transferred(e) {
                Ok(h) => {
                    infos[installed] = HandleInfo {
                        handle: h,
                        obj_type,
                        rights,
                        unused: 0,
                    };
                    installed += 1;
                }
                Err((s, e)) => {
                    failed.get_or_insert(s);
                    refused.push(e);
                }
            }
        }
    });
    drop(refused);
    let written = match failed {
        Some(s) => Err(s),
        None => (0..n).try_for_each(|i| {
            let r = match out {
                HandleOut::Plain(p) => user::write(t, p.add(i), &infos[i].handle),
                HandleOut::Etc(p) => user::write(t, p.add(i), &infos[i]),
            };
            r.map_err(ZxStatus::from)
        }),
    };
    if written.is_err() {
        for info in &infos[..installed] {
            let _ = t.process.close_handle(info.handle);
        }
    }
    written
}

fn write_count(t: &Thread, out: UserOut<u32>, n: u32) -> SysResult {
    if !out.is_null() {
        user::write(t, out, &n)?;
    }
    Ok(())
}

/// `zx_channel_read` and `_etc`.
#[allow(clippy::too_many_arguments)]
fn read_common(
    t: &Thread,
    h: Handle,
    options: u32,
    bytes: UserOut<u8>,
    handles: HandleOut,
    num_bytes: u32,
    num_handles: u32,
    actual_bytes: UserOut<u32>,
    actual_handles: UserOut<u32>,
) -> SysResult {
    let (channel, _) = t.process.get::<Channel>(h, Rights::READ)?;
    if options & !READ_MAY_DISCARD != 0 {
        return Err(ZxStatus::NotSupported);
    }
    let result = (|| {
        let may_discard = options & READ_MAY_DISCARD != 0;
        let (msg, sizes) = match channel.read(num_bytes, num_handles, may_discard) {
            Ok(m) => {
                let sizes = (m.bytes.len() as u32, m.handles.len() as u32);
                (Some(m), sizes)
            }
            Err((s, Some(small), dropped)) => {
                drop(dropped);
                write_count(t, actual_bytes, small.bytes)?;
                write_count(t, actual_handles, small.handles)?;
                return Err(s);
            }
            Err((s, None, _)) => return Err(s),
        };
        let msg = msg.expect("a message was read");
        write_count(t, actual_bytes, sizes.0)?;
        write_count(t, actual_handles, sizes.1)?;
        user::write_bytes(t, bytes, &msg.bytes)?;
        receive_handles(t, msg.handles, handles)
    })();
    reap();
    result
}

/// `zx_channel_read`: the handle needs READ; `ZX_CHANNEL_READ_MAY_DISCARD`
/// is the only option (`NOT_SUPPORTED`).
#[allow(clippy::too_many_arguments)]
pub fn channel_read(
    t: &Thread,
    h: Handle,
    options: u32,
    bytes: UserOut<u8>,
    handles: UserOut<Handle>,
    num_bytes: u32,
    num_handles: u32,
    actual_bytes: UserOut<u32>,
    actual_handles: UserOut<u32>,
) -> SysResult {
    read_common(
        t,
        h,
        options,
        bytes,
        HandleOut::Plain(handles),
        num_bytes,
        num_handles,
        actual_bytes,
        actual_handles,
    )
}

/// `zx_channel_read_etc`: as `zx_channel_read`, with each handle's type
/// and rights.
#[allow(clippy::too_many_arguments)]
pub fn channel_read_etc(
    t: &Thread,
    h: Handle,
    options: u32,
    bytes: UserOut<u8>,
    handles: UserOut<HandleInfo>,
    num_bytes: u32,
    num_handles: u32,
    actual_bytes: UserOut<u32>,
    actual_handles: UserOut<u32>,
) -> SysResult {
    read_common(
        t,
        h,
        options,
        bytes,
        HandleOut::Etc(handles),
        num_bytes,
        num_handles,
        actual_bytes,
        actual_handles,
    )
}

/// Wakes a thread blocked in `zx_channel_call` (and takes it out of its
/// process's forever count, as object waits do).
struct CallWaker {
    thread: Arc<Thread>,
    fired: AtomicBool,
}

impl CallWake for CallWaker {
    fn wake(&self) {
        if !self.fired.swap(true, Ordering::AcqRel) {
            self.thread.process.wait_forever_ended(&self.thread);
        }
        self.thread.wake();
    }
}

fn read_args(t: &Thread, args: UserIn<ChannelCallArgs>) -> Result<ChannelCallArgs, ZxStatus> {
    let mut a = [ChannelCallArgs::default()];
    user::read_array(t, args, &mut a)?;
    Ok(a[0])
}

/// `zx_channel_call_noretry`: the handle needs READ and WRITE; the request
/// needs at least a txid's four bytes (`INVALID_ARGS`), the kernel writes
/// the txid there. Blocks until the reply, the deadline (`TIMED_OUT`), the
/// peer's end (`PEER_CLOSED`) or this endpoint's (`CANCELED`); a reply
/// larger than the read buffers is dropped (`BUFFER_TOO_SMALL`).
pub fn channel_call_noretry(
    t: &Thread,
    h: Handle,
    options: u32,
    deadline: i64,
    args: UserIn<ChannelCallArgs>,
    actual_bytes: UserOut<u32>,
    actual_handles: UserOut<u32>,
) -> SysResult {
    let a = read_args(t, args)?;
    let list = HandleList::Plain(UserIn::new(a.wr_handles));
    let prepared = (|| {
        if options != 0 {
            return Err(ZxStatus::InvalidArgs);
        }
        let (channel, _) = t.process.get::<Channel>(h, Rights::READ | Rights::WRITE)?;
        let data = copy_bytes(t, UserIn::new(a.wr_bytes), a.wr_num_bytes, a.wr_num_handles)?;
        if data.len() < size_of::<u32>() {
            return Err(ZxStatus::InvalidArgs);
        }
        Ok((channel, data))
    })();
    let (channel, data) = match prepared {
        Ok(p) => p,
        Err(e) => {
            consume_all(t, list, a.wr_num_handles as usize);
            return Err(e);
        }
    };
    let handles = match put_handles(t, list, a.wr_num_handles as usize, &channel) {
        Ok(hs) => hs,
        Err(e) => {
            reap();
            return Err(e);
        }
    };
    let waker = Arc::new(CallWaker {
        thread: t.arc(),
        fired: AtomicBool::new(false),
    });
    let msg = Message {
        bytes: data,
        handles,
    };
    let waiter = match channel.call(msg, waker.clone()) {
        Ok(w) => w,
        Err((s, dropped)) => {
            drop(dropped);
            reap();
            return Err(s);
        }
    };
    let ticks = deadline_ticks(deadline);
    t.set_blocked(zx_abi::thread_state::BLOCKED_CHANNEL);
    let outcome = loop {
        if waiter.is_done() {
            break channel.end_call(&waiter, ZxStatus::TimedOut);
        }
        if t.stop_requested() {
            break channel.end_call(&waiter, ZxStatus::Canceled);
        }
        if ticks.is_some_and(|d| cpu::counter() >= d) {
            break channel.end_call(&waiter, ZxStatus::TimedOut);
        }
        if ticks.is_none() {
            let woken = || waker.fired.load(Ordering::Acquire);
            t.process.wait_forever(t, &woken);
        }
        park_current(t, ticks);
        t.process.wait_forever_ended(t);
    };
    t.set_blocked(0);
    let result = outcome.and_then(|reply| {
        let (nb, nh) = (reply.bytes.len() as u32, reply.handles.len() as u32);
        if a.rd_num_bytes < nb || a.rd_num_handles < nh {
            return Err(ZxStatus::BufferTooSmall);
        }
        user::write(t, actual_bytes, &nb)?;
        user::write(t, actual_handles, &nh)?;
        user::write_bytes(t, UserOut::new(a.rd_bytes), &reply.bytes)?;
        receive_handles(
            t,
            reply.handles,
            HandleOut::Plain(UserOut::new(a.rd_handles)),
        )
    });
    reap();
    result
}

/// `zx_channel_call_finish`: resumes a call that `_noretry` left
/// interrupted; none ever is here, so after reading the arguments
/// (`INVALID_ARGS`) it is `BAD_STATE`, as Zircon answers a thread with no
/// interrupted call.
pub fn channel_call_finish(
    t: &Thread,
    _deadline: i64,
    args: UserIn<ChannelCallArgs>,
    _actual_bytes: UserOut<u32>,
    _actual_handles: UserOut<u32>,
) -> SysResult {
    read_args(t, args)?;
    Err(ZxStatus::BadState)
}
