//! Tests that `zx_process_exit` from one thread ends every thread: the
//! first thread sleeps in a futex wait that nothing wakes, a second
//! thread calls `zx_process_exit(0)`. The program passes only by that exit
//! (status 0); if the wait came back, it exits with 1.
#![no_std]
#![no_main]

use core::sync::atomic::AtomicU32;
use el0_tests::zx;
use zx::{thread, Handle, ZX_HANDLE_INVALID, ZX_TIME_INFINITE};

fn exit_process(_: usize) {
    zx::println!("process_exit_threads: the second thread ends the process");
    zx::nanosleep(zx::deadline_after(2_000_000));
    zx::process_exit(0)
}

fn main(_root: Handle) -> i64 {
    let _j = thread::spawn("exiter", exit_process, 0).expect("spawn");
    let word = AtomicU32::new(0);
    let r = zx::futex_wait(&word, 0, ZX_HANDLE_INVALID, ZX_TIME_INFINITE);
    zx::println!("the first thread's wait came back: {r:?}");
    1
}

zx::entry!(main);
