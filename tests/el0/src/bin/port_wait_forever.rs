//! Expects the kernel to kill the program: its only thread waits with
//! `ZX_TIME_INFINITE` on a port nothing can ever queue to (no other thread,
//! no armed wait), so the wait takes part in the "every thread waits
//! forever" rule as object waits do. Returning (status 1) means the wait
//! came back.
#![no_std]
#![no_main]

use el0_tests::{fault_missing, zx};
use zx::ports::{port_create, port_wait};
use zx::{Handle, ZX_TIME_INFINITE};

fn main(_root: Handle) -> i64 {
    let p = port_create(0).unwrap();
    zx::println!("port_wait_forever: waiting forever on an empty port");
    let r = port_wait(p, ZX_TIME_INFINITE);
    zx::println!("port_wait returned {:?}", r.map(|x| x.key));
    fault_missing("an endless port wait")
}

zx::entry!(main);
