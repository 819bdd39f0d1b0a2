//! Tests the system-call ABI's register rule: apart from x0 (the status),
//! every register comes back from `svc` as it went in — x1-x30 (x16, the
//! call number, included), SP, the NZCV flags, the SIMD registers v0-v31
//! and FPCR/FPSR — for a failing call, an unknown number, a successful call
//! that writes user memory, and one that copies a page.
#![no_std]
#![no_main]

use core::arch::asm;
use el0_tests::{close, read, size_of, vmo, zx, GARBAGE_HANDLE, PAGE, RW};
use zx::{sys, Handle, ZxStatus};

/// What the general-purpose registers held right after `svc`.
struct GprState {
    /// x0..x30.
    x: [u64; 31],
    nzcv: u64,
    sp_before: u64,
    sp_after: u64,
}

/// A recognisable value for register `n` (different in every byte lane).
fn pattern(n: u64) -> u64 {
    0xA500_0000_0000_005A ^ (n << 56) ^ (n * 0x0001_0101_0101_0100)
}

/// Loads x0-x30 from `inp[0..31]` (x16 last, as the call number) and NZCV
/// from `inp[31]`, executes `svc #0`, and stores x0-x30, NZCV and SP (as
/// they were just before and just after the call) into `out`.
fn svc_all_registers(inp: &[u64; 32]) -> GprState {
    let mut out = [0u64; 34];
    // SAFETY: the block saves x18, x19, x29 and x30 (which Rust does not let
    // it name as clobbers) on the stack and restores them before it ends;
    // every other register it changes is declared. It reads only `inp` and
    // writes only `out`, both live. The system call itself touches only the
    // memory its arguments name, which the caller makes valid.
    unsafe {
        asm!(
            "stp x29, x30, [sp, #-16]!",
            "stp x18, x19, [sp, #-16]!",
            "stp x1, xzr, [sp, #-16]!",
            "mov x16, sp",
            "str x16, [x1, #256]",
            "ldr x16, [x0, #248]",
            "msr nzcv, x16",
            "mov x16, x0",
            "ldp x0, x1, [x16, #0]",
            "ldp x2, x3, [x16, #16]",
            "ldp x4, x5, [x16, #32]",
            "ldp x6, x7, [x16, #48]",
            "ldp x8, x9, [x16, #64]",
            "ldp x10, x11, [x16, #80]",
            "ldp x12, x13, [x16, #96]",
            "ldp x14, x15, [x16, #112]",
            "ldr x17, [x16, #136]",
            "ldp x18, x19, [x16, #144]",
            "ldp x20, x21, [x16, #160]",
            "ldp x22, x23, [x16, #176]",
            "ldp x24, x25, [x16, #192]",
            "ldp x26, x27, [x16, #208]",
            "ldp x28, x29, [x16, #224]",
            "ldr x30, [x16, #240]",
            "ldr x16, [x16, #128]",
            "svc #0",
            "stp x0, x1, [sp, #-16]!",
            "ldr x0, [sp, #16]",
            "stp x2, x3, [x0, #16]",
            "stp x4, x5, [x0, #32]",
            "stp x6, x7, [x0, #48]",
            "stp x8, x9, [x0, #64]",
            "stp x10, x11, [x0, #80]",
            "stp x12, x13, [x0, #96]",
            "stp x14, x15, [x0, #112]",
            "stp x16, x17, [x0, #128]",
            "stp x18, x19, [x0, #144]",
            "stp x20, x21, [x0, #160]",
            "stp x22, x23, [x0, #176]",
            "stp x24, x25, [x0, #192]",
            "stp x26, x27, [x0, #208]",
            "stp x28, x29, [x0, #224]",
            "str x30, [x0, #240]",
            "mrs x1, nzcv",
            "str x1, [x0, #248]",
            "ldp x1, x2, [sp], #16",
            "stp x1, x2, [x0, #0]",
            "mov x1, sp",
            "str x1, [x0, #264]",
            "add sp, sp, #16",
            "ldp x18, x19, [sp], #16",
            "ldp x29, x30, [sp], #16",
            inout("x0") inp.as_ptr() => _,
            inout("x1") out.as_mut_ptr() => _,
            out("x2") _, out("x3") _, out("x4") _, out("x5") _, out("x6") _, out("x7") _,
            out("x8") _, out("x9") _, out("x10") _, out("x11") _, out("x12") _, out("x13") _,
            out("x14") _, out("x15") _, out("x16") _, out("x17") _,
            out("x20") _, out("x21") _, out("x22") _, out("x23") _, out("x24") _,
            out("x25") _, out("x26") _, out("x27") _, out("x28") _,
        );
    }
    let mut x = [0u64; 31];
    x.copy_from_slice(&out[..31]);
    GprState {
        x,
        nzcv: out[31],
        sp_before: out[32],
        sp_after: out[33],
    }
}

