//! Tests the VMAR tree: `zx_vmar_allocate` (placement, capabilities and the
//! rights they give, every argument error), `zx_vmar_destroy` (the subtree
//! and its mappings go, handles then answer BAD_STATE), `zx_vmar_unmap`
//! over sub-regions (OP_CHILDREN), `zx_vmar_protect` (splits, the mapping's
//! maximum, no widening through a parent) and `zx_vmar_op_range`. Whether a
//! page is writable or readable is asked of the kernel's own user copies
//! (`zx_vmo_read` into it, `zx_vmo_write` from it), which fail instead of
//! faulting; nothing leaks.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, close, dup, rights_of, try_info, vmo, vmo_info, zx, Mapping,
    GARBAGE_HANDLE, PAGE, RW,
};
use zx::{rights, topic, vm_opt, vmar_op, Handle, InfoVmar, ZxStatus};

const R: u32 = vm_opt::PERM_READ;
const W: u32 = vm_opt::PERM_WRITE;
const X: u32 = vm_opt::PERM_EXECUTE;
const CAN_RW: u32 = vm_opt::CAN_MAP_READ | vm_opt::CAN_MAP_WRITE;
const CAN_RWS: u32 = CAN_RW | vm_opt::CAN_MAP_SPECIFIC;

/// Whether the kernel may write 16 bytes at `addr` on the program's behalf
/// (it writes zeroes there).
fn kernel_can_write(addr: usize) -> bool {
    let src = vmo(PAGE as u64, 0);
    // SAFETY: the slice is only handed to the kernel, which checks the
    // mapping behind it; no Rust code reads or writes through it.
    let buf = unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, 16) };
    let ok = zx::vmo_read(src, buf, 0).is_ok();
    close(src);
    ok
}

/// Whether the kernel may read 16 bytes at `addr` on the program's behalf.
fn kernel_can_read(addr: usize) -> bool {
    let dst = vmo(PAGE as u64, 0);
    // SAFETY: as in `kernel_can_write`.
    let buf = unsafe { core::slice::from_raw_parts(addr as *const u8, 16) };
    let ok = zx::vmo_write(dst, buf, 0).is_ok();
    close(dst);
    ok
}

fn vmar_info(h: Handle) -> InfoVmar {
    try_info::<InfoVmar>(h, topic::VMAR, core::mem::size_of::<InfoVmar>()).expect("ZX_INFO_VMAR")
}

fn allocate(parent: Handle, options: u32, offset: usize, size: usize) -> (Handle, usize) {
    zx::vmar_allocate(parent, options, offset, size).expect("vmar_allocate")
}

fn map(
    vmar: Handle,
    options: u32,
    offset: usize,
    h: Handle,
    len: usize,
) -> Result<usize, ZxStatus> {
    zx::vmar_map(vmar, options, offset, h, 0, len)
}

fn allocate_and_map(root: Handle) {
    assert_no_leak("allocate and map", || {
        let (child, base) = allocate(root, CAN_RW, 0, 16 * PAGE);
        assert_eq!(base % PAGE, 0);
        let info = vmar_info(child);
        assert_eq!((info.base as usize, info.len as usize), (base, 16 * PAGE));
        assert_eq!(
            rights_of(child),
            rights::DEFAULT_VMAR | rights::READ | rights::WRITE,
            "a region's handle has the rights of its capabilities"
        );
        let h = vmo(2 * PAGE as u64, 0);
        let addr = map(child, RW, 0, h, 2 * PAGE).expect("map into the child");
        assert!(
            addr >= base && addr + 2 * PAGE <= base + 16 * PAGE,
            "inside the child"
        );
        let m = Mapping {
            root: child,
            addr,
            len: 2 * PAGE,
        };
        m.write_u8(PAGE + 3, 0x5a);
        assert_eq!(el0_tests::read_byte(h, PAGE as u64 + 3), 0x5a);
        // The child's handle has no EXECUTE, and it cannot map SPECIFIC.
        let exec = zx::vmo_replace_as_executable(vmo(PAGE as u64, 0), zx::ZX_HANDLE_INVALID)
            .expect("replace");
        assert_err(
            map(child, R | X, 0, exec, PAGE),
            ZxStatus::AccessDenied,
            "execute in child",
        );
        assert_err(
            map(child, RW | vm_opt::SPECIFIC, 4 * PAGE, h, PAGE),
            ZxStatus::AccessDenied,
            "SPECIFIC without CAN_MAP_SPECIFIC",
        );
        // The parent sees the child's range as taken.
        let root_offset = base - el0_tests::ROOT_BASE;
        assert_err(
            map(root, RW | vm_opt::SPECIFIC, root_offset + 8 * PAGE, h, PAGE),
            ZxStatus::AlreadyExists,
            "root SPECIFIC over the child",
        );
        zx::vmar_destroy(child).expect("destroy");
        assert!(!kernel_can_read(addr), "the child's mapping went with it");
        assert_err(
            map(child, RW, 0, h, PAGE),
            ZxStatus::BadState,
            "map after destroy",
        );
        assert_err(
            zx::vmar_allocate(child, 0, 0, PAGE),
            ZxStatus::BadState,
            "allocate",
        );
        assert_err(
            zx::vmar_protect(child, R, addr, PAGE),
            ZxStatus::BadState,
            "protect",
        );
        assert_err(
            zx::vmar_unmap(child, addr, PAGE),
            ZxStatus::BadState,
            "unmap",
        );
        assert_err(
            zx::vmar_op_range(child, vmar_op::COMMIT, addr, PAGE),
            ZxStatus::BadState,
            "op_range",
        );
        assert_err(zx::vmar_destroy(child), ZxStatus::BadState, "destroy twice");
        // The range is free again for the parent.
        let again = map(root, RW | vm_opt::SPECIFIC, root_offset, h, PAGE).expect("reuse");
        zx::vmar_unmap(root, again, PAGE).expect("unmap");
        close(child);
        close(exec);
        close(h);
    });
    zx::println!("vmar_tree: allocate places a region, maps go inside it, destroy takes them");
}

