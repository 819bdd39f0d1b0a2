//! Tests processes made by a program: `zx_process_create`'s checks (name
//! pointer, options, job type and MANAGE_PROCESS) and what it returns (a
//! process with the default rights, its root VMAR, not started), threads
//! created on it from outside (`zx_thread_start` on them is BAD_STATE
//! before the process starts), `zx_process_read_memory` and
//! `zx_process_write_memory` (READ and WRITE needed, sizes, unmapped
//! addresses, copies cut at the mapping's end, writes through a read-only
//! mapping), and `zx_process_start`: each error, with the bootstrap handle
//! closed on failure; a child that runs code the parent mapped into it,
//! checks the bootstrap event it got in x0, exits with x1 plus that
//! check's status, and is seen through `ZX_PROCESS_TERMINATED` and
//! `ZX_INFO_PROCESS`; a second start is BAD_STATE. Nothing leaks.
#![no_std]
#![no_main]

use el0_tests::process::{child_exit_code, prepared_child, soon, CODE_OFFSET};
use el0_tests::{assert_err, assert_no_leak, close, dup, handle_basic, vmo, zx, GARBAGE_HANDLE};
use el0_tests::{PAGE, ROOT_BASE};
use zx::process::{process_create, process_info, process_start, read_memory, write_memory};
use zx::{info_process_flags, obj_type, rights, signals, vm_opt, Handle, ZxStatus};

const EXIT_ARG: usize = 42;

fn create_checks() {
    let job = zx::default_job();
    let b = handle_basic(job);
    assert_eq!(b.obj_type, obj_type::JOB, "x3 names a job");
    assert_eq!(b.rights, rights::DEFAULT_JOB, "with the default job rights");

    let mut p = 0;
    let mut v = 0;
    // SAFETY: the outputs are live locals; the name pointer is bad on
    // purpose (the kernel must reject it, not use it).
    let r = zx::to_result(unsafe {
        zx::raw::process_create(job, 0x10 as *const u8, 4, 0, &mut p, &mut v)
    });
    assert_err(r, ZxStatus::InvalidArgs, "an unmapped name");
    // SAFETY: live name and outputs.
    let r =
        zx::to_result(unsafe { zx::raw::process_create(job, b"p".as_ptr(), 1, 1, &mut p, &mut v) });
    assert_err(r, ZxStatus::InvalidArgs, "options other than 0");
    assert_err(
        process_create(GARBAGE_HANDLE, "p"),
        ZxStatus::BadHandle,
        "a garbage job",
    );
    assert_err(
        process_create(zx::process_self(), "p"),
        ZxStatus::WrongType,
        "a process for the job",
    );
    let weak = dup(job, rights::DEFAULT_JOB & !rights::MANAGE_PROCESS);
    assert_err(
        process_create(weak, "p"),
        ZxStatus::AccessDenied,
        "a job handle without MANAGE_PROCESS",
    );
    close(weak);

    let (p, vmar) = process_create(job, "child-of-process-basic").expect("process_create");
    let pb = handle_basic(p);
    assert_eq!(pb.obj_type, obj_type::PROCESS);
    assert_eq!(pb.rights, rights::DEFAULT_PROCESS);
    let vb = handle_basic(vmar);
    assert_eq!(vb.obj_type, obj_type::VMAR);
    assert_eq!(vb.rights, rights::ROOT_VMAR);
    let info = process_info(p).expect("ZX_INFO_PROCESS");
    assert_eq!(
        (info.flags, info.start_time, info.return_code),
        (0, 0, 0),
        "not started"
    );
    // A thread made from outside: it cannot start before the process does.
    let t = zx::thread_create(p, "outside").expect("thread_create on a new process");
    assert_eq!(handle_basic(t).rights, rights::DEFAULT_THREAD);
    assert_err(
        zx::thread_start(t, ROOT_BASE + CODE_OFFSET, 0, 0, 0),
        ZxStatus::BadState,
        "zx_thread_start on a process that has not started",
    );
    // Nothing was mapped in it.
    let mut byte = [0u8; 1];
    assert_err(
        read_memory(p, ROOT_BASE + CODE_OFFSET, &mut byte),
        ZxStatus::NoMemory,
        "an empty address space",
    );
    for h in [t, vmar, p] {
        close(h);
    }
    zx::println!("process_basic: create checks, rights, an empty unstarted process");
}

