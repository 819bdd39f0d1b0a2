//! Ends with everything stranded in channels: a VMO with committed pages
//! queued in a channel whose both endpoints are still open, a channel
//! endpoint inside a message inside another channel, and a second thread
//! blocked in `zx_channel_call` with no deadline. The process's end must
//! close every handle, free the messages (and the VMO's pages) and end the
//! call; the boot's final check ("free pages: N before the programs, N
//! after") fails otherwise.
#![no_std]
#![no_main]

use el0_tests::{vmo, zx};
use zx::channel::{channel_call, channel_create, channel_write};
use zx::{signals, thread, thread_state, Handle, InfoThread, ZX_TIME_INFINITE};

fn call_forever(h: usize) {
    let _ = channel_call(
        h as Handle,
        ZX_TIME_INFINITE,
        &[0; 8],
        &[],
        &mut [0; 8],
        &mut [],
    );
    panic!("the call ended before the process did");
}

fn main(_root: Handle) -> i64 {
    let (a, _b) = channel_create().unwrap();
    let v = vmo(4 * 4096, 0);
    for page in 0..4 {
        zx::vmo_write(v, b"committed", page * 4096).unwrap();
    }
    channel_write(a, b"a vmo", &[v]).unwrap();
    let (outer_a, _outer_b) = channel_create().unwrap();
    let (inner_a, inner_b) = channel_create().unwrap();
    let v2 = vmo(4096, 0);
    zx::vmo_write(v2, b"deeper", 0).unwrap();
    channel_write(inner_a, b"", &[v2]).unwrap();
    channel_write(outer_a, b"", &[inner_b]).unwrap();
    let (client, server) = channel_create().unwrap();
    let j = thread::spawn("caller", call_forever, client as usize).unwrap();
    let (s, _) = zx::object_wait_one(server, signals::CHANNEL_READABLE, ZX_TIME_INFINITE);
    s.unwrap();
    loop {
        let info = el0_tests::try_info::<InfoThread>(
            j.handle(),
            zx::topic::THREAD,
            size_of::<InfoThread>(),
        )
        .unwrap();
        if info.state == thread_state::BLOCKED_CHANNEL {
            break;
        }
        zx::nanosleep(zx::deadline_after(100_000));
    }
    zx::println!("channel_exit_stranded: exiting with pages in channels and a call blocked");
    0
}

zx::entry!(main);
