//! Tests jobs: `zx_job_create`'s checks (options, handle, type,
//! MANAGE_JOB), a new job's rights and `ZX_INFO_JOB`, the height limit
//! (OUT_OF_RANGE), and `zx_task_kill` of a job: a running process and an
//! unstarted one (with an unstarted thread) in jobs below it end with
//! `ZX_TASK_RETCODE_SYSCALL_KILL` and `ZX_PROCESS_TERMINATED`, the job is
//! `ZX_JOB_TERMINATED` and exited, and nothing new can be made in it
//! (BAD_STATE). DESTROY is needed to kill. Nothing leaks.
#![no_std]
#![no_main]

use el0_tests::process::{child_spin_code, prepared_child, soon};
use el0_tests::{assert_err, assert_no_leak, close, dup, handle_basic, zx, GARBAGE_HANDLE};
use zx::process::{job_create, job_info, process_create, process_info, process_start};
use zx::{info_process_flags, obj_type, rights, signals, Handle, ZxStatus};

fn create_checks() {
    let job = zx::default_job();
    let mut out = 0;
    // SAFETY: `out` is a live local.
    let r = zx::to_result(unsafe { zx::raw::job_create(job, 1, &mut out) });
    assert_err(r, ZxStatus::InvalidArgs, "options other than 0");
    assert_err(
        job_create(GARBAGE_HANDLE),
        ZxStatus::BadHandle,
        "a garbage parent",
    );
    assert_err(
        job_create(zx::process_self()),
        ZxStatus::WrongType,
        "a process for the parent",
    );
    let weak = dup(job, rights::DEFAULT_JOB & !rights::MANAGE_JOB);
    assert_err(
        job_create(weak),
        ZxStatus::AccessDenied,
        "a parent without MANAGE_JOB",
    );
    close(weak);
    for (what, ptr) in el0_tests::BAD_POINTERS {
        // SAFETY: the output pointer is bad on purpose.
        let r = zx::to_result(unsafe { zx::raw::job_create(job, 0, ptr as *mut Handle) });
        assert_err(r, ZxStatus::InvalidArgs, what);
    }

    let child = job_create(job).expect("job_create");
    let b = handle_basic(child);
    assert_eq!((b.obj_type, b.rights), (obj_type::JOB, rights::DEFAULT_JOB));
    let info = job_info(child).expect("ZX_INFO_JOB");
    assert_eq!((info.exited, info.return_code), (0, 0));
    close(child);

    // The default job is one level below the root, at height 31: 31 more
    // levels fit below it.
    let mut chain = [0 as Handle; 32];
    let mut depth = 0;
    let mut parent = job;
    let last = loop {
        match job_create(parent) {
            Ok(j) => {
                chain[depth] = j;
                depth += 1;
                parent = j;
            }
            Err(e) => break e,
        }
    };
    assert_eq!(
        (depth, last),
        (31, ZxStatus::OutOfRange),
        "jobs below the default job"
    );
    for h in chain[..depth].iter().rev() {
        close(*h);
    }
    zx::println!(
        "job_basic: create checks, rights, info, a height limit of 31 below the default job"
    );
}

fn kill_checks() {
    let job = job_create(zx::default_job()).expect("job_create");
    let inner = job_create(job).expect("job_create below");
    // A running child in the job, and an unstarted one (with a thread) a
    // level further down.
    let (running, t, entry, sp) = prepared_child(job, "spinner", child_spin_code());
    assert_eq!(process_start(running, t, entry, sp, 0, 0), Ok(()));
    let (idle, idle_thread, _, _) = prepared_child(inner, "idle", child_spin_code());

    let no_destroy = dup(job, rights::DEFAULT_JOB & !rights::DESTROY);
    assert_err(
        zx::task_kill(no_destroy),
        ZxStatus::AccessDenied,
        "a job without DESTROY",
    );
    close(no_destroy);
    assert_eq!(
        process_info(running).map(|i| i.flags),
        Ok(info_process_flags::STARTED)
    );

    assert_eq!(zx::task_kill(job), Ok(()));
    for (p, what) in [
        (running, "the running child"),
        (idle, "the unstarted child"),
    ] {
        let (s, _) = zx::object_wait_one(p, signals::PROCESS_TERMINATED, soon());
        assert_eq!(s, Ok(()), "{what} ends");
        let info = process_info(p).expect("ZX_INFO_PROCESS");
        assert_eq!(
            info.return_code,
            zx::TASK_RETCODE_SYSCALL_KILL,
            "{what}'s return code"
        );
        assert_ne!(info.flags & info_process_flags::EXITED, 0, "{what} exited");
    }
    let (s, _) = zx::object_wait_one(idle_thread, signals::THREAD_TERMINATED, soon());
    assert_eq!(s, Ok(()), "the unstarted thread ends with its process");
    for j in [job, inner] {
        let (s, observed) = zx::object_wait_one(j, signals::JOB_TERMINATED, soon());
        assert_eq!(s, Ok(()));
        assert_ne!(observed & signals::JOB_TERMINATED, 0);
        let info = job_info(j).expect("ZX_INFO_JOB");
        assert_eq!(
            (info.exited, info.return_code),
            (1, zx::TASK_RETCODE_SYSCALL_KILL)
        );
        assert_err(job_create(j), ZxStatus::BadState, "a job in a killed job");
        assert_err(
            process_create(j, "late"),
            ZxStatus::BadState,
            "a process in a killed job",
        );
    }
    for h in [t, running, idle_thread, idle, inner, job] {
        close(h);
    }
    zx::println!("job_basic: killing a job ends the processes below it, started or not");
}

fn main(_root: Handle) -> i64 {
    assert_no_leak("create", create_checks);
    assert_no_leak("kill", kill_checks);
    0
}

zx::entry!(main);
