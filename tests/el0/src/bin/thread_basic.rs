//! Tests threads: the start handles (x1 = the process, x2 = the first
//! thread, with Zircon's default rights), `zx_thread_create`'s checks
//! (options, rights, type), `zx_thread_start` (x0 = arg1, x1 = arg2 at the
//! entry, a second start BAD_STATE, an entry outside user space
//! INVALID_ARGS, WRITE needed), `ZX_THREAD_TERMINATED` when a thread ends,
//! `zx_task_kill` of a sleeping thread, many threads at once, and that
//! runnable threads spread over the cores (`ZX_INFO_THREAD_STATS`).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use el0_tests::{assert_err, assert_no_leak, dup, handle_basic, zx, GARBAGE_HANDLE};
use zx::{obj_type, rights, signals, thread, Handle, ZxStatus, ZX_TIME_INFINITE};

fn start_handles() {
    let p = handle_basic(zx::process_self());
    assert_eq!(p.obj_type, obj_type::PROCESS, "x1 names a process");
    assert_eq!(p.rights, rights::DEFAULT_PROCESS, "with the default rights");
    let t = handle_basic(zx::first_thread());
    assert_eq!(t.obj_type, obj_type::THREAD, "x2 names a thread");
    assert_eq!(t.rights, rights::DEFAULT_THREAD, "with the default rights");
    assert_ne!(p.koid, t.koid);
    zx::println!("thread_basic: x1 is the process, x2 the thread, with default rights");
}

static ARGS_SEEN: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// The entry of a raw-started thread: records x0 and x1, then exits.
extern "C" fn record_args(a: u64, b: u64) -> ! {
    ARGS_SEEN[0].store(a, Ordering::SeqCst);
    ARGS_SEEN[1].store(b, Ordering::SeqCst);
    zx::thread_exit()
}

fn create_and_start_checks() {
    let me = zx::process_self();
    assert_err(
        // SAFETY: the name is a live literal and `out` a live local.
        zx::to_result(unsafe {
            let mut out = 0;
            zx::raw::thread_create(me, b"x".as_ptr(), 1, 1, &mut out)
        }),
        ZxStatus::InvalidArgs,
        "options other than 0",
    );
    assert_err(
        zx::thread_create(GARBAGE_HANDLE, "x"),
        ZxStatus::BadHandle,
        "a garbage process handle",
    );
    assert_err(
        zx::thread_create(zx::root_vmar(), "x"),
        ZxStatus::WrongType,
        "a VMAR for the process",
    );
    let weak = dup(me, rights::DEFAULT_PROCESS & !rights::MANAGE_THREAD);
    assert_err(
        zx::thread_create(weak, "x"),
        ZxStatus::AccessDenied,
        "a process handle without MANAGE_THREAD",
    );
    zx::handle_close(weak).unwrap();
    zx::println!("thread_basic: thread_create checks options, handle, type, MANAGE_THREAD");

    // A stack for the raw thread: it only needs a little.
    static mut STACK: [u128; 256] = [0; 256];
    let stack_top = (&raw mut STACK) as usize + core::mem::size_of::<[u128; 256]>();
    let t = zx::thread_create(me, "raw").unwrap();
    let basic = handle_basic(t);
    assert_eq!(
        basic.rights,
        rights::DEFAULT_THREAD,
        "a new thread's rights"
    );
    let no_write = dup(t, rights::DEFAULT_THREAD & !rights::WRITE);
    assert_err(
        zx::thread_start(no_write, record_args as *const () as usize, stack_top, 1, 2),
        ZxStatus::AccessDenied,
        "start without WRITE",
    );
    assert_err(
        zx::thread_start(t, 0xffff_0000_0000_1000, stack_top, 1, 2),
        ZxStatus::InvalidArgs,
        "an entry in the kernel half",
    );
    let (s, seen) = zx::object_wait_one(t, signals::THREAD_TERMINATED, zx::ZX_TIME_INFINITE_PAST);
    assert_eq!(
        s,
        Err(ZxStatus::TimedOut),
        "an unstarted thread is not terminated"
    );
    assert_eq!(seen & signals::THREAD_TERMINATED, 0);
    zx::thread_start(
        t,
        record_args as *const () as usize,
        stack_top,
        0x1111_2222_3333_4444,
        0x5555_6666_7777_8888,
    )
    .unwrap();
    let (s, seen) = zx::object_wait_one(t, signals::THREAD_TERMINATED, ZX_TIME_INFINITE);
    assert_eq!(s, Ok(()));
    assert_ne!(seen & signals::THREAD_TERMINATED, 0);
    assert_eq!(
        ARGS_SEEN[0].load(Ordering::SeqCst),
        0x1111_2222_3333_4444,
        "x0 = arg1"
    );
    assert_eq!(
        ARGS_SEEN[1].load(Ordering::SeqCst),
        0x5555_6666_7777_8888,
        "x1 = arg2"
    );
    assert_err(
        zx::thread_start(t, record_args as *const () as usize, stack_top, 1, 2),
        ZxStatus::BadState,
        "a second start",
    );
    zx::handle_close_many(&[t, no_write]).unwrap();
    zx::println!(
        "thread_basic: thread_start passes arg1/arg2 in x0/x1, needs WRITE and a user entry, once"
    );
    zx::println!("thread_basic: THREAD_TERMINATED is asserted when the thread exits");
}

