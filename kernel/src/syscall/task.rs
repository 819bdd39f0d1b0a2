//! Threads, processes and jobs: `zx_thread_create`, `zx_thread_start`,
//! `zx_thread_exit`, `zx_task_kill`, `zx_process_exit`, `zx_job_create`,
//! `zx_process_create`, `zx_process_start`, `zx_process_read_memory` and
//! `zx_process_write_memory`; and `initrd_file` (not Zircon's).

use super::{user, SysResult};
use crate::object::channel::InFlight;
use crate::object::downcast;
use crate::task::{Job, Process, Stop, Thread};
use alloc::string::String;
use zx_abi::{
    obj_type, Handle, Rights, UserIn, UserOut, ZxStatus, MAX_NAME_LEN, PAGE_SIZE,
    PROCESS_MEMORY_MAX, ROOT_VMAR_BASE, ROOT_VMAR_SIZE, TASK_RETCODE_SYSCALL_KILL,
    ZX_HANDLE_INVALID,
};

/// `zx_process_exit`: every thread of the process ends; so does this call.
pub fn process_exit(t: &Thread, code: i64) -> SysResult {
    t.process.kill(Stop::Exit(code));
    Ok(())
}

/// `zx_thread_create`: a new, unstarted thread of `process`, named with
/// the first `ZX_MAX_NAME_LEN - 1` bytes of `name`.
pub fn thread_create(
    t: &Thread,
    process: Handle,
    name: UserIn<u8>,
    name_size: usize,
    options: u32,
    out: UserOut<Handle>,
) -> SysResult {
    let name = read_name(t, name, name_size)?;
    if options != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let (target, _) = t.process.get::<Process>(process, Rights::MANAGE_THREAD)?;
    let thread = target.new_thread(name)?;
    let h = t.process.add_handle(thread, Rights::DEFAULT_THREAD)?;
    user::give_handle(t, out, h)
}

/// The first `ZX_MAX_NAME_LEN - 1` bytes of a name (`INVALID_ARGS` for a
/// bad pointer).
fn read_name(t: &Thread, name: UserIn<u8>, name_size: usize) -> Result<String, ZxStatus> {
    let mut bytes = [0u8; MAX_NAME_LEN - 1];
    let len = name_size.min(bytes.len());
    user::read_bytes(t, name, &mut bytes[..len])?;
    Ok(String::from_utf8_lossy(&bytes[..len]).into_owned())
}

/// Whether `entry` lies in user space (else `INVALID_ARGS`).
fn check_entry(entry: u64) -> Result<(), ZxStatus> {
    if !(ROOT_VMAR_BASE..ROOT_VMAR_BASE + ROOT_VMAR_SIZE).contains(&entry) {
        return Err(ZxStatus::InvalidArgs);
    }
    Ok(())
}

/// `zx_thread_start`: runs the thread at `entry` with `stack`, x0 = `arg1`
/// and x1 = `arg2`.
pub fn thread_start(
    t: &Thread,
    handle: Handle,
    entry: usize,
    stack: usize,
    arg1: usize,
    arg2: usize,
) -> SysResult {
    let (thread, _) = t.process.get::<Thread>(handle, Rights::WRITE)?;
    check_entry(entry as u64)?;
    thread.start(
        entry as u64,
        stack as u64,
        &[arg1 as u64, arg2 as u64],
        false,
    )
}

/// `zx_thread_exit`: the calling thread ends (its process with it if it
/// was the last).
pub fn thread_exit(t: &Thread) -> SysResult {
    t.request_stop();
    Ok(())
}

/// `zx_task_kill`: ends a thread, a process (return code
/// `ZX_TASK_RETCODE_SYSCALL_KILL`), or a job and everything below it.
pub fn task_kill(t: &Thread, handle: Handle) -> SysResult {
    let (object, _) = t.process.get_any(handle, Rights::DESTROY)?;
    match object.obj_type() {
        obj_type::THREAD => {
            if let Some(thread) = downcast::<Thread>(object) {
                thread.request_stop();
            }
            Ok(())
        }
        obj_type::PROCESS => {
            if let Some(process) = downcast::<Process>(object) {
                process.kill(Stop::Exit(TASK_RETCODE_SYSCALL_KILL));
            }
            Ok(())
        }
        obj_type::JOB => {
            if let Some(job) = downcast::<Job>(object) {
                job.kill();
            }
            Ok(())
        }
        _ => Err(ZxStatus::WrongType),
    }
}

