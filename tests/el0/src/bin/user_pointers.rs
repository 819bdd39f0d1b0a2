//! Tests every system-call argument that is a user pointer with pointers
//! that are bad in each way: NULL, in the kernel half (0xffff_0000_0000_0000,
//! 0xffff_ffff_8000_0000), unmapped, past user space, misaligned (typed
//! out-pointers only: handles are `u32`, sizes and counts `u64`), read-only
//! memory (pointers the kernel writes), and buffers that start in a mapping
//! and run off its end (into unmapped space, past the end of user space, or
//! past the end of the mapped VMO). Each must give the documented status:
//! ZX_ERR_INVALID_ARGS, except the `zx_vmo_read`/`zx_vmo_write` buffers,
//! which give ZX_ERR_NOT_FOUND (docs/syscall-abi.md). Whatever a call
//! created before finding its out-pointer bad must be gone (no VMO, page or
//! handle leaks; a mapping is undone), and a call that consumes its handle
//! (`zx_handle_replace`, `zx_vmo_replace_as_executable`) consumes it even
//! then. Byte buffers may be misaligned: that is checked to work.
#![no_std]
#![no_main]

use el0_tests::hostile::{BadPointer, Fixtures};
use el0_tests::{
    assert_no_leak, close, dup, prefault_stack, st, vmo, write, zero_children, zx, PAGE, ROOT_BASE,
    RW,
};
use zx::ZxStatus::{self, BadHandle, BadState, InvalidArgs, NotFound};
use zx::{child_opt, prop, rights, signals, stats, topic, vm_opt, vmo_op, vmo_opt, Handle};

/// Checks one pointer argument against a list of bad pointers: `call`
/// gets each address and returns the status.
#[track_caller]
fn each_bad(
    call: &str,
    arg: &str,
    bad: &[BadPointer],
    expected: ZxStatus,
    mut f: impl FnMut(usize) -> zx::Status,
) {
    for b in bad {
        assert_eq!(
            f(b.addr),
            Err(expected),
            "{}: {} {} ({:#x}) must be {}",
            call,
            arg,
            b.what,
            b.addr,
            expected.name()
        );
    }
}

/// The entries of `bad` except NULL (for optional pointers, where NULL
/// means "not wanted").
fn non_null<const N: usize>(bad: [BadPointer; N]) -> impl Iterator<Item = BadPointer> {
    bad.into_iter().filter(|b| b.addr != 0)
}

fn collect<const N: usize>(it: impl Iterator<Item = BadPointer>) -> ([BadPointer; N], usize) {
    let mut out = [BadPointer { what: "", addr: 0 }; N];
    let mut n = 0;
    for b in it {
        out[n] = b;
        n += 1;
    }
    (out, n)
}

fn debug_write(fx: &Fixtures) {
    const LINE: &[u8] = b"user_pointers: zx_debug_write from a misaligned buffer\n";
    assert_no_leak("debug_write", || {
        each_bad(
            "zx_debug_write",
            "buffer",
            &fx.unreadable(64),
            InvalidArgs,
            |p| {
                // SAFETY: the kernel only reads, from an address it must refuse.
                st(unsafe { zx::raw::debug_write(p as *const u8, 64) })
            },
        );
        for (i, &b) in LINE.iter().enumerate() {
            fx.write_u8(1 + i, b);
        }
        // SAFETY: the kernel reads `LINE.len()` bytes of the fixture page.
        let s = st(unsafe { zx::raw::debug_write((fx.rw() + 1) as *const u8, LINE.len()) });
        assert_eq!(s, Ok(()), "zx_debug_write from a misaligned buffer");
    });
    zx::println!("user_pointers: zx_debug_write buffer: bad ones INVALID_ARGS, misaligned ok");
}

