//! Tests `ZX_INFO_HANDLE_COUNT` and `ZX_INFO_VMAR`: the handle count follows
//! duplicates, replaces and closes; both topics need `ZX_RIGHT_INSPECT`
//! (`ACCESS_DENIED`), check the buffer (`BUFFER_TOO_SMALL`, with `avail`),
//! and `ZX_INFO_VMAR` is `WRONG_TYPE` on a VMO; the root VMAR reports the
//! range the ABI promises.
#![no_std]
#![no_main]

use el0_tests::{dup, pod_bytes_mut, try_info, vmo, zx, PAGE};
use zx::{rights, topic, Handle, InfoHandleCount, InfoVmar, ZxStatus};

fn count(h: Handle) -> u32 {
    try_info::<InfoHandleCount>(h, topic::HANDLE_COUNT, 4)
        .expect("ZX_INFO_HANDLE_COUNT")
        .handle_count
}

fn handle_count() {
    let h = vmo(PAGE as u64, 0);
    assert_eq!(count(h), 1, "a new VMO");
    let d = dup(h, rights::SAME_RIGHTS);
    assert_eq!(count(h), 2, "after a duplicate");
    assert_eq!(count(d), 2, "through the duplicate");
    let r = zx::handle_replace(d, rights::SAME_RIGHTS).expect("replace");
    assert_eq!(count(h), 2, "replace moves the handle");
    zx::handle_close(r).expect("close");
    assert_eq!(count(h), 1, "after a close");

    let no_inspect = dup(h, rights::DEFAULT_VMO & !rights::INSPECT);
    assert_eq!(
        try_info::<InfoHandleCount>(no_inspect, topic::HANDLE_COUNT, 4).err(),
        Some(ZxStatus::AccessDenied),
        "without INSPECT"
    );
    let mut small = [0u8; 3];
    let mut avail = 0usize;
    // SAFETY: the pointers describe live locals.
    let s = unsafe {
        zx::raw::object_get_info(
            h,
            topic::HANDLE_COUNT,
            small.as_mut_ptr(),
            small.len(),
            core::ptr::null_mut(),
            &mut avail,
        )
    };
    assert_eq!(zx::to_result(s), Err(ZxStatus::BufferTooSmall), "3 bytes");
    assert_eq!(avail, 1, "avail with a short buffer");
    zx::handle_close(no_inspect).expect("close");
    zx::handle_close(h).expect("close");
    zx::println!("object_info_counts: ZX_INFO_HANDLE_COUNT follows duplicate, replace and close; needs INSPECT");
}

fn vmar_info(root: Handle) {
    let v: InfoVmar = try_info(root, topic::VMAR, 16).expect("ZX_INFO_VMAR of the root VMAR");
    assert_eq!(v.base, zx::ROOT_VMAR_BASE, "base");
    assert_eq!(v.len, zx::ROOT_VMAR_SIZE, "len");
    assert_eq!(count(root), 1, "the root VMAR has one handle");
    let h = vmo(PAGE as u64, 0);
    assert_eq!(
        try_info::<InfoVmar>(h, topic::VMAR, 16).err(),
        Some(ZxStatus::WrongType),
        "a VMO"
    );
    let no_inspect = dup(root, rights::ROOT_VMAR & !rights::INSPECT);
    assert_eq!(
        try_info::<InfoVmar>(no_inspect, topic::VMAR, 16).err(),
        Some(ZxStatus::AccessDenied),
        "without INSPECT"
    );
    let mut v = InfoVmar::default();
    assert_eq!(
        zx::object_get_info(root, topic::VMAR, &mut pod_bytes_mut(&mut v)[..15]).err(),
        Some(ZxStatus::BufferTooSmall),
        "15 bytes"
    );
    zx::handle_close(no_inspect).expect("close");
    zx::handle_close(h).expect("close");
    zx::println!("object_info_counts: ZX_INFO_VMAR gives the root VMAR's range; WRONG_TYPE, ACCESS_DENIED, BUFFER_TOO_SMALL");
}

fn main(root: Handle) -> i64 {
    handle_count();
    vmar_info(root);
    0
}

zx::entry!(main);
