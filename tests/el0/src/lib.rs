//! Helpers shared by the EL0 test programs: page-count leak checks, the bad
//! user pointers every call must reject, small wrappers that assert success
//! (so a test body reads as the behaviour it checks), mappings accessed with
//! volatile loads and stores, and single-instruction accesses for the
//! programs that expect the kernel to kill them.
//!
//! Each program in `src/bin` is one test; it passes by returning 0 from
//! `main`, and fails by returning non-zero or panicking (status 101, with the
//! failed assertion printed). Programs that `manifest.txt` expects to be
//! killed pass only if the kernel kills them with the fault it names.
#![no_std]

pub use zx;

pub mod hostile;
pub mod process;
pub mod smp;

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};
use zx::{rights, stats, vm_opt, Handle, ZxStatus};

/// Page size as a `usize`, for address arithmetic.
pub const PAGE: usize = zx::PAGE_SIZE as usize;

/// The first address of the root VMAR (`ZX_VM_SPECIFIC` offsets are
/// relative to it).
pub const ROOT_BASE: usize = zx::ROOT_VMAR_BASE as usize;

/// `ZX_VM_PERM_READ | ZX_VM_PERM_WRITE`.
pub const RW: u32 = vm_opt::PERM_READ | vm_opt::PERM_WRITE;

/// Rights of a fresh resizable VMO: the defaults plus `ZX_RIGHT_RESIZE`.
pub const RESIZABLE_VMO_RIGHTS: u32 = rights::DEFAULT_VMO | rights::RESIZE;

/// An invalid handle value that has the fixed low bits set, so the kernel
/// must actually look it up to reject it.
pub const GARBAGE_HANDLE: Handle = 0x1234_5677;

/// User pointers no system call may read or write through: NULL, unmapped
/// user addresses, the first address past the 48-bit user range, and kernel
/// addresses. `0x7f_0000_0000` is below every image the build links (the
/// highest is at 2^39 - 2 MiB) and far above what the programs map without
/// `ZX_VM_SPECIFIC` (the kernel allocates upward from 0x10_0000_0000 and the
/// programs never map more than a few hundred KiB); the stack is near 2^47.
pub const BAD_POINTERS: [(&str, usize); 6] = [
    ("NULL", 0),
    ("0x10 (unmapped, low)", 0x10),
    ("0x7f_0000_0000 (unmapped)", 0x7f_0000_0000),
    ("1 << 48 (past user space)", 1 << 48),
    ("0xffff_0000_0000_0000 (kernel)", 0xffff_0000_0000_0000),
    ("0xffff_ffff_8000_0000 (kernel)", 0xffff_ffff_8000_0000),
];

/// Touches 16 KiB of stack below the caller so that a lazily backed stack
/// cannot allocate a page in the middle of a leak check.
#[inline(never)]
pub fn touch_stack() {
    let mut pad = [0u8; 16 * 1024];
    let mut i = 0;
    while i < pad.len() {
        // SAFETY: `i` is in bounds; the volatile write keeps the store.
        unsafe { core::ptr::write_volatile(pad.as_mut_ptr().add(i), 1) };
        i += PAGE;
    }
    core::hint::black_box(&mut pad);
}

/// Runs `f` and asserts that the kernel's free-page count and live-VMO count
/// are the same afterwards: everything `f` allocated was returned.
pub fn assert_no_leak<R>(what: &str, f: impl FnOnce() -> R) -> R {
    touch_stack();
    let before = zx::kernel_stats();
    let r = f();
    let after = zx::kernel_stats();
    let others = before[stats::LIVE_PROCESSES].max(after[stats::LIVE_PROCESSES]);
    // A program may have started and ended between the two readings.
    let came_and_went = before[stats::PROGRAMS_LOADED] != after[stats::PROGRAMS_LOADED];
    if others > 1 || came_and_went {
        // Programs run in parallel (el0.parallel): the counts are everyone's;
        // the boot's final check (every page back) judges leaks.
        zx::println!("{what}: leak check left to the end of the boot ({others} programs running)");
        return r;
    }
    assert_eq!(
        before[stats::FREE_PAGES],
        after[stats::FREE_PAGES],
        "{}: free pages before vs after",
        what
    );
    assert_eq!(
        before[stats::LIVE_VMOS],
        after[stats::LIVE_VMOS],
        "{}: live VMOs before vs after",
        what
    );
    r
}

