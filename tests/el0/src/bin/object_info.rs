//! Tests `zx_object_get_info`: `ZX_INFO_HANDLE_VALID`; `ZX_INFO_HANDLE_BASIC`
//! (no rights needed, koids shared by handles to one object and distinct
//! between objects, the handle's exact rights, the object type, short
//! buffers with actual 0 / avail 1, optional actual/avail, bad pointers);
//! `ZX_INFO_VMO` and `ZX_INFO_VMO_V1` (VMOs only, short buffers, every field
//! of a fresh, written, resizable and mapped VMO); unknown topics.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, close, dup, handle_basic, info_vmo_flags as f, koid, pod_bytes_mut,
    set_name, st, try_info, unaligned, vmo, vmo_info, write, zx, InfoHandleBasic, InfoVmo, Mapping,
    ReadOnlyPage, BAD_POINTERS, GARBAGE_HANDLE, INFO_VMO_V1_SIZE, PAGE, RESIZABLE_VMO_RIGHTS, RW,
};
use zx::{obj_type, rights, topic, vm_opt, vmo_opt, Handle, ZxStatus};

/// `zx_object_get_info` with raw pointers; returns the status.
fn raw_info(h: Handle, t: u32, buf: usize, size: usize, actual: usize, avail: usize) -> zx::Status {
    // SAFETY: callers pass, for each pointer, NULL, an address the kernel
    // must refuse (no Rust memory touched), or live memory of the right
    // size (at least `size` bytes for `buf`, a `usize` for the others).
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
}

fn handle_valid(root: Handle) {
    let h = vmo(4096, 0);
    let none = dup(h, rights::NONE);
    for valid in [h, none, root] {
        assert_eq!(
            raw_info(valid, topic::HANDLE_VALID, 0, 0, 0, 0),
            Ok(()),
            "HANDLE_VALID({:#x}), NULL buffer",
            valid
        );
    }
    let closed = dup(h, rights::SAME_RIGHTS);
    close(closed);
    for bad in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
        assert_eq!(
            raw_info(bad, topic::HANDLE_VALID, 0, 0, 0, 0),
            Err(ZxStatus::BadHandle),
            "HANDLE_VALID({:#x})",
            bad
        );
    }
    close(none);
    close(h);
    zx::println!("object_info: HANDLE_VALID is OK for valid handles, BAD_HANDLE otherwise");
}

fn handle_basic_fields(root: Handle) {
    let a = vmo(4096, 0);
    let b = vmo(4096, 0);
    let r = vmo(4096, vmo_opt::RESIZABLE);

    let ia = handle_basic(a);
    assert!(ia.koid >= 1024, "koid {} below ZX_KOID_FIRST", ia.koid);
    assert_eq!(ia.rights, rights::DEFAULT_VMO, "rights of a fresh VMO");
    assert_eq!(ia.rights, 0xD0EF);
    assert_eq!(ia.obj_type, obj_type::VMO, "type of a VMO");
    assert_eq!(ia.related_koid, 0, "related_koid of a VMO");
    assert_eq!(ia.reserved, 0, "reserved");

    let ib = handle_basic(b);
    assert_ne!(ia.koid, ib.koid, "two VMOs share a koid");
    let ir = handle_basic(r);
    assert_eq!(ir.rights, RESIZABLE_VMO_RIGHTS, "rights of a resizable VMO");
    assert_eq!(ir.rights, 0x40_D0EF);
    assert_ne!(ir.koid, ia.koid);
    assert_ne!(ir.koid, ib.koid);

    // A duplicate: same object, the rights asked for; no rights needed.
    for want in [
        rights::NONE,
        rights::READ | rights::DUPLICATE,
        rights::INSPECT,
        rights::SAME_RIGHTS,
    ] {
        let d = dup(a, want);
        let id = handle_basic(d);
        let expected = if want == rights::SAME_RIGHTS {
            ia.rights
        } else {
            want
        };
        assert_eq!(id.koid, ia.koid, "duplicate's koid (rights {:#x})", want);
        assert_eq!(id.rights, expected, "duplicate's rights");
        assert_eq!(id.obj_type, obj_type::VMO, "duplicate's type");
        close(d);
    }

    let iv = handle_basic(root);
    assert!(iv.koid >= 1024, "root VMAR koid {}", iv.koid);
    assert_ne!(iv.koid, ia.koid, "VMAR and VMO share a koid");
    assert_eq!(iv.rights, rights::ROOT_VMAR, "root VMAR rights");
    assert_eq!(iv.obj_type, obj_type::VMAR, "root VMAR type");
    assert_eq!(iv.related_koid, 0, "root VMAR related_koid");
    let vmar_none = dup(root, rights::NONE);
    let iv0 = handle_basic(vmar_none);
    assert_eq!(
        (iv0.koid, iv0.rights),
        (iv.koid, 0),
        "root VMAR duplicate, rights 0"
    );
    close(vmar_none);

    close(a);
    close(b);
    close(r);
    zx::println!("object_info: HANDLE_BASIC koid, rights, type, related_koid, no rights needed");
}