fn memory_checks() {
    let (p, vmar) = process_create(zx::default_job(), "memory").expect("process_create");
    let v = vmo(2 * PAGE as u64, 0);
    let ro = zx::vmar_map(
        vmar,
        vm_opt::PERM_READ | vm_opt::SPECIFIC,
        CODE_OFFSET,
        v,
        0,
        2 * PAGE,
    )
    .expect("map into the child");
    assert_eq!(ro, ROOT_BASE + CODE_OFFSET);

    // Writes go through the read-only mapping into the VMO.
    let data: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
    assert_eq!(write_memory(p, ro + 100, &data), Ok(16));
    let mut back = [0u8; 16];
    el0_tests::read(v, &mut back, 100);
    assert_eq!(back, data, "write_memory bytes in the VMO");
    el0_tests::write(v, &[0xabu8; 8], PAGE as u64);
    let mut got = [0u8; 8];
    assert_eq!(read_memory(p, ro + PAGE, &mut got), Ok(8));
    assert_eq!(got, [0xab; 8], "read_memory bytes from the VMO");

    // A copy stops at the mapping's end.
    let mut big = [0u8; 2 * PAGE];
    assert_eq!(
        read_memory(p, ro + PAGE + 8, &mut big),
        Ok(PAGE - 8),
        "a read cut at the end"
    );
    assert_eq!(big[..8], [0; 8], "bytes after the VMO's written ones");
    assert_eq!(
        write_memory(p, ro + 2 * PAGE - 4, &[7u8; 64]),
        Ok(4),
        "a write cut at the end"
    );

    // Errors.
    assert_err(
        read_memory(p, ro, &mut []),
        ZxStatus::InvalidArgs,
        "a read of 0 bytes",
    );
    assert_err(
        write_memory(p, ro, &[]),
        ZxStatus::InvalidArgs,
        "a write of 0 bytes",
    );
    let mut actual = 0usize;
    // SAFETY: the size is too large on purpose; the kernel rejects it
    // before touching the (live, small) buffer.
    let r = zx::to_result(unsafe {
        zx::raw::process_read_memory(
            p,
            ro,
            big.as_mut_ptr(),
            zx::PROCESS_MEMORY_MAX + 1,
            &mut actual,
        )
    });
    assert_err(r, ZxStatus::InvalidArgs, "a read of more than 64 MiB");
    assert_err(
        read_memory(p, ro + 2 * PAGE, &mut got),
        ZxStatus::NoMemory,
        "past the mapping",
    );
    assert_err(
        read_memory(p, 0x10, &mut got),
        ZxStatus::NoMemory,
        "below user space",
    );
    assert_err(
        read_memory(GARBAGE_HANDLE, ro, &mut got),
        ZxStatus::BadHandle,
        "a garbage handle",
    );
    assert_err(
        read_memory(v, ro, &mut got),
        ZxStatus::WrongType,
        "a VMO for the process",
    );
    for (drop_right, what) in [
        (rights::READ, "without READ"),
        (rights::WRITE, "without WRITE"),
    ] {
        let weak = dup(p, rights::DEFAULT_PROCESS & !drop_right);
        assert_err(
            read_memory(weak, ro, &mut got),
            ZxStatus::AccessDenied,
            what,
        );
        assert_err(write_memory(weak, ro, &got), ZxStatus::AccessDenied, what);
        close(weak);
    }
    for (what, ptr) in el0_tests::BAD_POINTERS {
        // SAFETY: the buffer pointer is bad on purpose; `actual` is live.
        let r = zx::to_result(unsafe {
            zx::raw::process_read_memory(p, ro, ptr as *mut u8, 8, &mut actual)
        });
        assert_err(r, ZxStatus::InvalidArgs, what);
    }
    for h in [v, vmar, p] {
        close(h);
    }
    zx::println!("process_basic: read and write memory, cut at the mapping's end, errors");
}