/// `zx_job_create`: a child of `parent_job` (options first, then
/// MANAGE_JOB; `BAD_STATE` once the parent is killed).
pub fn job_create(t: &Thread, parent_job: Handle, options: u32, out: UserOut<Handle>) -> SysResult {
    if options != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let (parent, _) = t.process.get::<Job>(parent_job, Rights::MANAGE_JOB)?;
    let job = parent.create_child()?;
    let h = t.process.add_handle(job, Rights::DEFAULT_JOB)?;
    user::give_handle(t, out, h)
}

/// `zx_process_create`: an empty process in `job` (name, then options,
/// then MANAGE_PROCESS on the job), and its root VMAR.
pub fn process_create(
    t: &Thread,
    job: Handle,
    name: UserIn<u8>,
    name_size: usize,
    options: u32,
    proc_out: UserOut<Handle>,
    vmar_out: UserOut<Handle>,
) -> SysResult {
    let name = read_name(t, name, name_size)?;
    if options != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let (job, _) = t.process.get::<Job>(job, Rights::MANAGE_PROCESS)?;
    let (process, vmar) = Process::create(&name, &job, &t.process)?;
    let ph = t.process.add_handle(process, Rights::DEFAULT_PROCESS)?;
    let vh = match t.process.add_handle(vmar, Rights::ROOT_VMAR) {
        Ok(vh) => vh,
        Err(e) => {
            let _ = t.process.close_handle(ph);
            return Err(e);
        }
    };
    if let Err(e) = user::give_handle(t, vmar_out, vh) {
        let _ = t.process.close_handle(ph);
        return Err(e);
    }
    if let Err(e) = user::give_handle(t, proc_out, ph) {
        let _ = t.process.close_handle(vh);
        return Err(e);
    }
    Ok(())
}

/// `zx_process_start`: starts `thread` (of `handle`'s process) as the
/// process's first thread at `entry` with `stack`, x0 = `arg1` moved into
/// the process (needs TRANSFER; an invalid `arg1` gives
/// `ZX_HANDLE_INVALID`) and x1 = `arg2`. On any failure `arg1` is closed,
/// as in Zircon.
pub fn process_start(
    t: &Thread,
    handle: Handle,
    thread: Handle,
    entry: usize,
    stack: usize,
    arg1: Handle,
    arg2: usize,
) -> SysResult {
    let looked_up = t
        .process
        .get::<Process>(handle, Rights::WRITE)
        .and_then(|(p, _)| Ok((p, t.process.get::<Thread>(thread, Rights::WRITE)?.0)))
        .and_then(|(p, th)| {
            if core::ptr::eq(&*th.process, &*p) {
                Ok((p, th))
            } else {
                Err(ZxStatus::AccessDenied)
            }
        });
    // The argument leaves the caller whatever happens next, as a handle in
    // transit: still counted on its object, so moving a peered object's
    // last handle does not close it on the way (its peer would see
    // PEER_CLOSED). Dropping it closes it.
    let arg = t
        .process
        .with_handles(|table| table.take_for_transfer(arg1))
        .ok()
        .map(|entry| {
            t.process.handle_gone(arg1, &entry.object);
            InFlight::new(entry)
        });
    let (process, thread) = looked_up?;
    let mut arg_value = ZX_HANDLE_INVALID;
    if let Some(moving) = arg {
        if !moving.entry().rights.contains(Rights::TRANSFER) {
            return Err(ZxStatus::AccessDenied);
        }
        arg_value = process
            .with_handles(|table| table.add_transferred(moving.into_entry()))
            .map_err(|(status, entry)| {
                // Already uncounted by `add_transferred`: only the entry
                // is left to drop, outside the table's lock.
                drop(entry);
                status
            })?;
    }
    let started = check_entry(entry as u64).and_then(|()| {
        thread.start(
            entry as u64,
            stack as u64,
            &[u64::from(arg_value), arg2 as u64],
            true,
        )
    });
    if let Err(e) = started {
        if arg_value != ZX_HANDLE_INVALID {
            let _ = process.close_handle(arg_value);
        }
        return Err(e);
    }
    Ok(())
}

