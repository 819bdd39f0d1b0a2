//! Tests exceptions the way Zircon's core exception tests use them:
//! `zx_task_create_exception_channel` (rights of the channel, the rights a
//! task handle needs, ALREADY_BOUND and rebinding, BAD_STATE once the task
//! is gone), an exception read off a thread's channel (its info, the
//! thread blocked in BLOCKED_EXCEPTION with its channel type, the report's
//! syndrome, address and status, `zx_exception_get_thread`/`_process`, the
//! state and strategy properties and their errors), registers read and
//! written while the thread is stopped, HANDLED resuming it (at the same
//! instruction: a second exception; or where the debugger moved it),
//! THREAD_EXIT ending only that thread, the handler order (process
//! debugger, thread, process, job; the debugger's second chance after the
//! process), a closed channel passing the exception on, the debugger's
//! THREAD_STARTING/_EXITING, a job debugger's PROCESS_STARTING, a thread
//! killed while it waits, and that TPIDR_EL0 is each thread's own. Nothing
//! leaks.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use el0_tests::{assert_err, assert_no_leak, close, dup, koid, rights_of, try_info, zx};
use zx::exception::{
    create_exception_channel, exception_get_process, exception_get_thread, exception_report,
    read_exception, read_regs, set_exception_state, write_regs,
};
use zx::{
    exception as excp, info_process_flags, prop, rights, signals, thread, thread_state, Handle,
    InfoThread, ZxStatus,
};

/// Below the root VMAR: never mapped.
const UNMAPPED: usize = 0x1000;

static GO: AtomicU32 = AtomicU32::new(0);
/// What x1 held after the crasher's faulting store (a debugger may set it).
static AFTER: AtomicU64 = AtomicU64::new(0);

/// Waits for `GO`, then stores to `addr` (x0) with x1 = 0; if the thread
/// is resumed past the store, records x1.
fn crasher(addr: usize) {
    while GO.load(Ordering::Acquire) == 0 {
        zx::nanosleep(zx::deadline_after(100_000));
    }
    let x1: u64;
    // SAFETY: the store faults on purpose (the address is unmapped); a
    // debugger either steps over it or ends the thread. No memory the
    // program uses is written.
    unsafe {
        core::arch::asm!(
            "mov x1, #0",
            "str xzr, [x0]",
            in("x0") addr,
            out("x1") x1,
            options(nostack),
        );
    }
    AFTER.store(x1, Ordering::Release);
}

/// A crasher thread waiting for `GO`, already running (past the point
/// where a debugger would hear it start).
fn spawn_crasher() -> thread::JoinHandle {
    GO.store(0, Ordering::Release);
    AFTER.store(0, Ordering::Release);
    let j = thread::spawn("crasher", crasher, UNMAPPED).expect("spawn");
    el0_tests::wait_for_thread_state(j.handle(), thread_state::BLOCKED_SLEEPING);
    j
}

fn info_thread(h: Handle) -> InfoThread {
    try_info::<InfoThread>(h, zx::topic::THREAD, size_of::<InfoThread>()).expect("INFO_THREAD")
}