/// The status a raw system call returned.
pub fn st(raw: i64) -> zx::Status {
    // The wire value is an `i32` sign-extended into x0.
    assert_eq!(
        raw, raw as i32 as i64,
        "status {:#x} is not a sign-extended i32",
        raw
    );
    zx::to_result(raw)
}

/// Asserts a call failed with `expected`.
#[track_caller]
pub fn assert_err<T: core::fmt::Debug>(r: Result<T, ZxStatus>, expected: ZxStatus, what: &str) {
    assert_eq!(
        r.as_ref().err().copied(),
        Some(expected),
        "{}: expected {}, got {:?}",
        what,
        expected.name(),
        r
    );
}

/// `zx_vmo_create` that must succeed.
#[track_caller]
pub fn vmo(size: u64, options: u32) -> Handle {
    match zx::vmo_create(size, options) {
        Ok(h) => h,
        Err(e) => panic!(
            "vmo_create({:#x}, {:#x}) failed: {}",
            size,
            options,
            e.name()
        ),
    }
}

/// `zx_handle_close` that must succeed.
#[track_caller]
pub fn close(h: Handle) {
    assert_eq!(zx::handle_close(h), Ok(()), "handle_close({:#x})", h);
}

/// `zx_handle_duplicate` that must succeed.
#[track_caller]
pub fn dup(h: Handle, rights: u32) -> Handle {
    match zx::handle_duplicate(h, rights) {
        Ok(d) => d,
        Err(e) => panic!(
            "handle_duplicate({:#x}, {:#x}) failed: {}",
            h,
            rights,
            e.name()
        ),
    }
}

/// `zx_vmo_get_size` that must succeed.
#[track_caller]
pub fn size_of(h: Handle) -> u64 {
    match zx::vmo_get_size(h) {
        Ok(s) => s,
        Err(e) => panic!("vmo_get_size({:#x}) failed: {}", h, e.name()),
    }
}

/// `zx_vmo_write` that must succeed.
#[track_caller]
pub fn write(h: Handle, buf: &[u8], offset: u64) {
    assert_eq!(
        zx::vmo_write(h, buf, offset),
        Ok(()),
        "vmo_write at {:#x}",
        offset
    );
}

/// `zx_vmo_read` that must succeed.
#[track_caller]
pub fn read(h: Handle, buf: &mut [u8], offset: u64) {
    assert_eq!(
        zx::vmo_read(h, buf, offset),
        Ok(()),
        "vmo_read at {:#x}",
        offset
    );
}

/// Reads one byte of a VMO.
#[track_caller]
pub fn read_byte(h: Handle, offset: u64) -> u8 {
    let mut b = [0xEEu8; 1];
    read(h, &mut b, offset);
    b[0]
}

/// Asserts that `len` bytes of a VMO from `offset` all equal `expected`
/// (read in small pieces, so any length fits on the stack).
#[track_caller]
pub fn assert_vmo_bytes(h: Handle, offset: u64, len: u64, expected: u8, what: &str) {
    let mut buf = [0u8; 512];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(buf.len() as u64) as usize;
        buf[..n].fill(!expected);
        read(h, &mut buf[..n], offset + done);
        if let Some(i) = buf[..n].iter().position(|&b| b != expected) {
            panic!(
                "{}: byte at VMO offset {:#x} is {:#x}, expected {:#x}",
                what,
                offset + done + i as u64,
                buf[i],
                expected
            );
        }
        done += n as u64;
    }
}