fn allocate_errors(root: Handle) {
    assert_no_leak("allocate errors", || {
        let cases: [(&str, u32, usize, usize, ZxStatus); 9] = [
            ("size 0", CAN_RW, 0, 0, ZxStatus::InvalidArgs),
            ("unaligned size", CAN_RW, 0, PAGE + 1, ZxStatus::InvalidArgs),
            (
                "offset without SPECIFIC",
                CAN_RW,
                PAGE,
                PAGE,
                ZxStatus::InvalidArgs,
            ),
            ("a PERM bit", CAN_RW | R, 0, PAGE, ZxStatus::InvalidArgs),
            (
                "SPECIFIC_OVERWRITE",
                CAN_RW | vm_opt::SPECIFIC_OVERWRITE,
                0,
                PAGE,
                ZxStatus::InvalidArgs,
            ),
            (
                "MAP_RANGE",
                CAN_RW | vm_opt::MAP_RANGE,
                0,
                PAGE,
                ZxStatus::InvalidArgs,
            ),
            (
                "alignment 2^1",
                CAN_RW | (1 << vm_opt::ALIGN_BASE),
                0,
                PAGE,
                ZxStatus::InvalidArgs,
            ),
            (
                "unknown bit",
                CAN_RW | (1 << 15),
                0,
                PAGE,
                ZxStatus::InvalidArgs,
            ),
            (
                "SPECIFIC and UPPER_LIMIT",
                CAN_RW | vm_opt::SPECIFIC | vm_opt::OFFSET_IS_UPPER_LIMIT,
                0,
                PAGE,
                ZxStatus::InvalidArgs,
            ),
        ];
        for (what, options, offset, size, expected) in cases {
            assert_err(
                zx::vmar_allocate(root, options, offset, size),
                expected,
                what,
            );
        }
        let h = vmo(PAGE as u64, 0);
        assert_err(
            zx::vmar_allocate(h, 0, 0, PAGE),
            ZxStatus::WrongType,
            "a VMO as parent",
        );
        assert_err(
            zx::vmar_allocate(GARBAGE_HANDLE, 0, 0, PAGE),
            ZxStatus::BadHandle,
            "garbage",
        );
        let (ro, _) = allocate(root, vm_opt::CAN_MAP_READ, 0, 4 * PAGE);
        assert_err(
            zx::vmar_allocate(ro, vm_opt::CAN_MAP_WRITE, 0, PAGE),
            ZxStatus::AccessDenied,
            "more than the parent can map",
        );
        assert_err(
            zx::vmar_allocate(ro, vm_opt::SPECIFIC, 0, PAGE),
            ZxStatus::AccessDenied,
            "SPECIFIC in a parent without CAN_MAP_SPECIFIC",
        );
        assert_err(
            zx::vmar_allocate(ro, 0, 0, 5 * PAGE),
            ZxStatus::InvalidArgs,
            "too big",
        );
        let (_, a) = allocate(ro, 0, 0, 2 * PAGE);
        let (_, b) = allocate(ro, 0, 0, 2 * PAGE);
        assert_ne!(a, b);
        assert_err(
            zx::vmar_allocate(ro, 0, 0, PAGE),
            ZxStatus::NoResources,
            "full",
        );
        // Capabilities: SPECIFIC placement, and an overlap.
        let (s, sbase) = allocate(root, CAN_RWS, 0, 8 * PAGE);
        let (g, gbase) = allocate(s, CAN_RW | vm_opt::SPECIFIC, 2 * PAGE, 2 * PAGE);
        assert_eq!(
            gbase,
            sbase + 2 * PAGE,
            "SPECIFIC offsets are from the parent's base"
        );
        assert_err(
            zx::vmar_allocate(s, vm_opt::SPECIFIC, 3 * PAGE, 2 * PAGE),
            ZxStatus::AlreadyExists,
            "over a sibling",
        );
        let (u, ubase) = allocate(s, vm_opt::OFFSET_IS_UPPER_LIMIT, 2 * PAGE, 2 * PAGE);
        assert_eq!(ubase, sbase, "below the upper limit");
        assert_err(
            zx::vmar_allocate(s, vm_opt::OFFSET_IS_UPPER_LIMIT, 2 * PAGE, 2 * PAGE),
            ZxStatus::NoResources,
            "nothing left below the limit",
        );
        // The root cannot be destroyed; destroy needs OP_CHILDREN.
        assert_err(
            zx::vmar_destroy(root),
            ZxStatus::NotSupported,
            "destroy the root",
        );
        let weak = dup(g, rights::DEFAULT_VMAR & !rights::OP_CHILDREN);
        assert_err(
            zx::vmar_destroy(weak),
            ZxStatus::AccessDenied,
            "without OP_CHILDREN",
        );
        // A bad output pointer leaves nothing behind.
        let mut child = 0;
        // SAFETY: the address output is a kernel address the kernel must refuse.
        let raw = unsafe {
            zx::raw::vmar_allocate(
                s,
                vm_opt::SPECIFIC,
                6 * PAGE,
                PAGE,
                &mut child,
                0xffff_0000_0000_0000 as *mut usize,
            )
        };
        assert_err(el0_tests::st(raw), ZxStatus::InvalidArgs, "bad child_addr");
        let (again, _) = allocate(s, vm_opt::SPECIFIC, 6 * PAGE, PAGE);
        zx::vmar_destroy(s).expect("destroy s");
        for v in [ro, s, g, u, weak, again] {
            close(v);
        }
        close(h);
    });
    zx::println!("vmar_tree: vmar_allocate's argument, rights and capability errors");
}

