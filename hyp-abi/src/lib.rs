//! The one interface between the kernel and its EL2 layer: where the layer's
//! image, configuration, stacks and tables sit in its reserved region, the
//! layer's own addresses at EL2, the image header the loader reads, the
//! configuration block the loader writes ([`HypConfig`]) and the HVC calls
//! the layer answers ([`HypCall`]). Both sides, and the layer's assembly
//! (through `offset_of!` and `const` operands), take every number from here.
#![no_std]

use core::mem::size_of;

/// `HypCall::Query` answers this in x0 ("zkL2").
pub const MAGIC: u64 = 0x7a6b_4c32;
/// The interface version `HypCall::Query` reports in x1.
pub const VERSION: u64 = 2;

/// At most this many cores: the per-CPU slots, EL2 stacks and the MPIDR list.
pub const MAX_CPUS: usize = 8;
/// At most this many ranges of guest RAM.
pub const MAX_RAM: usize = 8;

/// MPIDR_EL1 affinity fields Aff3 (39:32), Aff2, Aff1, Aff0 (23:0).
pub const MPIDR_AFFINITY_MASK: u64 = 0xff_00ff_ffff;

/// Offsets from the base of the layer's reserved region (its physical
/// address) and from [`EL2_VA_BASE`] (its address at EL2): the region is
/// mapped at EL2 in one piece, so the two agree.
pub mod region {
    /// The whole region: 4 MiB, 2 MiB-aligned in RAM.
    pub const SIZE: u64 = 4 << 20;
    /// Alignment of the region's base.
    pub const ALIGN: u64 = 2 << 20;
    /// The layer's image (text, rodata, data; `.bss` is folded into data).
    pub const IMAGE: u64 = 0;
    /// The image may use this much.
    pub const IMAGE_MAX: u64 = 0x10_0000;
    /// One page: the [`super::HypConfig`] the loader writes.
    pub const CONFIG: u64 = 0x10_0000;
    /// Per-CPU EL2 stacks, one [`STACK_STRIDE`] each: an unmapped guard page,
    /// then [`STACK_SIZE`] bytes of stack.
    pub const STACKS: u64 = 0x11_0000;
    /// Bytes of stack per CPU.
    pub const STACK_SIZE: u64 = 0x4000;
    /// Guard page plus stack.
    pub const STACK_STRIDE: u64 = STACK_SIZE + 0x1000;
    /// Translation tables: the guest's stage 2 and the layer's own EL2
    /// stage 1, carved page by page up to [`SIZE`].
    pub const TABLES: u64 = 0x20_0000;
    const _: () = assert!(STACKS + super::MAX_CPUS as u64 * STACK_STRIDE <= TABLES);
    const _: () = assert!(IMAGE + IMAGE_MAX <= CONFIG);
}

/// Where the layer is linked and runs at EL2 (TTBR0_EL2, 48-bit VA): far
/// above any physical address the boards use, so the identity-mapped entry
/// page never collides with it.
pub const EL2_VA_BASE: u64 = 0x0000_ff00_0000_0000;
/// The console UART's page, at EL2, just past the region.
pub const EL2_UART_VA: u64 = EL2_VA_BASE + region::SIZE;

/// Offsets of the image's entry points (the first instructions of the
/// image; the header follows).
pub mod entry {
    /// The boot core, from the kernel's EL2 boot stub (`HypCall::Launch`).
    pub const PRIMARY: u64 = 0;
    /// A core started or resumed by the firmware on the layer's behalf.
    pub const SECONDARY: u64 = 4;
}

/// The image header: at [`ImageHeader::OFFSET`] in the image, written by the
/// layer's entry assembly, read by the loader. Addresses are link (EL2)
/// addresses.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ImageHeader {
    /// [`ImageHeader::MAGIC`].
    pub magic: u64,
    /// End of text (execute-only from here down to the image start).
    pub text_end: u64,
    /// End of read-only data.
    pub rodata_end: u64,
    /// End of the image, data and zeroed data included.
    pub image_end: u64,
}

impl ImageHeader {
    /// Where the header sits in the image.
    pub const OFFSET: u64 = 8;
    /// "zkHYPimg".
    pub const MAGIC: u64 = 0x676d_6950_5948_6b7a;
}