/// The kernel's free-page count.
pub fn free_pages() -> u64 {
    zx::free_pages()
}

/// A range mapped with `zx_vmar_map`. Every access is volatile, through the
/// address, so no Rust reference ever points into it; `unmap` consumes it.
/// Touching a page the mapping does not permit (or beyond its VMO's end)
/// gets the process killed by the kernel, which is what some tests want.
#[derive(Debug)]
pub struct Mapping {
    pub root: Handle,
    pub addr: usize,
    pub len: usize,
}

impl Mapping {
    /// Maps `len` bytes of `vmo` from offset 0 anywhere in `root`.
    #[track_caller]
    pub fn new(root: Handle, vmo: Handle, len: usize, perms: u32) -> Self {
        Self::at(root, 0, vmo, 0, len, perms)
    }

    /// Maps with an explicit VMAR offset (add `ZX_VM_SPECIFIC` to `options`
    /// to use it) and VMO offset.
    #[track_caller]
    pub fn at(
        root: Handle,
        vmar_offset: usize,
        vmo: Handle,
        vmo_offset: u64,
        len: usize,
        options: u32,
    ) -> Self {
        match zx::vmar_map(root, options, vmar_offset, vmo, vmo_offset, len) {
            Ok(addr) => {
                assert_eq!(addr % PAGE, 0, "vmar_map returned an unaligned address {:#x}", addr);
                Self { root, addr, len: len.div_ceil(PAGE) * PAGE }
            }
            Err(e) => panic!(
                "vmar_map(options {:#x}, vmar_offset {:#x}, vmo_offset {:#x}, len {:#x}) failed: {}",
                options,
                vmar_offset,
                vmo_offset,
                len,
                e.name()
            ),
        }
    }

    #[track_caller]
    fn check(&self, off: usize, size: usize) {
        assert!(
            off + size <= self.len,
            "offset {:#x} outside the {:#x}-byte mapping",
            off,
            self.len
        );
    }

    #[track_caller]
    pub fn read_u8(&self, off: usize) -> u8 {
        self.check(off, 1);
        // SAFETY: inside the mapping, which lives until `unmap`; no Rust
        // reference points into it. A page the mapping cannot back makes the
        // kernel kill the process rather than return.
        unsafe { core::ptr::read_volatile((self.addr + off) as *const u8) }
    }

    #[track_caller]
    pub fn write_u8(&self, off: usize, v: u8) {
        self.check(off, 1);
        // SAFETY: as in `read_u8`.
        unsafe { core::ptr::write_volatile((self.addr + off) as *mut u8, v) }
    }

    #[track_caller]
    pub fn read_u64(&self, off: usize) -> u64 {
        self.check(off, 8);
        assert_eq!(off % 8, 0, "unaligned u64 offset");
        // SAFETY: as in `read_u8`; the address is 8-byte aligned.
        unsafe { core::ptr::read_volatile((self.addr + off) as *const u64) }
    }

    #[track_caller]
    pub fn write_u64(&self, off: usize, v: u64) {
        self.check(off, 8);
        assert_eq!(off % 8, 0, "unaligned u64 offset");
        // SAFETY: as in `read_u8`; the address is 8-byte aligned.
        unsafe { core::ptr::write_volatile((self.addr + off) as *mut u64, v) }
    }

    /// The address of byte `off`, for handing to the kernel.
    #[track_caller]
    pub fn ptr(&self, off: usize) -> *mut u8 {
        self.check(off, 0);
        (self.addr + off) as *mut u8
    }

    /// Unmaps the whole range (must succeed).
    #[track_caller]
    pub fn unmap(self) {
        assert_eq!(
            zx::vmar_unmap(self.root, self.addr, self.len),
            Ok(()),
            "vmar_unmap({:#x}, {:#x})",
            self.addr,
            self.len
        );
    }
}

/// A one-page VMO mapped read-only, already read once so that its page (and
/// any page tables) exist before the caller measures anything: a pointer
/// the kernel may read but must not write.
pub struct ReadOnlyPage {
    pub vmo: Handle,
    pub map: Mapping,
}

