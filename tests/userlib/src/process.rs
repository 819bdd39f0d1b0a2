//! Processes and jobs from EL0: typed wrappers for `zx_job_create`,
//! `zx_process_create`, `zx_process_start`, `zx_process_read_memory`,
//! `zx_process_write_memory` and the `ZX_INFO_PROCESS`/`ZX_INFO_JOB`
//! records.

use crate::{raw, status, topic, Handle, InfoJob, InfoProcess, Status, ZxStatus};

/// `zx_job_create` under `parent`.
pub fn job_create(parent: Handle) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    status(unsafe { raw::job_create(parent, 0, &mut out) })?;
    Ok(out)
}

/// `zx_process_create` in `job`: the process and its root VMAR.
pub fn process_create(job: Handle, name: &str) -> Result<(Handle, Handle), ZxStatus> {
    let (mut process, mut vmar) = (0, 0);
    // SAFETY: the name is a live slice, both outputs live locals.
    status(unsafe {
        raw::process_create(job, name.as_ptr(), name.len(), 0, &mut process, &mut vmar)
    })?;
    Ok((process, vmar))
}

/// `zx_process_start`: `thread` (of `process`) runs at `entry` with
/// `stack`, x0 = `arg1` (moved into the process, closed on failure) and
/// x1 = `arg2`.
pub fn process_start(
    process: Handle,
    thread: Handle,
    entry: usize,
    stack: usize,
    arg1: Handle,
    arg2: usize,
) -> Status {
    // SAFETY: no memory of this process is passed.
    status(unsafe { raw::process_start(process, thread, entry, stack, arg1, arg2) })
}

/// `zx_process_read_memory`: how many bytes were read into `buf`.
pub fn read_memory(process: Handle, vaddr: usize, buf: &mut [u8]) -> Result<usize, ZxStatus> {
    let mut actual = 0;
    // SAFETY: the buffer is a live slice, `actual` a live local.
    status(unsafe {
        raw::process_read_memory(process, vaddr, buf.as_mut_ptr(), buf.len(), &mut actual)
    })?;
    Ok(actual)
}

/// `zx_process_write_memory`: how many bytes of `buf` were written.
pub fn write_memory(process: Handle, vaddr: usize, buf: &[u8]) -> Result<usize, ZxStatus> {
    let mut actual = 0;
    // SAFETY: the buffer is a live slice, `actual` a live local.
    status(unsafe {
        raw::process_write_memory(process, vaddr, buf.as_ptr(), buf.len(), &mut actual)
    })?;
    Ok(actual)
}

/// Reads one `#[repr(C)]` info record of `topic`.
pub(crate) fn info_record<T: crate::Record>(h: Handle, topic: u32) -> Result<T, ZxStatus> {
    let mut record = T::default();
    let size = core::mem::size_of::<T>();
    // SAFETY: `record` is a live local of `size` bytes; the kernel writes
    // at most that many.
    let buf = unsafe { core::slice::from_raw_parts_mut(&mut record as *mut T as *mut u8, size) };
    crate::object_get_info(h, topic, buf)?;
    Ok(record)
}

/// `ZX_INFO_PROCESS`.
pub fn process_info(process: Handle) -> Result<InfoProcess, ZxStatus> {
    info_record(process, topic::PROCESS)
}

/// `ZX_INFO_JOB`.
pub fn job_info(job: Handle) -> Result<InfoJob, ZxStatus> {
    info_record(job, topic::JOB)
}

/// `initrd_file` (not a Zircon call): a VMO with a copy of the boot's
/// initrd file `name`, with the default rights and EXECUTE.
pub fn initrd_file(name: &str) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: the name is a live slice, `out` a live local.
    status(unsafe { raw::initrd_file(name.as_ptr(), name.len(), &mut out) })?;
    Ok(out)
}
