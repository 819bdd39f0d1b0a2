//! Stresses exceptions on four cores: four threads fault 100 times each
//! while four handler threads (one per faulting thread, on its thread
//! channel) and one process-channel handler answer them at once. Each
//! fault carries a token in x2; whoever handles it copies the token into
//! x1 and steps the thread past the store, which then checks it got its
//! own token back. Every third fault the thread's handler declines, so the
//! exception travels on to the process's channel while other threads fault
//! and are answered. Meanwhile memory probes run from the main thread.
//! Every fault is answered exactly once, in order, and nothing leaks.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use el0_tests::{assert_no_leak, close, dup, zx, PAGE};
use zx::exception::{
    create_exception_channel, exception_get_thread, probe_for_read, probe_for_write,
    read_exception, read_regs, set_exception_state, write_regs,
};
use zx::{exception as excp, rights, signals, thread, Handle, ZxStatus};

const THREADS: usize = 4;
const ROUNDS: u64 = 100;
/// Below the root VMAR: never mapped.
const UNMAPPED: usize = 0x2000;

static GO: AtomicU32 = AtomicU32::new(0);
static DONE: AtomicBool = AtomicBool::new(false);
/// Faults the process's channel answered.
static BY_PROCESS: AtomicUsize = AtomicUsize::new(0);
/// Faulting threads that got every token back.
static FINISHED: AtomicUsize = AtomicUsize::new(0);

/// Faults `ROUNDS` times, with token `round + 1` (and its index above bit
/// 32) in x2; each time x1 must come back equal to it.
fn faulter(index: usize) {
    while GO.load(Ordering::Acquire) == 0 {
        zx::nanosleep(zx::deadline_after(100_000));
    }
    for round in 0..ROUNDS {
        let token = ((index as u64) << 32) | (round + 1);
        let got: u64;
        // SAFETY: the store faults on purpose (unmapped); a handler steps
        // the thread over it. No memory the program uses is written.
        unsafe {
            core::arch::asm!(
                "mov x1, #0",
                "str xzr, [x0]",
                in("x0") UNMAPPED,
                in("x2") token,
                out("x1") got,
                options(nostack),
            );
        }
        assert_eq!(got, token, "a fault answered with another's token");
    }
    FINISHED.fetch_add(1, Ordering::AcqRel);
}

/// Steps the thread behind `exc` past its store with x1 = x2.
fn answer(thread: Handle, exc: Handle) {
    let mut regs = read_regs(thread).expect("read_state");
    regs.r[1] = regs.r[2];
    regs.pc += 4;
    write_regs(thread, &regs).expect("write_state");
    set_exception_state(exc, excp::STATE_HANDLED).unwrap();
}

/// Arguments of a thread handler, packed: the channel and the thread.
fn pack(channel: Handle, thread: Handle) -> usize {
    ((channel as usize) << 32) | thread as usize
}

fn thread_handler(arg: usize) {
    let (channel, thread) = ((arg >> 32) as Handle, arg as u32 as Handle);
    let mut seen = 0u64;
    loop {
        let (info, exc) = match read_exception(channel) {
            Ok(x) => x,
            Err(ZxStatus::PeerClosed) => break,
            Err(e) => panic!("reading an exception: {e:?}"),
        };
        assert_eq!(info.type_, excp::FATAL_PAGE_FAULT);
        let token = read_regs(thread).unwrap().r[2];
        assert_eq!(token & 0xffff_ffff, seen + 1, "faults arrive in order");
        seen += 1;
        if !seen.is_multiple_of(3) {
            answer(thread, exc);
        }
        // Else declined: TRY_NEXT, on to the process's channel.
        close(exc);
    }
    assert_eq!(seen, ROUNDS, "every fault came to the thread's channel");
    close(channel);
    close(thread);
}

fn process_handler(channel: usize) {
    let channel = channel as Handle;
    while !DONE.load(Ordering::Acquire) {
        let (s, _) = zx::object_wait_one(
            channel,
            signals::CHANNEL_READABLE,
            zx::deadline_after(5_000_000),
        );
        if s.is_err() {
            continue;
        }
        let (_, exc) = read_exception(channel).unwrap();
        let t = exception_get_thread(exc).unwrap();
        answer(t, exc);
        close(t);
        close(exc);
        BY_PROCESS.fetch_add(1, Ordering::AcqRel);
    }
}

fn probes_meanwhile() {
    let v = el0_tests::vmo(PAGE as u64, 0);
    let m = el0_tests::Mapping::new(zx::root_vmar(), v, PAGE, zx::vm_opt::PERM_READ);
    while FINISHED.load(Ordering::Acquire) < THREADS {
        assert_eq!(probe_for_read(m.addr), Ok(()));
        assert_eq!(probe_for_write(m.addr), Err(ZxStatus::AccessDenied));
    }
    m.unmap();
    close(v);
}

fn stress() {
    GO.store(0, Ordering::Release);
    DONE.store(false, Ordering::Release);
    BY_PROCESS.store(0, Ordering::Release);
    FINISHED.store(0, Ordering::Release);
    let process_ch = create_exception_channel(zx::process_self(), 0).unwrap();
    let ph = thread::spawn("process-handler", process_handler, process_ch as usize).unwrap();
    let mut faulters: [Option<thread::JoinHandle>; THREADS] = Default::default();
    let mut handlers: [Option<thread::JoinHandle>; THREADS] = Default::default();
    for i in 0..THREADS {
        let f = thread::spawn("faulter", faulter, i).unwrap();
        let ch = create_exception_channel(f.handle(), 0).unwrap();
        let t = dup(f.handle(), rights::SAME_RIGHTS);
        handlers[i] = Some(thread::spawn("handler", thread_handler, pack(ch, t)).unwrap());
        faulters[i] = Some(f);
    }
    GO.store(1, Ordering::Release);
    probes_meanwhile();
    for f in faulters.into_iter().flatten() {
        f.join().unwrap();
    }
    for h in handlers.into_iter().flatten() {
        h.join().unwrap();
    }
    DONE.store(true, Ordering::Release);
    ph.join().unwrap();
    close(process_ch);
    assert_eq!(FINISHED.load(Ordering::Acquire), THREADS);
    assert_eq!(
        BY_PROCESS.load(Ordering::Acquire) as u64,
        THREADS as u64 * (ROUNDS / 3),
        "every declined fault reached the process's channel once"
    );
}

fn main(_root: Handle) -> i64 {
    assert_no_leak("exception_stress", stress);
    zx::println!(
        "exception_stress: {} faults on {} threads answered by {} handlers, probes meanwhile",
        THREADS as u64 * ROUNDS,
        THREADS,
        THREADS + 1
    );
    0
}

zx::entry!(main);