impl ReadOnlyPage {
    #[track_caller]
    pub fn new(root: Handle) -> Self {
        let vmo = vmo(PAGE as u64, 0);
        // Commit the page through the VMO so the mapping is backed by it.
        write(vmo, &[0], 0);
        let map = Mapping::new(root, vmo, PAGE, vm_opt::PERM_READ);
        assert_eq!(map.read_u8(0), 0, "read-only page reads back");
        Self { vmo, map }
    }

    pub fn addr(&self) -> usize {
        self.map.addr
    }

    #[track_caller]
    pub fn release(self) {
        self.map.unmap();
        close(self.vmo);
    }
}

/// A pointer to a `T` at an odd address inside `buf` (for out-parameters
/// that must be rejected as unaligned). Never dereferenced by Rust.
pub fn unaligned<T>(buf: &mut [u64; 4]) -> *mut T {
    buf.as_mut_ptr().cast::<u8>().wrapping_add(1).cast::<T>()
}

/// One `ldr` from `addr`.
///
/// # Safety
/// `addr` may be anything: if it is not readable the kernel kills the
/// process before the load completes, so no Rust memory is affected. If it
/// is readable it must not be memory Rust is concurrently mutating.
#[inline(never)]
pub unsafe fn raw_load(addr: usize) -> u64 {
    let v: u64;
    // SAFETY: the caller's contract; the instruction touches only `addr`.
    unsafe { asm!("ldr {v}, [{a}]", a = in(reg) addr, v = out(reg) v, options(nostack, readonly)) };
    v
}

/// One `str` to `addr`.
///
/// # Safety
/// `addr` must not be memory Rust uses: the programs pass addresses that
/// must not be writable (text, rodata, unmapped, read-only mappings), where
/// the kernel kills the process instead of completing the store.
#[inline(never)]
pub unsafe fn raw_store(addr: usize, v: u64) {
    // SAFETY: the caller's contract; the instruction touches only `addr`.
    unsafe { asm!("str {v}, [{a}]", a = in(reg) addr, v = in(reg) v, options(nostack)) };
}

/// Branches to `addr` with `blr`, as a call to a function with no
/// arguments.
///
/// # Safety
/// `addr` should not be executable (the kernel then kills the process). If
/// it is, the code there must be a plain `ret` (or equivalent), which makes
/// this a call that clobbers only what the C ABI lets a callee clobber.
#[inline(never)]
pub unsafe fn raw_jump(addr: usize) {
    // SAFETY: the caller's contract.
    unsafe { asm!("blr {a}", a = in(reg) addr, clobber_abi("C")) };
}

/// The `ret` instruction, for code placed where it must not execute.
pub const RET_INSN: u32 = 0xd65f_03c0;

/// Ends a program expected to be killed whose fault did not happen.
pub fn fault_missing(what: &str) -> i64 {
    zx::println!("FAIL: {} did not fault", what);
    1
}

/// Timing helpers for the benchmark programs (`bench` in `manifest.txt`).
pub mod bench {
    use zx::println;

    /// Counter ticks to nanoseconds (62.5 MHz in QEMU: 16 ns a tick).
    pub fn ticks_to_ns(ticks: u64) -> u64 {
        ticks * 1_000_000_000 / zx::counter_frequency()
    }

    /// Runs `op` `iters` times per batch, `batches` times, and returns the
    /// median batch's nanoseconds per operation.
    pub fn median_ns_per_op(batches: usize, iters: u64, mut op: impl FnMut(u64)) -> u64 {
        let mut samples = [0u64; 16];
        let batches = batches.min(samples.len());
        for s in samples.iter_mut().take(batches) {
            let t0 = zx::counter();
            for i in 0..iters {
                op(i);
            }
            *s = ticks_to_ns(zx::counter() - t0) / iters;
        }
        let samples = &mut samples[..batches];
        samples.sort_unstable();
        samples[batches / 2]
    }

