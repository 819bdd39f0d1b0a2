//! The device-tree layer: turns the flattened device tree the boot loader hands
//! over into a [`BoardInfo`] (memory, reserved ranges, console and other UARTs,
//! GIC, timer PPIs, PSCI conduit, CPUs and how to start them, initrd, bootargs,
//! the Raspberry Pi power-management block), with every `reg` translated through
//! the `ranges` of its ancestor buses into CPU physical addresses.
//!
//! No heap and no panics: it runs before the kernel heap exists, and any blob,
//! however malformed, gives a [`DtError`] instead. Lists live in [`FixedVec`]s
//! whose capacities are the `MAX_*` constants here; a tree with more memory
//! ranges, reserved ranges or CPUs than they hold is never silently cut short:
//! [`parse`] refuses it ([`DtError::TooMany`]), and [`parse_for_boot`] hands the
//! kernel what fitted plus the [`Overflow`], so the boot can bring up its
//! console, say what overflowed and stop before any memory is handed out.
//!
//! Tree walking uses the `fdt` crate (0.2, which skips the `FDT_NOP`s QEMU's
//! raspi4b writes); the header is checked here first because the crate's own
//! header arithmetic can overflow, and cells and `ranges` are decoded here
//! because translation needs every ancestor, which the crate does not keep.

mod cells;
mod fixed_vec;
mod header;
mod walk;

use core::fmt;

pub use fixed_vec::FixedVec;
pub use header::from_raw;

/// A physical address range `[base, base + size)`. Ranges built by this module
/// never overflow: `base + size` fits a `u64`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Range {
    /// First byte, as the CPU sees it (after `ranges` translation).
    pub base: u64,
    /// Length in bytes.
    pub size: u64,
}

impl Range {
    /// `[base, base + size)`, or `None` if the end does not fit a `u64`.
    pub const fn new(base: u64, size: u64) -> Option<Self> {
        match base.checked_add(size) {
            Some(_) => Some(Self { base, size }),
            None => None,
        }
    }

    /// One past the last byte (saturating, for ranges built by hand).
    pub const fn end(&self) -> u64 {
        self.base.saturating_add(self.size)
    }

    /// Whether `address` lies inside the range.
    pub const fn contains(&self, address: u64) -> bool {
        address >= self.base && address < self.end()
    }
}

/// Which machine the root `compatible` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Board {
    /// QEMU `-M virt` (`"linux,dummy-virt"`).
    QemuVirt,
    /// Raspberry Pi 4 Model B, real or QEMU `raspi4b` (`"raspberrypi,4-model-b"`
    /// or `"brcm,bcm2711"`).
    RaspberryPi4,
    /// Anything else; the rest of [`BoardInfo`] is still filled in.
    Unknown,
}

/// The UART programming models the kernel has drivers for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UartKind {
    /// ARM PrimeCell PL011 (`"arm,pl011"`).
    #[default]
    Pl011,
    /// The BCM2835 auxiliary mini UART (`"brcm,bcm2835-aux-uart"`).
    MiniUart,
}

/// One enabled UART.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Uart {
    /// Its register interface.
    pub kind: UartKind,
    /// Its first `reg` entry, translated.
    pub regs: Range,
}

/// How to reach PSCI firmware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PsciConduit {
    /// `HVC #0`: PSCI lives at EL2 (QEMU virt by default, kernel at EL1).
    Hvc,
    /// `SMC #0`: PSCI lives at EL3 (QEMU virt with `virtualization=on`, where
    /// the kernel itself enters at EL2).
    Smc,
}

/// What the `/psci` node says about function ids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PsciIds {
    /// `compatible` names `"arm,psci-0.2"` or `"arm,psci-1.0"`: the standard
    /// function ids apply.
    pub v0_2: bool,
    /// PSCI 0.1 `cpu_suspend`, `cpu_off`, `cpu_on`, `migrate` properties.
    pub cpu_suspend: Option<u32>,
    pub cpu_off: Option<u32>,
    pub cpu_on: Option<u32>,
    pub migrate: Option<u32>,
}

/// The interrupt controller's register frames, translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gic {
    /// 2 (`"arm,cortex-a15-gic"`, `"arm,gic-400"`, ...) or 3 (`"arm,gic-v3"`).
    pub version: u8,
    /// GICD.
    pub distributor: Range,
    /// GICC: the memory-mapped CPU interface (always on v2; v3 only for legacy
    /// support, usually absent).
    pub cpu_interface: Option<Range>,
    /// GICR: the redistributor regions, in `reg` order (v3 only; the node's
    /// `#redistributor-regions`, default 1). Past [`MAX_REDISTRIBUTOR_REGIONS`]
    /// the rest are dropped: the cores they serve then find no redistributor.
    pub redistributors: FixedVec<Range, MAX_REDISTRIBUTOR_REGIONS>,
    /// GICH: the virtual interface control block (present when the firmware
    /// lets us run a hypervisor).
    pub hyp_interface: Option<Range>,
    /// GICV: the virtual CPU interface.
    pub virt_cpu_interface: Option<Range>,
}