/// Makes a system call `number` with `args` in x0.. and patterns in every
/// other register, and checks them all afterwards. Returns x0.
fn check_gprs(what: &str, number: u64, args: &[u64]) -> i64 {
    let mut inp = [0u64; 32];
    for (n, v) in inp.iter_mut().enumerate().take(31) {
        *v = pattern(n as u64);
    }
    inp[..args.len()].copy_from_slice(args);
    inp[16] = number;
    // N and C set, Z and V clear: not what any comparison above leaves.
    inp[31] = 0xA000_0000;
    let s = svc_all_registers(&inp);
    for (n, (&got, &want)) in s.x.iter().zip(&inp).enumerate().skip(1) {
        assert_eq!(got, want, "{}: x{} changed by the system call", what, n);
    }
    assert_eq!(
        s.nzcv & 0xF000_0000,
        inp[31],
        "{}: NZCV changed by the system call",
        what
    );
    assert_eq!(
        s.sp_before, s.sp_after,
        "{}: SP changed by the system call",
        what
    );
    s.x[0] as i64
}

fn general_registers() {
    let r = check_gprs(
        "handle_close(garbage)",
        sys::HANDLE_CLOSE,
        &[GARBAGE_HANDLE as u64],
    );
    assert_eq!(
        r,
        ZxStatus::BadHandle.raw() as i64,
        "handle_close(garbage) status"
    );

    let r = check_gprs("unknown syscall", 9999, &[]);
    assert_eq!(
        r,
        ZxStatus::BadSyscall.raw() as i64,
        "unknown syscall status"
    );

    let h = vmo(3 * 4096, 0);
    let mut size = 0u64;
    let r = check_gprs(
        "vmo_get_size",
        sys::VMO_GET_SIZE,
        &[h as u64, &mut size as *mut u64 as u64],
    );
    assert_eq!(r, 0, "vmo_get_size status");
    assert_eq!(core::hint::black_box(size), 3 * 4096, "vmo_get_size result");

    let page = [0x6Bu8; 4096];
    let r = check_gprs(
        "vmo_write",
        sys::VMO_WRITE,
        &[h as u64, page.as_ptr() as u64, 4096, 4096],
    );
    assert_eq!(r, 0, "vmo_write status");
    let mut back = [0u8; 8];
    read(h, &mut back, 4096 + 4000);
    assert_eq!(back, [0x6B; 8], "vmo_write data");
    close(h);
    zx::println!("abi_registers: x1-x30, SP and NZCV preserved");
}

/// SIMD and floating-point state after a call.
struct FpState {
    v: [u64; 64],
    fpcr_set: u64,
    fpcr_after: u64,
    fpsr_set: u64,
    fpsr_after: u64,
}