    /// A results table: one `bench:` line per operation, with the Linux
    /// reference figure (instructions, Linux 6.12 in the same QEMU) and
    /// the ratio.
    pub struct Table {
        name: &'static str,
    }

    impl Table {
        pub fn new(name: &'static str) -> Self {
            println!(
                "bench: {name}: ns/op (= instructions/op under -icount shift=0), median of batches"
            );
            println!(
                "bench: {:<44} {:>10} {:>10} {:>8}",
                "operation", "this", "linux", "ratio"
            );
            Self { name }
        }

        pub fn row(&mut self, what: &str, ns: u64, linux: u64) {
            let ratio_x100 = ns * 100 / linux.max(1);
            println!(
                "bench: {:<44} {:>10} {:>10} {:>5}.{:02}",
                what,
                ns,
                linux,
                ratio_x100 / 100,
                ratio_x100 % 100
            );
        }

        /// A row as `row` prints it, plus a machine-readable
        /// `benchrow: KEY NS` line (see `benchrow`).
        pub fn keyed_row(&mut self, key: &str, what: &str, ns: u64, linux: u64) {
            self.row(what, ns, linux);
            benchrow(key, ns);
        }

        pub fn finish(self) {
            println!("bench: {} done", self.name);
        }
    }

    /// Prints `benchrow: KEY NS`, the line scripts/bench.sh reads. The
    /// Linux peer (bench/linux-peer) prints the same keys for its
    /// equivalents, so the script can join the two sides by key.
    pub fn benchrow(key: &str, ns: u64) {
        println!("benchrow: {key} {ns}");
    }

    /// Like `median_ns_per_op`, but each call of `op` does `units` units of
    /// work (pages, say), and the result is nanoseconds per unit.
    pub fn median_ns_per_unit(
        batches: usize,
        iters: u64,
        units: u64,
        mut op: impl FnMut(u64),
    ) -> u64 {
        let mut samples = [0u64; 16];
        let batches = batches.min(samples.len());
        for s in samples.iter_mut().take(batches) {
            let t0 = zx::counter();
            for i in 0..iters {
                op(i);
            }
            *s = ticks_to_ns(zx::counter() - t0) / (iters * units.max(1));
        }
        let samples = &mut samples[..batches];
        samples.sort_unstable();
        samples[batches / 2]
    }
}

/// A writable static with an initial value (in `.data`).
static DATA_WORD: AtomicU64 = AtomicU64::new(0x0123_4567_89AB_CDEF);

/// Writable zero-initialised statics (in `.bss`), more than a page of them
/// so that some lie beyond the bytes the ELF file holds.
static BSS_WORDS: [AtomicU64; 1024] = [const { AtomicU64::new(0) }; 1024];

/// Read-only data (in `.rodata`).
static RODATA_WORD: u64 = 0xFEED_F00D_0BAD_CAFE;

extern "C" {
    /// The entry point, first in `.text` (`zx::rt`).
    fn _start();
}