fn handle_basic_buffers(root: Handle) {
    let h = vmo(4096, 0);
    let expected = handle_basic(h);

    // Too small: BUFFER_TOO_SMALL, with actual 0 and avail 1.
    for size in [0, 1, 16, 31] {
        let mut buf = [0xEEu8; 32];
        let (mut actual, mut avail) = (77usize, 77usize);
        assert_eq!(
            raw_info(
                h,
                topic::HANDLE_BASIC,
                buf.as_mut_ptr() as usize,
                size,
                &mut actual as *mut usize as usize,
                &mut avail as *mut usize as usize,
            ),
            Err(ZxStatus::BufferTooSmall),
            "HANDLE_BASIC into {} bytes",
            size
        );
        assert_eq!((actual, avail), (0, 1), "actual/avail for {} bytes", size);
    }
    assert_err(
        try_info::<InfoHandleBasic>(h, topic::HANDLE_BASIC, 31),
        ZxStatus::BufferTooSmall,
        "HANDLE_BASIC, 31 bytes",
    );

    // A larger buffer is fine.
    let mut big = [0u8; 48];
    assert_eq!(
        zx::object_get_info(h, topic::HANDLE_BASIC, &mut big),
        Ok((1, 1)),
        "HANDLE_BASIC into 48 bytes"
    );
    assert_eq!(
        u64::from_le_bytes(big[..8].try_into().unwrap()),
        expected.koid,
        "koid from a 48-byte buffer"
    );

    // actual and avail are optional.
    for (with_actual, with_avail, what) in [
        (false, false, "both NULL"),
        (true, false, "avail NULL"),
        (false, true, "actual NULL"),
    ] {
        let mut v = InfoHandleBasic::default();
        let mut n = 77usize;
        let np = &mut n as *mut usize as usize;
        let vp = pod_bytes_mut(&mut v).as_mut_ptr() as usize;
        let (actual, avail) = (
            if with_actual { np } else { 0 },
            if with_avail { np } else { 0 },
        );
        assert_eq!(
            raw_info(h, topic::HANDLE_BASIC, vp, 32, actual, avail),
            Ok(()),
            "HANDLE_BASIC, {}",
            what
        );
        assert_eq!(v, expected, "HANDLE_BASIC record, {}", what);
        let expected_n = if with_actual || with_avail { 1 } else { 77 };
        assert_eq!(n, expected_n, "the count written, {}", what);
    }
    let mut v = InfoHandleBasic::default();
    let p = pod_bytes_mut(&mut v).as_mut_ptr() as usize;

    // Bad pointers: INVALID_ARGS.
    let mut actual = 0usize;
    let mut avail = 0usize;
    let ap = &mut actual as *mut usize as usize;
    let vp = &mut avail as *mut usize as usize;
    for (name, bad) in BAD_POINTERS {
        if bad == 0 {
            continue;
        }
        assert_eq!(
            raw_info(h, topic::HANDLE_BASIC, bad, 32, ap, vp),
            Err(ZxStatus::InvalidArgs),
            "HANDLE_BASIC buffer = {}",
            name
        );
        assert_eq!(
            raw_info(h, topic::HANDLE_BASIC, p, 32, bad, vp),
            Err(ZxStatus::InvalidArgs),
            "HANDLE_BASIC actual = {}",
            name
        );
        assert_eq!(
            raw_info(h, topic::HANDLE_BASIC, p, 32, ap, bad),
            Err(ZxStatus::InvalidArgs),
            "HANDLE_BASIC avail = {}",
            name
        );
    }
    let ro = ReadOnlyPage::new(root);
    assert_eq!(
        raw_info(h, topic::HANDLE_BASIC, ro.addr(), 32, ap, vp),
        Err(ZxStatus::InvalidArgs),
        "HANDLE_BASIC buffer in a read-only page"
    );
    assert_eq!(
        raw_info(h, topic::HANDLE_BASIC, p, 32, ro.addr(), vp),
        Err(ZxStatus::InvalidArgs),
        "HANDLE_BASIC actual in a read-only page"
    );
    assert_eq!(ro.map.read_u64(0), 0, "read-only page was written");
    ro.release();
    // size_t out-pointers must be aligned (docs/syscall-abi.md).
    let mut scratch = [0u64; 4];
    let odd = unaligned::<usize>(&mut scratch) as usize;
    assert_eq!(
        raw_info(h, topic::HANDLE_BASIC, p, 32, odd, vp),
        Err(ZxStatus::InvalidArgs),
        "HANDLE_BASIC actual unaligned"
    );
    assert_eq!(
        raw_info(h, topic::HANDLE_BASIC, p, 32, ap, odd),
        Err(ZxStatus::InvalidArgs),
        "HANDLE_BASIC avail unaligned"
    );
    assert_eq!(
        scratch, [0; 4],
        "the kernel wrote through an unaligned pointer"
    );
    close(h);
    zx::println!(
        "object_info: HANDLE_BASIC short buffer BUFFER_TOO_SMALL (0/1), bad pointers INVALID_ARGS"
    );
}

