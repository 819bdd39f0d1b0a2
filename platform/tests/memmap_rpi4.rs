//! The memory map of Raspberry Pi 4 boards of 1, 2, 4 and 8 GB, from trees laid
//! out as the firmware (start4.elf) hands them over, through `dt::parse` and
//! `memmap`: every range is used, the pages above 4 GiB too, and nothing taken
//! (the VideoCore's carve-out, the spin-table page, the kernel, the tree, the
//! initrd) is ever in a usable range.
//!
//! The layouts (not dumps from boards; none was at hand): the firmware fills
//! `/memory@0` with one `reg` entry per piece of ARM-visible RAM, with
//! `#address-cells = 2, #size-cells = 1` (so no entry exceeds 4 GiB - 1):
//! - RAM below 1 GiB ends where the VideoCore's carve-out begins: with the
//!   default `gpu_mem` (76 MiB) at 0x3b40_0000 (Linux's /proc/iomem on a Pi 4
//!   reads `00000000-3b3fffff : System RAM`);
//! - 2 GB and more: 0x4000_0000 up to the 2 GB end or, for 4 GB and 8 GB, up to
//!   the peripheral window at 0xfc00_0000;
//! - 8 GB: 4 GiB more above 4 GiB, as two 2 GiB entries.
//!
//! Plus `/memreserve/ 0 0x1000` (the armstub and spin table), a `linux,cma`
//! pool without `reg` (allocated by Linux, not reserved) and the spin-table
//! CPUs. A second form of each layout gives the carve-out as a `no-map`
//! `/reserved-memory` child inside a `/memory` range instead of a hole; both
//! must give the same free pages.

mod common;

use common::FdtBuilder;
use platform::dt::{self, Range};
use platform::memmap::{ranges_of, taken_ranges, usable_ranges, Taken};

const PAGE: u64 = 4096;
const GIB: u64 = 1 << 30;

/// The VideoCore's carve-out with the default gpu_mem=76.
const VC_BASE: u64 = 0x3b40_0000;
const VC_END: u64 = 0x4000_0000;
/// Where the peripherals' window starts in the low 4 GiB.
const PERIPHERALS: u64 = 0xfc00_0000;

/// Where the tests put the kernel image (text_offset 0x80000, 2 MiB with .bss
/// and stacks), the tree (32 KiB with the firmware's padding) and the initrd
/// (an unaligned end, as a cpio's length gives).
const KIMAGE: Range = Range {
    base: 0x8_0000,
    size: 0x20_0000,
};
const DTB_BASE: u64 = 0x2eff_0000;
const DTB_SIZE: usize = 0x8000;
const INITRD_START: u32 = 0x0280_0000;
const INITRD_END: u32 = 0x02a0_0123;

/// Pages every layout loses besides the carve-out: page 0, the image, the
/// tree, and the initrd rounded outward to whole pages.
const TAKEN_PAGES: u64 = 1
    + KIMAGE.size / PAGE
    + DTB_SIZE as u64 / PAGE
    + ((INITRD_END as u64).div_ceil(PAGE) - INITRD_START as u64 / PAGE);

/// How the carve-out is described.
#[derive(Clone, Copy, Debug)]
enum CarveOut {
    /// A hole in `/memory` (what the firmware does).
    Hole,
    /// Inside `/memory`, reserved by a `no-map` `/reserved-memory` child.
    Reserved,
}

/// The tree the firmware would hand over for a board with `gib` GB, with
/// mainline's aliases (serial0 the PL011, serial1 the mini UART).
fn pi4_tree(gib: u64, carve: CarveOut) -> Vec<u8> {
    pi4_tree_with_aliases(gib, carve, ("/soc/serial@7e201000", "/soc/serial@7e215040"))
}