/// Register values both EL2 programs use when they hand a core to EL1: the
/// kernel's own boot stub (`entry.S`) and the layer.
pub mod el1_entry {
    /// SCTLR_EL1 with only its RES1 bits: MMU and caches off.
    pub const SCTLR_EL1: u64 = 0x30d0_0800;
    /// SPSR_EL2 for entering EL1h with DAIF masked.
    pub const SPSR_EL2: u64 = 0x3c5;
    /// CPTR_EL2: nothing trapped (FP/SIMD included), RES1 bits set.
    pub const CPTR_EL2: u64 = 0x33ff;
    /// HCR_EL2.RW: EL1 runs AArch64.
    pub const HCR_EL2_RW: u64 = 1 << 31;
    /// `ID_AA64PFR0_EL1.GIC`, bits 27:24: nonzero when the core implements
    /// the GICv3 system-register CPU interface (`ICC_*`); accessing those
    /// registers without it is an undefined instruction.
    pub const PFR0_GIC_SHIFT: u64 = 24;
    pub const PFR0_GIC_BITS: u64 = 4;
    /// `ICC_SRE_EL1.SRE` (and `ICC_SRE_EL2.SRE`): the system-register
    /// interface.
    pub const ICC_SRE_SRE: u64 = 1 << 0;
    /// `ICC_SRE_EL2.Enable`: EL1 may access `ICC_SRE_EL1`. Whatever enters
    /// EL1 from EL2 on a core (the kernel's entry, or the EL2 layer for
    /// every core it starts) sets it and `ICC_SRE_EL2.SRE` on a GICv3.
    pub const ICC_SRE_EL2_ENABLE: u64 = 1 << 3;
}

/// A range of guest physical memory.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemRange {
    pub base: u64,
    pub size: u64,
}

impl MemRange {
    /// Whether `[addr, addr + len)` lies inside this range.
    pub const fn contains(&self, addr: u64, len: u64) -> bool {
        match (addr.checked_add(len), self.base.checked_add(self.size)) {
            (Some(end), Some(limit)) => addr >= self.base && end <= limit,
            _ => false,
        }
    }
}

/// How the layer reaches the console.
pub mod uart {
    /// No console: the layer stays silent.
    pub const NONE: u64 = 0;
    /// An Arm PL011.
    pub const PL011: u64 = 1;
    /// The BCM2835 auxiliary mini UART.
    pub const MINI: u64 = 2;
}

/// What the firmware below the layer offers (from the device tree's
/// `/psci` node).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PsciFirmware {
    /// 1 when there is PSCI firmware at EL3 (reached with `SMC #0`).
    pub present: u64,
    /// 1 when it implements PSCI 0.2 or later (standard function ids).
    pub v0_2: u64,
    /// PSCI 0.1 function ids from the node (`cpu_on`, `cpu_off`,
    /// `cpu_suspend`, `migrate`); 0 when absent.
    pub v0_1_cpu_on: u64,
    pub v0_1_cpu_off: u64,
    pub v0_1_cpu_suspend: u64,
    pub v0_1_migrate: u64,
}

/// The configuration block the loader writes at [`region::CONFIG`] before
/// launching the layer, read by the layer (its entry assembly reads the
/// first fields with the MMU off). Register values are final: the layer
/// installs them as they are.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct HypConfig {
    /// [`MAGIC`].
    pub magic: u64,
    /// The layer's own EL2 translation: MAIR_EL2, TCR_EL2, TTBR0_EL2, SCTLR_EL2.
    pub mair_el2: u64,
    pub tcr_el2: u64,
    pub ttbr0_el2: u64,
    pub sctlr_el2: u64,
    /// The guest's stage 2 and trap configuration.
    pub vttbr_el2: u64,
    pub vtcr_el2: u64,
    pub hcr_el2: u64,
    /// The reserved region (physical).
    pub region_base: u64,
    pub region_size: u64,
    /// The first region offset past the last table page in use.
    pub tables_end: u64,
    /// The console: one of [`uart`], its registers at EL2 (within the page
    /// at [`EL2_UART_VA`]) and physically.
    pub uart_kind: u64,
    pub uart_va: u64,
    pub uart_pa: u64,
    /// 1: stop the machine through semihosting SYS_EXIT (QEMU), else PSCI
    /// SYSTEM_OFF, else park.
    pub semihosting: u64,
    pub psci: PsciFirmware,
    /// The cores the layer accepts, by MPIDR affinity ([`MPIDR_AFFINITY_MASK`]);
    /// slot `i` (stack `i`, per-CPU state `i`) belongs to `cpus[i]`.
    pub n_cpus: u64,
    pub cpus: [u64; MAX_CPUS],
    /// Bit i set: the loader released slot i's core from the firmware's spin
    /// table into the layer's secondary entry, where the layer holds it.
    pub held: u64,
    /// The guest's RAM, as stage 2 maps it: entry points and context ids
    /// must lie inside one of these.
    pub n_ram: u64,
    pub ram: [MemRange; MAX_RAM],
}

