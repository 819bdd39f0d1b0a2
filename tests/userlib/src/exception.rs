//! Exceptions from EL0: typed wrappers for `zx_task_create_exception_channel`,
//! `zx_exception_get_thread`/`_process` and `zx_thread_read_state`/
//! `_write_state`; reading one exception off its channel; and the memory
//! probes Zircon's tests use ([`probe_for_read`], [`probe_for_write`]),
//! built on them: a throwaway thread touches the byte while this one
//! catches its fault and reports the fault's status.

use crate::channel::channel_read;
use crate::{
    handle_close, object_set_property, object_wait_one, process_self, prop, raw, signals,
    thread_create, thread_start, to_result, topic, ExceptionInfo, ExceptionReport, GeneralRegs,
    Handle, Status, ZxStatus, ZX_TIME_INFINITE,
};
// The ABI's exception constants, here too (this module's name hides the
// ABI's through `zx::*`).
pub use zx_abi::exception::*;

/// `zx_task_create_exception_channel`: the channel's read end.
pub fn create_exception_channel(task: Handle, options: u32) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    to_result(unsafe { raw::task_create_exception_channel(task, options, &mut out) })?;
    Ok(out)
}

/// `zx_exception_get_thread`.
pub fn exception_get_thread(exception: Handle) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    to_result(unsafe { raw::exception_get_thread(exception, &mut out) })?;
    Ok(out)
}

/// `zx_exception_get_process`.
pub fn exception_get_process(exception: Handle) -> Result<Handle, ZxStatus> {
    let mut out = 0;
    // SAFETY: `out` is a live local.
    to_result(unsafe { raw::exception_get_process(exception, &mut out) })?;
    Ok(out)
}

/// `zx_thread_read_state` of the general registers.
pub fn read_regs(thread: Handle) -> Result<GeneralRegs, ZxStatus> {
    let mut regs = GeneralRegs::default();
    // SAFETY: the pointer and size describe `regs`, a live local.
    to_result(unsafe {
        raw::thread_read_state(
            thread,
            THREAD_STATE_GENERAL_REGS,
            (&mut regs as *mut GeneralRegs).cast(),
            size_of::<GeneralRegs>(),
        )
    })?;
    Ok(regs)
}

/// `zx_thread_write_state` of the general registers.
pub fn write_regs(thread: Handle, regs: &GeneralRegs) -> Status {
    // SAFETY: the pointer and size describe `regs`, a live reference.
    to_result(unsafe {
        raw::thread_write_state(
            thread,
            THREAD_STATE_GENERAL_REGS,
            (regs as *const GeneralRegs).cast(),
            size_of::<GeneralRegs>(),
        )
    })
}

/// `ZX_INFO_THREAD_EXCEPTION_REPORT` of a thread stopped in an exception.
pub fn exception_report(thread: Handle) -> Result<ExceptionReport, ZxStatus> {
    crate::process::info_record(thread, topic::THREAD_EXCEPTION_REPORT)
}

/// Sets `ZX_PROP_EXCEPTION_STATE`.
pub fn set_exception_state(exception: Handle, state: u32) -> Status {
    object_set_property(exception, prop::EXCEPTION_STATE, &state.to_le_bytes())
}

/// Waits for the next exception on `channel` and reads it: its info and
/// its handle. `PEER_CLOSED` once the task is gone and nothing is queued.
pub fn read_exception(channel: Handle) -> Result<(ExceptionInfo, Handle), ZxStatus> {
    let (s, _) = object_wait_one(
        channel,
        signals::CHANNEL_READABLE | signals::PEER_CLOSED,
        ZX_TIME_INFINITE,
    );
    s?;
    let mut bytes = [0u8; size_of::<ExceptionInfo>()];
    let mut handles = [0; 1];
    let (s, actual) = channel_read(channel, 0, &mut bytes, &mut handles);
    s?;
    if actual.bytes as usize != bytes.len() || actual.handles != 1 {
        return Err(ZxStatus::BadState);
    }
    let info = ExceptionInfo {
        pid: u64::from_le_bytes(bytes[0..8].try_into().unwrap()),
        tid: u64::from_le_bytes(bytes[8..16].try_into().unwrap()),
        type_: u32::from_le_bytes(bytes[16..20].try_into().unwrap()),
        padding1: [0; 4],
    };
    Ok((info, handles[0]))
}

