//! CPU-level operations: counters, barriers, cache-zeroing, TLB maintenance,
//! the current address space, spin waits, halting. Thin safe wrappers over
//! `aarch64-cpu` and the few instructions it has no wrapper for.

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{Readable, Writeable, CNTFRQ_EL0, CNTVCT_EL0, TTBR0_EL1};
use core::arch::asm;

/// Counter frequency in Hz (62.5 MHz in QEMU, 54 MHz on a Raspberry Pi 4).
pub fn counter_frequency() -> u64 {
    CNTFRQ_EL0.get()
}

/// The virtual counter: what EL1 and EL0 both see.
pub fn counter() -> u64 {
    barrier::isb(barrier::SY);
    CNTVCT_EL0.get()
}

/// Bytes zeroed by one `dc zva`, or `None` where it is prohibited.
pub fn zva_block_size() -> Option<usize> {
    let d: u64;
    // SAFETY: reading DCZID_EL0 has no side effects (aarch64-cpu has no
    // wrapper for it).
    unsafe { asm!("mrs {0}, dczid_el0", out(reg) d, options(nomem, nostack, preserves_flags)) };
    if d & (1 << 4) != 0 {
        None
    } else {
        Some(4 << (d & 0xf))
    }
}

/// Zeroes one 4 KiB page with `dc zva` (64 bytes an instruction on the
/// cores we run on), falling back to plain stores.
///
/// # Safety
/// `page` must be a 4 KiB-aligned, writable, normal-memory mapping of a page
/// the caller owns.
pub unsafe fn zero_page(page: *mut u8) {
    match zva_block_size() {
        Some(64) => {
            // SAFETY: the 64 blocks of 64 bytes cover exactly the page the
            // caller owns and maps as normal memory; unrolled (two
            // instructions a block, no loop), since `dc zva` takes no offset.
            unsafe {
                asm!(
                    ".rept {blocks_after_first}",
                    "dc zva, {p}",
                    "add {p}, {p}, #64",
                    ".endr",
                    "dc zva, {p}",
                    p = inout(reg) page as usize => _,
                    blocks_after_first = const 4096 / 64 - 1,
                    options(nostack, preserves_flags),
                )
            };
        }
        Some(block) if block <= 4096 => {
            let mut p = page as usize;
            let end = p + 4096;
            while p < end {
                // SAFETY: `p` stays inside the page the caller owns and maps
                // as normal memory; `dc zva` writes zeroes to one block.
                unsafe { asm!("dc zva, {0}", in(reg) p, options(nostack, preserves_flags)) };
                p += block;
            }
        }
        // SAFETY: the caller guarantees the page is writable and owned.
        _ => unsafe { core::ptr::write_bytes(page, 0, 4096) },
    }
}

/// Makes an EL0 address space this core's: `root` is the physical address
/// of its level-0 table, `asid` its address-space identifier. It is
/// installed in TTBR0 only while EL0 runs and during user copies; the
/// kernel runs with an empty TTBR0 (see `percpu::CpuLocal::kernel_ttbr0`).
#[inline]
pub fn set_user_table(root: u64, asid: u16) {
    let value = root | (u64::from(asid) << 48);
    super::percpu::this_cpu()
        .user_ttbr0
        .store(value, core::sync::atomic::Ordering::Relaxed);
}

/// Sets TTBR0 to `value` now (boot, and tearing an address space down).
pub fn write_ttbr0(value: u64) {
    TTBR0_EL1.set(value);
    barrier::isb(barrier::SY);
}

/// Drops every TLB entry tagged with `asid` (the address space is going away
/// or its identifier is being reused).
pub fn flush_asid(asid: u16) {
    let arg = u64::from(asid) << 48;
    // SAFETY: TLB maintenance only discards cached translations.
    unsafe {
        asm!("dsb ishst", "tlbi aside1is, {0}", "dsb ish", "isb", in(reg) arg, options(nostack, preserves_flags));
    }
}

/// Drops the TLB entry for one EL0 page of `asid` (after an unmap or a
/// permission change).
pub fn flush_user_page(asid: u16, va: u64) {
    let arg = (u64::from(asid) << 48) | ((va >> 12) & ((1 << 44) - 1));
    // SAFETY: TLB maintenance only discards cached translations.
    unsafe {
        asm!("dsb ishst", "tlbi vae1is, {0}", "dsb ish", "isb", in(reg) arg, options(nostack, preserves_flags));
    }
}

/// Drops the TLB entries of `asid` for `[start, end)` on every core: page
/// by page for a few pages, the whole ASID beyond that.
pub fn flush_user_range(asid: u16, start: u64, end: u64) {
    const PAGE_BY_PAGE_LIMIT: u64 = 16;
    let pages = end.saturating_sub(start) / 4096;
    if pages > PAGE_BY_PAGE_LIMIT {
        flush_asid(asid);
        return;
    }
    let tag = u64::from(asid) << 48;
    // SAFETY: TLB maintenance only discards cached translations.
    unsafe { asm!("dsb ishst", options(nostack, preserves_flags)) };
    let mut va = start;
    while va < end {
        let arg = tag | ((va >> 12) & ((1 << 44) - 1));
        // SAFETY: as above.
        unsafe { asm!("tlbi vae1is, {0}", in(reg) arg, options(nostack, preserves_flags)) };
        va += 4096;
    }
    // SAFETY: as above; the barriers complete the invalidation on every core.
    unsafe { asm!("dsb ish", "isb", options(nostack, preserves_flags)) };
}