/// How many GICv3 redistributor regions [`Gic::redistributors`] keeps.
pub const MAX_REDISTRIBUTOR_REGIONS: usize = 4;

/// Architected-timer interrupts, as **PPI numbers exactly as the device tree
/// writes them** (0..16). The GIC INTID is the PPI number plus
/// [`PPI_INTID_BASE`]; use [`Timer::intid`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timer {
    /// Secure EL1 physical timer (QEMU virt: 13).
    pub secure_phys_irq: u32,
    /// Non-secure EL1 physical timer (14).
    pub phys_irq: u32,
    /// Virtual timer (11).
    pub virt_irq: u32,
    /// EL2 (hypervisor) physical timer (10).
    pub hyp_irq: u32,
}

/// The GIC INTID of PPI 0: device trees number PPIs from 0, the GIC from 16.
pub const PPI_INTID_BASE: u32 = 16;

impl Timer {
    /// The GIC INTID of one of this struct's PPI numbers.
    pub const fn intid(ppi: u32) -> u32 {
        ppi.saturating_add(PPI_INTID_BASE)
    }
}

/// How a secondary CPU is started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EnableMethod {
    /// PSCI `CPU_ON`, through [`BoardInfo::psci`].
    Psci,
    /// Write the entry point to `release_addr`, then `dsb sy; sev`.
    SpinTable {
        /// Physical address of the 8-byte release slot.
        release_addr: u64,
    },
    /// None the kernel understands (or none given, as for a lone boot CPU).
    #[default]
    None,
}

/// One enabled `/cpus/cpu@N` node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cpu {
    /// Its `reg`: the MPIDR affinity fields (Aff3..Aff0 bits).
    pub mpidr: u64,
    /// How to start it.
    pub enable_method: EnableMethod,
}

/// Memory ranges kept. The Raspberry Pi 4 8 GB's firmware writes four
/// (`0..0x3b400000`, `0x40000000..0xfc000000`, two of 2 GiB above 4 GiB);
/// QEMU virt with `-numa` writes one `/memory` node per NUMA node.
pub const MAX_MEMORY: usize = 16;
/// Reserved ranges kept (`/memreserve/` entries plus `/reserved-memory`
/// children).
pub const MAX_RESERVED: usize = 64;
/// CPUs kept: QEMU virt's GICv3 boots go to 130 cores, past the first
/// redistributor region's room (123), to test the second region. (The boot
/// path holds several lists sized from this one on the boot stack, which
/// `linker/kernel.ld` sizes with room for them.)
pub const MAX_CPUS: usize = 132;
/// UARTs offered to the console; past this a UART is merely not offered (the
/// console itself is still found), which is safe.
pub const MAX_UARTS: usize = 8;

/// A list in the tree longer than the kernel keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow {
    /// What overflowed: the tree's `"memory ranges"`, `"reserved ranges"`,
    /// `"CPUs"`, or a list [`crate::memmap`] derives from them.
    pub what: &'static str,
    /// How many there are: exactly, for the tree's own lists; "at least"
    /// (capacity + 1) for the memory map's derived lists, which stop counting.
    pub found: usize,
    /// How many the kernel keeps.
    pub capacity: usize,
}

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "too many {}: {} (the kernel keeps at most {})",
            self.what, self.found, self.capacity
        )
    }
}