// The probe threads' code: x0 = the address. Each touches the byte once
// (the write probe reads it and writes the same value back, so a probe
// changes nothing it can reach), then ends with `zx_thread_exit`. They use
// no stack.
core::arch::global_asm!(
    ".pushsection .text.zx_probe, \"ax\"",
    ".balign 4",
    ".global zx_probe_read_entry",
    "zx_probe_read_entry:",
    "ldrb w1, [x0]",
    "mov x16, #{exit}",
    "svc #0",
    "brk #1",
    ".global zx_probe_write_entry",
    "zx_probe_write_entry:",
    "ldrb w1, [x0]",
    "strb w1, [x0]",
    "mov x16, #{exit}",
    "svc #0",
    "brk #1",
    ".popsection",
    exit = const crate::sys::THREAD_EXIT,
);

unsafe extern "C" {
    fn zx_probe_read_entry();
    fn zx_probe_write_entry();
}

/// `Ok` if the byte at `addr` can be read, else the status of the page
/// fault reading it raised (`ACCESS_DENIED`, `NOT_FOUND`,
/// `OUT_OF_RANGE`...). Heavy: a thread per probe.
pub fn probe_for_read(addr: usize) -> Status {
    probe(zx_probe_read_entry as *const () as usize, addr)
}

/// `Ok` if the byte at `addr` can be written, else the status of the first
/// page fault touching it raised.
pub fn probe_for_write(addr: usize) -> Status {
    probe(zx_probe_write_entry as *const () as usize, addr)
}

fn probe(entry: usize, addr: usize) -> Status {
    let thread = thread_create(process_self(), "memory-probe")?;
    let result = catch_probe(thread, entry, addr);
    handle_close(thread)?;
    result
}

/// The probe thread's stack pointer: its code never uses the stack, but a
/// thread starts with a valid one.
static PROBE_STACK: [u128; 8] = [0; 8];

fn catch_probe(thread: Handle, entry: usize, addr: usize) -> Status {
    let channel = create_exception_channel(thread, 0)?;
    let stack = PROBE_STACK.as_ptr_range().end as usize;
    if let Err(e) = thread_start(thread, entry, stack, addr, 0) {
        handle_close(channel)?;
        return Err(e);
    }
    // Each fault is stepped over (the probe instruction is 4 bytes) until
    // the thread ends; the first one's status is the answer.
    let mut first: Status = Ok(());
    loop {
        match read_exception(channel) {
            Ok((info, exc)) => {
                let fault = step_over(thread, exc, info.type_);
                handle_close(exc)?;
                let fault = fault?;
                if first.is_ok() {
                    first = Err(fault);
                }
            }
            Err(ZxStatus::PeerClosed) => break,
            Err(e) => {
                handle_close(channel)?;
                return Err(e);
            }
        }
    }
    handle_close(channel)?;
    let (s, _) = object_wait_one(thread, signals::THREAD_TERMINATED, ZX_TIME_INFINITE);
    s?;
    first
}

/// Moves the stopped probe thread past its faulting instruction and marks
/// the exception handled: the fault's status. Any other exception ends the
/// probe thread (`Internal`).
fn step_over(thread: Handle, exc: Handle, excp_type: u32) -> Result<ZxStatus, ZxStatus> {
    if excp_type != FATAL_PAGE_FAULT {
        set_exception_state(exc, STATE_THREAD_EXIT)?;
        return Ok(ZxStatus::Internal);
    }
    let mut regs = read_regs(thread)?;
    regs.pc += 4;
    write_regs(thread, &regs)?;
    let code = exception_report(thread)?.synth_code as i32;
    set_exception_state(exc, STATE_HANDLED)?;
    Ok(ZxStatus::from_raw(code).unwrap_or(ZxStatus::Internal))
}
