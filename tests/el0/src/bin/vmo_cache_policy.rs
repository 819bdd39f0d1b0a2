//! Tests `zx_vmo_set_cache_policy` and `ZX_INFO_VMO.cache_policy`: a new
//! VMO is cached; each policy can be set while nothing maps, shares or
//! holds a page of the VMO, and is reported; bad policies, missing MAP and
//! wrong handles are refused; a mapped, committed, parent or child VMO is
//! BAD_STATE; an uncached VMO refuses the kernel's cached access (read,
//! write, ZERO, children) as Zircon does, and its mapping works with
//! aligned accesses.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, close, dup, vmo, vmo_info, write, zx, Mapping, GARBAGE_HANDLE,
    PAGE, RW,
};
use zx::{cache_policy as cp, child_opt, rights, vmo_op, Handle, ZxStatus};

const P: u64 = PAGE as u64;

fn policy_of(h: Handle) -> u32 {
    vmo_info(h).cache_policy
}

fn main(root: Handle) -> i64 {
    assert_no_leak("cache policy", || {
        let h = vmo(2 * P, 0);
        assert_eq!(policy_of(h), cp::CACHED, "a new VMO is cached");
        for p in [
            cp::UNCACHED,
            cp::UNCACHED_DEVICE,
            cp::WRITE_COMBINING,
            cp::CACHED,
        ] {
            zx::vmo_set_cache_policy(h, p).expect("set");
            assert_eq!(policy_of(h), p, "reported");
        }
        for bad in [4, 0x10, u32::MAX] {
            assert_err(
                zx::vmo_set_cache_policy(h, bad),
                ZxStatus::InvalidArgs,
                "policy",
            );
        }
        let no_map = dup(h, rights::DEFAULT_VMO & !rights::MAP);
        assert_err(
            zx::vmo_set_cache_policy(no_map, cp::UNCACHED),
            ZxStatus::AccessDenied,
            "no MAP",
        );
        assert_err(
            zx::vmo_set_cache_policy(root, cp::UNCACHED),
            ZxStatus::WrongType,
            "a VMAR",
        );
        assert_err(
            zx::vmo_set_cache_policy(GARBAGE_HANDLE, cp::UNCACHED),
            ZxStatus::BadHandle,
            "garbage",
        );
        // Busy VMOs.
        let m = Mapping::new(root, h, PAGE, RW);
        assert_err(
            zx::vmo_set_cache_policy(h, cp::UNCACHED),
            ZxStatus::BadState,
            "mapped",
        );
        m.unmap();
        let c = zx::vmo_create_child(h, child_opt::SNAPSHOT, 0, P).expect("child");
        assert_err(
            zx::vmo_set_cache_policy(h, cp::UNCACHED),
            ZxStatus::BadState,
            "has a child",
        );
        assert_err(
            zx::vmo_set_cache_policy(c, cp::UNCACHED),
            ZxStatus::BadState,
            "is a child",
        );
        close(c);
        write(h, &[1], 0);
        assert_err(
            zx::vmo_set_cache_policy(h, cp::UNCACHED),
            ZxStatus::BadState,
            "holds a page",
        );
        zx::vmo_op_range(h, vmo_op::DECOMMIT, 0, 2 * P, &mut []).expect("decommit");
        zx::vmo_set_cache_policy(h, cp::UNCACHED).expect("empty again");
        // The kernel's cached access is refused.
        let mut buf = [0u8; 8];
        assert_err(zx::vmo_read(h, &mut buf, 0), ZxStatus::BadState, "read");
        assert_err(zx::vmo_write(h, &buf, 0), ZxStatus::BadState, "write");
        assert_err(
            zx::vmo_op_range(h, vmo_op::ZERO, 0, P, &mut []),
            ZxStatus::BadState,
            "ZERO",
        );
        assert_err(
            zx::vmo_create_child(h, child_opt::SNAPSHOT, 0, P),
            ZxStatus::BadState,
            "a child of an uncached VMO",
        );
        // Mapped, it works with aligned accesses.
        let m = Mapping::new(root, h, 2 * PAGE, RW);
        assert_eq!(m.read_u64(PAGE), 0, "fresh pages read as zero");
        m.write_u64(8, 0x1122_3344_5566_7788);
        assert_eq!(m.read_u64(8), 0x1122_3344_5566_7788);
        m.unmap();
        let wc = vmo(P, 0);
        zx::vmo_set_cache_policy(wc, cp::WRITE_COMBINING).expect("write-combining");
        let m = Mapping::new(root, wc, PAGE, RW);
        m.write_u8(3, 0x5a);
        assert_eq!(m.read_u8(3), 0x5a);
        m.unmap();
        for v in [wc, no_map, h] {
            close(v);
        }
    });
    zx::println!("vmo_cache_policy: set while idle, reported, refused when busy; uncached refuses kernel access");
    0
}

zx::entry!(main);
