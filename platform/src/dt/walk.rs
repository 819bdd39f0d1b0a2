//! One depth-first pass over the tree that fills a [`BoardInfo`]: keeps every
//! ancestor's cell counts and `ranges` so each `reg` is translated to a CPU
//! physical address, skips disabled subtrees, and recognises the nodes the
//! kernel needs by `compatible`, `device_type` and position.

use fdt::helpers::UnalignedFallibleNode;
use fdt::nodes::AsNode;
use fdt::Fdt;

use super::cells::{
    for_each_reg, read_u32_or_u64, translate, Bus, DEFAULT_ADDRESS_CELLS, DEFAULT_SIZE_CELLS,
};
use super::header::{self, be32};
use super::{
    Board, BoardInfo, Cpu, DtError, EnableMethod, FixedVec, Gic, Overflow, PsciConduit, PsciIds,
    Range, Timer, Uart, UartKind, MAX_CPUS, MAX_MEMORY, MAX_REDISTRIBUTOR_REGIONS, MAX_RESERVED,
};

type Node<'a> = UnalignedFallibleNode<'a>;

/// Deepest node followed. Real trees nest 5 or 6 levels; the bound keeps the
/// recursion (and so the boot stack) small on hostile input.
const MAX_DEPTH: usize = 16;

const UART_COMPATIBLES: [(&str, UartKind); 2] = [
    ("arm,pl011", UartKind::Pl011),
    ("brcm,bcm2835-aux-uart", UartKind::MiniUart),
];
const GIC_V2_COMPATIBLES: [&str; 4] = [
    "arm,cortex-a15-gic",
    "arm,gic-400",
    "arm,cortex-a9-gic",
    "arm,cortex-a7-gic",
];
const GIC_V3_COMPATIBLE: &str = "arm,gic-v3";
const TIMER_COMPATIBLE: &str = "arm,armv8-timer";
const WATCHDOG_COMPATIBLES: [&str; 3] =
    ["brcm,bcm2835-pm-wdt", "brcm,bcm2711-pm", "brcm,bcm2835-pm"];
const PSCI_COMPATIBLES: [&str; 3] = ["arm,psci", "arm,psci-0.2", "arm,psci-1.0"];

/// The GIC binding's interrupt specifier type for a PPI.
const GIC_PPI: u32 = 1;

/// A property value as text: UTF-8 up to the trailing NULs.
fn text(raw: &[u8]) -> Option<&str> {
    let end = raw.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    core::str::from_utf8(raw.get(..end)?).ok()
}

/// Whether a string-list property (`compatible`, `enable-method`) holds `want`.
fn has_string(list: &[u8], want: &str) -> bool {
    list.split(|&b| b == 0).any(|s| s == want.as_bytes())
}

/// The properties every node is checked for, gathered in one pass.
#[derive(Default)]
struct Props<'a> {
    compatible: &'a [u8],
    status: Option<&'a [u8]>,
    device_type: Option<&'a [u8]>,
    reg: Option<&'a [u8]>,
    address_cells: Option<&'a [u8]>,
    size_cells: Option<&'a [u8]>,
    ranges: Option<&'a [u8]>,
    interrupt_parent: Option<&'a [u8]>,
}

impl<'a> Props<'a> {
    fn read(node: &Node<'a>) -> Result<Self, DtError> {
        let mut props = Self::default();
        for property in node.properties()?.iter() {
            let property = property?;
            let slot = match property.name {
                "compatible" => {
                    props.compatible = property.value;
                    continue;
                }
                "status" => &mut props.status,
                "device_type" => &mut props.device_type,
                "reg" => &mut props.reg,
                "#address-cells" => &mut props.address_cells,
                "#size-cells" => &mut props.size_cells,
                "ranges" => &mut props.ranges,
                "interrupt-parent" => &mut props.interrupt_parent,
                _ => continue,
            };
            *slot = Some(property.value);
        }
        Ok(props)
    }