fn handle_duplicate_replace(fx: &Fixtures) {
    let bad = fx.bad_out(4);
    assert_no_leak("handle_duplicate", || {
        let h = vmo(PAGE as u64, 0);
        each_bad("zx_handle_duplicate", "out", &bad, InvalidArgs, |p| {
            // SAFETY: the kernel must refuse `p` (no Rust memory touched).
            st(unsafe { zx::raw::handle_duplicate(h, rights::SAME_RIGHTS, p as *mut Handle) })
        });
        // Had a duplicate been left behind, the VMO would outlive this.
        close(h);
    });
    assert_no_leak("handle_replace", || {
        for b in &bad {
            let h = vmo(PAGE as u64, 0);
            // SAFETY: the kernel must refuse `b.addr`.
            let s = st(unsafe {
                zx::raw::handle_replace(h, rights::SAME_RIGHTS, b.addr as *mut Handle)
            });
            assert_eq!(
                s,
                Err(InvalidArgs),
                "zx_handle_replace: out {} ({:#x})",
                b.what,
                b.addr
            );
            assert_eq!(
                zx::handle_close(h),
                Err(BadHandle),
                "zx_handle_replace consumes its handle even when out is {}",
                b.what
            );
        }
    });
    zx::println!(
        "user_pointers: zx_handle_duplicate/replace out: INVALID_ARGS, nothing left behind"
    );
}

fn vmo_create(fx: &Fixtures) {
    assert_no_leak("vmo_create", || {
        each_bad("zx_vmo_create", "out", &fx.bad_out(4), InvalidArgs, |p| {
            // SAFETY: the kernel must refuse `p`.
            st(unsafe { zx::raw::vmo_create(PAGE as u64, 0, p as *mut Handle) })
        });
    });
    zx::println!("user_pointers: zx_vmo_create out: INVALID_ARGS, no VMO left behind");
}

fn vmo_read_write(fx: &Fixtures) {
    assert_no_leak("vmo_read/write", || {
        let h = vmo(4 * PAGE as u64, 0);
        write(h, &[0xA5; 64], 0);
        each_bad("zx_vmo_read", "buffer", &fx.unwritable(64), NotFound, |p| {
            // SAFETY: the kernel must refuse `p` before or while writing;
            // the bytes before an unusable part are fixture memory.
            st(unsafe { zx::raw::vmo_read(h, p as *mut u8, 0, 64) })
        });
        each_bad(
            "zx_vmo_write",
            "buffer",
            &fx.unreadable(64),
            NotFound,
            |p| {
                // SAFETY: the kernel only reads.
                st(unsafe { zx::raw::vmo_write(h, p as *const u8, PAGE as u64, 64) })
            },
        );
        // Misaligned buffers and read-only sources are fine.
        // SAFETY: 64 bytes of the fixture's read-write pages.
        let s = st(unsafe { zx::raw::vmo_read(h, (fx.rw() + 3) as *mut u8, 0, 64) });
        assert_eq!(s, Ok(()), "zx_vmo_read into a misaligned buffer");
        assert_eq!(
            fx.read_u8(3),
            0xA5,
            "zx_vmo_read data at a misaligned buffer"
        );
        assert_eq!(fx.read_u8(66), 0xA5);
        // SAFETY: the kernel reads 64 bytes of the read-only fixture page.
        let s = st(unsafe { zx::raw::vmo_write(h, (fx.ro() + 5) as *const u8, PAGE as u64, 64) });
        assert_eq!(
            s,
            Ok(()),
            "zx_vmo_write from a read-only, misaligned buffer"
        );
        close(h);
    });
    zx::println!("user_pointers: zx_vmo_read/write buffer: bad ones NOT_FOUND, misaligned ok");
}

fn vmo_get_size(fx: &Fixtures) {
    assert_no_leak("vmo_get_size", || {
        let h = vmo(PAGE as u64, 0);
        each_bad(
            "zx_vmo_get_size",
            "size",
            &fx.bad_out(8),
            InvalidArgs,
            |p| {
                // SAFETY: the kernel must refuse `p`.
                st(unsafe { zx::raw::vmo_get_size(h, p as *mut u64) })
            },
        );
        close(h);
    });
    zx::println!(
        "user_pointers: zx_vmo_get_size size: INVALID_ARGS (u64 at a 4-byte boundary too)"
    );
}

