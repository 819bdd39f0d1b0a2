//! The program `process_launch` loads from the initrd and starts. Run by
//! the runner, it checks its start handles (x0 the root VMAR, x3 its
//! default job) and exits 0. Started by `process_launch`, it checks what a
//! process started with `zx_process_start` gets: x0 its bootstrap VMO, x1
//! the launcher's `LAUNCH_MAGIC`, nothing in x2 and x3; it reads the exit
//! code the launcher wrote at offset 0 of the VMO, writes it back XORed
//! with the magic at offset 8, and exits with it. Started with a bootstrap
//! channel instead (`user_story`), it reads one message holding a VMO,
//! copies the VMO's first bytes upper-cased to its second page, answers
//! "done" and exits with `STORY_EXIT`.
#![no_std]
#![no_main]

use el0_tests::process::{LAUNCH_MAGIC, STORY_EXIT, STORY_LEN};
use el0_tests::{handle_basic, zx, PAGE};
use zx::{obj_type, signals, Handle};

/// The bootstrap-channel protocol of `user_story`.
fn story(channel: Handle) -> i64 {
    let (s, _) = zx::object_wait_one(channel, signals::CHANNEL_READABLE, zx::ZX_TIME_INFINITE);
    s.expect("a message");
    let mut bytes = [0u8; 8];
    let mut handles = [0; 1];
    let (s, actual) = zx::channel::channel_read(channel, 0, &mut bytes, &mut handles);
    s.expect("channel_read");
    assert_eq!(
        (&bytes[..actual.bytes as usize], actual.handles),
        (&b"vmo"[..], 1)
    );
    let vmo = handles[0];
    assert_eq!(handle_basic(vmo).obj_type, obj_type::VMO);
    let mut text = [0u8; STORY_LEN];
    el0_tests::read(vmo, &mut text, 0);
    text.make_ascii_uppercase();
    el0_tests::write(vmo, &text, PAGE as u64);
    zx::channel::channel_write(channel, b"done", &[]).expect("reply");
    zx::println!("process_child: got a VMO over its bootstrap channel and answered");
    STORY_EXIT
}

fn main(x0: Handle) -> i64 {
    let first = handle_basic(x0);
    if first.obj_type == obj_type::VMAR {
        assert_eq!(handle_basic(zx::default_job()).obj_type, obj_type::JOB);
        zx::println!("process_child: run by the runner (x0 the root VMAR, x3 a job)");
        return 0;
    }
    if first.obj_type == obj_type::CHANNEL {
        return story(x0);
    }
    assert_eq!(first.obj_type, obj_type::VMO, "x0: the bootstrap VMO");
    assert_eq!(
        zx::process_self(),
        LAUNCH_MAGIC,
        "x1: the launcher's argument"
    );
    assert_eq!(zx::first_thread(), 0, "x2: nothing");
    assert_eq!(zx::default_job(), 0, "x3: nothing");
    let mut code = [0u8; 8];
    el0_tests::read(x0, &mut code, 0);
    let code = u64::from_le_bytes(code);
    el0_tests::write(x0, &(code ^ u64::from(LAUNCH_MAGIC)).to_le_bytes(), 8);
    zx::println!("process_child: started by a launcher, exiting with {code}");
    code as i64
}

zx::entry!(main);
