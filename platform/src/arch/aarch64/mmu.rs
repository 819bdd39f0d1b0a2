//! The kernel's own address space (TTBR1): a linear map of all RAM and device
//! registers, and the kernel image with W^X sections. Built once at boot with
//! `aarch64-paging`, from a pool of table pages inside the image (the page
//! allocator does not exist yet), then switched to from the boot tables.

use crate::dt::Range;
use crate::layout::phys_to_virt;
use aarch64_paging::descriptor::{El1Attributes as Attr, PhysicalAddress};
use aarch64_paging::paging::{Constraints, El1And0, MemoryRegion, PageTable, Translation, VaRange};
use aarch64_paging::{MapError, Mapping};
use core::cell::UnsafeCell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};

/// Table pages for the kernel's tables: the linear map and image take a
/// few dozen, the kernel-stack region one per 2 MiB of stacks.
const POOL_PAGES: usize = 192;

#[repr(C, align(4096))]
struct TablePool(UnsafeCell<[[u8; 4096]; POOL_PAGES]>);

// SAFETY: pages are handed out once each (an atomic cursor) and then owned by
// the one kernel mapping, which is changed only under `KERNEL_SPACE_LOCK`.
unsafe impl Sync for TablePool {}

static POOL: TablePool = TablePool(UnsafeCell::new([[0; 4096]; POOL_PAGES]));
static POOL_NEXT: AtomicUsize = AtomicUsize::new(0);

/// Table pages come from `POOL`, inside the image, so they are reachable at
/// their image address both before and after the switch.
struct PoolTranslation {
    kimage_offset: u64,
}

impl Translation<Attr> for PoolTranslation {
    fn allocate_table(&mut self) -> (NonNull<PageTable<Attr>>, PhysicalAddress) {
        let index = POOL_NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(
            index < POOL_PAGES,
            "kernel translation-table pool exhausted"
        );
        let base = POOL.0.get() as *mut [u8; 4096];
        // SAFETY: `index` is in bounds and was never handed out before.
        let page = unsafe { base.add(index) } as *mut PageTable<Attr>;
        let va = page as u64;
        let pa = PhysicalAddress((va - self.kimage_offset) as usize);
        (NonNull::new(page).expect("pool page is not null"), pa)
    }

    unsafe fn deallocate_table(&mut self, _page_table: NonNull<PageTable<Attr>>) {
        // Kernel tables live as long as the kernel; a freed pool page is
        // simply not reused.
    }

    fn physical_to_virtual(&self, pa: PhysicalAddress) -> NonNull<PageTable<Attr>> {
        let va = pa.0 as u64 + self.kimage_offset;
        NonNull::new(va as *mut PageTable<Attr>).expect("table address is not null")
    }
}

/// MAIR index 1: normal write-back memory, inner shareable.
const NORMAL: Attr = Attr::VALID
    .union(Attr::ATTRIBUTE_INDEX_1)
    .union(Attr::INNER_SHAREABLE)
    .union(Attr::ACCESSED);
/// MAIR index 0: Device-nGnRE, never executable.
const DEVICE: Attr = Attr::VALID
    .union(Attr::ATTRIBUTE_INDEX_0)
    .union(Attr::ACCESSED)
    .union(Attr::PXN)
    .union(Attr::UXN);
const TEXT: Attr = NORMAL.union(Attr::READ_ONLY).union(Attr::UXN);
const RODATA: Attr = NORMAL
    .union(Attr::READ_ONLY)
    .union(Attr::UXN)
    .union(Attr::PXN);
const DATA: Attr = NORMAL.union(Attr::UXN).union(Attr::PXN);

unsafe extern "C" {
    static __image_start: u8;
    static __text_end: u8;
    static __rodata_end: u8;
    static __bss_end: u8;
    static __boot_stack_guard: u8;
    static __boot_stack_bottom: u8;
    static __boot_stack_top: u8;
    static __emergency_stack_top: u8;
    static __image_end: u8;
}

fn sym(s: &u8) -> u64 {
    s as *const u8 as u64
}

/// The kernel image's sections, as virtual address ranges.
#[derive(Clone, Copy, Debug)]
pub struct ImageLayout {
    pub start: u64,
    pub text_end: u64,
    pub rodata_end: u64,
    pub data_end: u64,
    pub stack_guard: u64,
    pub stack_bottom: u64,
    pub stack_top: u64,
    /// Top of the stack kernel exceptions use when the boot stack is
    /// exhausted (it lies right above the boot stack).
    pub emergency_stack_top: u64,
    pub end: u64,
}

