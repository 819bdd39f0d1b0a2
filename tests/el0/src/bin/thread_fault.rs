//! Expects the kernel to kill the whole process when a second thread
//! faults: the thread reads address 0 while the first thread waits for it
//! to end. Returning (status 1) means the kill did not end the waiting
//! thread.
#![no_std]
#![no_main]

use el0_tests::{fault_missing, zx};
use zx::{thread, Handle};

fn read_null(_: usize) {
    zx::println!("thread_fault: the second thread reads address 0");
    // SAFETY: none: this read is meant to fault.
    let v = unsafe { core::ptr::read_volatile(core::ptr::null::<u64>()) };
    zx::println!("read {v:#x} at address 0");
}

fn main(_root: Handle) -> i64 {
    let j = thread::spawn("faulter", read_null, 0).expect("spawn");
    let r = j.join();
    zx::println!("join returned {r:?}");
    fault_missing("a fault in another thread")
}

zx::entry!(main);
