//! Threads and process ends: `zx_thread_create`, `zx_thread_start`,
//! `zx_thread_exit`, `zx_task_kill` and `zx_process_exit`.

use super::{user, SysResult};
use crate::object::downcast;
use crate::task::{Process, Stop, Thread};
use alloc::string::String;
use zx_abi::{
    obj_type, Handle, Rights, UserIn, UserOut, ZxStatus, MAX_NAME_LEN, ROOT_VMAR_BASE,
    ROOT_VMAR_SIZE, TASK_RETCODE_SYSCALL_KILL,
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
    let mut bytes = [0u8; MAX_NAME_LEN - 1];
    let len = name_size.min(bytes.len());
    user::read_bytes(t, name, &mut bytes[..len])?;
    if options != 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let (target, _) = t.process.get::<Process>(process, Rights::MANAGE_THREAD)?;
    let thread = target.new_thread(String::from_utf8_lossy(&bytes[..len]).into_owned())?;
    let h = t.process.add_handle(thread, Rights::DEFAULT_THREAD)?;
    user::give_handle(t, out, h)
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
    let entry = entry as u64;
    if !(ROOT_VMAR_BASE..ROOT_VMAR_BASE + ROOT_VMAR_SIZE).contains(&entry) {
        return Err(ZxStatus::InvalidArgs);
    }
    thread.start(entry, stack as u64, [arg1 as u64, arg2 as u64, 0])
}

/// `zx_thread_exit`: the calling thread ends (its process with it if it
/// was the last).
pub fn thread_exit(t: &Thread) -> SysResult {
    t.request_stop();
    Ok(())
}

/// `zx_task_kill`: ends a thread, or a process (return code
/// `ZX_TASK_RETCODE_SYSCALL_KILL`).
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
        _ => Err(ZxStatus::WrongType),
    }
}
