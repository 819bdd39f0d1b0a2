//! Tests a process ending with port state everywhere: user and signal
//! packets queued, waits armed on events (level and edge), a wait armed
//! through a handle it then closed, and a second thread blocked in an
//! endless `zx_port_wait`. `zx_process_exit` ends it; the kernel must free
//! all of it without crashing (the runner checks that every page came
//! back; port_basic and port_async check the heap of the same teardown
//! within a process).
#![no_std]
#![no_main]

use el0_tests::zx;
use zx::ports::{object_wait_async, port_create, port_queue, port_wait};
use zx::{port, signals, thread, Handle, PortPacket, ZX_TIME_INFINITE};

fn block(p: usize) {
    let _ = port_wait(p as Handle, ZX_TIME_INFINITE);
    panic!("the endless port_wait came back");
}

fn main(_root: Handle) -> i64 {
    let p = port_create(0).unwrap();
    let q = port_create(0).unwrap();
    let events = [zx::event_create().unwrap(), zx::event_create().unwrap()];
    for i in 0..64 {
        port_queue(p, &PortPacket::user(i, 0, [i; 4])).unwrap();
        object_wait_async(events[0], p, i, signals::USER_0, 0).unwrap();
        object_wait_async(events[1], p, i, signals::USER_1, port::WAIT_ASYNC_EDGE).unwrap();
        object_wait_async(events[1], q, i, signals::USER_2, 0).unwrap();
    }
    zx::object_signal(events[0], 0, signals::USER_0).unwrap();
    zx::handle_close(events[0]).unwrap();
    let _waiter = thread::spawn("blocked", block, q as usize).unwrap();
    el0_tests::wait_for_thread_state(_waiter.handle(), zx::thread_state::BLOCKED_PORT);
    zx::println!("port_exit: exiting with 128 packets queued, 128 waits armed, a thread blocked");
    zx::process_exit(0)
}

zx::entry!(main);
