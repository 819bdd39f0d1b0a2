//! The kernel's side of the resident EL2 layer ("hypervisor-lite"): its
//! loader and the calls the guest makes to it.
//!
//! The layer is its own program (`hyp/`, linked at `hyp_abi::EL2_VA_BASE`
//! with `linker/hyp.ld`), built before the kernel and embedded in it by
//! `scripts/build.sh` (`ZK_HYP_IMAGE`). When the firmware entered at EL2,
//! the kernel (at EL1, early in boot) picks a 2 MiB-aligned region of RAM,
//! copies the image to its base, and builds two sets of tables inside the
//! region with `aarch64-paging`: the layer's own EL2 stage 1 (its link
//! address mapped onto the region, so no relocation is applied to the image;
//! per-part permissions; unmapped guard pages under the per-CPU stacks) and
//! the guest's stage 2 (RAM identity-mapped except the region and the
//! spin-table release pages, device registers from the device tree as
//! device memory). It writes the `HypConfig` and asks the EL2 boot stub to
//! jump into the image. From then on the kernel is a guest: an access to the
//! region or to an address the tree does not describe is a stage-2 fault,
//! and every SMC and HVC goes through the layer's allow-list.

use crate::dt::{BoardInfo, EnableMethod, FixedVec, PsciConduit, Range, UartKind};
use crate::layout::phys_to_virt;
use crate::memmap::{device_ranges, overlaps_any, usable_ranges};
use aarch64_paging::descriptor::{
    El23Attributes as E2, PagingAttributes, PhysicalAddress, Stage2Attributes as S2,
};
use aarch64_paging::paging::{Constraints, El2, MemoryRegion, PageTable, Stage2, Translation};
use aarch64_paging::Mapping;
use core::arch::asm;
use core::mem::{offset_of, size_of};
use core::ptr::NonNull;
use hyp_abi::{region, uart, HypCall, HypConfig, ImageHeader, MemRange, PsciFirmware};

/// The kernel <-> layer interface, for the kernel's self-tests.
pub use hyp_abi as abi;

pub mod probe;

/// Size of the reserved region (image, configuration, stacks, tables).
pub const REGION_SIZE: u64 = region::SIZE;

/// The layer's image, as `scripts/build.sh` built it.
#[cfg(hyp_image)]
static IMAGE: &[u8] = include_bytes!(env!("ZK_HYP_IMAGE_PATH"));
/// Built without the layer's image (e.g. `cargo clippy`): entering at EL2
/// then runs the kernel without the layer, and says so.
#[cfg(not(hyp_image))]
static IMAGE: &[u8] = &[];

/// IPA space of the guest: 39 bits, so stage 2 starts at level 1 with one
/// table (every address the boards use is below 2^39).
const IPA_BITS: u64 = 39;

/// What the layer reports about itself.
#[derive(Clone, Copy, Debug)]
pub struct HypInfo {
    pub version: u64,
    pub region: Range,
}

/// What the layer's state query returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HypState {
    /// Digest of its configuration, code, tables and trap registers.
    pub digest: u64,
    /// Calls refused (not on its allow-list) since launch.
    pub refused: u64,
    /// Calls on the list rejected for their arguments.
    pub rejected: u64,
    /// Calls passed to the firmware.
    pub forwarded: u64,
}

/// Table pages, carved one after another from the region and written
/// through the linear map.
struct RegionTables {
    next: u64,
    end: u64,
}

impl<A: PagingAttributes> Translation<A> for RegionTables {
    fn allocate_table(&mut self) -> (NonNull<PageTable<A>>, PhysicalAddress) {
        assert!(self.next < self.end, "EL2 table space exhausted");
        let pa = self.next;
        self.next += 4096;
        let va = phys_to_virt(pa) as *mut u8;
        // SAFETY: `pa` is a fresh page of the reserved region, which the
        // linear map covers and nothing else uses.
        unsafe { core::ptr::write_bytes(va, 0, 4096) };
        (
            NonNull::new(va as *mut PageTable<A>).expect("linear map is not null"),
            PhysicalAddress(pa as usize),
        )
    }

    unsafe fn deallocate_table(&mut self, _page_table: NonNull<PageTable<A>>) {}

    fn physical_to_virtual(&self, pa: PhysicalAddress) -> NonNull<PageTable<A>> {
        NonNull::new(phys_to_virt(pa.0 as u64) as *mut PageTable<A>)
            .expect("linear map is not null")
    }
}