/// Loads v0-v31 from `inp`, sets FPCR and FPSR to non-default values, makes
/// the call with `args` in x0-x3, and records everything afterwards
/// (restoring the caller's FPCR and FPSR). Returns x0 and the state.
fn svc_fp_registers(number: u64, args: [u64; 4], inp: &[u64; 64]) -> (i64, FpState) {
    let mut v = [0u64; 64];
    let ret: i64;
    let (fpcr_set, fpcr_after, fpsr_set, fpsr_after): (u64, u64, u64, u64);
    // Rounding toward +infinity, flush-to-zero and default NaN; the
    // cumulative invalid-operation and saturation flags.
    let fpcr_test: u64 = (1 << 22) | (1 << 24) | (1 << 25);
    let fpsr_test: u64 = (1 << 0) | (1 << 27);
    // SAFETY: reads only `inp` and writes only `v`, both live and 512
    // bytes; FPCR and FPSR are restored before the block ends; every
    // register changed is declared. The call touches only the memory its
    // arguments name, which the caller makes valid.
    unsafe {
        asm!(
            "mrs x11, fpcr",
            "mrs x12, fpsr",
            "msr fpcr, {fpcr_test}",
            "msr fpsr, {fpsr_test}",
            "mrs x13, fpcr",
            "mrs x14, fpsr",
            "ld1 {{v0.2d, v1.2d, v2.2d, v3.2d}}, [x9], #64",
            "ld1 {{v4.2d, v5.2d, v6.2d, v7.2d}}, [x9], #64",
            "ld1 {{v8.2d, v9.2d, v10.2d, v11.2d}}, [x9], #64",
            "ld1 {{v12.2d, v13.2d, v14.2d, v15.2d}}, [x9], #64",
            "ld1 {{v16.2d, v17.2d, v18.2d, v19.2d}}, [x9], #64",
            "ld1 {{v20.2d, v21.2d, v22.2d, v23.2d}}, [x9], #64",
            "ld1 {{v24.2d, v25.2d, v26.2d, v27.2d}}, [x9], #64",
            "ld1 {{v28.2d, v29.2d, v30.2d, v31.2d}}, [x9], #64",
            "svc #0",
            "mrs x9, fpcr",
            "mrs x15, fpsr",
            "msr fpcr, x11",
            "msr fpsr, x12",
            "st1 {{v0.2d, v1.2d, v2.2d, v3.2d}}, [x10], #64",
            "st1 {{v4.2d, v5.2d, v6.2d, v7.2d}}, [x10], #64",
            "st1 {{v8.2d, v9.2d, v10.2d, v11.2d}}, [x10], #64",
            "st1 {{v12.2d, v13.2d, v14.2d, v15.2d}}, [x10], #64",
            "st1 {{v16.2d, v17.2d, v18.2d, v19.2d}}, [x10], #64",
            "st1 {{v20.2d, v21.2d, v22.2d, v23.2d}}, [x10], #64",
            "st1 {{v24.2d, v25.2d, v26.2d, v27.2d}}, [x10], #64",
            "st1 {{v28.2d, v29.2d, v30.2d, v31.2d}}, [x10], #64",
            fpcr_test = in(reg) fpcr_test,
            fpsr_test = in(reg) fpsr_test,
            in("x16") number,
            inout("x0") args[0] => ret,
            in("x1") args[1],
            in("x2") args[2],
            in("x3") args[3],
            inout("x9") inp.as_ptr() => fpcr_after,
            inout("x10") v.as_mut_ptr() => _,
            out("x11") _, out("x12") _,
            out("x13") fpcr_set, out("x14") fpsr_set, out("x15") fpsr_after,
            out("v0") _, out("v1") _, out("v2") _, out("v3") _, out("v4") _, out("v5") _,
            out("v6") _, out("v7") _, out("v8") _, out("v9") _, out("v10") _, out("v11") _,
            out("v12") _, out("v13") _, out("v14") _, out("v15") _, out("v16") _, out("v17") _,
            out("v18") _, out("v19") _, out("v20") _, out("v21") _, out("v22") _, out("v23") _,
            out("v24") _, out("v25") _, out("v26") _, out("v27") _, out("v28") _, out("v29") _,
            out("v30") _, out("v31") _,
            options(nostack),
        );
    }
    (
        ret,
        FpState {
            v,
            fpcr_set,
            fpcr_after,
            fpsr_set,
            fpsr_after,
        },
    )
}