fn vmar_map(fx: &Fixtures, root: Handle) {
    // A fixed spot, so that a mapping left behind would make the next map
    // there ALREADY_EXISTS.
    let offset = 0x18_0000_0000 - ROOT_BASE;
    assert_no_leak("vmar_map", || {
        let h = vmo(PAGE as u64, 0);
        each_bad(
            "zx_vmar_map",
            "mapped_addr",
            &fx.bad_out(8),
            InvalidArgs,
            |p| {
                // SAFETY: the kernel must refuse `p`.
                st(unsafe {
                    zx::raw::vmar_map(
                        root,
                        RW | vm_opt::SPECIFIC,
                        offset,
                        h,
                        0,
                        PAGE,
                        p as *mut usize,
                    )
                })
            },
        );
        let addr = zx::vmar_map(root, RW | vm_opt::SPECIFIC, offset, h, 0, PAGE)
            .expect("the spot is free again: the refused mappings were undone");
        assert_eq!(zx::vmar_unmap(root, addr, PAGE), Ok(()));
        close(h);
    });
    zx::println!("user_pointers: zx_vmar_map mapped_addr: INVALID_ARGS, mapping undone");
}

fn properties(fx: &Fixtures) {
    assert_no_leak("object_get/set_property", || {
        let h = vmo(PAGE as u64, 0);
        each_bad(
            "zx_object_get_property(NAME)",
            "value",
            &fx.unwritable(32),
            InvalidArgs,
            |p| {
                // SAFETY: the kernel must refuse `p` (or write fixture memory).
                st(unsafe { zx::raw::object_get_property(h, prop::NAME, p as *mut u8, 32) })
            },
        );
        each_bad(
            "zx_object_get_property(CONTENT_SIZE)",
            "value",
            &fx.unwritable(8),
            InvalidArgs,
            |p| {
                // SAFETY: as above.
                st(unsafe {
                    zx::raw::object_get_property(h, prop::VMO_CONTENT_SIZE, p as *mut u8, 8)
                })
            },
        );
        each_bad(
            "zx_object_set_property(NAME)",
            "value",
            &fx.unreadable(16),
            InvalidArgs,
            |p| {
                // SAFETY: the kernel only reads.
                st(unsafe { zx::raw::object_set_property(h, prop::NAME, p as *const u8, 16) })
            },
        );
        each_bad(
            "zx_object_set_property(CONTENT_SIZE)",
            "value",
            &fx.unreadable(8),
            InvalidArgs,
            |p| {
                // SAFETY: the kernel only reads.
                st(unsafe {
                    zx::raw::object_set_property(h, prop::VMO_CONTENT_SIZE, p as *const u8, 8)
                })
            },
        );
        // Byte buffers: misaligned is fine, a u64 included.
        // SAFETY: 32 bytes of fixture memory.
        let s = st(unsafe {
            zx::raw::object_get_property(h, prop::NAME, (fx.rw() + 7) as *mut u8, 32)
        });
        assert_eq!(
            s,
            Ok(()),
            "zx_object_get_property(NAME) into a misaligned buffer"
        );
        for (i, b) in 100u64.to_le_bytes().iter().enumerate() {
            fx.write_u8(13 + i, *b);
        }
        // SAFETY: 8 bytes of fixture memory.
        let s = st(unsafe {
            zx::raw::object_set_property(h, prop::VMO_CONTENT_SIZE, (fx.rw() + 13) as *const u8, 8)
        });
        assert_eq!(
            s,
            Ok(()),
            "zx_object_set_property(CONTENT_SIZE) from a misaligned u64"
        );
        assert_eq!(
            el0_tests::content_size(h),
            100,
            "content size set from a misaligned u64"
        );
        close(h);
    });
    zx::println!("user_pointers: zx_object_get/set_property value: INVALID_ARGS, misaligned ok");
}