const RAM: S2 = S2::VALID
    .union(S2::ACCESS_FLAG)
    .union(S2::S2AP_ACCESS_RW)
    .union(S2::SH_INNER)
    .union(S2::MEMATTR_NORMAL_INNER_WB)
    .union(S2::MEMATTR_NORMAL_OUTER_WB);
const DEVICE: S2 = S2::VALID
    .union(S2::ACCESS_FLAG)
    .union(S2::S2AP_ACCESS_RW)
    .union(S2::MEMATTR_DEVICE_nGnRE)
    .union(S2::XN);

/// MAIR_EL2: index 0 Device-nGnRE, index 1 Normal write-back.
const MAIR_EL2: u64 = 0xff04;
const EL2_NORMAL: E2 = E2::VALID
    .union(E2::ATTRIBUTE_INDEX_1)
    .union(E2::INNER_SHAREABLE)
    .union(E2::ACCESSED)
    .union(E2::USER_RES1);
const EL2_TEXT: E2 = EL2_NORMAL.union(E2::READ_ONLY);
const EL2_RO: E2 = EL2_NORMAL.union(E2::READ_ONLY).union(E2::XN);
const EL2_RW: E2 = EL2_NORMAL.union(E2::XN);
const EL2_DEVICE: E2 = E2::VALID
    .union(E2::ATTRIBUTE_INDEX_0)
    .union(E2::ACCESSED)
    .union(E2::USER_RES1)
    .union(E2::XN);
/// SCTLR_EL2: RES1 bits, MMU, D- and I-cache, SP alignment check, WXN.
const SCTLR_EL2: u64 = 0x30c5_0830 | 1 | (1 << 2) | (1 << 3) | (1 << 12) | (1 << 19);
/// HCR_EL2: RW (EL1 is AArch64), TSC (trap SMC), VM (stage 2 on).
const HCR_EL2: u64 = hyp_abi::el1_entry::HCR_EL2_RW | (1 << 19) | 1;

/// The highest 2 MiB-aligned `REGION_SIZE` block inside `usable`.
pub fn pick_region(usable: &[Range]) -> Option<Range> {
    usable
        .iter()
        .filter_map(|r| {
            let base = (r.end().checked_sub(REGION_SIZE)?) & !(region::ALIGN - 1);
            (base >= r.base).then_some(Range {
                base,
                size: REGION_SIZE,
            })
        })
        .max_by_key(|r| r.base)
}

/// Cleans `[va, va + len)` to the point of coherency: every core enters the
/// layer with its MMU (and so its caches) off and reads the entry page and
/// the configuration from memory.
fn clean_to_poc(va: u64, len: u64) {
    let mut line = va & !63;
    while line < va + len {
        // SAFETY: cache maintenance by address does not change memory.
        unsafe { asm!("dc cvac, {0}", in(reg) line, options(nostack, preserves_flags)) };
        line += 64;
    }
    // SAFETY: barriers and instruction-cache invalidation only.
    unsafe {
        asm!(
            "dsb sy",
            "ic iallu",
            "dsb sy",
            "isb",
            options(nostack, preserves_flags)
        )
    };
}

/// The image's header, if `IMAGE` is a layer image that fits its region.
fn image_header() -> Result<ImageHeader, &'static str> {
    let word = |field: usize| -> Option<u64> {
        let at = ImageHeader::OFFSET as usize + field;
        let bytes = IMAGE.get(at..at + 8)?;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    };
    let read = || -> Option<ImageHeader> {
        Some(ImageHeader {
            magic: word(offset_of!(ImageHeader, magic))?,
            text_end: word(offset_of!(ImageHeader, text_end))?,
            rodata_end: word(offset_of!(ImageHeader, rodata_end))?,
            image_end: word(offset_of!(ImageHeader, image_end))?,
        })
    };
    let h = read().ok_or("this kernel was built without the EL2 layer's image")?;
    let base = hyp_abi::EL2_VA_BASE;
    let ordered = h.magic == ImageHeader::MAGIC
        && base < h.text_end
        && h.text_end <= h.rodata_end
        && h.rodata_end <= h.image_end
        && h.image_end - base <= region::IMAGE_MAX
        && IMAGE.len() as u64 <= h.image_end - base
        && [h.text_end, h.rodata_end, h.image_end]
            .iter()
            .all(|a| a.is_multiple_of(4096));
    if !ordered {
        return Err("the embedded EL2 image has a bad header");
    }
    Ok(h)
}

