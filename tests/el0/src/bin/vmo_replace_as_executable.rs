//! Tests `zx_vmo_replace_as_executable`: invalid handles, a non-VMO handle
//! (BAD_HANDLE, and the handle is consumed), a garbage vmex (BAD_HANDLE,
//! the VMO handle consumed anyway), the new handle's rights (old rights
//! plus EXECUTE) with the old handle gone, and that only the new handle
//! maps R|X, where code written with vmo_write runs.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, close, dup, handle_basic, koid, rights_of, vmo, write, zx, Mapping,
    GARBAGE_HANDLE, PAGE, RESIZABLE_VMO_RIGHTS,
};
use zx::{rights, vm_opt, vmo_opt, Handle, ZxStatus, ZX_HANDLE_INVALID};

/// `mov x0, #42` then `ret`.
const CODE_42: [u32; 2] = [0xd280_0540, 0xd65f_03c0];
/// `mov x0, #7` then `ret`, placed on the second page.
const CODE_7: [u32; 2] = [0xd280_00e0, 0xd65f_03c0];

const RX: u32 = vm_opt::PERM_READ | vm_opt::PERM_EXECUTE;

fn code_bytes(code: [u32; 2]) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&code[0].to_le_bytes());
    b[4..].copy_from_slice(&code[1].to_le_bytes());
    b
}

/// Asserts `h` is no longer a valid handle.
#[track_caller]
fn assert_gone(h: Handle, what: &str) {
    assert_err(zx::handle_close(h), ZxStatus::BadHandle, what);
}

fn bad_handles(root: Handle) {
    let closed = vmo(PAGE as u64, 0);
    close(closed);
    for h in [ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
        assert_err(
            zx::vmo_replace_as_executable(h, ZX_HANDLE_INVALID),
            ZxStatus::BadHandle,
            "replace_as_executable(invalid handle)",
        );
    }
    // A VMAR is not a VMO: BAD_HANDLE, and the handle is consumed.
    let vmar = dup(root, rights::SAME_RIGHTS);
    assert_err(
        zx::vmo_replace_as_executable(vmar, ZX_HANDLE_INVALID),
        ZxStatus::BadHandle,
        "replace_as_executable(VMAR)",
    );
    assert_gone(vmar, "the VMAR duplicate after replace_as_executable");
    // The root VMAR itself is still there.
    assert_eq!(
        handle_basic(root).rights,
        rights::ROOT_VMAR,
        "root VMAR intact"
    );

    // A garbage vmex: BAD_HANDLE, and the VMO handle is consumed anyway.
    assert_no_leak("garbage vmex", || {
        let h = vmo(PAGE as u64, 0);
        write(h, &[1], 0);
        assert_err(
            zx::vmo_replace_as_executable(h, GARBAGE_HANDLE),
            ZxStatus::BadHandle,
            "replace_as_executable(vmex garbage)",
        );
        assert_gone(h, "the VMO handle after a garbage vmex");
    });
    zx::println!(
        "vmo_replace_as_executable: BAD_HANDLE for invalid and non-VMO handles, which are consumed"
    );
}

fn new_rights() {
    let cases = [
        (0, rights::DEFAULT_VMO, "a fresh VMO"),
        (vmo_opt::RESIZABLE, RESIZABLE_VMO_RIGHTS, "a resizable VMO"),
    ];
    for (options, old_rights, what) in cases {
        let h = vmo(PAGE as u64, options);
        let k = koid(h);
        assert_eq!(rights_of(h), old_rights);
        let x = zx::vmo_replace_as_executable(h, ZX_HANDLE_INVALID)
            .unwrap_or_else(|e| panic!("replace_as_executable({}) failed: {}", what, e.name()));
        assert_ne!(x, ZX_HANDLE_INVALID);
        let info = handle_basic(x);
        assert_eq!(
            info.rights,
            old_rights | rights::EXECUTE,
            "new rights, {}",
            what
        );
        assert_eq!(info.koid, k, "same object, {}", what);
        assert_gone(h, "the old handle");
        close(x);
    }
    // Reduced rights stay reduced; no rights are needed.
    for want in [rights::READ | rights::MAP, rights::NONE] {
        let h = vmo(PAGE as u64, 0);
        let d = dup(h, want);
        let x = zx::vmo_replace_as_executable(d, ZX_HANDLE_INVALID)
            .expect("replace_as_executable of a reduced handle");
        assert_eq!(
            rights_of(x),
            want | rights::EXECUTE,
            "reduced rights plus EXECUTE"
        );
        assert_gone(d, "the reduced handle");
        close(x);
        close(h);
    }
    zx::println!(
        "vmo_replace_as_executable: new handle has the old rights plus EXECUTE, old one gone"
    );
}

fn execute(root: Handle) {
    let h = vmo(2 * PAGE as u64, 0);
    write(h, &code_bytes(CODE_42), 0);
    write(h, &code_bytes(CODE_7), PAGE as u64);
    assert_err(
        zx::vmar_map(root, RX, 0, h, 0, PAGE),
        ZxStatus::AccessDenied,
        "R|X mapping without EXECUTE",
    );
    let x = zx::vmo_replace_as_executable(h, ZX_HANDLE_INVALID).expect("replace_as_executable");
    let m = Mapping::new(root, x, 2 * PAGE, RX);
    assert_eq!(
        m.read_u64(0),
        u64::from_le_bytes(code_bytes(CODE_42)),
        "code readable"
    );
    // SAFETY: the mapping is readable and executable and holds, at its
    // start, `mov x0, #42; ret` and, one page in, `mov x0, #7; ret`: each
    // is a complete function with the C ABI that takes nothing and returns
    // a u64. The mapping lives until `unmap` below.
    let (f42, f7) = unsafe {
        (
            core::mem::transmute::<usize, extern "C" fn() -> u64>(m.addr),
            core::mem::transmute::<usize, extern "C" fn() -> u64>(m.addr + PAGE),
        )
    };
    assert_eq!(f42(), 42, "code in the executable VMO returns 42");
    assert_eq!(f7(), 7, "code on the second page returns 7");
    m.unmap();

    // A read-only mapping of the same handle works too, and the VMO's
    // data is unchanged.
    let r = Mapping::new(root, x, PAGE, vm_opt::PERM_READ);
    assert_eq!(r.read_u64(0), u64::from_le_bytes(code_bytes(CODE_42)));
    r.unmap();
    close(x);
    zx::println!("vmo_replace_as_executable: R|X needs EXECUTE; code written with vmo_write runs");
}

fn main(root: Handle) -> i64 {
    assert_no_leak("vmo_replace_as_executable", || {
        bad_handles(root);
        new_rights();
        execute(root);
    });
    0
}

zx::entry!(main);