fn get_info(fx: &Fixtures) {
    let info = |h: Handle, t: u32, buf: usize, size: usize, actual: usize, avail: usize| {
        // SAFETY: each pointer is NULL, one the kernel must refuse, or
        // fixture memory of the size given.
        st(unsafe {
            zx::raw::object_get_info(
                h,
                t,
                buf as *mut u8,
                size,
                actual as *mut usize,
                avail as *mut usize,
            )
        })
    };
    assert_no_leak("object_get_info", || {
        let h = vmo(PAGE as u64, 0);
        let (good, good2) = (fx.rw() + 64, fx.rw() + 72);
        each_bad(
            "zx_object_get_info(HANDLE_BASIC)",
            "buffer",
            &fx.unwritable(32),
            InvalidArgs,
            |p| info(h, topic::HANDLE_BASIC, p, 32, good, good2),
        );
        each_bad(
            "zx_object_get_info(VMO)",
            "buffer",
            &fx.unwritable(176),
            InvalidArgs,
            |p| info(h, topic::VMO, p, 176, 0, 0),
        );
        let (bad, n) = collect::<16>(non_null(fx.bad_out(8)));
        each_bad(
            "zx_object_get_info(HANDLE_BASIC)",
            "actual",
            &bad[..n],
            InvalidArgs,
            |p| info(h, topic::HANDLE_BASIC, fx.rw() + 128, 32, p, good2),
        );
        each_bad(
            "zx_object_get_info(HANDLE_BASIC)",
            "avail",
            &bad[..n],
            InvalidArgs,
            |p| info(h, topic::HANDLE_BASIC, fx.rw() + 128, 32, good, p),
        );
        // The short-buffer path writes the counts too.
        each_bad(
            "zx_object_get_info(VMO, buffer_size 0)",
            "actual",
            &bad[..n],
            InvalidArgs,
            |p| info(h, topic::VMO, 0, 0, p, 0),
        );
        each_bad(
            "zx_object_get_info(VMO, buffer_size 0)",
            "avail",
            &bad[..n],
            InvalidArgs,
            |p| info(h, topic::VMO, 0, 0, 0, p),
        );
        // NULL counts are allowed; a misaligned record buffer is fine.
        assert_eq!(
            info(h, topic::HANDLE_BASIC, fx.rw() + 5, 32, 0, 0),
            Ok(()),
            "zx_object_get_info into a misaligned buffer, no counts"
        );
        close(h);
    });
    zx::println!("user_pointers: zx_object_get_info buffer/actual/avail: INVALID_ARGS");
}

fn wait_one(fx: &Fixtures) {
    assert_no_leak("object_wait_one", || {
        let h = vmo(PAGE as u64, 0);
        let (bad, n) = collect::<16>(non_null(fx.bad_out(4)));
        each_bad(
            "zx_object_wait_one",
            "observed",
            &bad[..n],
            InvalidArgs,
            |p| {
                // SAFETY: the kernel must refuse `p`; the signal is active, so
                // the call does not block.
                st(unsafe {
                    zx::raw::object_wait_one(h, signals::VMO_ZERO_CHILDREN, 0, p as *mut u32)
                })
            },
        );
        // And while timing out (the signal is not active).
        each_bad(
            "zx_object_wait_one (timing out)",
            "observed",
            &bad[..n],
            InvalidArgs,
            |p| {
                // SAFETY: as above; the deadline is in the past.
                st(
                    unsafe {
                        zx::raw::object_wait_one(h, signals::HANDLE_CLOSED, 0, p as *mut u32)
                    },
                )
            },
        );
        close(h);
    });
    zx::println!("user_pointers: zx_object_wait_one observed: INVALID_ARGS");
}

