//! Writable and executable mappings follow Zircon's rule: allowed when both
//! handles have READ, WRITE and EXECUTE. Without EXECUTE on the VMO handle
//! (or the VMAR's) the map is ACCESS_DENIED; with it, code written through
//! the mapping runs from the same mapping after cache maintenance, and a
//! protect may add execute to a writable mapping, or write to an executable
//! one, within what the handles allowed at map time.
#![no_std]
#![no_main]

use core::arch::asm;
use el0_tests::{close, dup, zx, PAGE, RET_INSN};
use zx::{rights, vm_opt, ZxStatus};

const R: u32 = vm_opt::PERM_READ;
const W: u32 = vm_opt::PERM_WRITE;
const X: u32 = vm_opt::PERM_EXECUTE;

/// `mov w0, #imm16`.
const fn movz_w0(imm: u16) -> u32 {
    0x5280_0000 | ((imm as u32) << 5)
}

/// Writes `mov w0, #value; ret` at `addr`, makes it visible to instruction
/// fetch, and calls it.
fn write_and_run(addr: usize, value: u16) -> u32 {
    for (k, insn) in [movz_w0(value), RET_INSN].iter().enumerate() {
        // SAFETY: `addr` is a writable mapping of at least a page; aligned.
        unsafe { core::ptr::write_volatile((addr + 4 * k) as *mut u32, *insn) };
    }
    // SAFETY: cache maintenance of the two instructions and barriers; no
    // memory contents change.
    unsafe {
        asm!("dc cvau, {0}", "dsb ish", "ic ivau, {0}", "dsb ish", "isb", in(reg) addr, options(nostack));
    }
    // SAFETY: the mapping is executable and holds `mov w0, #value; ret`.
    let f: extern "C" fn() -> u32 = unsafe { core::mem::transmute(addr) };
    f()
}

fn main(root: zx::Handle) -> i64 {
    el0_tests::assert_no_leak("vmar_map_wx", || {
        let plain = zx::vmo_create(PAGE as u64, 0).expect("create");
        assert_eq!(
            zx::vmar_map(root, R | W | X, 0, plain, 0, PAGE),
            Err(ZxStatus::AccessDenied),
            "no EXECUTE on the VMO"
        );
        let exec = zx::vmo_replace_as_executable(plain, zx::ZX_HANDLE_INVALID).expect("replace");
        let no_exec_root = dup(root, rights::ROOT_VMAR & !rights::EXECUTE);
        assert_eq!(
            zx::vmar_map(no_exec_root, R | W | X, 0, exec, 0, PAGE),
            Err(ZxStatus::AccessDenied),
            "no EXECUTE on the VMAR"
        );
        let rwx = zx::vmar_map(root, R | W | X, 0, exec, 0, PAGE).expect("R|W|X");
        assert_eq!(write_and_run(rwx, 7), 7);
        assert_eq!(write_and_run(rwx, 1234), 1234, "rewritten in place");
        zx::vmar_unmap(root, rwx, PAGE).expect("unmap");
        // Protect adds what the handles allowed at map time.
        let rw = zx::vmar_map(root, R | W, 0, exec, 0, PAGE).expect("R|W");
        zx::vmar_protect(root, R | W | X, rw, PAGE).expect("add execute");
        assert_eq!(write_and_run(rw, 99), 99);
        zx::vmar_unmap(root, rw, PAGE).expect("unmap");
        let rx = zx::vmar_map(no_exec_root, R | W, 0, exec, 0, PAGE).expect("R|W, no X right");
        assert_eq!(
            zx::vmar_protect(root, R | W | X, rx, PAGE),
            Err(ZxStatus::AccessDenied),
            "execute was not allowed when the mapping was made"
        );
        zx::vmar_unmap(root, rx, PAGE).expect("unmap");
        close(no_exec_root);
        close(exec);
    });
    zx::println!("vmar_map_wx: R|W|X needs EXECUTE on both handles; code written there runs");
    0
}

zx::entry!(main);