/// Checks that a program linked at `base` was loaded there: `_start` at
/// `base`, `main` and the statics within 2 MiB above it, `.data` and
/// `.rodata` initialised, `.bss` zeroed, and the writable statics
/// writable.
pub fn check_image(name: &str, base: usize, main_addr: usize) {
    let limit = base + (2 << 20);
    let in_image = |addr: usize, what: &str| {
        assert!(
            (base..limit).contains(&addr),
            "{}: {} at {:#x} outside [{:#x}, {:#x})",
            name,
            what,
            addr,
            base,
            limit
        );
    };
    let start = _start as *const () as usize;
    assert_eq!(start, base, "{}: _start is not at the link base", name);
    in_image(main_addr, "main");
    in_image(&DATA_WORD as *const AtomicU64 as usize, ".data static");
    in_image(BSS_WORDS.as_ptr() as usize, ".bss static");
    in_image(&RODATA_WORD as *const u64 as usize, ".rodata static");
    zx::println!("{}: _start at {:#x}, main at {:#x}", name, start, main_addr);

    assert_eq!(
        core::hint::black_box(&RODATA_WORD),
        &0xFEED_F00D_0BAD_CAFE,
        "{}: .rodata value",
        name
    );
    assert_eq!(
        DATA_WORD.load(Ordering::Relaxed),
        0x0123_4567_89AB_CDEF,
        "{}: .data initial value",
        name
    );
    DATA_WORD.store(0x5555_AAAA_5555_AAAA, Ordering::Relaxed);
    assert_eq!(
        DATA_WORD.load(Ordering::Relaxed),
        0x5555_AAAA_5555_AAAA,
        "{}: .data after a write",
        name
    );
    for (i, w) in BSS_WORDS.iter().enumerate() {
        assert_eq!(
            w.load(Ordering::Relaxed),
            0,
            "{}: .bss word {} not zero",
            name,
            i
        );
        w.store(i as u64 * 3 + 1, Ordering::Relaxed);
    }
    for (i, w) in BSS_WORDS.iter().enumerate() {
        assert_eq!(
            w.load(Ordering::Relaxed),
            i as u64 * 3 + 1,
            "{}: .bss word {} after a write",
            name,
            i
        );
    }
    zx::println!("{}: .data, .bss and .rodata loaded; statics writable", name);
}

/// Touches 48 KiB of stack below the caller (the stack is 64 KiB), so that
/// no stack page is allocated in the middle of a program that counts free
/// pages exactly. Call it first thing in `main`. Recurses through 4 KiB
/// frames rather than using one large buffer.
pub fn prefault_stack() {
    touch_stack_frames(12);
}

#[inline(never)]
fn touch_stack_frames(depth: u32) {
    let mut chunk = [0u8; 4096];
    let mut i = 0;
    while i < chunk.len() {
        // SAFETY: `i` is in bounds; the volatile write keeps the store.
        unsafe { core::ptr::write_volatile(chunk.as_mut_ptr().add(i), 1) };
        i += 1024;
    }
    if depth > 1 {
        touch_stack_frames(depth - 1);
    }
    core::hint::black_box(&mut chunk);
}

/// The structures the kernel fills in are the ABI crate's own (one
/// definition for both sides); `Record` marks them as plain bytes.
pub use zx::{InfoHandleBasic, InfoVmo, Record as Pod, VmoLockState};

/// The bytes of a [`Pod`] value, for the kernel to write.
pub fn pod_bytes_mut<T: Pod>(v: &mut T) -> &mut [u8] {
    // SAFETY: `T` is a `Record`: `#[repr(C)]`, every padding byte an
    // explicit field and every byte pattern valid, so its bytes may be
    // viewed (and written) as `u8`s; the slice covers exactly `*v` and
    // borrows it mutably for its lifetime.
    unsafe {
        core::slice::from_raw_parts_mut((v as *mut T).cast::<u8>(), core::mem::size_of::<T>())
    }
}

/// The bytes of a slice of [`Pod`] values, for the kernel to write an
/// array topic into.
pub fn pod_slice_bytes_mut<T: Pod>(v: &mut [T]) -> &mut [u8] {
    // SAFETY: as in `pod_bytes_mut`, for each element; a slice's elements
    // are contiguous, so the bytes cover exactly `*v`.
    unsafe {
        core::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), core::mem::size_of_val(v))
    }
}

/// Size of `zx_info_vmo_t` version 1 (`ZX_INFO_VMO_V1`).
pub const INFO_VMO_V1_SIZE: usize = match InfoVmo::size_for_topic(zx::topic::VMO_V1) {
    Some(n) => n,
    None => 0,
};

/// `zx_info_vmo_t.flags` bits (the ABI crate's).
pub use zx::vmo_info_flags as info_vmo_flags;