fn get_u32(h: Handle, property: u32) -> Result<u32, ZxStatus> {
    let mut b = [0u8; 4];
    zx::object_get_property(h, property, &mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn set_u32(h: Handle, property: u32, v: u32) -> zx::Status {
    zx::object_set_property(h, property, &v.to_le_bytes())
}

/// Reads the next exception on `ch`, which must be a page fault of the
/// thread `tid`, and checks the thread waits for `kind`.
fn expect_fault(ch: Handle, thread: Handle, kind: u32) -> Handle {
    let (info, exc) = read_exception(ch).expect("an exception");
    assert_eq!(info.type_, excp::FATAL_PAGE_FAULT);
    assert_eq!(info.tid, koid(thread));
    assert_eq!(info.pid, koid(zx::process_self()));
    let i = info_thread(thread);
    assert_eq!(i.state, thread_state::BLOCKED_EXCEPTION);
    assert_eq!(i.wait_exception_channel_type, kind);
    exc
}

/// Nothing is readable on `ch` now.
fn assert_quiet(ch: Handle, what: &str) {
    let (s, _) = zx::object_wait_one(ch, signals::CHANNEL_READABLE, 0);
    assert_err(s, ZxStatus::TimedOut, what);
}

fn channel_rules() {
    let j = spawn_crasher();
    let t = j.handle();
    let ch = create_exception_channel(t, 0).expect("thread channel");
    assert_eq!(
        rights_of(ch),
        rights::TRANSFER | rights::WAIT | rights::READ,
        "the channel is read-only to user code"
    );
    assert_err(
        create_exception_channel(t, 0),
        ZxStatus::AlreadyBound,
        "a second channel",
    );
    close(ch);
    let ch = create_exception_channel(t, 0).expect("rebound after close");
    assert_err(
        create_exception_channel(t, excp::CHANNEL_DEBUGGER),
        ZxStatus::InvalidArgs,
        "a thread has no debugger channel",
    );
    assert_err(
        create_exception_channel(t, 2),
        ZxStatus::InvalidArgs,
        "unknown options",
    );
    for right in [
        rights::INSPECT,
        rights::DUPLICATE,
        rights::TRANSFER,
        rights::MANAGE_THREAD,
    ] {
        let weak = dup(t, rights::DEFAULT_THREAD & !right);
        assert_err(
            create_exception_channel(weak, 0),
            ZxStatus::AccessDenied,
            "a thread handle missing a right",
        );
        close(weak);
    }
    for (task, all) in [
        (zx::process_self(), rights::DEFAULT_PROCESS),
        (zx::default_job(), rights::DEFAULT_JOB),
    ] {
        let weak = dup(task, all & !rights::ENUMERATE);
        assert_err(
            create_exception_channel(weak, 0),
            ZxStatus::AccessDenied,
            "a process or job without ENUMERATE",
        );
        close(weak);
    }
    // Zircon looks the rights up before the type: an event lacks them.
    let e = zx::event_create().unwrap();
    assert_err(
        create_exception_channel(e, 0),
        ZxStatus::AccessDenied,
        "an event",
    );
    close(e);
    assert_err(
        create_exception_channel(el0_tests::GARBAGE_HANDLE, 0),
        ZxStatus::BadHandle,
        "a bad handle",
    );
    assert_err(
        read_regs(t),
        ZxStatus::BadState,
        "registers of a running thread",
    );

    GO.store(1, Ordering::Release);
    let exc = expect_fault(ch, t, excp::CHANNEL_TYPE_THREAD);
    assert_eq!(rights_of(exc), rights::DEFAULT_EXCEPTION);
    let th = exception_get_thread(exc).expect("get_thread");
    assert_eq!(koid(th), koid(t));
    close(th);
    assert_err(
        exception_get_process(exc),
        ZxStatus::AccessDenied,
        "a thread's channel gives no process",
    );
    assert_err(
        exception_get_thread(t),
        ZxStatus::WrongType,
        "get_thread of a thread",
    );

    let report = exception_report(t).expect("report");
    assert_eq!(report.header.type_, excp::FATAL_PAGE_FAULT);
    assert_eq!(report.header.size, 40);
    assert_eq!(report.arch.far, UNMAPPED as u64);
    assert_eq!(report.arch.esr >> 26, 0x24, "a data abort from EL0");
    assert_eq!(report.synth_code as i32, ZxStatus::NotFound.raw());

    // The properties.
    assert_eq!(
        get_u32(exc, prop::EXCEPTION_STATE),
        Ok(excp::STATE_TRY_NEXT)
    );
    assert_eq!(
        set_u32(exc, prop::EXCEPTION_STATE, excp::STATE_HANDLED),
        Ok(())
    );
    assert_eq!(get_u32(exc, prop::EXCEPTION_STATE), Ok(excp::STATE_HANDLED));
    assert_eq!(
        set_u32(exc, prop::EXCEPTION_STATE, excp::STATE_TRY_NEXT),
        Ok(())
    );
    assert_err(
        set_u32(exc, prop::EXCEPTION_STATE, !0),
        ZxStatus::InvalidArgs,
        "no such state",
    );
    assert_err(
        zx::object_set_property(exc, prop::EXCEPTION_STATE, &[1, 0, 0]),
        ZxStatus::BufferTooSmall,
        "a 3-byte state",
    );
    assert_err(
        zx::object_get_property(exc, prop::EXCEPTION_STATE, &mut [0; 3]),
        ZxStatus::BufferTooSmall,
        "a 3-byte buffer",
    );
    assert_err(
        set_u32(t, prop::EXCEPTION_STATE, excp::STATE_HANDLED),
        ZxStatus::WrongType,
        "the state of a thread",
    );
    assert_eq!(
        get_u32(exc, prop::EXCEPTION_STRATEGY),
        Ok(excp::STRATEGY_FIRST_CHANCE)
    );
    assert_err(
        set_u32(exc, prop::EXCEPTION_STRATEGY, excp::STRATEGY_SECOND_CHANCE),
        ZxStatus::BadState,
        "second chance outside a process debugger",
    );

    // Registers: the store's operands are there; the debugger moves the
    // thread past the store and changes x1, which the thread then sees.
    let mut regs = read_regs(t).expect("read_state");
    assert_eq!(regs.r[0], UNMAPPED as u64);
    assert_eq!(regs.r[1], 0);
    let mut small = [0u8; 100];
    // SAFETY: a live buffer, shorter than the registers on purpose.
    let r =
        zx::to_result(unsafe { zx::raw::thread_read_state(t, 0, small.as_mut_ptr(), small.len()) });
    assert_err(r, ZxStatus::BufferTooSmall, "read_state into 100 bytes");
    let mut big = [0u8; 512];
    for (kind, expected) in [(1, ZxStatus::NotSupported), (99, ZxStatus::InvalidArgs)] {
        // SAFETY: a live buffer.
        let r = zx::to_result(unsafe {
            zx::raw::thread_read_state(t, kind, big.as_mut_ptr(), big.len())
        });
        assert_err(r, expected, "read_state of another kind");
    }
    let no_write = dup(t, rights::DEFAULT_THREAD & !rights::WRITE);
    assert_err(
        write_regs(no_write, &regs),
        ZxStatus::AccessDenied,
        "write_state without WRITE",
    );
    close(no_write);
    regs.pc += 4;
    regs.r[1] = 0x5a5a;
    write_regs(t, &regs).expect("write_state");
    assert_eq!(read_regs(t).unwrap().r[1], 0x5a5a);
    set_exception_state(exc, excp::STATE_HANDLED).unwrap();
    close(exc);
    j.join().unwrap();
    assert_eq!(
        AFTER.load(Ordering::Acquire),
        0x5a5a,
        "resumed past the store"
    );
    // The thread is gone: its channel closed, no new one.
    let (s, seen) = zx::object_wait_one(ch, signals::PEER_CLOSED, 0);
    assert_eq!(s, Ok(()));
    assert_ne!(seen & signals::PEER_CLOSED, 0);
    close(ch);
    zx::println!("exception_basic: channel rules, a thread's exception, registers, resume");
}

fn resume_and_exit() {
    let j = spawn_crasher();
    let t = j.handle();
    let ch = create_exception_channel(t, 0).unwrap();
    GO.store(1, Ordering::Release);
    let exc = expect_fault(ch, t, excp::CHANNEL_TYPE_THREAD);
    // Handled but not fixed: the store faults again, on the same channel.
    set_exception_state(exc, excp::STATE_HANDLED).unwrap();
    close(exc);
    let exc = expect_fault(ch, t, excp::CHANNEL_TYPE_THREAD);
    set_exception_state(exc, excp::STATE_THREAD_EXIT).unwrap();
    close(exc);
    j.join().unwrap();
    assert_eq!(AFTER.load(Ordering::Acquire), 0, "the thread never went on");
    close(ch);
    zx::println!("exception_basic: HANDLED refaults, THREAD_EXIT ends only the thread");
}

/// Binds the process's debugger, the thread, the process and the default
/// job; the crasher is spawned first (its THREAD_STARTING is not wanted).
fn chain(second_chance: bool) {
    let j = spawn_crasher();
    let t = j.handle();
    let debugger = create_exception_channel(zx::process_self(), excp::CHANNEL_DEBUGGER).unwrap();
    let flags = zx::process::process_info(zx::process_self()).unwrap().flags;
    assert_ne!(flags & info_process_flags::DEBUGGER_ATTACHED, 0);
    let thread_ch = create_exception_channel(t, 0).unwrap();
    let process_ch = create_exception_channel(zx::process_self(), 0).unwrap();
    let job_ch = create_exception_channel(zx::default_job(), 0).unwrap();
    GO.store(1, Ordering::Release);
    let exc = expect_fault(debugger, t, excp::CHANNEL_TYPE_DEBUGGER);
    let p = exception_get_process(exc).expect("a debugger's exception has the process");
    assert_eq!(koid(p), koid(zx::process_self()));
    close(p);
    for ch in [thread_ch, process_ch, job_ch] {
        assert_quiet(ch, "only the handler holding the exception sees it");
    }
    if second_chance {
        assert_eq!(
            set_u32(exc, prop::EXCEPTION_STRATEGY, excp::STRATEGY_SECOND_CHANCE),
            Ok(())
        );
        assert_eq!(
            get_u32(exc, prop::EXCEPTION_STRATEGY),
            Ok(excp::STRATEGY_SECOND_CHANCE)
        );
    }
    close(exc);
    let mut order = [
        (thread_ch, excp::CHANNEL_TYPE_THREAD),
        (process_ch, excp::CHANNEL_TYPE_PROCESS),
        (debugger, excp::CHANNEL_TYPE_DEBUGGER),
        (job_ch, excp::CHANNEL_TYPE_JOB),
    ];
    let steps = if second_chance { 4 } else { 3 };
    if !second_chance {
        order[2] = order[3];
    }
    for (i, &(ch, kind)) in order[..steps].iter().enumerate() {
        let exc = expect_fault(ch, t, kind);
        if i + 1 == steps {
            // The last handler ends the thread (no one above the job
            // would take it: the process would be killed).
            set_exception_state(exc, excp::STATE_THREAD_EXIT).unwrap();
        }
        close(exc);
    }
    let tid = koid(t);
    j.join().unwrap();
    // The debugger heard the thread end.
    let (info, exc) = read_exception(debugger).unwrap();
    assert_eq!(info.type_, excp::THREAD_EXITING);
    assert_eq!(info.tid, tid);
    close(exc);
    for ch in [debugger, thread_ch, process_ch, job_ch] {
        close(ch);
    }
    let flags = zx::process::process_info(zx::process_self()).unwrap().flags;
    assert_eq!(flags & info_process_flags::DEBUGGER_ATTACHED, 0);
    zx::println!(
        "exception_basic: handler order{}",
        if second_chance {
            " with the debugger's second chance"
        } else {
            ": debugger, thread, process, job"
        }
    );
}

fn closed_channel_passes_on() {
    let j = spawn_crasher();
    let t = j.handle();
    let thread_ch = create_exception_channel(t, 0).unwrap();
    let process_ch = create_exception_channel(zx::process_self(), 0).unwrap();
    GO.store(1, Ordering::Release);
    let (s, _) = zx::object_wait_one(thread_ch, signals::CHANNEL_READABLE, zx::ZX_TIME_INFINITE);
    assert_eq!(s, Ok(()));
    // Unread, the exception goes with its channel to the next handler.
    close(thread_ch);
    let exc = expect_fault(process_ch, t, excp::CHANNEL_TYPE_PROCESS);
    set_exception_state(exc, excp::STATE_THREAD_EXIT).unwrap();
    close(exc);
    j.join().unwrap();
    close(process_ch);
    zx::println!("exception_basic: closing a channel with an unread exception passes it on");
}

fn killed_while_waiting() {
    let j = spawn_crasher();
    let t = j.handle();
    let ch = create_exception_channel(t, 0).unwrap();
    GO.store(1, Ordering::Release);
    let exc = expect_fault(ch, t, excp::CHANNEL_TYPE_THREAD);
    zx::task_kill(t).unwrap();
    j.join().unwrap();
    // The exception outlives its thread; closing it changes nothing.
    let th = exception_get_thread(exc).unwrap();
    assert_eq!(el0_tests::thread_state(th), thread_state::DEAD);
    close(th);
    set_exception_state(exc, excp::STATE_HANDLED).unwrap();
    close(exc);
    close(ch);
    zx::println!("exception_basic: a thread killed while its exception waits");
}

static STARTED_RAN: AtomicU32 = AtomicU32::new(0);

fn mark_ran(_: usize) {
    STARTED_RAN.store(1, Ordering::Release);
}

fn lifecycle() {
    let debugger = create_exception_channel(zx::process_self(), excp::CHANNEL_DEBUGGER).unwrap();
    STARTED_RAN.store(0, Ordering::Release);
    let j = thread::spawn("lifecycle", mark_ran, 0).unwrap();
    let (info, exc) = read_exception(debugger).unwrap();
    assert_eq!(info.type_, excp::THREAD_STARTING);
    assert_eq!(info.tid, koid(j.handle()));
    assert_eq!(
        info_thread(j.handle()).state,
        thread_state::BLOCKED_EXCEPTION,
        "a starting thread waits for its debugger"
    );
    assert_eq!(STARTED_RAN.load(Ordering::Acquire), 0);
    close(exc);
    let (info, exc) = read_exception(debugger).unwrap();
    assert_eq!(info.type_, excp::THREAD_EXITING);
    assert_eq!(info.tid, koid(j.handle()), "the same thread ends");
    close(exc);
    j.join().unwrap();
    assert_eq!(STARTED_RAN.load(Ordering::Acquire), 1);
    close(debugger);
    zx::println!("exception_basic: a debugger hears THREAD_STARTING and THREAD_EXITING");
}

fn process_starting() {
    use el0_tests::process::LAUNCH_MAGIC;
    let job = zx::process::job_create(zx::default_job()).unwrap();
    let debugger = create_exception_channel(job, excp::CHANNEL_DEBUGGER).unwrap();
    let info = zx::process::job_info(job).unwrap();
    assert_eq!(info.debugger_attached, 1);
    let elf = zx::process::initrd_file("process_child").unwrap();
    let loaded = zx::elf::load(job, "process_child", elf).unwrap();
    close(elf);
    let boot = el0_tests::vmo(el0_tests::PAGE as u64, 0);
    el0_tests::write(boot, &7u64.to_le_bytes(), 0);
    assert_eq!(loaded.start(boot, LAUNCH_MAGIC as usize), Ok(()));
    let (info, exc) = read_exception(debugger).unwrap();
    assert_eq!(info.type_, excp::PROCESS_STARTING);
    assert_eq!(info.pid, koid(loaded.process));
    let p = exception_get_process(exc).unwrap();
    assert_eq!(koid(p), koid(loaded.process));
    close(p);
    close(exc);
    let (s, _) = zx::object_wait_one(
        loaded.process,
        signals::PROCESS_TERMINATED,
        zx::ZX_TIME_INFINITE,
    );
    assert_eq!(s, Ok(()));
    assert_eq!(
        zx::process::process_info(loaded.process)
            .unwrap()
            .return_code,
        7
    );
    loaded.close();
    zx::task_kill(job).unwrap();
    let (s, _) = zx::object_wait_one(debugger, signals::PEER_CLOSED, zx::ZX_TIME_INFINITE);
    assert_eq!(s, Ok(()), "a killed job's debugger channel closes");
    close(debugger);
    close(job);
    zx::println!("exception_basic: a job debugger hears PROCESS_STARTING");
}

static TP_OK: AtomicU32 = AtomicU32::new(0);

fn tpidr_of(value: usize) {
    // SAFETY: TPIDR_EL0 is this thread's own register.
    unsafe { core::arch::asm!("msr tpidr_el0, {}", in(reg) value) };
    for _ in 0..50 {
        zx::nanosleep(zx::deadline_after(20_000));
        let now: usize;
        // SAFETY: reading TPIDR_EL0 has no side effect.
        unsafe { core::arch::asm!("mrs {}, tpidr_el0", out(reg) now) };
        assert_eq!(now, value, "TPIDR_EL0 survives switches");
    }
    TP_OK.fetch_add(1, Ordering::AcqRel);
}

/// More threads than cores, each sleeping often: they share cores, and
/// each must find its own value every time it runs again.
fn tpidr_per_thread() {
    TP_OK.store(0, Ordering::Release);
    let mut joins: [Option<thread::JoinHandle>; 6] = Default::default();
    for (i, j) in joins.iter_mut().enumerate() {
        *j = Some(thread::spawn("tp", tpidr_of, 0x1111 * (i + 1)).unwrap());
    }
    tpidr_of(0x7777);
    for j in joins.into_iter().flatten() {
        j.join().unwrap();
    }
    assert_eq!(TP_OK.load(Ordering::Acquire), 7);
    zx::println!("exception_basic: TPIDR_EL0 is each thread's own");
}

fn main(_root: Handle) -> i64 {
    assert_no_leak("exception_basic: channel rules", channel_rules);
    assert_no_leak("exception_basic: resume", resume_and_exit);
    assert_no_leak("exception_basic: order", || chain(false));
    assert_no_leak("exception_basic: second chance", || chain(true));
    assert_no_leak("exception_basic: closed channel", closed_channel_passes_on);
    assert_no_leak("exception_basic: killed", killed_while_waiting);
    assert_no_leak("exception_basic: lifecycle", lifecycle);
    assert_no_leak("exception_basic: process starting", process_starting);
    tpidr_per_thread();
    0
}

zx::entry!(main);