static SLEEPING: AtomicU32 = AtomicU32::new(0);

fn sleep_forever(_: usize) {
    SLEEPING.store(1, Ordering::SeqCst);
    let word = AtomicU32::new(0);
    // Nothing wakes this: only the kill ends it.
    let _ = zx::futex_wait(&word, 0, zx::ZX_HANDLE_INVALID, ZX_TIME_INFINITE);
    panic!("a killed thread came back from its wait");
}

fn kill_a_thread() {
    let j = thread::spawn("sleeper", sleep_forever, 0).unwrap();
    el0_tests::wait_for_thread_state(j.handle(), zx::thread_state::BLOCKED_FUTEX);
    assert_eq!(SLEEPING.load(Ordering::SeqCst), 1);
    // Zircon looks the handle up with DESTROY before asking for a task:
    // the root VMAR has no DESTROY.
    assert_err(
        zx::task_kill(zx::root_vmar()),
        ZxStatus::AccessDenied,
        "task_kill of a VMAR without DESTROY",
    );
    assert_err(
        zx::task_kill(GARBAGE_HANDLE),
        ZxStatus::BadHandle,
        "task_kill of a garbage handle",
    );
    let no_destroy = dup(j.handle(), rights::DEFAULT_THREAD & !rights::DESTROY);
    assert_err(
        zx::task_kill(no_destroy),
        ZxStatus::AccessDenied,
        "task_kill without DESTROY",
    );
    zx::handle_close(no_destroy).unwrap();
    assert_eq!(zx::task_kill(j.handle()), Ok(()));
    j.join().unwrap();
    zx::println!("thread_basic: task_kill ends a sleeping thread (DESTROY needed)");
    zx::println!("thread_basic: ZX_INFO_THREAD reports NEW, BLOCKED_FUTEX and DEAD");
}

static COUNTER: zx::sync::Mutex<u64> = zx::sync::Mutex::new(0);
const THREADS: usize = 8;
const ADDS: u64 = 2000;

fn add_many(_: usize) {
    for _ in 0..ADDS {
        *COUNTER.lock() += 1;
    }
}

fn many_threads() {
    let mut joins: [Option<thread::JoinHandle>; THREADS] = [const { None }; THREADS];
    for j in joins.iter_mut() {
        *j = Some(thread::spawn("adder", add_many, 0).unwrap());
    }
    for j in joins.iter_mut() {
        j.take().unwrap().join().unwrap();
    }
    assert_eq!(
        *COUNTER.lock(),
        THREADS as u64 * ADDS,
        "the mutex lost no update"
    );
    zx::println!("thread_basic: {THREADS} threads x {ADDS} increments under a futex mutex add up");
}