const _: () = assert!(size_of::<HypConfig>() as u64 <= region::STACKS - region::CONFIG);

impl HypConfig {
    /// The guest RAM ranges in use.
    pub fn guest_ram(&self) -> &[MemRange] {
        let n = (self.n_ram as usize).min(MAX_RAM);
        &self.ram[..n]
    }

    /// The MPIDRs in use.
    pub fn cpu_list(&self) -> &[u64] {
        let n = (self.n_cpus as usize).min(MAX_CPUS);
        &self.cpus[..n]
    }

    /// The slot of the core with affinity `mpidr` (all four levels).
    pub fn slot_of(&self, mpidr: u64) -> Option<usize> {
        let want = mpidr & MPIDR_AFFINITY_MASK;
        // Bits outside the affinity fields name no core.
        if mpidr & !MPIDR_AFFINITY_MASK != 0 {
            return None;
        }
        self.cpu_list().iter().position(|&m| m == want)
    }

    /// Whether `[addr, addr + len)` is guest RAM.
    pub fn in_guest_ram(&self, addr: u64, len: u64) -> bool {
        self.guest_ram().iter().any(|r| r.contains(addr, len))
    }
}

/// The layer's own calls: SMCCC fast calls in the vendor-specific
/// hypervisor service range (owner 6), taken by `HVC #0` only.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HypCall {
    /// Is the layer there? x0 = [`MAGIC`], x1 = [`VERSION`], x2/x3 = its
    /// region (base, size).
    Query = 0xc600_0000,
    /// The layer's state: x0 = 0, x1 = a digest of its configuration, code,
    /// both sets of tables and its live trap registers, x2 = calls refused
    /// (not on the allow-list) since launch, x3 = start/resume calls rejected
    /// for their entry point, context id or target, x4 = calls passed to the
    /// firmware.
    State = 0xc600_0001,
    /// Only the kernel's EL2 boot stub answers this, before the layer runs:
    /// x1 = the region's physical base. The layer itself refuses it.
    Launch = 0xc600_0010,
}

impl HypCall {
    /// Every call, for decoding.
    pub const ALL: [HypCall; 3] = [HypCall::Query, HypCall::State, HypCall::Launch];

    /// The SMCCC function id.
    pub const fn id(self) -> u32 {
        self as u32
    }

    /// The call with SMCCC function id `fid` (already cut to w0).
    pub fn from_id(fid: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == fid)
    }
}

/// SMCCC and PSCI return values the layer produces.
pub mod status {
    pub const SUCCESS: i64 = 0;
    pub const NOT_SUPPORTED: i64 = -1;
    pub const INVALID_PARAMETERS: i64 = -2;
    pub const DENIED: i64 = -3;
    pub const ALREADY_ON: i64 = -4;
    pub const ON_PENDING: i64 = -5;
    pub const INVALID_ADDRESS: i64 = -9;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_lookup_uses_all_four_affinity_levels() {
        let mut c = HypConfig {
            n_cpus: 3,
            ..HypConfig::default()
        };
        c.cpus[..3].copy_from_slice(&[0x0, 0x1, 0x1_0000_0001]);
        assert_eq!(c.slot_of(0x1), Some(1));
        assert_eq!(c.slot_of(0x1_0000_0001), Some(2));
        assert_eq!(c.slot_of(0x101), None);
        assert_eq!(c.slot_of(0x2_0000_0001), None);
        // MT/U bits or anything outside the affinity fields: no core.
        assert_eq!(c.slot_of(0x8000_0001), None);
    }

    #[test]
    fn ram_check_rejects_wrapping_and_edges() {
        let mut c = HypConfig {
            n_ram: 1,
            ..HypConfig::default()
        };
        c.ram[0] = MemRange {
            base: 0x4000_0000,
            size: 0x1000,
        };
        assert!(c.in_guest_ram(0x4000_0000, 4));
        assert!(c.in_guest_ram(0x4000_0ffc, 4));
        assert!(!c.in_guest_ram(0x4000_0ffd, 4));
        assert!(!c.in_guest_ram(0x3fff_fffc, 4));
        assert!(!c.in_guest_ram(u64::MAX - 1, 4));
    }

    #[test]
    fn calls_round_trip() {
        for c in HypCall::ALL {
            assert_eq!(HypCall::from_id(c.id()), Some(c));
        }
        assert_eq!(HypCall::from_id(0xc600_0002), None);
    }
}