/// Everything the kernel takes from the device tree.
///
/// Capacities: see [`MAX_MEMORY`], [`MAX_RESERVED`], [`MAX_CPUS`] (overflow is
/// an error) and [`MAX_UARTS`] (extra UARTs are not offered).
#[derive(Clone, Copy, Debug)]
pub struct BoardInfo<'a> {
    /// The machine, from the root `compatible`.
    pub board: Board,
    /// The root `model` string.
    pub model: Option<&'a str>,
    /// Every non-empty `reg` entry of every enabled `device_type = "memory"`
    /// node, translated. Empty when the only memory node is a placeholder of
    /// size 0 (Debian's Pi tree before the firmware fills it in).
    pub memory: FixedVec<Range, MAX_MEMORY>,
    /// `/memreserve/` entries first, then the `reg` of enabled
    /// `/reserved-memory` children (translated). Does not include the DTB,
    /// initrd or kernel image: see [`BoardInfo::dtb`] and [`BoardInfo::initrd`].
    pub reserved: FixedVec<Range, MAX_RESERVED>,
    /// The blob itself: the base passed to [`parse`] and the header's
    /// `totalsize`.
    pub dtb: Range,
    /// `/chosen` `linux,initrd-start` .. `linux,initrd-end` (end exclusive),
    /// each 4 or 8 bytes.
    pub initrd: Option<Range>,
    /// `/chosen` `bootargs`.
    pub bootargs: Option<&'a str>,
    /// The UART `/chosen` `stdout-path` names (full path or alias, options after
    /// `:` ignored), if it is an enabled UART of a known kind.
    pub console: Option<Uart>,
    /// Every enabled PL011 and mini UART, in tree order.
    pub uarts: FixedVec<Uart, MAX_UARTS>,
    /// The first enabled GIC.
    pub gic: Option<Gic>,
    /// The `"arm,armv8-timer"` PPIs, if all four are PPIs of the GIC.
    pub timer: Option<Timer>,
    /// `/psci` `method`; `None` when there is no PSCI node (Raspberry Pi).
    pub psci: Option<PsciConduit>,
    /// The `/psci` node's function ids and version (the EL2 layer's
    /// allow-list needs the PSCI 0.1 ids, which the firmware chooses).
    pub psci_ids: PsciIds,
    /// The enabled CPUs, in tree order.
    pub cpus: FixedVec<Cpu, MAX_CPUS>,
    /// The Raspberry Pi power-management/watchdog block (first `reg` entry of
    /// `"brcm,bcm2835-pm-wdt"`, `"brcm,bcm2711-pm"` or `"brcm,bcm2835-pm"`),
    /// which can power the board off.
    pub watchdog: Option<Range>,
}

/// Why a device tree was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtError {
    /// [`from_raw`] was given a null pointer.
    NullPointer,
    /// The blob does not start with `0xd00dfeed`.
    BadMagic,
    /// The slice is shorter than the header or its `totalsize`.
    Truncated,
    /// Header fields out of range: version before 17, a block outside
    /// `totalsize`, a misaligned block, or an unterminated `/memreserve/` list.
    BadHeader,
    /// The structure block is not a well-formed tree.
    BadStructure,
    /// A property this parser needs has the wrong length or an invalid value.
    BadProperty(&'static str),
    /// No enabled `device_type = "memory"` node.
    MissingMemory,
    /// Nodes nested deeper than this parser follows.
    TooDeep,
    /// More memory ranges, reserved ranges or CPUs than the kernel keeps.
    TooMany(Overflow),
}

impl fmt::Display for DtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NullPointer => f.write_str("device tree pointer is null"),
            Self::BadMagic => f.write_str("not a flattened device tree (bad magic)"),
            Self::Truncated => f.write_str("device tree truncated"),
            Self::BadHeader => f.write_str("device tree header is inconsistent"),
            Self::BadStructure => f.write_str("device tree structure block is malformed"),
            Self::BadProperty(name) => write!(f, "device tree property `{name}` is malformed"),
            Self::MissingMemory => f.write_str("device tree has no memory node"),
            Self::TooDeep => f.write_str("device tree nests too deeply"),
            Self::TooMany(overflow) => overflow.fmt(f),
        }
    }
}

impl From<fdt::FdtError> for DtError {
    fn from(_: fdt::FdtError) -> Self {
        Self::BadStructure
    }
}

/// Parses the device tree in `dtb`, which the boot loader placed at physical
/// address `dtb_phys_base` (only recorded in [`BoardInfo::dtb`]).
///
/// `dtb` may be longer than the tree (the header's `totalsize` bounds what is
/// read) but not shorter. A list longer than its capacity is
/// [`DtError::TooMany`].
pub fn parse(dtb: &[u8], dtb_phys_base: u64) -> Result<BoardInfo<'_>, DtError> {
    match walk::parse(dtb, dtb_phys_base)? {
        (info, None) => Ok(info),
        (_, Some(overflow)) => Err(DtError::TooMany(overflow)),
    }
}

/// Like [`parse`], but a list longer than its capacity still gives the
/// [`BoardInfo`] with the entries that fitted, and the first [`Overflow`].
///
/// For the boot only: with an overflow the info is incomplete (a reserved range
/// may be missing), so it is good for bringing up the console and reporting the
/// overflow, and for nothing else. The caller must stop when it is `Some`.
pub fn parse_for_boot(
    dtb: &[u8],
    dtb_phys_base: u64,
) -> Result<(BoardInfo<'_>, Option<Overflow>), DtError> {
    walk::parse(dtb, dtb_phys_base)
}
