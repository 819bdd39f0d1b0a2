//! Threads for EL0 programs: [`spawn`] gives a function its own thread,
//! with a stack in a VMO of its own mapped into the root VMAR, and
//! [`JoinHandle::join`] waits for `ZX_THREAD_TERMINATED` and then frees the
//! thread's handle and stack. Built on `zx_thread_create`/`_start`, the
//! way a Fuchsia runtime does it (without the runtime's thread-local
//! storage: a thread gets only its argument).

use crate::{
    handle_close, object_wait_one, process_self, root_vmar, signals, thread_create, thread_exit,
    thread_start, vm_opt, vmar_map, vmar_unmap, vmo_create, Handle, ZxStatus, ZX_TIME_INFINITE,
};

/// Each spawned thread's stack.
pub const STACK_SIZE: usize = 64 * 1024;

/// A spawned thread.
pub struct JoinHandle {
    thread: Handle,
    stack_vmo: Handle,
    stack_base: usize,
}

/// The first code of a spawned thread: x0 = the function, x1 = its
/// argument.
extern "C" fn trampoline(f: usize, arg: usize) -> ! {
    // SAFETY: `spawn` passed a `fn(usize)` as `f`.
    let f: fn(usize) = unsafe { core::mem::transmute::<usize, fn(usize)>(f) };
    f(arg);
    thread_exit()
}

/// Runs `f(arg)` on a new thread of this process.
pub fn spawn(name: &str, f: fn(usize), arg: usize) -> Result<JoinHandle, ZxStatus> {
    let stack_vmo = vmo_create(STACK_SIZE as u64, 0)?;
    let stack_base = match vmar_map(
        root_vmar(),
        vm_opt::PERM_READ | vm_opt::PERM_WRITE,
        0,
        stack_vmo,
        0,
        STACK_SIZE,
    ) {
        Ok(a) => a,
        Err(e) => {
            let _ = handle_close(stack_vmo);
            return Err(e);
        }
    };
    let undo = |e: ZxStatus| {
        let _ = vmar_unmap(root_vmar(), stack_base, STACK_SIZE);
        let _ = handle_close(stack_vmo);
        e
    };
    let thread = thread_create(process_self(), name).map_err(undo)?;
    if let Err(e) = thread_start(
        thread,
        trampoline as *const () as usize,
        stack_base + STACK_SIZE,
        f as usize,
        arg,
    ) {
        let _ = handle_close(thread);
        return Err(undo(e));
    }
    Ok(JoinHandle {
        thread,
        stack_vmo,
        stack_base,
    })
}

impl JoinHandle {
    /// The thread's handle.
    pub fn handle(&self) -> Handle {
        self.thread
    }

    /// Waits for the thread to end, then frees its handle and stack.
    pub fn join(self) -> Result<(), ZxStatus> {
        let (s, _) = object_wait_one(self.thread, signals::THREAD_TERMINATED, ZX_TIME_INFINITE);
        s?;
        handle_close(self.thread)?;
        vmar_unmap(root_vmar(), self.stack_base, STACK_SIZE)?;
        handle_close(self.stack_vmo)
    }
}