/// The same with `aliases` as (serial0, serial1).
fn pi4_tree_with_aliases(gib: u64, carve: CarveOut, aliases: (&str, &str)) -> Vec<u8> {
    let mut reg: Vec<(u64, u64)> = match carve {
        CarveOut::Hole => vec![(0, VC_BASE)],
        CarveOut::Reserved => vec![(0, VC_END)],
    };
    match gib {
        1 => {}
        2 => reg.push((VC_END, GIB)),
        4 => reg.push((VC_END, PERIPHERALS - VC_END)),
        8 => {
            reg.push((VC_END, PERIPHERALS - VC_END));
            reg.push((4 * GIB, 2 * GIB));
            reg.push((6 * GIB, 2 * GIB));
        }
        _ => unreachable!("no such board"),
    }
    let cells: Vec<u32> = reg
        .iter()
        .flat_map(|&(base, size)| {
            [
                (base >> 32) as u32,
                base as u32,
                u32::try_from(size).unwrap(),
            ]
        })
        .collect();

    let mut b = FdtBuilder::new();
    b.reserve(0, 0x1000);
    b.begin("")
        .cells("#address-cells", &[2])
        .cells("#size-cells", &[1])
        .prop("compatible", b"raspberrypi,4-model-b\0brcm,bcm2711\0")
        .string("model", "Raspberry Pi 4 Model B Rev 1.5");
    b.begin("aliases")
        .string("serial0", aliases.0)
        .string("serial1", aliases.1)
        .end();
    b.begin("chosen")
        .string("bootargs", "console=ttyS0,115200")
        .string("stdout-path", "serial1:115200n8")
        .cells("linux,initrd-start", &[INITRD_START])
        .cells("linux,initrd-end", &[INITRD_END])
        .end();
    b.begin("memory@0")
        .string("device_type", "memory")
        .cells("reg", &cells)
        .end();
    b.begin("reserved-memory")
        .cells("#address-cells", &[2])
        .cells("#size-cells", &[1])
        .prop("ranges", &[])
        .begin("linux,cma")
        .string("compatible", "shared-dma-pool")
        .cells("size", &[0x400_0000])
        .prop("reusable", &[])
        .cells("alloc-ranges", &[0, 0, 0x3000_0000])
        .end();
    if let CarveOut::Reserved = carve {
        b.begin("vc@3b400000")
            .cells("reg", &[0, VC_BASE as u32, (VC_END - VC_BASE) as u32])
            .prop("no-map", &[])
            .end();
    }
    b.end();
    b.begin("cpus")
        .cells("#address-cells", &[1])
        .cells("#size-cells", &[0]);
    for i in 0..4u32 {
        b.begin(&format!("cpu@{i}"))
            .string("device_type", "cpu")
            .string("compatible", "arm,cortex-a72")
            .cells("reg", &[i])
            .string("enable-method", "spin-table")
            .cells("cpu-release-addr", &[0, 0xd8 + 8 * i])
            .end();
    }
    b.end();
    b.begin("soc")
        .string("compatible", "simple-bus")
        .cells("#address-cells", &[1])
        .cells("#size-cells", &[1])
        .cells("ranges", &[0x7e00_0000, 0, 0xfe00_0000, 0x180_0000])
        .begin("serial@7e201000")
        .prop("compatible", b"arm,pl011\0arm,primecell\0")
        .cells("reg", &[0x7e20_1000, 0x200])
        .end()
        .begin("serial@7e215040")
        .string("compatible", "brcm,bcm2835-aux-uart")
        .cells("reg", &[0x7e21_5040, 0x40])
        .end()
        .end();
    b.end();
    b.finish_padded(DTB_SIZE)
}

/// Boots the memory map of a board: the usable ranges and what is taken.
fn memory_map(gib: u64, carve: CarveOut) -> (Vec<Range>, Vec<Range>, Vec<Taken>) {
    let blob = pi4_tree(gib, carve);
    let info = dt::parse(&blob, DTB_BASE).unwrap_or_else(|e| panic!("{gib} GB: {e}"));
    assert_eq!(info.board, dt::Board::RaspberryPi4);
    assert_eq!(
        info.dtb,
        Range {
            base: DTB_BASE,
            size: DTB_SIZE as u64
        }
    );
    let taken = taken_ranges(&info, KIMAGE).unwrap();
    let usable = usable_ranges(&info.memory, &ranges_of(&taken).unwrap()).unwrap();
    (info.memory.to_vec(), usable.to_vec(), taken.to_vec())
}

fn pages(ranges: &[Range]) -> u64 {
    ranges.iter().map(|r| r.size / PAGE).sum()
}

/// Usable ranges lie inside memory, are page-aligned and sorted, and overlap
/// nothing taken nor the VideoCore's carve-out.
fn check_nothing_taken_is_usable(gib: u64, memory: &[Range], usable: &[Range], taken: &[Taken]) {
    let vc = Range {
        base: VC_BASE,
        size: VC_END - VC_BASE,
    };
    for u in usable {
        assert_eq!(u.base % PAGE, 0, "{gib} GB: {u:x?} unaligned");
        assert_eq!(u.size % PAGE, 0, "{gib} GB: {u:x?} unaligned");
        assert!(
            memory
                .iter()
                .any(|m| m.base <= u.base && u.end() <= m.end()),
            "{gib} GB: {u:x?} outside memory"
        );
        for t in taken
            .iter()
            .map(|t| (t.range, t.what))
            .chain([(vc, "carve-out")])
        {
            let (r, what) = t;
            assert!(
                u.end() <= r.base || r.end() <= u.base,
                "{gib} GB: usable {u:x?} overlaps the {what} {r:x?}"
            );
        }
    }
    assert!(usable.windows(2).all(|w| w[0].end() <= w[1].base));
}