fn lock_buffer(fx: &Fixtures) {
    let size = 2 * PAGE as u64;
    assert_no_leak("op_range LOCK", || {
        let h = vmo(size, vmo_opt::DISCARDABLE);
        each_bad(
            "zx_vmo_op_range(LOCK)",
            "buffer",
            &fx.unwritable(32),
            InvalidArgs,
            |p| {
                // SAFETY: the kernel must refuse `p` (or write fixture memory).
                st(unsafe { zx::raw::vmo_op_range(h, vmo_op::LOCK, 0, size, p as *mut u8, 32) })
            },
        );
        // None of them left the VMO locked.
        assert_eq!(
            el0_tests::op_range(h, vmo_op::UNLOCK, 0, size),
            Err(BadState),
            "a refused LOCK left a lock behind"
        );
        // A misaligned buffer is fine.
        // SAFETY: 32 bytes of fixture memory.
        let s = st(unsafe {
            zx::raw::vmo_op_range(h, vmo_op::LOCK, 0, size, (fx.rw() + 9) as *mut u8, 32)
        });
        assert_eq!(s, Ok(()), "LOCK with a misaligned buffer");
        assert_eq!(el0_tests::op_range(h, vmo_op::UNLOCK, 0, size), Ok(()));
        close(h);
    });
    zx::println!("user_pointers: zx_vmo_op_range LOCK buffer: INVALID_ARGS, nothing locked");
}

fn create_child(fx: &Fixtures) {
    assert_no_leak("vmo_create_child", || {
        let h = vmo(2 * PAGE as u64, 0);
        for opt in [child_opt::SNAPSHOT, child_opt::SLICE] {
            each_bad(
                "zx_vmo_create_child",
                "out",
                &fx.bad_out(4),
                InvalidArgs,
                |p| {
                    // SAFETY: the kernel must refuse `p`.
                    st(unsafe {
                        zx::raw::vmo_create_child(h, opt, 0, PAGE as u64, p as *mut Handle)
                    })
                },
            );
        }
        assert!(zero_children(h), "a refused child was left behind");
        close(h);
    });
    zx::println!("user_pointers: zx_vmo_create_child out: INVALID_ARGS, no child left");
}

fn replace_as_executable(fx: &Fixtures) {
    assert_no_leak("vmo_replace_as_executable", || {
        for b in fx.bad_out(4) {
            let h = vmo(PAGE as u64, 0);
            let d = dup(h, rights::SAME_RIGHTS);
            // SAFETY: the kernel must refuse `b.addr`.
            let s = st(unsafe { zx::raw::vmo_replace_as_executable(d, 0, b.addr as *mut Handle) });
            assert_eq!(
                s,
                Err(InvalidArgs),
                "zx_vmo_replace_as_executable: out {} ({:#x})",
                b.what,
                b.addr
            );
            assert_eq!(
                zx::handle_close(d),
                Err(BadHandle),
                "zx_vmo_replace_as_executable consumes its handle even when out is {}",
                b.what
            );
            close(h);
        }
    });
    zx::println!("user_pointers: zx_vmo_replace_as_executable out: INVALID_ARGS, handle consumed");
}

fn kernel_stats(fx: &Fixtures) {
    assert_no_leak("kernel_stats", || {
        each_bad("kernel_stats", "out", &fx.bad_out(8), InvalidArgs, |p| {
            // SAFETY: the kernel must refuse `p`.
            st(unsafe { zx::raw::kernel_stats(p as *mut u64, 1) })
        });
        // The whole array must fit: two words at the end of the mapping,
        // five asked for.
        let p = fx.rw_end() - 16;
        // SAFETY: the first two words are fixture memory; the rest must be
        // refused.
        let s = st(unsafe { zx::raw::kernel_stats(p as *mut u64, stats::COUNT) });
        assert_eq!(
            s,
            Err(InvalidArgs),
            "kernel_stats array running off a mapping"
        );
    });
    zx::println!("user_pointers: kernel_stats out: INVALID_ARGS");
}

fn main(root: Handle) -> i64 {
    prefault_stack();
    let fx = Fixtures::new(root);
    debug_write(&fx);
    handle_duplicate_replace(&fx);
    vmo_create(&fx);
    vmo_read_write(&fx);
    vmo_get_size(&fx);
    vmar_map(&fx, root);
    properties(&fx);
    get_info(&fx);
    wait_one(&fx);
    lock_buffer(&fx);
    create_child(&fx);
    replace_as_executable(&fx);
    kernel_stats(&fx);
    fx.release();
    0
}

zx::entry!(main);