/// `zx_object_get_info` into the first `len` bytes of a zeroed `T` (`len`
/// at most its size). On success `actual` and `avail` must both be 1.
#[track_caller]
pub fn try_info<T: Pod>(h: Handle, topic: u32, len: usize) -> Result<T, ZxStatus> {
    let mut v = T::default();
    let (actual, avail) = zx::object_get_info(h, topic, &mut pod_bytes_mut(&mut v)[..len])?;
    assert_eq!(
        (actual, avail),
        (1, 1),
        "object_get_info({:#x}, topic {:#x}): (actual, avail)",
        h,
        topic
    );
    Ok(v)
}

/// `ZX_INFO_HANDLE_BASIC`, which must succeed.
#[track_caller]
pub fn handle_basic(h: Handle) -> InfoHandleBasic {
    match try_info(h, zx::topic::HANDLE_BASIC, 32) {
        Ok(v) => v,
        Err(e) => panic!("get_info({:#x}, HANDLE_BASIC) failed: {}", h, e.name()),
    }
}

/// The koid of the object behind `h`.
#[track_caller]
pub fn koid(h: Handle) -> u64 {
    handle_basic(h).koid
}

/// The rights of `h`.
#[track_caller]
pub fn rights_of(h: Handle) -> u32 {
    handle_basic(h).rights
}

/// `ZX_INFO_VMO` (the 176-byte version), which must succeed.
#[track_caller]
pub fn vmo_info(h: Handle) -> InfoVmo {
    match try_info(h, zx::topic::VMO, core::mem::size_of::<InfoVmo>()) {
        Ok(v) => v,
        Err(e) => panic!("get_info({:#x}, ZX_INFO_VMO) failed: {}", h, e.name()),
    }
}

/// A VMO's `committed_bytes` (from `ZX_INFO_VMO`).
#[track_caller]
pub fn committed(h: Handle) -> u64 {
    vmo_info(h).committed_bytes
}

/// `zx_vmo_op_range` with no buffer (NULL, size 0).
pub fn op_range(h: Handle, op: u32, offset: u64, size: u64) -> zx::Status {
    // SAFETY: no buffer is passed; the kernel touches no user memory.
    st(unsafe { zx::raw::vmo_op_range(h, op, offset, size, core::ptr::null_mut(), 0) })
}

/// `ZX_VMO_OP_COMMIT` that must succeed.
#[track_caller]
pub fn commit(h: Handle, offset: u64, size: u64) {
    assert_eq!(
        op_range(h, zx::vmo_op::COMMIT, offset, size),
        Ok(()),
        "op_range(COMMIT, {:#x}, {:#x})",
        offset,
        size
    );
}

/// `ZX_VMO_OP_LOCK` over `[offset, offset + size)` with a lock-state
/// buffer; returns what the kernel wrote.
pub fn vmo_lock(h: Handle, offset: u64, size: u64) -> Result<VmoLockState, ZxStatus> {
    let mut state = VmoLockState {
        offset: 0xEEEE,
        size: 0xEEEE,
        discarded_offset: 0xEEEE,
        discarded_size: 0xEEEE,
    };
    zx::vmo_op_range(h, zx::vmo_op::LOCK, offset, size, pod_bytes_mut(&mut state))?;
    Ok(state)
}

/// A name as `ZX_PROP_NAME` returns it: at most 31 bytes, NUL-padded to 32.
pub fn name32(s: &[u8]) -> [u8; 32] {
    let mut n = [0u8; 32];
    let len = s.len().min(31);
    n[..len].copy_from_slice(&s[..len]);
    n
}

/// `ZX_PROP_NAME`, which must succeed.
#[track_caller]
pub fn get_name(h: Handle) -> [u8; 32] {
    let mut n = [0xEEu8; 32];
    assert_eq!(
        zx::object_get_property(h, zx::prop::NAME, &mut n),
        Ok(()),
        "get_property({:#x}, NAME)",
        h
    );
    n
}