/// Where the linker put each part of the image.
pub fn image_layout() -> ImageLayout {
    // SAFETY: only the addresses of linker-defined symbols are taken.
    unsafe {
        ImageLayout {
            start: sym(&__image_start),
            text_end: sym(&__text_end),
            rodata_end: sym(&__rodata_end),
            data_end: sym(&__bss_end),
            stack_guard: sym(&__boot_stack_guard),
            stack_bottom: sym(&__boot_stack_bottom),
            stack_top: sym(&__boot_stack_top),
            emergency_stack_top: sym(&__emergency_stack_top),
            end: sym(&__image_end),
        }
    }
}

type KernelMapping = Mapping<PoolTranslation, El1And0>;

struct KernelSpace(UnsafeCell<Option<KernelMapping>>);
// SAFETY: written once at boot on the boot core; afterwards changed only
// with `KERNEL_SPACE_LOCK` held (`map_kernel_stack`, `unmap_kernel_stack`).
unsafe impl Sync for KernelSpace {}
static KERNEL_SPACE: KernelSpace = KernelSpace(UnsafeCell::new(None));
static KERNEL_SPACE_LOCK: super::cpu::Mutex<()> = super::cpu::Mutex::new(());

/// Builds the final kernel address space and switches TTBR1 to it; TTBR0 is
/// emptied for EL0 address spaces.
///
/// # Safety
/// Call once, on the boot core, while running on the boot tables built by
/// `entry.S`, with `kimage_offset` as computed there. `ram` and `devices` must
/// describe real RAM and real device registers.
pub unsafe fn switch_to_kernel_tables(
    kimage_offset: u64,
    ram: &[Range],
    devices: &[Range],
) -> Result<(), MapError> {
    let mut m = KernelMapping::with_asid_and_va_range(
        PoolTranslation { kimage_offset },
        0,
        0,
        El1And0,
        VaRange::Upper,
    );
    for r in ram {
        let va = phys_to_virt(r.base) as usize;
        m.map_range(
            &MemoryRegion::new(va, va + r.size as usize),
            PhysicalAddress(r.base as usize),
            DATA,
            Constraints::empty(),
        )?;
    }
    for d in devices {
        let base = d.base & !0xfff;
        let end = (d.base + d.size + 0xfff) & !0xfff;
        let va = phys_to_virt(base) as usize;
        m.map_range(
            &MemoryRegion::new(va, va + (end - base) as usize),
            PhysicalAddress(base as usize),
            DEVICE,
            Constraints::empty(),
        )?;
    }
    let l = image_layout();
    let sections = [
        (l.start, l.text_end, TEXT),
        (l.text_end, l.rodata_end, RODATA),
        (l.rodata_end, l.data_end, DATA),
        // [stack_guard, stack_bottom) stays unmapped: a stack overflow faults.
        // The boot stack and, above it, the emergency stack for exceptions.
        (l.stack_bottom, l.emergency_stack_top, DATA),
    ];
    for (start, end, attr) in sections {
        if end > start {
            m.map_range(
                &MemoryRegion::new(start as usize, end as usize),
                PhysicalAddress((start - kimage_offset) as usize),
                attr,
                Constraints::NO_BLOCK_MAPPINGS,
            )?;
        }
    }
    let (_, empty_pa) = PoolTranslation { kimage_offset }.allocate_table();
    EMPTY_USER_TABLE.store(empty_pa.0 as u64, Ordering::Relaxed);
    KIMAGE_OFFSET.store(kimage_offset, Ordering::Relaxed);

    // SAFETY: the caller is the only user of KERNEL_SPACE, once, at boot.
    let slot = unsafe { &mut *KERNEL_SPACE.0.get() };
    let m = slot.insert(m);
    // SAFETY: the new tables map the image at the same addresses with the
    // same physical pages, so execution continues seamlessly; the linear map
    // now covers all RAM instead of the boot window.
    unsafe {
        m.activate();
    }
    enter_kernel_view();
    // The boot tables' entries go from every TLB.
    flush_all_tlbs();
    Ok(())
}

/// This core's final setup on the kernel's tables: the empty TTBR0
/// (software PAN) for the kernel and, until an address space is activated,
/// for EL0 too. The caller then flushes the TLB (the boot tables' entries).
/// SCTLR_EL1.WXN stays off: it would make every EL0 page that is writable
/// also non-executable, and Zircon lets a program map a page writable and
/// executable when its handles allow it. The kernel's own tables are W^X by
/// construction.
fn enter_kernel_view() {
    let empty = EMPTY_USER_TABLE.load(Ordering::Relaxed);
    let cpu = super::percpu::this_cpu();
    cpu.kernel_ttbr0.store(empty, Ordering::Relaxed);
    cpu.user_ttbr0.store(empty, Ordering::Relaxed);
    super::cpu::write_ttbr0(empty);
    aarch64_cpu::asm::barrier::isb(aarch64_cpu::asm::barrier::SY);
}