/// The common checks of the memory calls: the size (`INVALID_ARGS` for 0
/// or more than `PROCESS_MEMORY_MAX`), then READ and WRITE on the process.
fn memory_target(
    t: &Thread,
    handle: Handle,
    size: usize,
) -> Result<alloc::sync::Arc<Process>, ZxStatus> {
    if size == 0 || size > PROCESS_MEMORY_MAX {
        return Err(ZxStatus::InvalidArgs);
    }
    Ok(t.process
        .get::<Process>(handle, Rights::READ | Rights::WRITE)?
        .0)
}

/// Copies between the caller's buffer at `buf` and `process`'s memory at
/// `vaddr` (`to_caller`: a read), a page at a time through a bounce
/// buffer, within the one mapping at `vaddr`; how many bytes were copied.
fn copy_memory(
    t: &Thread,
    process: &Process,
    vaddr: u64,
    buf: u64,
    size: usize,
    to_caller: bool,
) -> Result<usize, ZxStatus> {
    let (vmo, offset, n) = process.memory_at(vaddr, size as u64)?;
    let mut bounce = [0u8; PAGE_SIZE as usize];
    let mut done = 0u64;
    while done < n {
        let chunk = (n - done).min(PAGE_SIZE) as usize;
        let bytes = &mut bounce[..chunk];
        let at = offset + done;
        if to_caller {
            vmo.inner
                .lock()
                .vmo
                .read(at, bytes)
                .map_err(|_| ZxStatus::NoMemory)?;
            user::write_bytes(t, UserOut::new(buf + done), bytes)?;
        } else {
            user::read_bytes(t, UserIn::new(buf + done), bytes)?;
            let data = &*bytes;
            vmo.inner
                .lock()
                .change(at, chunk as u64, |v| v.write(at, data))
                .map_err(|_| ZxStatus::NoMemory)?;
        }
        done += chunk as u64;
    }
    Ok(n as usize)
}

/// `zx_process_read_memory`: up to `buffer_size` bytes of the process's
/// memory at `vaddr`, within the mapping there; `actual` says how many.
pub fn process_read_memory(
    t: &Thread,
    handle: Handle,
    vaddr: usize,
    buffer: UserOut<u8>,
    buffer_size: usize,
    actual: UserOut<usize>,
) -> SysResult {
    let process = memory_target(t, handle, buffer_size)?;
    let n = copy_memory(t, &process, vaddr as u64, buffer.addr(), buffer_size, true)?;
    Ok(user::write(t, actual, &n)?)
}

/// `zx_process_write_memory`: up to `buffer_size` bytes into the process's
/// memory at `vaddr`, within the mapping there (whatever its protection);
/// `actual` says how many.
pub fn process_write_memory(
    t: &Thread,
    handle: Handle,
    vaddr: usize,
    buffer: UserIn<u8>,
    buffer_size: usize,
    actual: UserOut<usize>,
) -> SysResult {
    let process = memory_target(t, handle, buffer_size)?;
    let n = copy_memory(t, &process, vaddr as u64, buffer.addr(), buffer_size, false)?;
    Ok(user::write(t, actual, &n)?)
}

/// The longest file name `initrd_file` looks up.
const INITRD_NAME_MAX: usize = 255;

/// `initrd_file` (not a Zircon call, see `zx_abi::sys::INITRD_FILE`): a new
/// VMO (default rights and EXECUTE, as Zircon's bootfs VMOs have) with a
/// copy of the initrd's file `name`.
pub fn initrd_file(
    t: &Thread,
    name: UserIn<u8>,
    name_size: usize,
    out: UserOut<Handle>,
) -> SysResult {
    if name_size > INITRD_NAME_MAX {
        return Err(ZxStatus::InvalidArgs);
    }
    let mut bytes = [0u8; INITRD_NAME_MAX];
    user::read_bytes(t, name, &mut bytes[..name_size])?;
    let data = crate::initrd::file(&bytes[..name_size]).ok_or(ZxStatus::NotFound)?;
    let size = zx_abi::vmo_round_size(data.len() as u64).ok_or(ZxStatus::NoMemory)?;
    let mut vmo = mm::vmo::Vmo::create(&crate::memory::FRAMES, size, 0)?;
    vmo.write(0, data)?;
    let h = t.process.add_handle(
        crate::vm::VmoObject::new(vmo),
        Rights::DEFAULT_VMO | Rights::EXECUTE,
    )?;
    user::give_handle(t, out, h)
}
