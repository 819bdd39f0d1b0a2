//! Tests `zx_vmo_create`: size rounding and the maximum size, accepted and
//! rejected options, bad `out` pointers (rejected with nothing leaked), the
//! handle value's fixed bits, the rights of the new handle (probed by
//! duplicating with each right) and that creation commits no pages.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, close, dup, size_of, st, unaligned, vmo, zx, ReadOnlyPage,
    BAD_POINTERS, RESIZABLE_VMO_RIGHTS,
};
use zx::{rights, vmo_opt, Handle, ZxStatus, VMO_MAX_SIZE};

fn sizes() {
    const GIB: u64 = 1 << 30;
    let cases: [(u64, u64); 9] = [
        (0, 0),
        (1, 4096),
        (4095, 4096),
        (4096, 4096),
        (4097, 8192),
        (3 * 4096 + 17, 4 * 4096),
        (GIB + 1, GIB + 4096),
        // Everything in (MAX - page, MAX] rounds to the maximum.
        (VMO_MAX_SIZE - 4095, VMO_MAX_SIZE),
        (VMO_MAX_SIZE, VMO_MAX_SIZE),
    ];
    for (size, rounded) in cases {
        let h = vmo(size, 0);
        assert_eq!(size_of(h), rounded, "vmo_create({:#x}) size", size);
        close(h);
    }
    zx::println!("vmo_create: sizes round up to pages, 0 and the maximum ok");
}

fn too_big() {
    // MAX + 1 rounds to MAX + page; u64::MAX - 4095 is page-aligned but
    // above MAX; u64::MAX overflows when rounded.
    for size in [
        VMO_MAX_SIZE + 1,
        VMO_MAX_SIZE + 4096,
        u64::MAX - 4095,
        u64::MAX - 1,
        u64::MAX,
    ] {
        assert_no_leak("vmo_create too big", || {
            assert_err(
                zx::vmo_create(size, 0),
                ZxStatus::OutOfRange,
                "vmo_create(too big)",
            );
        });
    }
    zx::println!("vmo_create: sizes above the maximum are OUT_OF_RANGE");
}

fn options() {
    for opts in [
        0,
        vmo_opt::RESIZABLE,
        vmo_opt::DISCARDABLE,
        vmo_opt::RESIZABLE | vmo_opt::DISCARDABLE,
    ] {
        let h = vmo(4096, opts);
        close(h);
    }
    // UNBOUNDED has its own test (vmo_stream_size).
    let known = vmo_opt::RESIZABLE | vmo_opt::DISCARDABLE | vmo_opt::UNBOUNDED;
    for bit in 0..32 {
        let opt = 1u32 << bit;
        if opt & known != 0 {
            continue;
        }
        assert_no_leak("vmo_create bad option", || {
            assert_err(
                zx::vmo_create(4096, opt),
                ZxStatus::InvalidArgs,
                "vmo_create(unknown option bit)",
            );
            // A valid option does not make an unknown one acceptable.
            assert_err(
                zx::vmo_create(4096, opt | vmo_opt::RESIZABLE),
                ZxStatus::InvalidArgs,
                "vmo_create(RESIZABLE | unknown bit)",
            );
        });
    }
    zx::println!("vmo_create: options 0/RESIZABLE/DISCARDABLE ok, other bits INVALID_ARGS");
}