#[test]
fn every_board_size_gives_the_expected_free_pages() {
    // RAM the ARM sees, in pages, minus what every layout takes.
    let low = VC_BASE / PAGE; // 948 MiB below the carve-out
    let expected = [
        (1, low - TAKEN_PAGES),
        (2, low + GIB / PAGE - TAKEN_PAGES),
        (4, low + (PERIPHERALS - VC_END) / PAGE - TAKEN_PAGES),
        (
            8,
            low + (PERIPHERALS - VC_END) / PAGE + 4 * GIB / PAGE - TAKEN_PAGES,
        ),
    ];
    // The same figures written out, so a slip in the sums above shows too:
    // 1 GB 948 MiB, 2 GB 1972 MiB, 4 GB 3956 MiB, 8 GB 8052 MiB, each less
    // 1 + 512 + 8 + 513 = 1034 pages.
    assert_eq!(
        expected.map(|(_, p)| p),
        [241_654, 503_798, 1_011_702, 2_060_278]
    );
    for (gib, want) in expected {
        for carve in [CarveOut::Hole, CarveOut::Reserved] {
            let (memory, usable, taken) = memory_map(gib, carve);
            assert_eq!(pages(&usable), want, "{gib} GB, carve-out as {carve:?}");
            check_nothing_taken_is_usable(gib, &memory, &usable, &taken);
        }
    }
}

#[test]
fn the_8gb_board_uses_its_ranges_above_4_gib() {
    let (memory, usable, _) = memory_map(8, CarveOut::Hole);
    assert_eq!(
        memory,
        [
            Range {
                base: 0,
                size: VC_BASE
            },
            Range {
                base: VC_END,
                size: PERIPHERALS - VC_END
            },
            Range {
                base: 4 * GIB,
                size: 2 * GIB
            },
            Range {
                base: 6 * GIB,
                size: 2 * GIB
            },
        ]
    );
    let high: Vec<Range> = usable
        .iter()
        .copied()
        .filter(|r| r.base >= 4 * GIB)
        .collect();
    assert_eq!(
        high,
        [
            Range {
                base: 4 * GIB,
                size: 2 * GIB
            },
            Range {
                base: 6 * GIB,
                size: 2 * GIB
            }
        ]
    );
    // Nothing between the peripheral window and 4 GiB.
    assert!(usable
        .iter()
        .all(|r| r.end() <= PERIPHERALS || r.base >= 4 * GIB));
}

#[test]
fn what_is_taken_is_named() {
    let (_, _, taken) = memory_map(4, CarveOut::Reserved);
    let named: Vec<(&str, Range)> = taken.iter().map(|t| (t.what, t.range)).collect();
    assert_eq!(
        named,
        [
            ("kernel image", KIMAGE),
            (
                "device tree",
                Range {
                    base: DTB_BASE,
                    size: DTB_SIZE as u64
                }
            ),
            (
                "initrd",
                Range {
                    base: INITRD_START as u64,
                    size: (INITRD_END - INITRD_START) as u64
                }
            ),
            (
                "reserved",
                Range {
                    base: 0,
                    size: 0x1000
                }
            ),
            (
                "reserved",
                Range {
                    base: VC_BASE,
                    size: VC_END - VC_BASE
                }
            ),
        ]
    );
}

/// The Raspberry Pi firmware points `serial0` at the primary UART, the mini
/// UART on a Pi 4 with Bluetooth (Raspberry Pi documentation, "UART
/// configuration"): the reverse of mainline's aliases, with the same
/// `stdout-path = "serial1:115200n8"`. The console named then is the PL011,
/// but both UARTs are still offered, and the kernel's console writes to every
/// UART offered, so the mini UART on GPIO14/15 still carries the log.
#[test]
fn firmware_style_aliases_still_offer_the_mini_uart() {
    use platform::dt::{Uart, UartKind};
    let pl011 = Uart {
        kind: UartKind::Pl011,
        regs: Range {
            base: 0xfe20_1000,
            size: 0x200,
        },
    };
    let mini = Uart {
        kind: UartKind::MiniUart,
        regs: Range {
            base: 0xfe21_5040,
            size: 0x40,
        },
    };
    for (aliases, console) in [
        (("/soc/serial@7e201000", "/soc/serial@7e215040"), mini),
        (("/soc/serial@7e215040", "/soc/serial@7e201000"), pl011),
    ] {
        let blob = pi4_tree_with_aliases(4, CarveOut::Hole, aliases);
        let info = dt::parse(&blob, DTB_BASE).unwrap();
        assert_eq!(info.console, Some(console), "{aliases:?}");
        assert_eq!(info.uarts.as_slice(), &[pl011, mini], "{aliases:?}");
    }
}