    /// `status` absent, `"okay"` or the older `"ok"`. Everything else
    /// (`"disabled"`, `"reserved"`, `"fail..."`) is not ours to use.
    fn enabled(&self) -> bool {
        match self.status.and_then(text) {
            None => self.status.is_none(),
            Some(status) => status == "okay" || status == "ok",
        }
    }

    fn compatible_with(&self, want: &str) -> bool {
        has_string(self.compatible, want)
    }

    fn device_type_is(&self, want: &str) -> bool {
        self.device_type.and_then(text) == Some(want)
    }
}

/// A one-cell property such as `#address-cells` or `phandle`.
fn u32_property(raw: Option<&[u8]>, name: &'static str) -> Result<Option<u32>, DtError> {
    raw.map(|bytes| {
        bytes
            .try_into()
            .map(u32::from_be_bytes)
            .map_err(|_| DtError::BadProperty(name))
    })
    .transpose()
}

/// A raw property of `node`, `None` when absent.
fn property<'a>(node: &Node<'a>, name: &str) -> Result<Option<&'a [u8]>, DtError> {
    Ok(node.raw_property(name)?.map(|p| p.value))
}

/// Where `/chosen` `stdout-path` points, split because an alias may be followed
/// by a path below it (`serial0/child`): components of `head`, then of `tail`.
#[derive(Clone, Copy)]
struct ConsolePath<'a> {
    head: &'a str,
    tail: &'a str,
}