fn check_fp(what: &str, number: u64, args: [u64; 4]) -> i64 {
    let mut inp = [0u64; 64];
    for (i, w) in inp.iter_mut().enumerate() {
        *w = pattern(i as u64) ^ 0x0F0F_0000_F0F0_0000;
    }
    let (ret, s) = svc_fp_registers(number, args, &inp);
    for (i, (&got, &want)) in s.v.iter().zip(&inp).enumerate() {
        assert_eq!(
            got,
            want,
            "{}: v{} (half {}) changed by the system call",
            what,
            i / 2,
            i % 2
        );
    }
    assert_eq!(
        s.fpcr_after, s.fpcr_set,
        "{}: FPCR changed by the system call",
        what
    );
    assert_eq!(
        s.fpsr_after, s.fpsr_set,
        "{}: FPSR changed by the system call",
        what
    );
    ret
}

fn fp_registers() {
    let r = check_fp(
        "handle_close(garbage)",
        sys::HANDLE_CLOSE,
        [GARBAGE_HANDLE as u64, 0, 0, 0],
    );
    assert_eq!(
        r,
        ZxStatus::BadHandle.raw() as i64,
        "handle_close(garbage) status"
    );
    let r = check_fp("unknown syscall", 9999, [0; 4]);
    assert_eq!(
        r,
        ZxStatus::BadSyscall.raw() as i64,
        "unknown syscall status"
    );

    // Calls that copy memory are the likeliest to use SIMD in the kernel.
    let h = vmo(2 * 4096, 0);
    let page = [0x3Cu8; 4096];
    let r = check_fp(
        "vmo_write",
        sys::VMO_WRITE,
        [h as u64, page.as_ptr() as u64, 0, 4096],
    );
    assert_eq!(r, 0, "vmo_write status");
    let mut buf = [0u8; 4096];
    let r = check_fp(
        "vmo_read",
        sys::VMO_READ,
        [h as u64, buf.as_mut_ptr() as u64, 0, 4096],
    );
    assert_eq!(r, 0, "vmo_read status");
    assert!(
        core::hint::black_box(&buf).iter().all(|&b| b == 0x3C),
        "vmo_read data"
    );
    assert_eq!(size_of(h), 2 * 4096, "size");

    // Into pages mapped but never touched: the kernel's copy faults after
    // it has borrowed vector registers (4096 bytes: v0-v15; 200: v0-v7),
    // and the slow path finishes the copy.
    let fresh = vmo(2 * 4096, 0);
    let at = zx::vmar_map(zx::root_vmar(), RW, 0, fresh, 0, 2 * PAGE).expect("map fresh");
    let cases = [
        (4096usize, "vmo_read of 4096 into an untouched page"),
        (200, "vmo_read of 200 into an untouched page"),
    ];
    for (i, (len, what)) in cases.into_iter().enumerate() {
        let dst = at + i * PAGE;
        let r = check_fp(what, sys::VMO_READ, [h as u64, dst as u64, 0, len as u64]);
        assert_eq!(r, 0, "{what}: status");
        // SAFETY: `dst..dst + len` lies in the mapping made above.
        let got = unsafe { core::slice::from_raw_parts(dst as *const u8, len) };
        assert!(got.iter().all(|&b| b == 0x3C), "{what}: data");
    }
    assert_eq!(zx::vmar_unmap(zx::root_vmar(), at, 2 * PAGE), Ok(()));
    close(fresh);
    close(h);
    zx::println!("abi_registers: v0-v31, FPCR and FPSR preserved");
}

fn main(_root: Handle) -> i64 {
    general_registers();
    fp_registers();
    0
}

zx::entry!(main);
