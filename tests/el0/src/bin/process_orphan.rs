//! Tests that a program's children do not outlive it: it leaves a child
//! running (holding a handle to itself, its bootstrap argument), another
//! created with an unstarted thread, and a third whose every handle it
//! closes, and exits. The runner kills the program's default job when the
//! program ends, and its leak check (every page back after the program)
//! fails the program if any of them is left. The last child, which nothing
//! can start any more, is gone at once: the page count says so before the
//! program exits.
#![no_std]
#![no_main]

use el0_tests::process::{child_spin_code, prepared_child};
use el0_tests::{assert_no_leak, close, dup, zx};
use zx::process::process_start;
use zx::{rights, Handle};

fn main(_root: Handle) -> i64 {
    let job = zx::default_job();
    assert_no_leak("a process nobody can start", || {
        let (p, t, _, _) = prepared_child(job, "forgotten", child_spin_code());
        close(t);
        close(p);
    });
    let (p, t, entry, sp) = prepared_child(job, "left-running", child_spin_code());
    let itself = dup(p, rights::SAME_RIGHTS);
    assert_eq!(process_start(p, t, entry, sp, itself, 0), Ok(()));
    let (_idle, _idle_thread, _, _) = prepared_child(job, "left-unstarted", child_spin_code());
    zx::println!("process_orphan: exits with two children left behind");
    0
}

zx::entry!(main);
