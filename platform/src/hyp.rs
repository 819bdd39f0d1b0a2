//! The kernel's side of the resident EL2 layer ("hypervisor-lite").
//!
//! Cortex-A72 has no VHE, so EL2 cannot run the kernel's upper-half code.
//! The layer is therefore small, position-independent assembly (`hyp.S`)
//! that runs with the EL2 MMU off from a region of RAM reserved for it. When
//! the firmware entered at EL2, the kernel (at EL1, early in boot) picks
//! that region, copies the layer's code into it, builds the guest's stage-2
//! tables there with `aarch64-paging` (RAM identity-mapped except the
//! region, device registers from the device tree as device memory), and asks
//! the boot stub at EL2 to install them. From then on the kernel runs as a
//! guest: an access to the region or to an address the tree does not
//! describe is a stage-2 fault, reported by the layer.

use crate::dt::{BoardInfo, Range, UartKind};
use crate::layout::phys_to_virt;
use aarch64_paging::descriptor::{PhysicalAddress, Stage2Attributes as S2};
use aarch64_paging::paging::{Constraints, MemoryRegion, PageTable, Stage2, Translation};
use aarch64_paging::Mapping;
use core::arch::asm;
use core::ptr::NonNull;

/// Size of the reserved region (code, configuration, stacks, tables).
pub const REGION_SIZE: u64 = 4 << 20;
const CFG: u64 = 0x10000;
const STACKS: u64 = 0x20000;
const STACK_SIZE: u64 = 0x4000;
const TABLES: u64 = 0x40000;

const LAUNCH: u64 = 0xc600_0010;
const QUERY: u64 = 0xc600_0000;
const MAGIC: u64 = 0x7a6b_4c31;

/// IPA space of the guest: 39 bits, so stage 2 starts at level 1 with one
/// table (every address the boards use is below 2^39).
const IPA_BITS: u64 = 39;

/// What the layer reports about itself.
#[derive(Clone, Copy, Debug)]
pub struct HypInfo {
    pub version: u64,
    pub region: Range,
}

unsafe extern "C" {
    static __hyp_blob_start: u8;
    static __hyp_blob_end: u8;
    static hyp_vectors: u8;
}

/// Stage-2 table pages, carved one after another from the region and
/// written through the linear map.
struct RegionTables {
    next: u64,
    end: u64,
}

impl Translation<S2> for RegionTables {
    fn allocate_table(&mut self) -> (NonNull<PageTable<S2>>, PhysicalAddress) {
        assert!(self.next < self.end, "stage-2 table space exhausted");
        let pa = self.next;
        self.next += 4096;
        let va = phys_to_virt(pa) as *mut u8;
        // SAFETY: `pa` is a fresh page of the reserved region, which the
        // linear map covers and nothing else uses.
        unsafe { core::ptr::write_bytes(va, 0, 4096) };
        (
            NonNull::new(va as *mut PageTable<S2>).expect("linear map is not null"),
            PhysicalAddress(pa as usize),
        )
    }

    unsafe fn deallocate_table(&mut self, _page_table: NonNull<PageTable<S2>>) {}