fn destroy_nested_and_unmap_children(root: Handle) {
    assert_no_leak("nested regions", || {
        let h = vmo(4 * PAGE as u64, 0);
        let (a, abase) = allocate(root, CAN_RWS, 0, 16 * PAGE);
        let (b, _) = allocate(a, CAN_RWS | vm_opt::SPECIFIC, 4 * PAGE, 4 * PAGE);
        let in_b = map(b, RW | vm_opt::SPECIFIC, 0, h, 2 * PAGE).expect("map in b");
        let in_a = map(a, RW | vm_opt::SPECIFIC, 12 * PAGE, h, PAGE).expect("map in a");
        assert!(kernel_can_write(in_b) && kernel_can_write(in_a));
        // Unmap through A: a range that cuts B, or covers it without
        // OP_CHILDREN, is refused and changes nothing.
        assert_err(
            zx::vmar_unmap(a, abase + 5 * PAGE, 4 * PAGE),
            ZxStatus::InvalidArgs,
            "cut b",
        );
        let weak = dup(
            a,
            rights::DEFAULT_VMAR & !rights::OP_CHILDREN | rights::READ,
        );
        assert_err(
            zx::vmar_unmap(weak, abase + 4 * PAGE, 4 * PAGE),
            ZxStatus::InvalidArgs,
            "no OP_CHILDREN",
        );
        assert!(kernel_can_write(in_b), "b untouched");
        assert_err(
            zx::vmar_unmap(a, abase, 32 * PAGE),
            ZxStatus::InvalidArgs,
            "beyond a",
        );
        // Covering B destroys it (no mapping of A's own in the range).
        zx::vmar_unmap(a, abase + 4 * PAGE, 4 * PAGE).expect("unmap b's range");
        assert_err(
            zx::vmar_allocate(b, 0, 0, PAGE),
            ZxStatus::BadState,
            "b destroyed",
        );
        assert!(!kernel_can_read(in_b) && kernel_can_read(in_a));
        // Destroying A takes a grandchild and its mapping too.
        let (c, _) = allocate(a, CAN_RWS, 0, 4 * PAGE);
        let (d, _) = allocate(c, CAN_RW, 0, 2 * PAGE);
        let in_d = map(d, RW, 0, h, PAGE).expect("map in d");
        assert!(kernel_can_write(in_d));
        zx::vmar_destroy(a).expect("destroy a");
        assert!(!kernel_can_read(in_d) && !kernel_can_read(in_a));
        for v in [c, d] {
            assert_err(zx::vmar_destroy(v), ZxStatus::BadState, "a descendant of a");
        }
        for v in [a, b, c, d, weak, h] {
            close(v);
        }
    });
    zx::println!(
        "vmar_tree: unmap destroys covered sub-regions with OP_CHILDREN, destroy takes the subtree"
    );
}