static ARRIVED: AtomicU32 = AtomicU32::new(0);
static RELEASED: AtomicU32 = AtomicU32::new(0);

/// Spins (no system call, so nothing but the scheduler moves it) until the
/// main thread has seen where everyone runs.
fn spin_until_released(_: usize) {
    ARRIVED.fetch_add(1, Ordering::SeqCst);
    while RELEASED.load(Ordering::SeqCst) == 0 {
        core::hint::spin_loop();
    }
}

fn stats(h: Handle) -> zx::InfoThreadStats {
    el0_tests::try_info(
        h,
        zx::topic::THREAD_STATS,
        core::mem::size_of::<zx::InfoThreadStats>(),
    )
    .expect("THREAD_STATS")
}

/// Three spinning threads and this one, all runnable at once: with N cores
/// online they run on min(N, 4) different cores, each of them running (a
/// core runs one thread at a time, so spinners time-sliced on one core
/// would show the same core).
fn spread_over_cores() {
    let stats_now = zx::kernel_stats();
    let cores = stats_now[zx::stats::CORES_ONLINE] as usize;
    let others = stats_now[zx::stats::LIVE_PROCESSES];
    let mut j: [Option<thread::JoinHandle>; 3] = [const { None }; 3];
    for s in j.iter_mut() {
        *s = Some(thread::spawn("spinner", spin_until_released, 0).unwrap());
    }
    while ARRIVED.load(Ordering::SeqCst) < 3 {
        core::hint::spin_loop();
    }
    // Where each runs, looked at until they are spread (a thread just
    // moved by the scheduler shows its old core for a moment): at most
    // 10 000 looks, which a scheduler that leaves them piled never passes.
    let mut where_ = [0u32; 4];
    let mut distinct = 0;
    for _ in 0..10_000 {
        where_[0] = stats(zx::first_thread()).last_scheduled_cpu;
        for (i, s) in j.iter().enumerate() {
            where_[i + 1] = stats(s.as_ref().unwrap().handle()).last_scheduled_cpu;
        }
        let mut seen = [false; 64];
        for w in where_ {
            seen[w as usize % 64] = true;
        }
        distinct = seen.iter().filter(|&&b| b).count();
        if distinct == cores.min(4) {
            break;
        }
    }
    RELEASED.store(1, Ordering::SeqCst);
    let st = stats(zx::first_thread());
    assert!(
        st.total_runtime > 0,
        "a running thread has run for some time"
    );
    assert_err(
        el0_tests::try_info::<zx::InfoThreadStats>(
            zx::root_vmar(),
            zx::topic::THREAD_STATS,
            core::mem::size_of::<zx::InfoThreadStats>(),
        ),
        ZxStatus::WrongType,
        "THREAD_STATS of a VMAR",
    );
    for s in j.iter_mut() {
        s.take().unwrap().join().unwrap();
    }
    // A program may also have started (and even ended) while they were
    // looked at: count the processes again, and every process made since.
    let after = zx::kernel_stats();
    let others = others.max(after[zx::stats::LIVE_PROCESSES]);
    let started_meanwhile =
        after[zx::stats::PROGRAMS_LOADED] != stats_now[zx::stats::PROGRAMS_LOADED];
    if others > 1 || started_meanwhile {
        // Other programs' threads share the cores (el0.parallel).
        zx::println!("thread_basic: spread over cores not judged ({others} programs running)");
        return;
    }
    assert_eq!(
        distinct,
        cores.min(4),
        "four runnable threads on {cores} cores ran on cores {where_:?}"
    );
    zx::println!("thread_basic: four runnable threads run on min(cores, 4) = {distinct} cores");
}

fn main(_root: Handle) -> i64 {
    start_handles();
    create_and_start_checks();
    kill_a_thread();
    assert_no_leak("spawning and joining 8 threads", many_threads);
    spread_over_cores();
    0
}

zx::entry!(main);