    fn physical_to_virtual(&self, pa: PhysicalAddress) -> NonNull<PageTable<S2>> {
        NonNull::new(phys_to_virt(pa.0 as u64) as *mut PageTable<S2>)
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

/// The highest 2 MiB-aligned `REGION_SIZE` block inside `usable`.
pub fn pick_region(usable: &[Range]) -> Option<Range> {
    usable
        .iter()
        .filter_map(|r| {
            let base = (r.end().checked_sub(REGION_SIZE)?) & !((2 << 20) - 1);
            (base >= r.base).then_some(Range {
                base,
                size: REGION_SIZE,
            })
        })
        .max_by_key(|r| r.base)
}

fn write_u64(pa: u64, value: u64) {
    // SAFETY: callers only pass addresses inside the reserved region,
    // mapped by the linear map and used by nothing else yet.
    unsafe { (phys_to_virt(pa) as *mut u64).write_volatile(value) };
}

/// Cleans `[va, va + len)` to the point of coherency: the layer reads its
/// code and data with the EL2 MMU (and so the caches) off.
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

/// Installs the layer in `region` and returns its report.
///
/// # Safety
/// Call once, on the boot core, only if the kernel was entered at EL2 (the
/// boot stub must be in VBAR_EL2), after the kernel tables map all RAM and
/// before anything else uses `region`. `info` must describe this machine.
pub unsafe fn launch(
    region: Range,
    info: &BoardInfo<'_>,
    semihosting: bool,
) -> Result<HypInfo, &'static str> {
    let base = region.base;
    // The code.
    // SAFETY: linker symbols bracketing the layer's code in the image.
    let (start, end, vectors) = unsafe {
        (
            &__hyp_blob_start as *const u8 as u64,
            &__hyp_blob_end as *const u8 as u64,
            &hyp_vectors as *const u8 as u64,
        )
    };
    let code_len = end - start;
    if code_len > CFG {
        return Err("the EL2 layer's code does not fit its region");
    }
    // SAFETY: the image's code range to the region's start, through the
    // linear map; both exist and do not overlap.
    unsafe {
        core::ptr::copy_nonoverlapping(
            start as *const u8,
            phys_to_virt(base) as *mut u8,
            code_len as usize,
        )
    };

    // The guest's stage-2 view.
    let mut s2 = Mapping::new(
        RegionTables {
            next: base + TABLES,
            end: base + REGION_SIZE,
        },
        1,
        Stage2,
    );
    let ipa_limit = 1u64 << IPA_BITS;
    for m in info.memory.iter() {
        for part in [
            Range {
                base: m.base,
                size: base.saturating_sub(m.base).min(m.size),
            },
            {
                let from = (base + REGION_SIZE).max(m.base);
                Range {
                    base: from,
                    size: m.end().saturating_sub(from),
                }
            },
        ] {
            if part.size == 0 || part.end() > ipa_limit {
                continue;
            }
            let r = MemoryRegion::new(part.base as usize, part.end() as usize);
            s2.map_range(
                &r,
                PhysicalAddress(part.base as usize),
                RAM,
                Constraints::empty(),
            )
            .map_err(|_| "could not map guest RAM at stage 2")?;
        }
    }
    // The guest drives the physical distributor and CPU interface; the
    // hypervisor interface (GICH) and virtual CPU interface are not its.
    let devices = crate::boot::device_ranges(info, false);
    for d in devices.iter() {
        let lo = d.base & !0xfff;
        let hi = (d.end() + 0xfff) & !0xfff;
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
    let root = s2.root_address().0 as u64;
    let tables_end = s2.translation().next;
    // The tables live in the region, which the guest can no longer touch:
    // never walk or free them from here again.
    core::mem::forget(s2);

    // Configuration for the layer.
    let pa_range = {
        use aarch64_cpu::registers::Readable;
        aarch64_cpu::registers::ID_AA64MMFR0_EL1.get() & 0x7
    };
    let vtcr = (64 - IPA_BITS) // T0SZ
        | (1 << 6) // SL0: start at level 1
        | (1 << 8) | (1 << 10) | (3 << 12) // walks: WB cacheable, inner shareable
        | (pa_range << 16) // PS from ID_AA64MMFR0_EL1.PARange
        | (1 << 31); // RES1
    let hcr = (1 << 31) | (1 << 19) | 1; // RW, TSC (trap SMC), VM (stage 2 on)
    let cfg = base + CFG;
    write_u64(cfg, root);
    write_u64(cfg + 0x08, vtcr);
    write_u64(cfg + 0x10, hcr);
    let (uart, kind) = match info.console.or_else(|| info.uarts.first().copied()) {
        Some(u) if u.kind == UartKind::Pl011 => (u.regs.base, 1),
        Some(u) => (u.regs.base, 2),
        None => (0, 0),
    };
    write_u64(cfg + 0x18, uart);
    write_u64(cfg + 0x20, kind);
    write_u64(cfg + 0x28, u64::from(semihosting));
    write_u64(cfg + 0x40, REGION_SIZE);
    clean_to_poc(phys_to_virt(base), tables_end - base);

    let vectors_pa = base + (vectors - start);
    let stack_top = base + STACKS + STACK_SIZE;
    let status: i64;
    // SAFETY: the boot stub at EL2 installs the configuration just written
    // and returns; the stage-2 view keeps everything this kernel uses mapped.
    unsafe {
        asm!("hvc #0", inout("x0") LAUNCH => status, in("x1") base, in("x2") vectors_pa, in("x3") stack_top,
             out("x9") _, out("x10") _, out("x11") _, options(nostack));
    }
    if status != 0 {
        return Err("the EL2 boot stub refused the launch");
    }
    query().ok_or("the EL2 layer does not answer")
}

/// Asks the layer about itself. Only call when the kernel was entered at
/// EL2 (at EL1 on bare hardware, `hvc` would be undefined).
pub fn query() -> Option<HypInfo> {
    let (magic, version, base, size): (u64, u64, u64, u64);
    // SAFETY: an SMCCC call the layer answers; registers beyond x0-x3 are
    // preserved by it.
    unsafe {
        asm!("hvc #0", inout("x0") QUERY => magic, out("x1") version, out("x2") base, out("x3") size, options(nostack));
    }
    (magic == MAGIC).then_some(HypInfo {
        version,
        region: Range { base, size },
    })
}