fn protect(root: Handle) {
    assert_no_leak("protect", || {
        let h = vmo(4 * PAGE as u64, 0);
        let m = Mapping::new(root, h, 4 * PAGE, RW);
        for p in 0..4 {
            m.write_u8(p * PAGE + 100, p as u8 + 1);
        }
        zx::vmar_protect(root, R, m.addr + PAGE, 2 * PAGE).expect("protect the middle");
        assert!(kernel_can_write(m.addr) && kernel_can_write(m.addr + 3 * PAGE));
        assert!(!kernel_can_write(m.addr + PAGE) && !kernel_can_write(m.addr + 2 * PAGE));
        assert_eq!(m.read_u8(PAGE + 100), 2, "still readable");
        zx::vmar_protect(root, 0, m.addr + 2 * PAGE, PAGE).expect("no access at all");
        assert!(!kernel_can_read(m.addr + 2 * PAGE) && kernel_can_read(m.addr + PAGE));
        zx::vmar_protect(root, RW, m.addr, 4 * PAGE).expect("all writable again");
        assert!(kernel_can_write(m.addr + 2 * PAGE));
        assert_eq!(
            m.read_u8(2 * PAGE + 100),
            3,
            "contents kept through the changes"
        );
        // Errors.
        let cases: [(&str, u32, usize, usize, ZxStatus); 6] = [
            ("unaligned", R, m.addr + 1, PAGE, ZxStatus::InvalidArgs),
            ("length 0", R, m.addr, 0, ZxStatus::InvalidArgs),
            ("write without read", W, m.addr, PAGE, ZxStatus::InvalidArgs),
            (
                "a non-PERM option",
                R | vm_opt::SPECIFIC,
                m.addr,
                PAGE,
                ZxStatus::InvalidArgs,
            ),
            ("past the mapping", R, m.addr, 5 * PAGE, ZxStatus::NotFound),
            (
                "execute beyond the VMO's rights",
                R | X,
                m.addr,
                PAGE,
                ZxStatus::AccessDenied,
            ),
        ];
        for (what, options, addr, len, expected) in cases {
            assert_err(zx::vmar_protect(root, options, addr, len), expected, what);
        }
        let ro_root = dup(root, rights::ROOT_VMAR & !rights::WRITE);
        assert_err(
            zx::vmar_protect(ro_root, RW, m.addr, PAGE),
            ZxStatus::AccessDenied,
            "no WRITE",
        );
        // A read-only VMO handle caps the mapping at read.
        let ro = dup(h, rights::DEFAULT_VMO & !rights::WRITE);
        let r = Mapping::new(root, ro, PAGE, R);
        assert_err(
            zx::vmar_protect(root, RW, r.addr, PAGE),
            ZxStatus::AccessDenied,
            "beyond max",
        );
        // A mapping made with no access, granted later.
        let none = map(root, 0, 0, h, PAGE).expect("map with no permission");
        assert!(!kernel_can_read(none));
        zx::vmar_protect(root, R, none, PAGE).expect("grant read");
        assert!(kernel_can_read(none) && !kernel_can_write(none));
        zx::vmar_unmap(root, none, PAGE).expect("unmap");
        r.unmap();
        m.unmap();
        // Through a parent: only less access, and only with OP_CHILDREN.
        let (sub, _) = allocate(root, CAN_RW, 0, 4 * PAGE);
        let in_sub = map(sub, RW, 0, h, PAGE).expect("map in sub");
        let weak_root = dup(root, rights::ROOT_VMAR & !rights::OP_CHILDREN);
        assert_err(
            zx::vmar_protect(weak_root, R, in_sub, PAGE),
            ZxStatus::InvalidArgs,
            "no OP_CHILDREN",
        );
        zx::vmar_protect(root, R, in_sub, PAGE).expect("less access through the parent");
        assert!(!kernel_can_write(in_sub));
        assert_err(
            zx::vmar_protect(root, RW, in_sub, PAGE),
            ZxStatus::AccessDenied,
            "more through the parent",
        );
        zx::vmar_protect(sub, RW, in_sub, PAGE).expect("more through the region itself");
        assert!(kernel_can_write(in_sub));
        zx::vmar_destroy(sub).expect("destroy");
        for v in [sub, weak_root, ro_root, ro, h] {
            close(v);
        }
    });
    zx::println!("vmar_protect: splits, no-access mappings, the mapping's maximum, no widening through a parent");
}