fn map_el2(
    m: &mut Mapping<RegionTables, El2>,
    va: u64,
    pa: u64,
    len: u64,
    attrs: E2,
) -> Result<(), &'static str> {
    m.map_range(
        &MemoryRegion::new(va as usize, (va + len) as usize),
        PhysicalAddress(pa as usize),
        attrs,
        Constraints::empty(),
    )
    .map_err(|_| "could not build the layer's EL2 tables")
}

/// Installs the layer in `region` and returns its report.
///
/// # Safety
/// Call once, on the boot core, only if the kernel was entered at EL2 (the
/// boot stub must be in VBAR_EL2), after the kernel tables map all RAM and
/// before anything else uses `region`. `info` must describe this machine.
pub unsafe fn launch(
    region_range: Range,
    info: &BoardInfo<'_>,
    semihosting: bool,
) -> Result<HypInfo, &'static str> {
    let header = image_header()?;
    let base = region_range.base;
    let va_base = hyp_abi::EL2_VA_BASE;
    // SAFETY: the region is free RAM of REGION_SIZE bytes, mapped by the
    // linear map; nothing else uses it.
    unsafe {
        core::ptr::write_bytes(phys_to_virt(base) as *mut u8, 0, REGION_SIZE as usize);
        core::ptr::copy_nonoverlapping(
            IMAGE.as_ptr(),
            phys_to_virt(base + region::IMAGE) as *mut u8,
            IMAGE.len(),
        );
    }

    // The guest's RAM: all memory minus the region and the pages holding
    // spin-table release slots (a guest that could write one would send a
    // parked core, at EL2 with its MMU off, anywhere).
    let mut holes: FixedVec<Range, 16> = FixedVec::new();
    let _ = holes.push(region_range);
    for c in info.cpus.iter() {
        if let EnableMethod::SpinTable { release_addr } = c.enable_method {
            let page = release_addr & !0xfff;
            let end = (release_addr + 8 + 0xfff) & !0xfff;
            holes
                .push(Range {
                    base: page,
                    size: end - page,
                })
                .map_err(|_| "too many spin-table pages")?;
        }
    }
    let ipa_limit = 1u64 << IPA_BITS;
    let guest_ram = usable_ranges(&info.memory, &holes)
        .map_err(|_| "guest RAM is in too many pieces for the layer")?;
    let mut cfg = HypConfig {
        magic: hyp_abi::MAGIC,
        region_base: base,
        region_size: REGION_SIZE,
        semihosting: u64::from(semihosting),
        mair_el2: MAIR_EL2,
        sctlr_el2: SCTLR_EL2,
        hcr_el2: HCR_EL2,
        ..HypConfig::default()
    };

    let mut s2 = Mapping::new(
        RegionTables {
            next: base + region::TABLES,
            end: base + REGION_SIZE,
        },
        1,
        Stage2,
    );
    for part in guest_ram.iter().filter(|r| r.end() <= ipa_limit) {
        s2.map_range(
            &MemoryRegion::new(part.base as usize, part.end() as usize),
            PhysicalAddress(part.base as usize),
            RAM,
            Constraints::empty(),
        )
        .map_err(|_| "could not map guest RAM at stage 2")?;
        let n = cfg.n_ram as usize;
        *cfg.ram
            .get_mut(n)
            .ok_or("guest RAM is in too many pieces for the layer")? = MemRange {
            base: part.base,
            size: part.size,
        };
        cfg.n_ram += 1;
    }
    // The guest drives the physical distributor and CPU interface; the
    // hypervisor interface (GICH) and virtual CPU interface are not its.
    for d in device_ranges(info, false).iter() {
        let lo = d.base & !0xfff;
        let hi = (d.end() + 0xfff) & !0xfff;
        let page_range = Range {
            base: lo,
            size: hi - lo,
        };
        if overlaps_any(&page_range, &[region_range]) {
            return Err("a device in the tree overlaps the layer's region");
        }
        if hi <= ipa_limit {
            s2.map_range(
                &MemoryRegion::new(lo as usize, hi as usize),
                PhysicalAddress(lo as usize),
                DEVICE,
                Constraints::empty(),
            )
            .map_err(|_| "could not map a device at stage 2")?;
        }
    }
    cfg.vttbr_el2 = s2.root_address().0 as u64;
    let next = s2.translation().next;

    // The layer's own EL2 tables: its link address onto the region.
    let mut el2 = Mapping::new(
        RegionTables {
            next,
            end: base + REGION_SIZE,
        },
        0,
        El2,
    );
    let text = header.text_end - va_base;
    let ro = header.rodata_end - va_base;
    let end = header.image_end - va_base;
    map_el2(&mut el2, va_base, base, text, EL2_TEXT)?;
    map_el2(&mut el2, va_base + text, base + text, ro - text, EL2_RO)?;
    map_el2(&mut el2, va_base + ro, base + ro, end - ro, EL2_RW)?;
    map_el2(
        &mut el2,
        va_base + region::CONFIG,
        base + region::CONFIG,
        4096,
        EL2_RO,
    )?;
    for i in 0..hyp_abi::MAX_CPUS as u64 {
        let stack =
            region::STACKS + i * region::STACK_STRIDE + (region::STACK_STRIDE - region::STACK_SIZE);
        map_el2(
            &mut el2,
            va_base + stack,
            base + stack,
            region::STACK_SIZE,
            EL2_RW,
        )?;
    }
    map_el2(
        &mut el2,
        va_base + region::TABLES,
        base + region::TABLES,
        REGION_SIZE - region::TABLES,
        EL2_RO,
    )?;
    // The entry page at its physical address too: the instruction after
    // the MMU turns on is fetched there.
    map_el2(&mut el2, base, base, 4096, EL2_TEXT)?;
    let (kind, uart_pa) = match info.console.or_else(|| info.uarts.first().copied()) {
        Some(u) if u.kind == UartKind::Pl011 => (uart::PL011, u.regs.base),
        Some(u) => (uart::MINI, u.regs.base),
        None => (uart::NONE, 0),
    };
    if kind != uart::NONE {
        map_el2(
            &mut el2,
            hyp_abi::EL2_UART_VA,
            uart_pa & !0xfff,
            0x2000,
            EL2_DEVICE,
        )?;
        cfg.uart_kind = kind;
        cfg.uart_pa = uart_pa;
        cfg.uart_va = hyp_abi::EL2_UART_VA + (uart_pa & 0xfff);
    }
    cfg.ttbr0_el2 = el2.root_address().0 as u64;
    cfg.tables_end = el2.translation().next - base;
    // Both sets of tables live in the region, which the guest can no longer
    // touch: never walk or free them from here again.
    core::mem::forget(s2);
    core::mem::forget(el2);

    let pa_range = {
        use aarch64_cpu::registers::Readable;
        aarch64_cpu::registers::ID_AA64MMFR0_EL1.get() & 0x7
    };
    cfg.vtcr_el2 = (64 - IPA_BITS) // T0SZ
        | (1 << 6) // SL0: start at level 1
        | (1 << 8) | (1 << 10) | (3 << 12) // walks: WB cacheable, inner shareable
        | (pa_range << 16) // PS from ID_AA64MMFR0_EL1.PARange
        | (1 << 31); // RES1
    cfg.tcr_el2 = 16 // T0SZ: 48-bit VA
        | (1 << 8) | (1 << 10) | (3 << 12) // walks: WB cacheable, inner shareable
        | (pa_range << 16) // PS
        | (1 << 23) | (1 << 31); // RES1

    let ids = info.psci_ids;
    cfg.psci = PsciFirmware {
        // At EL2 the firmware is below: SMC, whatever the node's method.
        present: u64::from(info.psci.is_some()),
        v0_2: u64::from(ids.v0_2),
        v0_1_cpu_on: ids.cpu_on.map_or(0, u64::from),
        v0_1_cpu_off: ids.cpu_off.map_or(0, u64::from),
        v0_1_cpu_suspend: ids.cpu_suspend.map_or(0, u64::from),
        v0_1_migrate: ids.migrate.map_or(0, u64::from),
    };
    if info.psci == Some(PsciConduit::Hvc) {
        // PSCI at EL2 means the firmware is where the layer would be.
        return Err("the tree puts PSCI at EL2 (method \"hvc\")");
    }
    for c in info.cpus.iter() {
        let n = cfg.n_cpus as usize;
        *cfg.cpus
            .get_mut(n)
            .ok_or("more cores than the layer has slots")? = c.mpidr & hyp_abi::MPIDR_AFFINITY_MASK;
        cfg.n_cpus += 1;
    }
    let me = {
        use aarch64_cpu::registers::Readable;
        aarch64_cpu::registers::MPIDR_EL1.get() & hyp_abi::MPIDR_AFFINITY_MASK
    };
    if cfg.slot_of(me).is_none() {
        // The layer finds each core's stack by its MPIDR: the boot core
        // would park in the layer's entry.
        return Err("the boot core is not among the tree's cores");
    }
    for (i, c) in info.cpus.iter().enumerate() {
        if matches!(c.enable_method, EnableMethod::SpinTable { .. })
            && c.mpidr & hyp_abi::MPIDR_AFFINITY_MASK != me
        {
            cfg.held |= 1 << i;
        }
    }
    // SAFETY: the configuration page of the region, mapped by the linear
    // map; HypConfig fits it (checked in hyp-abi).
    unsafe { (phys_to_virt(base + region::CONFIG) as *mut HypConfig).write(cfg) };
    clean_to_poc(phys_to_virt(base), REGION_SIZE);

    // Cores parked in the firmware's spin table (at EL2, MMU off) are sent
    // to the layer's own entry, which holds them until the guest starts one
    // with CPU_ON: no core stays outside the layer, and after the launch the
    // guest cannot reach the release slots (outside its stage 2) anyway.
    let held_entry = base + region::IMAGE + hyp_abi::entry::SECONDARY;
    let mut released = 0;
    for (i, c) in info.cpus.iter().enumerate() {
        let EnableMethod::SpinTable { release_addr } = c.enable_method else {
            continue;
        };
        if cfg.held & (1 << i) == 0 {
            continue;
        }
        let va = phys_to_virt(release_addr);
        // SAFETY: the tree's release slot, in RAM the linear map covers; the
        // core polls it with its caches off, hence the clean.
        unsafe { (va as *mut u64).write_volatile(held_entry) };
        crate::arch::cpu::invalidate_dcache_line(va);
        released += 1;
    }
    if released > 0 {
        // SAFETY: a barrier and an event: the parked cores wait in WFE.
        unsafe { asm!("dsb sy", "sev", options(nostack, preserves_flags)) };
    }

    let status: i64;
    // SAFETY: the boot stub at EL2 jumps into the image just written; the
    // layer installs its tables and stage 2 and returns here with a status.
    // The stage-2 view keeps everything this kernel uses mapped. The layer
    // is Rust under the C ABI: it preserves x19-x29 and clobbers the rest.
    unsafe {
        asm!("hvc #0", inout("x0") u64::from(HypCall::Launch.id()) => status, in("x1") base,
             clobber_abi("C"), options(nostack));
    }
    if status != 0 {
        return Err("the EL2 layer refused its configuration");
    }
    query().ok_or("the EL2 layer does not answer")
}