fn check_fresh(i: &InfoVmo, h: Handle, name: &[u8; 32], size: u64, flags: u32, rights_: u32) {
    assert_eq!(i.koid, koid(h), "VMO info koid = HANDLE_BASIC koid");
    assert_eq!(&i.name, name, "VMO info name");
    assert_eq!(i.size_bytes, size, "VMO info size_bytes");
    assert_eq!(i.parent_koid, 0, "VMO info parent_koid");
    assert_eq!(i.num_children, 0, "VMO info num_children");
    assert_eq!(i.num_mappings, 0, "VMO info num_mappings");
    assert_eq!(i.share_count, 0, "VMO info share_count");
    assert_eq!(i.flags, flags, "VMO info flags");
    assert_eq!(i.committed_bytes, 0, "VMO info committed_bytes");
    assert_eq!(i.handle_rights, rights_, "VMO info handle_rights");
    assert_eq!(i.cache_policy, 0, "VMO info cache_policy");
}

fn vmo_info_fields() {
    let h = vmo(5000, 0);
    set_name(h, b"info-test");
    let name = el0_tests::name32(b"info-test");
    let i = vmo_info(h);
    check_fresh(&i, h, &name, 8192, 0x9, 0xD0EF);
    assert_eq!(f::TYPE_PAGED | f::VIA_HANDLE, 0x9);
    assert_eq!(i.populated_bytes, 0, "populated_bytes of a fresh VMO");
    assert_eq!(
        i.committed_private_bytes, 0,
        "committed_private_bytes of a fresh VMO"
    );

    // V1: the first 104 bytes, the same values.
    let v1: InfoVmo = match try_info(h, topic::VMO_V1, INFO_VMO_V1_SIZE) {
        Ok(v) => v,
        Err(e) => panic!("ZX_INFO_VMO_V1 failed: {}", e.name()),
    };
    check_fresh(&v1, h, &name, 8192, 0x9, 0xD0EF);

    // Writing commits pages.
    write(h, &[1], 10);
    write(h, &[2], 4096 + 10);
    let i = vmo_info(h);
    assert_eq!(
        i.committed_bytes, 8192,
        "committed_bytes after writing two pages"
    );
    assert_eq!(i.populated_bytes, 8192, "populated_bytes = committed_bytes");
    assert_eq!(
        i.committed_private_bytes, 8192,
        "committed_private_bytes, no children"
    );
    let v1: InfoVmo = try_info(h, topic::VMO_V1, INFO_VMO_V1_SIZE).unwrap();
    assert_eq!(v1.committed_bytes, 8192, "V1 committed_bytes");

    // No rights needed; handle_rights is this handle's.
    let none = dup(h, rights::NONE);
    let i0 = vmo_info(none);
    assert_eq!(i0.handle_rights, 0, "handle_rights of a rights-0 duplicate");
    assert_eq!(i0.koid, i.koid, "koid through the duplicate");
    assert_eq!(i0.committed_bytes, 8192, "committed through the duplicate");
    close(none);
    let ro = dup(h, rights::READ | rights::MAP);
    assert_eq!(vmo_info(ro).handle_rights, rights::READ | rights::MAP);
    close(ro);
    close(h);

    let r = vmo(3 * 4096, vmo_opt::RESIZABLE);
    let i = vmo_info(r);
    check_fresh(&i, r, &[0; 32], 3 * 4096, 0xB, 0x40_D0EF);
    assert_eq!(f::TYPE_PAGED | f::RESIZABLE | f::VIA_HANDLE, 0xB);
    assert_eq!(zx::vmo_set_size(r, 5 * 4096 + 1), Ok(()));
    assert_eq!(
        vmo_info(r).size_bytes,
        6 * 4096,
        "size_bytes after set_size"
    );
    close(r);

    let e = vmo(0, 0);
    check_fresh(&vmo_info(e), e, &[0; 32], 0, 0x9, 0xD0EF);
    close(e);
    zx::println!("object_info: VMO and VMO_V1 fields of fresh, written and resizable VMOs");
}