/// Sets `ZX_PROP_NAME` (must succeed).
#[track_caller]
pub fn set_name(h: Handle, name: &[u8]) {
    assert_eq!(
        zx::object_set_property(h, zx::prop::NAME, name),
        Ok(()),
        "set_property({:#x}, NAME)",
        h
    );
}

/// `ZX_PROP_VMO_CONTENT_SIZE`, which must succeed.
#[track_caller]
pub fn content_size(h: Handle) -> u64 {
    let mut v = [0xEEu8; 8];
    assert_eq!(
        zx::object_get_property(h, zx::prop::VMO_CONTENT_SIZE, &mut v),
        Ok(()),
        "get_property({:#x}, VMO_CONTENT_SIZE)",
        h
    );
    u64::from_le_bytes(v)
}

/// Sets `ZX_PROP_VMO_CONTENT_SIZE`.
pub fn set_content_size(h: Handle, size: u64) -> zx::Status {
    zx::object_set_property(h, zx::prop::VMO_CONTENT_SIZE, &size.to_le_bytes())
}

/// `zx_vmo_create_child` that must succeed.
#[track_caller]
pub fn child(h: Handle, options: u32, offset: u64, size: u64) -> Handle {
    match zx::vmo_create_child(h, options, offset, size) {
        Ok(c) => c,
        Err(e) => panic!(
            "vmo_create_child({:#x}, options {:#x}, offset {:#x}, size {:#x}) failed: {}",
            h,
            options,
            offset,
            size,
            e.name()
        ),
    }
}

/// Whether `ZX_VMO_ZERO_CHILDREN` is active on `h`, by polling
/// `zx_object_wait_one` (deadline 0). The status and the observed signals
/// must agree.
#[track_caller]
pub fn zero_children(h: Handle) -> bool {
    let (s, observed) = zx::object_wait_one(h, zx::signals::VMO_ZERO_CHILDREN, 0);
    let active = observed & zx::signals::VMO_ZERO_CHILDREN != 0;
    match s {
        Ok(()) => assert!(active, "wait_one OK but observed {:#x}", observed),
        Err(ZxStatus::TimedOut) => {
            assert!(!active, "wait_one TIMED_OUT but observed {:#x}", observed)
        }
        Err(e) => panic!("polling ZERO_CHILDREN on {:#x}: {}", h, e.name()),
    }
    active
}

/// The virtual counter in nanoseconds (the kernel's clock for deadlines).
pub fn now_ns() -> i64 {
    ticks_to_ns_i64(zx::counter())
}

/// Counter ticks to nanoseconds, without overflow.
pub fn ticks_to_ns_i64(ticks: u64) -> i64 {
    (ticks as u128 * 1_000_000_000 / zx::counter_frequency() as u128) as i64
}

/// `ZX_INFO_THREAD`'s state of thread `h`.
pub fn thread_state(h: Handle) -> u32 {
    try_info::<zx::InfoThread>(h, zx::topic::THREAD, core::mem::size_of::<zx::InfoThread>())
        .expect("ZX_INFO_THREAD")
        .state
}

/// Waits until thread `h` is in `state` (as Zircon's own tests wait for a
/// thread to block), checking every 100 us; the kernel's time limit for
/// the program bounds it. A thread that ends first fails the test at once
/// (it will never get there).
pub fn wait_for_thread_state(h: Handle, state: u32) {
    let reached = wait_for_thread_state_or_end(h, state);
    assert_eq!(
        reached, state,
        "the thread ended before it reached state {state:#x}"
    );
}

/// Waits until thread `h` is in `state` or has ended
/// (`ZX_THREAD_STATE_DEAD`), and says which: for a thread whose wait may
/// finish on its own (a deadline) before this thread looks.
pub fn wait_for_thread_state_or_end(h: Handle, state: u32) -> u32 {
    loop {
        match thread_state(h) {
            s if s == state || s == zx::thread_state::DEAD => return s,
            _ => zx::nanosleep(zx::deadline_after(100_000)),
        }
    }
}