static KIMAGE_OFFSET: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// The image's virtual minus physical address.
pub fn kimage_offset() -> u64 {
    KIMAGE_OFFSET.load(Ordering::Relaxed)
}

/// The physical address of a kernel address: in the linear map, or of a
/// symbol or static in the image (mapped at its link address).
pub fn kernel_pa(va: u64) -> u64 {
    crate::layout::virt_to_phys(va).unwrap_or_else(|| va - kimage_offset())
}

/// An all-invalid level-0 table for TTBR0 while no process runs.
static EMPTY_USER_TABLE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Points TTBR0 at the empty table (before a process's tables are freed).
pub fn clear_user_table() {
    let empty = EMPTY_USER_TABLE.load(Ordering::Relaxed);
    super::percpu::this_cpu()
        .user_ttbr0
        .store(empty, Ordering::Relaxed);
    super::cpu::write_ttbr0(empty);
}

/// Discards every cached translation, global ones included.
pub fn flush_all_tlbs() {
    // SAFETY: TLB maintenance only discards cached translations.
    unsafe {
        core::arch::asm!(
            "dsb ishst",
            "tlbi vmalle1is",
            "dsb ish",
            "isb",
            options(nostack, preserves_flags)
        );
    }
}

/// Whether `va` lies in a kernel stack's guard page: the boot stack's, or
/// any unmapped page of the kernel-stack region (each stack there has
/// unmapped pages below it).
pub fn is_stack_guard(va: u64) -> bool {
    let l = image_layout();
    (va >= l.stack_guard && va < l.stack_bottom) || crate::layout::is_kernel_stack_region(va)
}

/// Maps `frames` (physical pages) as a kernel stack at `[va, va + 4 KiB *
/// frames.len())` in the kernel-stack region.
///
/// # Errors
/// Whatever `aarch64-paging` reports (no table page left, or the range is
/// already mapped).
///
/// # Safety
/// `va` must be a free, page-aligned slot of the kernel-stack region, and
/// the frames must belong to the caller for as long as they stay mapped.
pub unsafe fn map_kernel_stack(va: u64, frames: &[u64]) -> Result<(), MapError> {
    let _guard = KERNEL_SPACE_LOCK.lock();
    // SAFETY: the lock serialises every change after boot.
    let Some(m) = (unsafe { &mut *KERNEL_SPACE.0.get() }).as_mut() else {
        return Err(MapError::AddressRange(
            aarch64_paging::descriptor::VirtualAddress(va as usize),
        ));
    };
    for (i, pa) in frames.iter().enumerate() {
        let page = va as usize + i * 4096;
        m.map_range(
            &MemoryRegion::new(page, page + 4096),
            PhysicalAddress(*pa as usize),
            DATA,
            Constraints::NO_BLOCK_MAPPINGS,
        )?;
    }
    Ok(())
}

/// Unmaps a kernel stack mapped by `map_kernel_stack` and invalidates its
/// TLB entries on every core; its frames may be freed once this returns.
///
/// # Safety
/// Nothing may run on the stack, now or later.
pub unsafe fn unmap_kernel_stack(va: u64, pages: usize) {
    let _guard = KERNEL_SPACE_LOCK.lock();
    // SAFETY: the lock serialises every change after boot.
    if let Some(m) = (unsafe { &mut *KERNEL_SPACE.0.get() }).as_mut() {
        let region = MemoryRegion::new(va as usize, va as usize + pages * 4096);
        // Attributes without VALID unmap; nothing can fail for a range that
        // `map_kernel_stack` mapped page by page.
        let _ = m.map_range(
            &region,
            PhysicalAddress(0),
            Attr::empty(),
            Constraints::NO_BLOCK_MAPPINGS,
        );
    }
    // `map_range` on the live tables invalidated the range on every core.
}

/// TTBR1 for a core that joins: the kernel's own tables.
pub fn kernel_ttbr1() -> u64 {
    let _guard = KERNEL_SPACE_LOCK.lock();
    // SAFETY: read under the lock that serialises every change.
    let m = unsafe { &*KERNEL_SPACE.0.get() };
    m.as_ref().map_or(0, |m| m.root_address().0 as u64)
}

/// On a core that has just joined: the kernel's empty TTBR0 (software PAN),
/// the boot identity map's entries gone from this core's TLB, as on the boot
/// core.
pub fn finish_secondary_mmu() {
    enter_kernel_view();
    // SAFETY: TLB maintenance only discards cached translations (this
    // core's: the identity map is global, and it is gone from TTBR0 now).
    unsafe {
        core::arch::asm!(
            "dsb nshst",
            "tlbi vmalle1",
            "dsb nsh",
            "isb",
            options(nostack, preserves_flags)
        );
    }
}
