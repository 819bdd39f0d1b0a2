//! Tests launching a program the way a Zircon launcher does: the ELF of
//! `process_child` from the initrd as a VMO (`initrd_file`, with its
//! errors), loaded at EL0 into a new process of a new job (`zx::elf`),
//! started with a bootstrap VMO and an argument; the child checks its
//! registers, answers through the VMO and exits with the code it was given,
//! which comes back through `ZX_PROCESS_TERMINATED` and `ZX_INFO_PROCESS`.
//! An image that is not an ELF is refused. Nothing leaks.
#![no_std]
#![no_main]

use el0_tests::process::LAUNCH_MAGIC;
use el0_tests::{assert_err, assert_no_leak, close, dup, vmo, zx, PAGE};
use zx::elf::{self, LoadError};
use zx::process::{initrd_file, job_create, process_info};
use zx::ZX_TIME_INFINITE;
use zx::{info_process_flags, rights, signals, Handle, ZxStatus};

const CODE: u64 = 77;

fn initrd_checks() {
    assert_err(
        initrd_file("no_such_program"),
        ZxStatus::NotFound,
        "a name not in the initrd",
    );
    let long = [b'a'; 256];
    let mut out = 0;
    // SAFETY: a live buffer and output.
    let r = zx::to_result(unsafe { zx::raw::initrd_file(long.as_ptr(), long.len(), &mut out) });
    assert_err(r, ZxStatus::InvalidArgs, "a name of 256 bytes");
    for (what, ptr) in el0_tests::BAD_POINTERS {
        // SAFETY: the name pointer is bad on purpose.
        let r = zx::to_result(unsafe { zx::raw::initrd_file(ptr as *const u8, 4, &mut out) });
        assert_err(r, ZxStatus::InvalidArgs, what);
    }
    let elf = initrd_file("process_child").expect("initrd_file");
    let b = el0_tests::handle_basic(elf);
    assert_eq!(b.rights, rights::DEFAULT_VMO | rights::EXECUTE);
    let mut magic = [0u8; 4];
    el0_tests::read(elf, &mut magic, 0);
    assert_eq!(&magic, b"\x7fELF");
    close(elf);
}

fn launch() {
    let job = job_create(zx::default_job()).expect("job_create");
    let elf = initrd_file("process_child").expect("initrd_file");
    let loaded = elf::load(job, "process_child", elf).expect("load the child");
    close(elf);
    let boot = vmo(PAGE as u64, 0);
    el0_tests::write(boot, &CODE.to_le_bytes(), 0);
    let mine = dup(boot, rights::SAME_RIGHTS);
    assert_eq!(loaded.start(boot, LAUNCH_MAGIC as usize), Ok(()));
    // With no deadline, as a launcher waits: the child's threads can still
    // run, so the parent is not blocked forever.
    let (s, _) = zx::object_wait_one(
        loaded.process,
        signals::PROCESS_TERMINATED,
        ZX_TIME_INFINITE,
    );
    assert_eq!(s, Ok(()), "the child ends");
    let info = process_info(loaded.process).expect("ZX_INFO_PROCESS");
    assert_eq!(info.return_code, CODE as i64, "the child's exit code");
    assert_eq!(
        info.flags,
        info_process_flags::STARTED | info_process_flags::EXITED
    );
    let mut reply = [0u8; 8];
    el0_tests::read(mine, &mut reply, 8);
    assert_eq!(
        u64::from_le_bytes(reply),
        CODE ^ u64::from(LAUNCH_MAGIC),
        "its answer"
    );
    loaded.close();
    close(mine);
    close(job);
    zx::println!(
        "process_launch: process_child loaded from the initrd, ran and exited with {CODE}"
    );
}

fn refusals() {
    let job = zx::default_job();
    let not_elf = vmo(PAGE as u64, 0);
    el0_tests::write(not_elf, b"not an ELF at all", 0);
    assert_eq!(elf::load(job, "x", not_elf).err(), Some(LoadError::BadElf));
    close(not_elf);
    let empty = vmo(0, 0);
    assert_eq!(
        elf::load(job, "x", empty).err().map(|_| ()),
        Some(()),
        "an empty VMO"
    );
    close(empty);
}

fn main(_root: Handle) -> i64 {
    assert_no_leak("initrd_file", initrd_checks);
    assert_no_leak("launch", launch);
    assert_no_leak("refusals", refusals);
    0
}

zx::entry!(main);