/// Makes table writes visible to the page-table walker before the next
/// access through them.
pub fn table_write_barrier() {
    barrier::dsb(barrier::ISHST);
}

/// Makes instructions written to a page through the linear map at `va`
/// visible to instruction fetch (before the page is mapped executable).
pub fn sync_icache_page(va: u64) {
    let mut line = va & !63;
    let end = (va & !0xfff) + 4096;
    // SAFETY: cache maintenance by address on a mapped page has no effect on
    // memory contents.
    unsafe {
        while line < end {
            asm!("dc cvau, {0}", in(reg) line, options(nostack, preserves_flags));
            line += 64;
        }
        asm!("dsb ish", options(nostack, preserves_flags));
        line = va & !0xfff;
        while line < end {
            asm!("ic ivau, {0}", in(reg) line, options(nostack, preserves_flags));
            line += 64;
        }
        asm!("dsb ish", "isb", options(nostack, preserves_flags));
    }
}

/// Cleans `[va, va + len)` to the point of coherency, for an observer that
/// reads memory with its caches off (a core that is about to start).
pub fn clean_dcache_range(va: u64, len: usize) {
    let mut line = va & !63;
    let end = va + len as u64;
    while line < end {
        // SAFETY: cleaning by address writes dirty data back; nothing changes.
        unsafe { asm!("dc cvac, {0}", in(reg) line, options(nostack, preserves_flags)) };
        line += 64;
    }
    // SAFETY: completes the cleaning.
    unsafe { asm!("dsb sy", options(nostack, preserves_flags)) };
}

/// Cleans and invalidates the page at `va` (linear map) from the data
/// caches, before it is mapped with a non-cacheable memory type: no dirty
/// line may later overwrite what an uncached observer wrote, and none may
/// hide what the kernel wrote through its cached view.
pub fn clean_invalidate_dcache_page(va: u64) {
    let mut line = va & !0xfff;
    let end = line + 4096;
    while line < end {
        // SAFETY: clean-and-invalidate never loses data and changes no mapping.
        unsafe { asm!("dc civac, {0}", in(reg) line, options(nostack, preserves_flags)) };
        line += 64;
    }
    // SAFETY: completes the maintenance.
    unsafe { asm!("dsb sy", options(nostack, preserves_flags)) };
}

/// Cleans and invalidates the data-cache line holding `va` (to see a write
/// another agent made with its caches off).
pub fn invalidate_dcache_line(va: u64) {
    // SAFETY: clean-and-invalidate never loses data and changes no mapping.
    unsafe { asm!("dc civac, {0}", "dsb sy", in(reg) va, options(nostack, preserves_flags)) };
}

/// One turn of a spin wait. `yield` says this core waits on another: a
/// no-op on the Cortex-A72, but QEMU's round-robin TCG (one host thread
/// runs every vCPU in turn, as under `-icount`) moves on to the next vCPU
/// at it, so a waiter does not spin out its whole turn behind a lock holder
/// whose turn ended. Linux's `cpu_relax` is the same instruction. The `isb`
/// is `core::hint::spin_loop`'s back-off: it keeps a waiting core off the
/// lock's cache line for a few cycles.
#[inline(always)]
pub fn relax() {
    // SAFETY: a hint and a barrier: no memory access, no register changed.
    unsafe { asm!("yield", "isb", options(nomem, nostack, preserves_flags)) };
}

/// [`relax`] as `spin`'s relax strategy: how the kernel's spin locks wait.
pub struct Relax;

impl spin::relax::RelaxStrategy for Relax {
    #[inline(always)]
    fn relax() {
        relax();
    }
}

/// The spin lock of the kernel's and the platform's structures.
pub type Mutex<T> = spin::mutex::Mutex<T, Relax>;
/// What [`Mutex::lock`] hands out.
pub type MutexGuard<'a, T> = spin::mutex::MutexGuard<'a, T, Relax>;

/// Stops this core for good. `wfi` rather than `wfe`: with interrupts
/// masked nothing wakes it, and QEMU then idles instead of spinning.
pub fn halt() -> ! {
    loop {
        aarch64_cpu::asm::wfi();
    }
}

/// Semihosting `SYS_EXIT` with an exit status: QEMU (run with
/// `-semihosting`) exits with `code`. On a CPU without a debugger attached,
/// `hlt` is undefined: only call this when the boot arguments ask for it.
pub fn semihosting_exit(code: u32) -> ! {
    const SYS_EXIT: u64 = 0x18;
    const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x20026;
    let block = [ADP_STOPPED_APPLICATION_EXIT, u64::from(code)];
    // SAFETY: the semihosting call reads the two-word block and ends the run.
    unsafe {
        asm!("hlt #0xf000", in("x0") SYS_EXIT, in("x1") block.as_ptr(), options(nostack));
    }
    halt()
}