fn start_checks() {
    let (p, t, entry, sp) = prepared_child(zx::default_job(), "started", child_exit_code());
    let event = || zx::event_create().expect("event_create");
    let gone = |h: Handle, what: &str| {
        assert_err(zx::handle_close(h), ZxStatus::BadHandle, what);
    };

    let arg = event();
    assert_err(
        process_start(GARBAGE_HANDLE, t, entry, sp, arg, 0),
        ZxStatus::BadHandle,
        "a garbage process",
    );
    gone(arg, "the argument of a failed start is closed");
    let arg = event();
    assert_err(
        process_start(t, t, entry, sp, arg, 0),
        ZxStatus::WrongType,
        "a thread for the process",
    );
    gone(arg, "closed after WRONG_TYPE");
    let arg = event();
    let no_write = dup(p, rights::DEFAULT_PROCESS & !rights::WRITE);
    assert_err(
        process_start(no_write, t, entry, sp, arg, 0),
        ZxStatus::AccessDenied,
        "a process without WRITE",
    );
    gone(arg, "closed after ACCESS_DENIED");
    close(no_write);
    let arg = event();
    assert_err(
        process_start(p, zx::first_thread(), entry, sp, arg, 0),
        ZxStatus::AccessDenied,
        "a thread of another process",
    );
    gone(arg, "closed after a foreign thread");
    let arg = dup(event(), rights::DEFAULT_EVENT & !rights::TRANSFER);
    assert_err(
        process_start(p, t, entry, sp, arg, 0),
        ZxStatus::AccessDenied,
        "an argument without TRANSFER",
    );
    gone(arg, "closed after no TRANSFER");
    let arg = event();
    assert_err(
        process_start(p, t, 1 << 48, sp, arg, 0),
        ZxStatus::InvalidArgs,
        "an entry past user space",
    );
    gone(arg, "closed after a bad entry");
    assert_eq!(process_info(p).map(|i| i.flags), Ok(0), "still not started");

    let arg = event();
    let before = zx::clock_get_monotonic();
    assert_eq!(process_start(p, t, entry, sp, arg, EXIT_ARG), Ok(()));
    gone(arg, "the argument moved into the child");
    let (s, observed) = zx::object_wait_one(p, signals::PROCESS_TERMINATED, soon());
    assert_eq!(s, Ok(()), "the child ends");
    assert_ne!(observed & signals::PROCESS_TERMINATED, 0);
    let info = process_info(p).expect("ZX_INFO_PROCESS");
    assert_eq!(
        info.return_code, EXIT_ARG as i64,
        "the child got x1 and the event in x0 (object_signal on it returned 0)"
    );
    assert_eq!(
        info.flags,
        info_process_flags::STARTED | info_process_flags::EXITED
    );
    assert!(
        info.start_time >= before,
        "start time {} after {before}",
        info.start_time
    );
    let (st, _) = zx::object_wait_one(t, signals::THREAD_TERMINATED, soon());
    assert_eq!(st, Ok(()), "its thread ended too");

    let t2 = zx::thread_create(p, "late");
    assert_err(t2, ZxStatus::BadState, "a thread of an ended process");
    let arg = event();
    assert_err(
        process_start(p, t, entry, sp, arg, 0),
        ZxStatus::BadState,
        "a second start",
    );
    gone(arg, "closed after BAD_STATE");
    let mut byte = [0u8; 1];
    assert_err(
        read_memory(p, entry, &mut byte),
        ZxStatus::BadState,
        "the memory of an ended process",
    );
    close(t);
    close(p);

    // An invalid argument handle is no error: the child gets none, and its
    // object_signal on x0 fails with BAD_HANDLE.
    let (p, t, entry, sp) = prepared_child(zx::default_job(), "no-arg", child_exit_code());
    assert_eq!(process_start(p, t, entry, sp, 0, EXIT_ARG), Ok(()));
    assert_eq!(
        zx::object_wait_one(p, signals::PROCESS_TERMINATED, soon()).0,
        Ok(())
    );
    let code = process_info(p).expect("info").return_code;
    assert_eq!(
        code,
        EXIT_ARG as i64 + i64::from(ZxStatus::BadHandle.raw()),
        "x0 was ZX_HANDLE_INVALID"
    );
    close(t);
    close(p);
    zx::println!(
        "process_basic: start errors close the argument; a child ran and exited with {EXIT_ARG}"
    );
}

fn main(_root: Handle) -> i64 {
    assert_no_leak("create", create_checks);
    assert_no_leak("memory", memory_checks);
    assert_no_leak("start", start_checks);
    0
}

zx::entry!(main);