fn bad_out(root: Handle) {
    for (name, ptr) in BAD_POINTERS {
        assert_no_leak(name, || {
            // SAFETY: `ptr` is not writable by this process; the kernel must
            // reject it without writing, and no Rust memory is touched.
            let r = st(unsafe { zx::raw::vmo_create(4096, 0, ptr as *mut Handle) });
            assert_eq!(r, Err(ZxStatus::InvalidArgs), "vmo_create out = {}", name);
        });
    }

    let mut buf = [0u64; 4];
    let odd = unaligned::<Handle>(&mut buf);
    assert_no_leak("unaligned out", || {
        // SAFETY: `odd` points into `buf` at an odd address; the kernel must
        // reject it as unaligned. Even if it wrote, it would write only
        // inside `buf`, which Rust does not read until after the call.
        let r = st(unsafe { zx::raw::vmo_create(4096, 0, odd) });
        assert_eq!(r, Err(ZxStatus::InvalidArgs), "vmo_create out unaligned");
    });
    assert_eq!(
        buf, [0; 4],
        "the kernel wrote through an unaligned out pointer"
    );

    let ro = ReadOnlyPage::new(root);
    assert_no_leak("read-only out", || {
        // SAFETY: the page is mapped read-only; the kernel must not write
        // it. No Rust reference points into the mapping.
        let r = st(unsafe { zx::raw::vmo_create(4096, 0, ro.addr() as *mut Handle) });
        assert_eq!(
            r,
            Err(ZxStatus::InvalidArgs),
            "vmo_create out in a read-only mapping"
        );
    });
    assert_eq!(ro.map.read_u64(0), 0, "the read-only page was written");
    ro.release();
    zx::println!("vmo_create: bad out pointers are INVALID_ARGS, nothing leaked");
}

fn handle_values() {
    let a = vmo(4096, 0);
    let b = vmo(4096, 0);
    for h in [a, b] {
        assert_ne!(h, zx::ZX_HANDLE_INVALID, "handle is ZX_HANDLE_INVALID");
        assert_eq!(
            h & zx::ZX_HANDLE_FIXED_BITS_MASK,
            3,
            "handle {:#x} lacks the fixed low bits",
            h
        );
    }
    assert_ne!(a, b, "two live handles share a value");
    close(a);
    close(b);
    zx::println!("vmo_create: handles are nonzero, distinct, low bits 0b11");
}

/// The handle's rights are exactly `expected`: duplicating with any single
/// right succeeds exactly when the handle holds it.
fn assert_rights(h: Handle, expected: u32, what: &str) {
    for bit in 0..31 {
        let right = 1u32 << bit;
        let r = zx::handle_duplicate(h, right);
        if expected & right != 0 {
            match r {
                Ok(d) => close(d),
                Err(e) => panic!(
                    "{}: duplicate with right {:#x} it should hold: {}",
                    what,
                    right,
                    e.name()
                ),
            }
        } else {
            assert_err(r, ZxStatus::InvalidArgs, what);
        }
    }
    // All of them at once, and nothing more.
    close(dup(h, expected));
    let d = dup(h, rights::SAME_RIGHTS);
    close(dup(d, expected));
    close(d);
}

fn handle_rights() {
    let h = vmo(4096, 0);
    assert_rights(h, rights::DEFAULT_VMO, "vmo rights (0xD0EF)");
    close(h);
    let h = vmo(4096, vmo_opt::RESIZABLE);
    assert_rights(h, RESIZABLE_VMO_RIGHTS, "resizable vmo rights (0x40D0EF)");
    close(h);
    let h = vmo(4096, vmo_opt::DISCARDABLE);
    assert_rights(h, rights::DEFAULT_VMO, "discardable vmo rights (0xD0EF)");
    close(h);
    zx::println!("vmo_create: rights are 0xD0EF, 0x40D0EF when RESIZABLE");
}

fn lazy() {
    for (size, name) in [
        (4096u64, "4 KiB"),
        (1 << 40, "1 TiB"),
        (VMO_MAX_SIZE, "maximum size"),
    ] {
        assert_no_leak(name, || {
            let before = zx::free_pages();
            let h = vmo(size, 0);
            assert_eq!(
                zx::free_pages(),
                before,
                "creating a {} VMO took pages",
                name
            );
            close(h);
        });
    }
    zx::println!("vmo_create: creation commits no pages, close returns everything");
}

fn main(root: Handle) -> i64 {
    sizes();
    too_big();
    options();
    bad_out(root);
    handle_values();
    handle_rights();
    lazy();
    0
}

zx::entry!(main);