impl ConsolePath<'_> {
    /// Whether the node whose ancestors-and-self names are `names` (root
    /// excluded) is the one named. A component without `@unit` matches any unit
    /// address, as the spec allows.
    fn matches(&self, names: &[(&str, Option<&str>)]) -> bool {
        let mut components = self
            .head
            .split('/')
            .chain(self.tail.split('/'))
            .filter(|c| !c.is_empty());
        let mut names = names.iter();
        loop {
            match (components.next(), names.next()) {
                (None, None) => return true,
                (Some(component), Some(&(name, unit))) => {
                    let same = match component.split_once('@') {
                        Some((base, want_unit)) => base == name && unit == Some(want_unit),
                        None => component == name,
                    };
                    if !same {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }
}

/// The timer node, decoded once the GIC (and its `#interrupt-cells`) is known.
#[derive(Clone, Copy)]
struct PendingTimer<'a> {
    interrupts: &'a [u8],
    interrupt_parent: Option<u32>,
}

struct Walker<'a> {
    /// Names of the nodes on the current path; `[0]` is the root.
    names: [(&'a str, Option<&'a str>); MAX_DEPTH],
    /// What each node on the current path tells its children.
    buses: [Bus<'a>; MAX_DEPTH],
    /// Each path node's effective `interrupt-parent` (inherited).
    interrupt_parents: [Option<u32>; MAX_DEPTH],
    console_path: Option<ConsolePath<'a>>,
    memory_seen: bool,
    gic_phandle: Option<u32>,
    gic_interrupt_cells: Option<u32>,
    timer: Option<PendingTimer<'a>>,
    /// How many entries of each capped list the tree has, kept or not.
    counts: Counts,
    info: BoardInfo<'a>,
}

/// Entries seen per capped list, to report an overflow with the real number.
#[derive(Default)]
struct Counts {
    memory: usize,
    reserved: usize,
    cpus: usize,
}

/// Appends `value`, counting it in `*count` whether or not it fits.
fn push_counted<T: Copy + Default, const N: usize>(
    list: &mut FixedVec<T, N>,
    count: &mut usize,
    value: T,
) {
    *count = count.saturating_add(1);
    // Past capacity the count alone records it; the caller reports the
    // overflow, so nothing is dropped silently.
    let _ = list.push(value);
}

/// Parses the tree; the overflow (if any) is the first capped list, in the
/// order reserved ranges, memory ranges, CPUs, that the tree overfills.
pub(super) fn parse(
    dtb: &[u8],
    dtb_phys_base: u64,
) -> Result<(BoardInfo<'_>, Option<Overflow>), DtError> {
    let header = header::check(dtb)?;
    let dtb = dtb.get(..header.total_size).ok_or(DtError::Truncated)?;
    let dtb_range = Range::new(dtb_phys_base, header.total_size as u64)
        .ok_or(DtError::BadProperty("dtb base"))?;

    let mut info = BoardInfo {
        board: Board::Unknown,
        model: None,
        memory: FixedVec::new(),
        reserved: FixedVec::new(),
        dtb: dtb_range,
        initrd: None,
        bootargs: None,
        console: None,
        uarts: FixedVec::new(),
        gic: None,
        timer: None,
        psci: None,
        psci_ids: PsciIds::default(),
        cpus: FixedVec::new(),
        watchdog: None,
    };
    let mut counts = Counts::default();
    header::for_each_reservation(dtb, &header, |range| {
        push_counted(&mut info.reserved, &mut counts.reserved, range);
        Ok(())
    })?;

    let fdt = Fdt::new_unaligned_fallible(dtb)?;
    let root = fdt.root()?.as_node();

    let compatible = property(&root, "compatible")?.unwrap_or(&[]);
    info.board = if has_string(compatible, "linux,dummy-virt") {
        Board::QemuVirt
    } else if has_string(compatible, "raspberrypi,4-model-b")
        || has_string(compatible, "brcm,bcm2711")
    {
        Board::RaspberryPi4
    } else {
        Board::Unknown
    };
    info.model = property(&root, "model")?.and_then(text);

    let mut walker = Walker {
        names: [("", None); MAX_DEPTH],
        buses: [Bus::default(); MAX_DEPTH],
        interrupt_parents: [None; MAX_DEPTH],
        console_path: None,
        memory_seen: false,
        gic_phandle: None,
        gic_interrupt_cells: None,
        timer: None,
        counts,
        info,
    };
    walker.read_chosen(&root)?;
    walker.visit(&root, 0)?;
    walker.finish()
}

impl<'a> Walker<'a> {
    /// `/chosen`: bootargs, initrd, and which node the console is. Read before
    /// the walk because `/chosen` may come after the UART in the tree.
    fn read_chosen(&mut self, root: &Node<'a>) -> Result<(), DtError> {
        let Some(chosen) = root.child("chosen")? else {
            return Ok(());
        };
        self.info.bootargs = property(&chosen, "bootargs")?.and_then(text);

        let start = property(&chosen, "linux,initrd-start")?;
        let end = property(&chosen, "linux,initrd-end")?;
        self.info.initrd = match (start, end) {
            (None, None) => None,
            (Some(start), Some(end)) => {
                let start = read_u32_or_u64(start, "linux,initrd-start")?;
                let end = read_u32_or_u64(end, "linux,initrd-end")?;
                let size = end
                    .checked_sub(start)
                    .ok_or(DtError::BadProperty("linux,initrd-end"))?;
                Some(Range::new(start, size).ok_or(DtError::BadProperty("linux,initrd-end"))?)
            }
            (None, Some(_)) => return Err(DtError::BadProperty("linux,initrd-start")),
            (Some(_), None) => return Err(DtError::BadProperty("linux,initrd-end")),
        };

        let stdout = match property(&chosen, "stdout-path")? {
            Some(path) => Some(path),
            None => property(&chosen, "linux,stdout-path")?,
        };
        let Some(stdout) = stdout.and_then(text) else {
            return Ok(());
        };
        // "serial1:115200n8": the options after ':' are for the UART driver.
        let path = stdout.split_once(':').map_or(stdout, |(path, _)| path);
        self.console_path = if path.starts_with('/') {
            Some(ConsolePath {
                head: path,
                tail: "",
            })
        } else {
            let (alias, tail) = path.split_once('/').unwrap_or((path, ""));
            let aliases = root.child("aliases")?;
            let target = match aliases {
                Some(aliases) => property(&aliases, alias)?.and_then(text),
                None => None,
            };
            target
                .filter(|t| t.starts_with('/'))
                .map(|head| ConsolePath { head, tail })
        };
        Ok(())
    }

    /// Visits `node` at `depth` (the root is 0) and, if it is enabled, its
    /// subtree.
    fn visit(&mut self, node: &Node<'a>, depth: usize) -> Result<(), DtError> {
        if depth >= MAX_DEPTH {
            return Err(DtError::TooDeep);
        }
        let props = Props::read(node)?;
        if depth > 0 && !props.enabled() {
            return Ok(());
        }
        let name = node.name()?;
        let inherited = match depth.checked_sub(1) {
            Some(parent) => self.interrupt_parents.get(parent).copied().flatten(),
            None => None,
        };
        let bus = Bus {
            address_cells: u32_property(props.address_cells, "#address-cells")?
                .unwrap_or(DEFAULT_ADDRESS_CELLS),
            size_cells: u32_property(props.size_cells, "#size-cells")?
                .unwrap_or(DEFAULT_SIZE_CELLS),
            ranges: props.ranges,
        };
        let interrupt_parent =
            u32_property(props.interrupt_parent, "interrupt-parent")?.or(inherited);
        if let (Some(n), Some(b), Some(i)) = (
            self.names.get_mut(depth),
            self.buses.get_mut(depth),
            self.interrupt_parents.get_mut(depth),
        ) {
            *n = (name.name, name.unit_address);
            *b = bus;
            *i = interrupt_parent;
        }

        if depth > 0 {
            self.classify(node, &props, depth)?;
        }
        for child in node.children()?.iter() {
            self.visit(&child?, depth + 1)?;
        }
        Ok(())
    }

    /// The ancestors of a node at `depth`, root first: the buses its `reg` is
    /// translated through.
    fn ancestors(&self, depth: usize) -> &[Bus<'a>] {
        self.buses.get(..depth).unwrap_or(&[])
    }

    /// Calls `each(index, range)` for every `reg` entry of the node at `depth`,
    /// translated; `range` is `None` for an entry that does not translate.
    fn for_each_translated_reg(
        &self,
        reg: Option<&[u8]>,
        depth: usize,
        mut each: impl FnMut(usize, Option<Range>) -> Result<(), DtError>,
    ) -> Result<(), DtError> {
        let (Some(reg), Some(parent)) = (reg, depth.checked_sub(1)) else {
            return Ok(());
        };
        let buses = self.ancestors(depth);
        let Some(bus) = buses.get(parent) else {
            return Ok(());
        };
        let mut index = 0;
        for_each_reg(reg, bus, |address, size| {
            let range = translate(address, size, buses)?.and_then(|base| Range::new(base, size));
            each(index, range)?;
            index += 1;
            Ok(())
        })?;
        Ok(())
    }

    /// The first `reg` entry, translated.
    fn first_reg(&self, reg: Option<&[u8]>, depth: usize) -> Result<Option<Range>, DtError> {
        let mut first = None;
        self.for_each_translated_reg(reg, depth, |index, range| {
            if index == 0 {
                first = range;
            }
            Ok(())
        })?;
        Ok(first)
    }

    /// Whether the node at `depth` is a direct child of the root node `parent`.
    fn parent_is(&self, depth: usize, parent: &str) -> bool {
        depth == 2 && self.names.get(1).is_some_and(|&(name, _)| name == parent)
    }

    fn classify(
        &mut self,
        node: &Node<'a>,
        props: &Props<'a>,
        depth: usize,
    ) -> Result<(), DtError> {
        if props.device_type_is("memory") {
            self.memory_seen = true;
            let mut found = FixedVec::<Range, MAX_MEMORY>::new();
            let mut count = 0;
            self.for_each_translated_reg(props.reg, depth, |_, range| {
                if let Some(range) = range.filter(|r| r.size != 0) {
                    push_counted(&mut found, &mut count, range);
                }
                Ok(())
            })?;
            for range in found.iter() {
                push_counted(&mut self.info.memory, &mut self.counts.memory, *range);
            }
            // Entries of this node past `found`'s capacity.
            let beyond = count.saturating_sub(found.len());
            self.counts.memory = self.counts.memory.saturating_add(beyond);
        }

        if self.parent_is(depth, "reserved-memory") {
            let mut found = FixedVec::<Range, MAX_RESERVED>::new();
            let mut count = 0;
            self.for_each_translated_reg(props.reg, depth, |_, range| {
                if let Some(range) = range.filter(|r| r.size != 0) {
                    push_counted(&mut found, &mut count, range);
                }
                Ok(())
            })?;
            for range in found.iter() {
                push_counted(&mut self.info.reserved, &mut self.counts.reserved, *range);
            }
            let beyond = count.saturating_sub(found.len());
            self.counts.reserved = self.counts.reserved.saturating_add(beyond);
        }

        if self.parent_is(depth, "cpus") && props.device_type_is("cpu") {
            self.read_cpu(node, props, depth)?;
        }

        if depth == 1
            && self.info.psci.is_none()
            && (self.names.get(1).is_some_and(|&(name, _)| name == "psci")
                || PSCI_COMPATIBLES.iter().any(|c| props.compatible_with(c)))
        {
            self.info.psci = match property(node, "method")?.and_then(text) {
                Some("hvc") => Some(PsciConduit::Hvc),
                Some("smc") => Some(PsciConduit::Smc),
                _ => None,
            };
            let id = |name| -> Result<Option<u32>, DtError> {
                Ok(property(node, name)?.and_then(|v| be32(v, 0)))
            };
            self.info.psci_ids = PsciIds {
                v0_2: props.compatible_with("arm,psci-0.2")
                    || props.compatible_with("arm,psci-1.0"),
                cpu_suspend: id("cpu_suspend")?,
                cpu_off: id("cpu_off")?,
                cpu_on: id("cpu_on")?,
                migrate: id("migrate")?,
            };
        }

        if let Some(&(_, kind)) = UART_COMPATIBLES
            .iter()
            .find(|(c, _)| props.compatible_with(c))
        {
            if let Some(regs) = self.first_reg(props.reg, depth)? {
                let uart = Uart { kind, regs };
                // Past capacity a UART is merely not offered; the console is
                // still found below.
                let _ = self.info.uarts.push(uart);
                let names = self.names.get(1..=depth).unwrap_or(&[]);
                if self.info.console.is_none()
                    && self.console_path.is_some_and(|p| p.matches(names))
                {
                    self.info.console = Some(uart);
                }
            }
        }

        if self.info.gic.is_none() {
            let version = if GIC_V2_COMPATIBLES.iter().any(|c| props.compatible_with(c)) {
                Some(2)
            } else if props.compatible_with(GIC_V3_COMPATIBLE) {
                Some(3)
            } else {
                None
            };
            if let Some(version) = version {
                self.read_gic(node, props, depth, version)?;
            }
        }

        if self.timer.is_none() && props.compatible_with(TIMER_COMPATIBLE) {
            if let Some(interrupts) = property(node, "interrupts")? {
                self.timer = Some(PendingTimer {
                    interrupts,
                    interrupt_parent: self.interrupt_parents.get(depth).copied().flatten(),
                });
            }
        }

        if self.info.watchdog.is_none()
            && WATCHDOG_COMPATIBLES
                .iter()
                .any(|c| props.compatible_with(c))
        {
            self.info.watchdog = self.first_reg(props.reg, depth)?;
        }
        Ok(())
    }

    fn read_cpu(
        &mut self,
        node: &Node<'a>,
        props: &Props<'a>,
        depth: usize,
    ) -> Result<(), DtError> {
        let Some(bus) = self.ancestors(depth).get(1).copied() else {
            return Ok(());
        };
        let Some(reg) = props.reg else {
            return Ok(());
        };
        // The first entry is the CPU (more are its hardware threads).
        let mut mpidr = None;
        for_each_reg(reg, &bus, |address, _| {
            if mpidr.is_none() {
                mpidr = Some(address);
            }
            Ok(())
        })?;
        let Some(mpidr) = mpidr else {
            return Ok(());
        };
        let methods = property(node, "enable-method")?.unwrap_or(&[]);
        let enable_method = if has_string(methods, "psci") {
            EnableMethod::Psci
        } else if has_string(methods, "spin-table") {
            match property(node, "cpu-release-addr")? {
                Some(raw) => EnableMethod::SpinTable {
                    release_addr: read_u32_or_u64(raw, "cpu-release-addr")?,
                },
                None => EnableMethod::None,
            }
        } else {
            EnableMethod::None
        };
        push_counted(
            &mut self.info.cpus,
            &mut self.counts.cpus,
            Cpu {
                mpidr,
                enable_method,
            },
        );
        Ok(())
    }

    fn read_gic(
        &mut self,
        node: &Node<'a>,
        props: &Props<'a>,
        depth: usize,
        version: u8,
    ) -> Result<(), DtError> {
        // GICD, up to MAX_REDISTRIBUTOR_REGIONS GICRs, then GICC, GICH, GICV.
        let mut frames: [Option<Range>; MAX_REDISTRIBUTOR_REGIONS + 4] =
            [None; MAX_REDISTRIBUTOR_REGIONS + 4];
        let mut entries = 0usize;
        self.for_each_translated_reg(props.reg, depth, |index, range| {
            if let Some(slot) = frames.get_mut(index) {
                *slot = range;
            }
            entries = index.saturating_add(1);
            Ok(())
        })?;
        let frame = |index: usize| frames.get(index).copied().flatten();
        let Some(distributor) = frame(0) else {
            return Ok(());
        };
        let gic = if version == 2 {
            Gic {
                version,
                distributor,
                cpu_interface: frame(1),
                redistributors: FixedVec::new(),
                hyp_interface: frame(2),
                virt_cpu_interface: frame(3),
            }
        } else {
            // GICD, then `#redistributor-regions` GICR regions, then the
            // optional GICC, GICH, GICV. A count the `reg` cannot hold (or
            // 0) leaves every frame but GICD unknown: the GIC is then
            // reported without redistributors, and the kernel says it cannot
            // use it, rather than refusing the whole tree.
            let regions = u32_property(
                property(node, "#redistributor-regions")?,
                "#redistributor-regions",
            )?
            .unwrap_or(1) as usize;
            let valid = regions != 0 && regions < entries;
            let mut redistributors = FixedVec::new();
            if valid {
                for index in 1..=regions.min(MAX_REDISTRIBUTOR_REGIONS) {
                    if let Some(region) = frame(index) {
                        let _ = redistributors.push(region);
                    }
                }
            }
            // Past the regions kept, the legacy frames' slots are not in
            // `frames` (or hold further GICRs): unknown.
            let after = regions.saturating_add(1);
            let legacy = |k: usize| {
                if valid && regions <= MAX_REDISTRIBUTOR_REGIONS {
                    frame(after.saturating_add(k))
                } else {
                    None
                }
            };
            Gic {
                version,
                distributor,
                cpu_interface: legacy(0),
                redistributors,
                hyp_interface: legacy(1),
                virt_cpu_interface: legacy(2),
            }
        };
        self.info.gic = Some(gic);
        self.gic_phandle = u32_property(property(node, "phandle")?, "phandle")?;
        self.gic_interrupt_cells =
            u32_property(property(node, "#interrupt-cells")?, "#interrupt-cells")?;
        Ok(())
    }

    /// Decodes the timer against the GIC, checks memory was described, and
    /// reports the first list the tree overfilled.
    fn finish(mut self) -> Result<(BoardInfo<'a>, Option<Overflow>), DtError> {
        if let Some(timer) = self.timer {
            self.info.timer = self.decode_timer(timer)?;
        }
        if !self.memory_seen {
            return Err(DtError::MissingMemory);
        }
        let lists = [
            ("reserved ranges", self.counts.reserved, MAX_RESERVED),
            ("memory ranges", self.counts.memory, MAX_MEMORY),
            ("CPUs", self.counts.cpus, MAX_CPUS),
        ];
        let overflow = lists
            .into_iter()
            .find(|&(_, found, capacity)| found > capacity)
            .map(|(what, found, capacity)| Overflow {
                what,
                found,
                capacity,
            });
        Ok((self.info, overflow))
    }

    /// The four timer PPIs, if the timer's interrupt parent is the GIC found
    /// (or unnamed) and every specifier is a PPI.
    fn decode_timer(&self, timer: PendingTimer<'a>) -> Result<Option<Timer>, DtError> {
        if self.info.gic.is_none() {
            return Ok(None);
        }
        if timer.interrupt_parent.is_some() && timer.interrupt_parent != self.gic_phandle {
            return Ok(None);
        }
        // The GIC binding: <type number flags>, 3 cells (4 with GICv3 PPI
        // partitions); type and number come first either way.
        let cells = self.gic_interrupt_cells.unwrap_or(3) as usize;
        if cells < 2 {
            return Err(DtError::BadProperty("#interrupt-cells"));
        }
        let specifier = cells
            .checked_mul(4)
            .ok_or(DtError::BadProperty("#interrupt-cells"))?;
        let enough = specifier
            .checked_mul(4)
            .is_some_and(|four| timer.interrupts.len() >= four);
        if !enough || !timer.interrupts.len().is_multiple_of(specifier) {
            return Err(DtError::BadProperty("interrupts"));
        }
        let mut ppis = [0u32; 4];
        for (ppi, spec) in ppis
            .iter_mut()
            .zip(timer.interrupts.chunks_exact(specifier))
        {
            match (be32(spec, 0), be32(spec, 4)) {
                (Some(GIC_PPI), Some(number)) if number < 16 => *ppi = number,
                _ => return Ok(None),
            }
        }
        let [secure_phys_irq, phys_irq, virt_irq, hyp_irq] = ppis;
        Ok(Some(Timer {
            secure_phys_irq,
            phys_irq,
            virt_irq,
            hyp_irq,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::{has_string, text, ConsolePath};

    #[test]
    fn text_strips_trailing_nuls_only() {
        assert_eq!(text(b"okay\0"), Some("okay"));
        assert_eq!(text(b"a\0b\0"), Some("a\0b"));
        assert_eq!(text(b""), Some(""));
        assert_eq!(text(&[0xff, 0]), None);
    }

    #[test]
    fn string_lists_match_whole_entries() {
        let list = b"arm,pl011\0arm,primecell\0";
        assert!(has_string(list, "arm,pl011"));
        assert!(has_string(list, "arm,primecell"));
        assert!(!has_string(list, "arm,pl01"));
    }

    #[test]
    fn console_paths_match_components_and_optional_unit() {
        let names = [("soc", None), ("serial", Some("7e215040"))];
        let full = ConsolePath {
            head: "/soc/serial@7e215040",
            tail: "",
        };
        assert!(full.matches(&names));
        assert!(!full.matches(&names[..1]));
        let no_unit = ConsolePath {
            head: "/soc/serial",
            tail: "",
        };
        assert!(no_unit.matches(&names));
        let other_unit = ConsolePath {
            head: "/soc/serial@7e201000",
            tail: "",
        };
        assert!(!other_unit.matches(&names));
        let split = ConsolePath {
            head: "/soc",
            tail: "serial@7e215040",
        };
        assert!(split.matches(&names));
    }
}
