//! The object-model issue's walk-through, as a Fuchsia engineer would write
//! it: allocate a sub-VMAR, map a VMO into it, protect one page read-only,
//! check with exception-channel memory probes that the page refuses writes
//! (and that the rest of the region behaves as mapped or not), then launch
//! a program from the initrd with a bootstrap channel and hand it the VMO
//! over that channel; the child's answer comes back over the channel and
//! through the shared page, and its exit code through its process. Nothing
//! leaks.
#![no_std]
#![no_main]

use el0_tests::process::{LAUNCH_MAGIC, STORY_EXIT, STORY_LEN};
use el0_tests::{assert_err, assert_no_leak, close, dup, vmo, zx, PAGE};
use zx::channel::{channel_create, channel_read, channel_write};
use zx::exception::{probe_for_read, probe_for_write};
use zx::{rights, signals, vm_opt, Handle, ZxStatus, ZX_TIME_INFINITE};

fn story(root: Handle) {
    // A four-page region; the VMO's two pages go at its second page.
    let (sub, base) = zx::vmar_allocate(
        root,
        vm_opt::CAN_MAP_READ | vm_opt::CAN_MAP_WRITE | vm_opt::CAN_MAP_SPECIFIC,
        0,
        4 * PAGE,
    )
    .expect("vmar_allocate");
    let v = vmo(2 * PAGE as u64, 0);
    let addr = zx::vmar_map(
        sub,
        vm_opt::SPECIFIC | vm_opt::PERM_READ | vm_opt::PERM_WRITE,
        PAGE,
        v,
        0,
        2 * PAGE,
    )
    .expect("map into the sub-VMAR");
    assert_eq!(addr, base + PAGE);
    // SAFETY: the first page of the mapping just made, read-write.
    unsafe { core::ptr::copy_nonoverlapping(b"hello".as_ptr(), addr as *mut u8, STORY_LEN) };
    zx::vmar_protect(sub, vm_opt::PERM_READ, addr, PAGE).expect("protect one page");
    assert_eq!(probe_for_read(addr), Ok(()));
    assert_err(
        probe_for_write(addr),
        ZxStatus::AccessDenied,
        "the protected page",
    );
    assert_eq!(
        probe_for_write(addr + PAGE),
        Ok(()),
        "the page left writable"
    );
    assert_err(
        probe_for_read(base),
        ZxStatus::NotFound,
        "the region's unmapped first page",
    );
    zx::println!("user_story: sub-VMAR, mapping, protect, probes");

    // The child, with a bootstrap channel; the VMO goes over it.
    let job = zx::process::job_create(zx::default_job()).unwrap();
    let elf = zx::process::initrd_file("process_child").unwrap();
    let child = zx::elf::load(job, "process_child", elf).expect("load");
    close(elf);
    let (ours, theirs) = channel_create().unwrap();
    child.start(theirs, LAUNCH_MAGIC as usize).expect("start");
    let handed = dup(v, rights::SAME_RIGHTS);
    channel_write(ours, b"vmo", &[handed]).expect("hand the VMO over");
    let (s, _) = zx::object_wait_one(ours, signals::CHANNEL_READABLE, ZX_TIME_INFINITE);
    s.unwrap();
    let mut reply = [0u8; 8];
    let (s, actual) = channel_read(ours, 0, &mut reply, &mut []);
    s.unwrap();
    assert_eq!(&reply[..actual.bytes as usize], b"done");
    let mut seen = [0u8; STORY_LEN];
    // SAFETY: the second page of the mapping, which the child wrote
    // through its handle to the same VMO.
    unsafe {
        core::ptr::copy_nonoverlapping((addr + PAGE) as *const u8, seen.as_mut_ptr(), STORY_LEN)
    };
    assert_eq!(
        &seen, b"HELLO",
        "the child's write shows through our mapping"
    );
    let (s, _) = zx::object_wait_one(child.process, signals::PROCESS_TERMINATED, ZX_TIME_INFINITE);
    s.unwrap();
    assert_eq!(
        zx::process::process_info(child.process)
            .unwrap()
            .return_code,
        STORY_EXIT
    );
    let (s, seen) = zx::object_wait_one(ours, signals::PEER_CLOSED, 0);
    assert_eq!(
        (s, seen & signals::PEER_CLOSED),
        (Ok(()), signals::PEER_CLOSED)
    );
    child.close();
    close(ours);
    close(job);
    zx::vmar_destroy(sub).unwrap();
    close(sub);
    close(v);
    zx::println!("user_story: a child got the VMO over its bootstrap channel and answered");
}

fn main(root: Handle) -> i64 {
    assert_no_leak("user_story", || story(root));
    0
}

zx::entry!(main);