fn vmo_info_mappings(root: Handle) {
    let h = vmo(2 * 4096, 0);
    let m1 = Mapping::new(root, h, 2 * PAGE, RW);
    let i = vmo_info(h);
    assert_eq!((i.num_mappings, i.share_count), (1, 1), "one mapping");
    let m2 = Mapping::new(root, h, PAGE, vm_opt::PERM_READ);
    let i = vmo_info(h);
    assert_eq!(
        (i.num_mappings, i.share_count),
        (2, 1),
        "two mappings, one address space"
    );
    m1.unmap();
    let i = vmo_info(h);
    assert_eq!((i.num_mappings, i.share_count), (1, 1), "one mapping left");
    m2.unmap();
    let i = vmo_info(h);
    assert_eq!((i.num_mappings, i.share_count), (0, 0), "no mappings");
    close(h);
    zx::println!("object_info: VMO num_mappings and share_count follow the mappings");
}

fn vmo_info_errors(root: Handle) {
    let h = vmo(4096, 0);
    for (t, size, name) in [
        (topic::VMO, core::mem::size_of::<InfoVmo>(), "ZX_INFO_VMO"),
        (topic::VMO_V1, INFO_VMO_V1_SIZE, "ZX_INFO_VMO_V1"),
    ] {
        assert_err(
            try_info::<InfoVmo>(root, t, size),
            ZxStatus::WrongType,
            "VMO topic on the root VMAR",
        );
        for short in [0, 8, size - 1] {
            assert_err(
                try_info::<InfoVmo>(h, t, short),
                ZxStatus::BufferTooSmall,
                name,
            );
        }
        let closed = dup(h, rights::SAME_RIGHTS);
        close(closed);
        for bad in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
            assert_err(try_info::<InfoVmo>(bad, t, size), ZxStatus::BadHandle, name);
        }
    }
    // The current version does not fit in the V1 size.
    assert_err(
        try_info::<InfoVmo>(h, topic::VMO, INFO_VMO_V1_SIZE),
        ZxStatus::BufferTooSmall,
        "ZX_INFO_VMO into 104 bytes",
    );

    for t in [9999, 0x7FFF_FFFF] {
        assert_err(
            try_info::<InfoVmo>(h, t, core::mem::size_of::<InfoVmo>()),
            ZxStatus::NotSupported,
            "unknown topic",
        );
    }
    close(h);
    zx::println!("object_info: VMO topics WRONG_TYPE on a VMAR, BUFFER_TOO_SMALL; unknown topics NOT_SUPPORTED");
}

fn main(root: Handle) -> i64 {
    assert_no_leak("object_info", || {
        handle_valid(root);
        handle_basic_fields(root);
        handle_basic_buffers(root);
        vmo_info_fields();
        vmo_info_mappings(root);
        vmo_info_errors(root);
    });
    0
}

zx::entry!(main);