fn op_range(root: Handle) {
    assert_no_leak("op_range", || {
        let h = vmo(4 * PAGE as u64, 0);
        let m = Mapping::new(root, h, 4 * PAGE, RW);
        zx::vmar_op_range(root, vmar_op::COMMIT, m.addr, 4 * PAGE).expect("commit");
        assert_eq!(
            vmo_info(h).committed_bytes,
            4 * PAGE as u64,
            "committed through the mapping"
        );
        m.write_u8(0, 9);
        zx::vmar_op_range(root, vmar_op::DECOMMIT, m.addr, 2 * PAGE).expect("decommit");
        assert_eq!(
            vmo_info(h).committed_bytes,
            2 * PAGE as u64,
            "two pages left"
        );
        assert_eq!(m.read_u8(0), 0, "decommitted pages read as zero");
        for op in [vmar_op::MAP_RANGE, vmar_op::DONT_NEED, vmar_op::ALWAYS_NEED] {
            zx::vmar_op_range(root, op, m.addr, 4 * PAGE).expect("hints and map range");
        }
        let cases: [(&str, u32, usize, usize, ZxStatus); 5] = [
            ("unknown op", 7, m.addr, PAGE, ZxStatus::InvalidArgs),
            (
                "unaligned",
                vmar_op::COMMIT,
                m.addr + 8,
                PAGE,
                ZxStatus::InvalidArgs,
            ),
            (
                "length 0",
                vmar_op::COMMIT,
                m.addr,
                0,
                ZxStatus::InvalidArgs,
            ),
            (
                "a hole",
                vmar_op::MAP_RANGE,
                m.addr,
                5 * PAGE,
                ZxStatus::BadState,
            ),
            (
                "outside the region",
                vmar_op::COMMIT,
                0x1000,
                PAGE,
                ZxStatus::OutOfRange,
            ),
        ];
        for (what, op, addr, len, expected) in cases {
            assert_err(zx::vmar_op_range(root, op, addr, len), expected, what);
        }
        let mut byte = 0u8;
        // SAFETY: a one-byte live local; the kernel must refuse any buffer.
        let raw =
            unsafe { zx::raw::vmar_op_range(root, vmar_op::COMMIT, m.addr, PAGE, &mut byte, 1) };
        assert_err(el0_tests::st(raw), ZxStatus::InvalidArgs, "a buffer");
        // A mapping that can never be writable is not committed through.
        let ro = dup(h, rights::DEFAULT_VMO & !rights::WRITE);
        let r = Mapping::new(root, ro, PAGE, R);
        assert_err(
            zx::vmar_op_range(root, vmar_op::COMMIT, r.addr, PAGE),
            ZxStatus::AccessDenied,
            "read-only",
        );
        assert_err(
            zx::vmar_op_range(root, vmar_op::DECOMMIT, r.addr, PAGE),
            ZxStatus::AccessDenied,
            "read-only",
        );
        // A sub-region's mapping is not committed through the parent.
        let (sub, _) = allocate(root, CAN_RW, 0, 2 * PAGE);
        let in_sub = map(sub, RW, 0, h, PAGE).expect("map in sub");
        assert_err(
            zx::vmar_op_range(root, vmar_op::COMMIT, in_sub, PAGE),
            ZxStatus::InvalidArgs,
            "through parent",
        );
        zx::vmar_op_range(root, vmar_op::MAP_RANGE, in_sub, PAGE)
            .expect("map range through parent");
        zx::vmar_op_range(sub, vmar_op::COMMIT, in_sub, PAGE).expect("commit in sub");
        zx::vmar_destroy(sub).expect("destroy");
        r.unmap();
        m.unmap();
        for v in [sub, ro, h] {
            close(v);
        }
    });
    zx::println!("vmar_op_range: commit, decommit, map range and hints, with Zircon's errors");
}

fn main(root: Handle) -> i64 {
    allocate_and_map(root);
    allocate_errors(root);
    destroy_nested_and_unmap_children(root);
    protect(root);
    op_range(root);
    0
}

zx::entry!(main);
