//! Tests cache maintenance from EL0, which Zircon allows: `CTR_EL0` reads,
//! `dc cvau`, `dc cvac`, `dc civac` and `ic ivau` by address, on writable,
//! read-only and never-touched pages. The JIT pattern works: code written
//! through a writable view of an executable VMO, cleaned to the point of
//! unification, invalidated in the instruction cache through an executable
//! view, then run.
#![no_std]
#![no_main]

use core::arch::asm;
use el0_tests::{assert_no_leak, close, vmo, zx, Mapping, PAGE, RET_INSN, RW};
use zx::{vm_opt, Handle};

/// `mov w0, #imm16`.
const fn movz_w0(imm: u16) -> u32 {
    0x5280_0000 | ((imm as u32) << 5)
}

fn ctr_el0() -> u64 {
    let v: u64;
    // SAFETY: reading CTR_EL0 has no side effects.
    unsafe { asm!("mrs {}, ctr_el0", out(reg) v, options(nomem, nostack)) };
    v
}

/// The smallest data and instruction cache lines, from `CTR_EL0`.
fn lines() -> (usize, usize) {
    let ctr = ctr_el0();
    let dline = 4 << ((ctr >> 16) & 0xf);
    let iline = 4 << (ctr & 0xf);
    (dline, iline)
}

/// Cleans and invalidates `[addr, addr + len)` by every EL0 operation.
fn maintain(addr: usize, len: usize) {
    let (dline, iline) = lines();
    let mut a = addr & !(dline - 1);
    while a < addr + len {
        // SAFETY: cache maintenance by address changes no memory contents;
        // the address is in a mapping the caller owns.
        unsafe {
            asm!("dc cvau, {0}", "dc cvac, {0}", "dc civac, {0}", in(reg) a, options(nostack));
        }
        a += dline;
    }
    // SAFETY: barriers only.
    unsafe { asm!("dsb ish", options(nostack)) };
    let mut a = addr & !(iline - 1);
    while a < addr + len {
        // SAFETY: as above.
        unsafe { asm!("ic ivau, {0}", in(reg) a, options(nostack)) };
        a += iline;
    }
    // SAFETY: barriers only.
    unsafe { asm!("dsb ish", "isb", options(nostack)) };
}

fn main(root: Handle) -> i64 {
    let ctr = ctr_el0();
    let (dline, iline) = lines();
    assert!(ctr >> 31 == 1, "CTR_EL0 bit 31 is RES1: {:#x}", ctr);
    assert!((16..=2048).contains(&dline) && (16..=2048).contains(&iline));
    zx::println!(
        "cache_ops: CTR_EL0 {:#x} ({} B data, {} B instruction lines)",
        ctr,
        dline,
        iline
    );

    assert_no_leak("cache maintenance", || {
        let h = vmo(3 * PAGE as u64, 0);
        let rw = Mapping::new(root, h, 3 * PAGE, RW);
        rw.write_u8(0, 1);
        maintain(rw.addr, PAGE);
        // Never touched. On hardware the operation faults the page in, and
        // the fault reports a write (WnR) with ISS.CM set, which the kernel
        // must take as the read access it needs (QEMU's TCG does not fault
        // on these operations at all, so only a board checks that part).
        maintain(rw.addr + 2 * PAGE, PAGE);
        let ro = Mapping::new(root, h, PAGE, vm_opt::PERM_READ);
        maintain(ro.addr, PAGE);
        assert_eq!(ro.read_u8(0), 1);
        ro.unmap();
        rw.unmap();
        close(h);
    });
    zx::println!(
        "cache_ops: dc cvau/cvac/civac and ic ivau on writable, read-only and untouched pages"
    );

    assert_no_leak("JIT", || {
        let exec = zx::vmo_replace_as_executable(vmo(PAGE as u64, 0), zx::ZX_HANDLE_INVALID)
            .expect("replace_as_executable");
        let w = Mapping::new(root, exec, PAGE, RW);
        let x = Mapping::new(root, exec, PAGE, vm_opt::PERM_READ | vm_opt::PERM_EXECUTE);
        for (i, value) in [7u16, 42].into_iter().enumerate() {
            let code = [movz_w0(value), RET_INSN];
            for (k, insn) in code.iter().enumerate() {
                // SAFETY: inside the writable mapping; aligned.
                unsafe { core::ptr::write_volatile((w.addr + 4 * k) as *mut u32, *insn) };
            }
            maintain(w.addr, 8);
            maintain(x.addr, 8);
            // SAFETY: the executable view holds `mov w0, #value; ret`.
            let f: extern "C" fn() -> u32 = unsafe { core::mem::transmute(x.addr) };
            assert_eq!(f(), value as u32, "generated code, version {}", i);
        }
        x.unmap();
        w.unmap();
        close(exec);
    });
    zx::println!("cache_ops: code written through one view runs through another after maintenance");
    0
}

zx::entry!(main);