/// Asks the layer about itself. Only call when the kernel was entered at
/// EL2 (at EL1 on bare hardware, `hvc` would be undefined).
pub fn query() -> Option<HypInfo> {
    let (magic, version, base, size): (u64, u64, u64, u64);
    // SAFETY: an SMCCC call the layer answers; it preserves x4-x30.
    unsafe {
        asm!("hvc #0", inout("x0") u64::from(HypCall::Query.id()) => magic, out("x1") version,
             out("x2") base, out("x3") size, options(nostack));
    }
    (magic == hyp_abi::MAGIC).then_some(HypInfo {
        version,
        region: Range { base, size },
    })
}

/// The layer's state: `None` if it does not answer the query.
pub fn state() -> Option<HypState> {
    let (r0, digest, refused, rejected, forwarded): (i64, u64, u64, u64, u64);
    // SAFETY: an SMCCC call the layer answers in x0-x4; it preserves the rest.
    unsafe {
        asm!("hvc #0", inout("x0") u64::from(HypCall::State.id()) => r0, out("x1") digest,
             out("x2") refused, out("x3") rejected, out("x4") forwarded, options(nostack));
    }
    (r0 == hyp_abi::status::SUCCESS).then_some(HypState {
        digest,
        refused,
        rejected,
        forwarded,
    })
}

/// One raw SMCCC call from the guest, for the hostile self-test: x0..x3 in,
/// x0 out (x1..x17 may be clobbered, as SMCCC 1.0 allows).
pub fn raw_call(smc: bool, x: [u64; 4]) -> u64 {
    let r: u64;
    // SAFETY: an SMCCC call; the layer (or, without it, nothing: only call
    // under the layer) answers; caller-saved registers are clobbered.
    unsafe {
        if smc {
            asm!("smc #0", inout("x0") x[0] => r, inout("x1") x[1] => _, inout("x2") x[2] => _,
                 inout("x3") x[3] => _, clobber_abi("C"), options(nostack));
        } else {
            asm!("hvc #0", inout("x0") x[0] => r, inout("x1") x[1] => _, inout("x2") x[2] => _,
                 inout("x3") x[3] => _, clobber_abi("C"), options(nostack));
        }
    }
    r
}

const _: () = assert!(size_of::<HypConfig>() <= 4096);
