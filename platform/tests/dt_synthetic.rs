//! `platform::dt::parse` on small trees assembled here, for what the real trees
//! do not show: 4-byte initrd cells, nested bus translation, buses without
//! `ranges`, disabled subtrees, aliases with a path below them, GICv3 with
//! several redistributor regions, capacity limits and the structural errors.

use platform::dt::{
    self, DtError, EnableMethod, Overflow, PsciConduit, Range, Uart, UartKind, MAX_CPUS,
    MAX_MEMORY, MAX_RESERVED, MAX_UARTS,
};

mod common;

use common::FdtBuilder;

/// A root with 1-cell addresses and sizes (as 32-bit boards have) and 256 MiB
/// of memory at 0; `body` adds the rest inside the root node.
fn tree(body: impl FnOnce(&mut FdtBuilder)) -> Vec<u8> {
    let mut b = FdtBuilder::new();
    b.begin("")
        .cells("#address-cells", &[1])
        .cells("#size-cells", &[1])
        .string("compatible", "test,board")
        .begin("memory@0")
        .string("device_type", "memory")
        .cells("reg", &[0, 0x1000_0000])
        .end();
    body(&mut b);
    b.end();
    b.finish()
}

fn r(base: u64, size: u64) -> Range {
    Range { base, size }
}

#[test]
fn initrd_with_4_byte_cells() {
    let blob = tree(|b| {
        b.begin("chosen")
            .cells("linux,initrd-start", &[0x0800_0000])
            .cells("linux,initrd-end", &[0x0810_0000])
            .string("bootargs", "quiet")
            .end();
    });
    let info = dt::parse(&blob, 0x100).unwrap();
    assert_eq!(info.initrd, Some(r(0x0800_0000, 0x10_0000)));
    assert_eq!(info.bootargs, Some("quiet"));
    assert_eq!(info.board, dt::Board::Unknown);
    assert_eq!(info.memory.as_slice(), &[r(0, 0x1000_0000)]);
    assert_eq!(info.dtb, r(0x100, blob.len() as u64));
}

#[test]
fn initrd_with_mixed_widths_and_inconsistent_values() {
    let mixed = tree(|b| {
        b.begin("chosen")
            .cells("linux,initrd-start", &[0x1000])
            .cells("linux,initrd-end", &[0, 0x3000])
            .end();
    });
    assert_eq!(
        dt::parse(&mixed, 0).unwrap().initrd,
        Some(r(0x1000, 0x2000))
    );

    let backwards = tree(|b| {
        b.begin("chosen")
            .cells("linux,initrd-start", &[0x3000])
            .cells("linux,initrd-end", &[0x1000])
            .end();
    });
    assert_eq!(
        dt::parse(&backwards, 0).unwrap_err(),
        DtError::BadProperty("linux,initrd-end")
    );

    let half = tree(|b| {
        b.begin("chosen")
            .cells("linux,initrd-start", &[0x3000])
            .end();
    });
    assert_eq!(
        dt::parse(&half, 0).unwrap_err(),
        DtError::BadProperty("linux,initrd-end")
    );

    let odd = tree(|b| {
        b.begin("chosen")
            .prop("linux,initrd-start", &[0, 0, 0x30])
            .cells("linux,initrd-end", &[0x4000])
            .end();
    });
    assert_eq!(
        dt::parse(&odd, 0).unwrap_err(),
        DtError::BadProperty("linux,initrd-start")
    );
}

/// Three levels below a root with 1-cell addresses and sizes:
///
/// ```text
/// bus@10000000  #address-cells 2, #size-cells 1, ranges <0 0  0x10000000  0x1000000>
///   sub@0,100   #address-cells 1, #size-cells 1, ranges (empty: identity)
///     serial@200  reg <0x200 0x100>
/// ```
///
/// so serial@200 sits at 0x1000_0000 + 0x200 for the CPU: identity through
/// `sub` (1-cell 0x200 is 2-cell 0:0x200 on `bus`), then `bus`'s window.
fn nested_buses(b: &mut FdtBuilder) {
    b.begin("bus@10000000")
        .cells("#address-cells", &[2])
        .cells("#size-cells", &[1])
        .cells("ranges", &[0x0, 0x0, 0x1000_0000, 0x100_0000])
        .begin("sub@0,100")
        .cells("reg", &[0x0, 0x100, 0x1000])
        .cells("#address-cells", &[1])
        .cells("#size-cells", &[1])
        .prop("ranges", &[])
        .begin("serial@200")
        .string("compatible", "arm,pl011")
        .cells("reg", &[0x200, 0x100])
        .end()
        .end()
        .end();
}

#[test]
fn nested_ranges_translate_and_aliases_may_carry_a_path() {
    let blob = tree(|b| {
        nested_buses(b);
        b.begin("aliases")
            .string("bus", "/bus@10000000/sub@0,100")
            .end()
            .begin("chosen")
            .string("stdout-path", "bus/serial@200:115200n8")
            .end();
    });
    let info = dt::parse(&blob, 0).unwrap();
    let uart = Uart {
        kind: UartKind::Pl011,
        regs: r(0x1000_0200, 0x100),
    };
    assert_eq!(info.uarts.as_slice(), &[uart]);
    assert_eq!(info.console, Some(uart));
}

#[test]
fn full_stdout_path_may_omit_unit_addresses() {
    let blob = tree(|b| {
        nested_buses(b);
        b.begin("chosen")
            .string("stdout-path", "/bus/sub/serial")
            .end();
    });
    let info = dt::parse(&blob, 0).unwrap();
    assert_eq!(info.console.map(|u| u.regs.base), Some(0x1000_0200));
}

#[test]
fn stdout_path_to_a_missing_alias_or_other_node_gives_no_console() {
    for stdout in [
        "serial9",
        "/bus@10000000",
        "/bus@10000000/sub@0,100/serial@300",
    ] {
        let blob = tree(|b| {
            nested_buses(b);
            b.begin("chosen").string("stdout-path", stdout).end();
        });
        let info = dt::parse(&blob, 0).unwrap();
        assert_eq!(info.console, None, "{stdout}");
        assert_eq!(info.uarts.len(), 1, "{stdout}");
    }
}

#[test]
fn bus_without_ranges_hides_its_devices() {
    let blob = tree(|b| {
        b.begin("i2c@7000")
            .cells("reg", &[0x7000, 0x100])
            .cells("#address-cells", &[1])
            .cells("#size-cells", &[1])
            .begin("serial@20")
            .string("compatible", "brcm,bcm2835-aux-uart")
            .cells("reg", &[0x20, 0x8])
            .end()
            .end();
    });
    let info = dt::parse(&blob, 0).unwrap();
    assert_eq!(info.uarts.as_slice(), &[]);
}

#[test]
fn registers_outside_every_window_are_skipped() {
    let blob = tree(|b| {
        b.begin("soc")
            .cells("#address-cells", &[1])
            .cells("#size-cells", &[1])
            .cells("ranges", &[0x7e00_0000, 0xfe00_0000, 0x1000])
            .begin("serial@7e000f80")
            .string("compatible", "arm,pl011")
            .cells("reg", &[0x7e00_0f80, 0x100])
            .end()
            .begin("serial@7e000000")
            .string("compatible", "arm,pl011")
            .cells("reg", &[0x7e00_0000, 0x80])
            .end()
            .end();
    });
    let info = dt::parse(&blob, 0).unwrap();
    assert_eq!(info.uarts.len(), 1);
    assert_eq!(info.uarts[0].regs, r(0xfe00_0000, 0x80));
}

#[test]
fn disabled_nodes_and_their_subtrees_are_ignored() {
    let blob = tree(|b| {
        b.begin("serial@1000")
            .string("compatible", "arm,pl011")
            .cells("reg", &[0x1000, 0x100])
            .string("status", "disabled")
            .end()
            .begin("serial@2000")
            .string("compatible", "arm,pl011")
            .cells("reg", &[0x2000, 0x100])
            .string("status", "ok")
            .end()
            .begin("bus")
            .string("status", "fail")
            .prop("ranges", &[])
            .begin("serial@3000")
            .string("compatible", "arm,pl011")
            .cells("reg", &[0x3000, 0x100])
            .end()
            .end()
            .begin("memory@20000000")
            .string("device_type", "memory")
            .string("status", "disabled")
            .cells("reg", &[0x2000_0000, 0x1000_0000])
            .end();
    });
    let info = dt::parse(&blob, 0).unwrap();
    assert_eq!(
        info.uarts.as_slice(),
        &[Uart {
            kind: UartKind::Pl011,
            regs: r(0x2000, 0x100)
        }]
    );
    assert_eq!(info.memory.as_slice(), &[r(0, 0x1000_0000)]);
}

#[test]
fn memreserve_and_reserved_memory_children_are_collected() {
    let blob = tree(|b| {
        b.reserve(0, 0x1000).reserve(0x8000, 0);
        b.begin("reserved-memory")
            .cells("#address-cells", &[1])
            .cells("#size-cells", &[1])
            .prop("ranges", &[])
            .begin("fw@f000000")
            .cells("reg", &[0x0f00_0000, 0x10_0000, 0x0f80_0000, 0x1000])
            .prop("no-map", &[])
            .end()
            .begin("pool")
            .cells("size", &[0x40_0000])
            .end()
            .begin("off@1000000")
            .cells("reg", &[0x0100_0000, 0x1000])
            .string("status", "disabled")
            .end()
            .end();
    });
    let info = dt::parse(&blob, 0).unwrap();
    assert_eq!(
        info.reserved.as_slice(),
        &[
            r(0, 0x1000),
            r(0x0f00_0000, 0x10_0000),
            r(0x0f80_0000, 0x1000)
        ]
    );
}

/// `/memreserve/` entries plus a `/reserved-memory` child holding `in_node`
/// ranges, `total` in all.
fn reserved_tree(total: u64, in_node: u64) -> Vec<u8> {
    tree(|b| {
        for i in 0..total - in_node {
            b.reserve(i * 0x1000, 0x1000);
        }
        let reg: Vec<u32> = (0..in_node)
            .flat_map(|i| [0x0800_0000 + i as u32 * 0x1000, 0x1000])
            .collect();
        b.begin("reserved-memory")
            .cells("#address-cells", &[1])
            .cells("#size-cells", &[1])
            .prop("ranges", &[])
            .begin("fw@8000000")
            .cells("reg", &reg)
            .end()
            .end();
    })
}

#[test]
fn reserved_ranges_up_to_capacity_are_all_kept() {
    let cap = MAX_RESERVED as u64;
    let blob = reserved_tree(cap, cap / 2);
    let info = dt::parse(&blob, 0).unwrap();
    assert_eq!(info.reserved.len(), MAX_RESERVED);
    assert_eq!(info.reserved[0], r(0, 0x1000));
    assert_eq!(
        info.reserved[MAX_RESERVED - 1],
        r(0x0800_0000 + (cap / 2 - 1) * 0x1000, 0x1000)
    );
}

#[test]
fn too_many_reserved_ranges_is_an_error_with_the_count() {
    let cap = MAX_RESERVED as u64;
    let overflow = Overflow {
        what: "reserved ranges",
        found: MAX_RESERVED + 3,
        capacity: MAX_RESERVED,
    };
    // Past capacity in /memreserve/ alone, and across both sources.
    for in_node in [0, 1, cap / 2, cap + 3] {
        let blob = reserved_tree(cap + 3, in_node);
        assert_eq!(
            dt::parse(&blob, 0).unwrap_err(),
            DtError::TooMany(overflow),
            "{in_node} in the node"
        );
        // The boot's variant keeps what fitted and names the overflow.
        let (info, got) = dt::parse_for_boot(&blob, 0).unwrap();
        assert_eq!(got, Some(overflow));
        assert_eq!(info.reserved.len(), MAX_RESERVED);
    }
    assert_eq!(
        DtError::TooMany(overflow).to_string(),
        format!(
            "too many reserved ranges: {} (the kernel keeps at most {MAX_RESERVED})",
            MAX_RESERVED + 3
        )
    );
}

#[test]
fn too_many_memory_ranges_is_an_error() {
    // One node with one range past capacity.
    let one_node = |n: u32| {
        let mut b = FdtBuilder::new();
        let reg: Vec<u32> = (0..n).flat_map(|i| [i * 0x0800_0000, 0x100_0000]).collect();
        b.begin("")
            .cells("#address-cells", &[1])
            .cells("#size-cells", &[1])
            .begin("memory@0")
            .string("device_type", "memory")
            .cells("reg", &reg)
            .end()
            .end();
        b.finish()
    };
    assert_eq!(
        dt::parse(&one_node(MAX_MEMORY as u32), 0)
            .unwrap()
            .memory
            .len(),
        MAX_MEMORY
    );
    assert_eq!(
        dt::parse(&one_node(MAX_MEMORY as u32 + 1), 0).unwrap_err(),
        DtError::TooMany(Overflow {
            what: "memory ranges",
            found: MAX_MEMORY + 1,
            capacity: MAX_MEMORY
        })
    );
    // Spread over nodes (as QEMU's -numa writes them): two ranges each.
    let nodes = |n: u32| {
        let mut b = FdtBuilder::new();
        b.begin("")
            .cells("#address-cells", &[1])
            .cells("#size-cells", &[1]);
        for i in 0..n {
            b.begin(&format!("memory@{:x}", i * 0x800_0000))
                .string("device_type", "memory")
                .cells(
                    "reg",
                    &[
                        i * 0x800_0000,
                        0x100_0000,
                        i * 0x800_0000 + 0x200_0000,
                        0x100_0000,
                    ],
                )
                .end();
        }
        b.end();
        b.finish()
    };
    let half = MAX_MEMORY as u32 / 2;
    assert_eq!(dt::parse(&nodes(half), 0).unwrap().memory.len(), MAX_MEMORY);
    let blob = nodes(half + 1);
    let (info, overflow) = dt::parse_for_boot(&blob, 0).unwrap();
    assert_eq!(info.memory.len(), MAX_MEMORY);
    assert_eq!(
        overflow,
        Some(Overflow {
            what: "memory ranges",
            found: MAX_MEMORY + 2,
            capacity: MAX_MEMORY
        })
    );
}

#[test]
fn cpus_with_two_address_cells_and_8_byte_release_addresses() {
    let blob = tree(|b| {
        b.begin("cpus")
            .cells("#address-cells", &[2])
            .cells("#size-cells", &[0]);
        for (i, mpidr) in [0u32, 1, 0x100, 0x101].iter().enumerate() {
            b.begin(&format!("cpu@{mpidr:x}"))
                .string("device_type", "cpu")
                .cells("reg", &[0, *mpidr])
                .string("enable-method", "spin-table")
                .cells("cpu-release-addr", &[0, 0xd8 + 8 * i as u32])
                .end();
        }
        b.begin("cpu-map").begin("cluster0").end().end();
        b.end();
    });
    let info = dt::parse(&blob, 0).unwrap();
    let got: Vec<_> = info
        .cpus
        .iter()
        .map(|c| (c.mpidr, c.enable_method))
        .collect();
    let spin = |release_addr| EnableMethod::SpinTable { release_addr };
    assert_eq!(
        got,
        [
            (0, spin(0xd8)),
            (1, spin(0xe0)),
            (0x100, spin(0xe8)),
            (0x101, spin(0xf0))
        ]
    );
}

fn cpus_tree(n: u32) -> Vec<u8> {
    tree(|b| {
        b.begin("cpus")
            .cells("#address-cells", &[1])
            .cells("#size-cells", &[0]);
        for i in 0..n {
            b.begin(&format!("cpu@{i}"))
                .string("device_type", "cpu")
                .cells("reg", &[i])
                .string("enable-method", "psci")
                .end();
        }
        b.end();
        b.begin("psci").string("method", "smc").end();
    })
}

#[test]
fn cpus_up_to_capacity_are_kept_and_more_is_an_error() {
    let blob = cpus_tree(MAX_CPUS as u32);
    let info = dt::parse(&blob, 0).unwrap();
    assert_eq!(info.cpus.len(), MAX_CPUS);
    assert_eq!(info.cpus[MAX_CPUS - 1].mpidr, MAX_CPUS as u64 - 1);
    assert_eq!(info.psci, Some(PsciConduit::Smc));
    let overflow = Overflow {
        what: "CPUs",
        found: MAX_CPUS + 4,
        capacity: MAX_CPUS,
    };
    let blob = cpus_tree(MAX_CPUS as u32 + 4);

    assert_eq!(dt::parse(&blob, 0).unwrap_err(), DtError::TooMany(overflow));
    assert_eq!(dt::parse_for_boot(&blob, 0).unwrap().1, Some(overflow));
}

#[test]
fn uarts_past_capacity_are_not_offered_but_the_console_is_found() {
    let n = MAX_UARTS as u32 + 2;
    let blob = tree(|b| {
        b.begin("chosen")
            .string(
                "stdout-path",
                &format!("/serial@{:x}", 0x900_0000 + (n - 1) * 0x1000),
            )
            .end();
        for i in 0..n {
            let base = 0x900_0000 + i * 0x1000;
            b.begin(&format!("serial@{base:x}"))
                .string("compatible", "arm,pl011")
                .cells("reg", &[base, 0x1000])
                .end();
        }
    });
    let info = dt::parse(&blob, 0).unwrap();
    assert_eq!(info.uarts.len(), MAX_UARTS);
    let last = 0x900_0000 + u64::from(n - 1) * 0x1000;
    assert_eq!(
        info.console,
        Some(Uart {
            kind: UartKind::Pl011,
            regs: r(last, 0x1000)
        })
    );
}

/// A GICv3 node with `reg` entries of `(base, size)` and, if given,
/// `#redistributor-regions`.
fn gic_v3_tree(regions: Option<u32>, reg: &[(u32, u32)]) -> Vec<u8> {
    let cells: Vec<u32> = reg.iter().flat_map(|&(b, s)| [b, s]).collect();
    tree(|b| {
        b.begin("interrupt-controller@8000000")
            .string("compatible", "arm,gic-v3")
            .cells("#interrupt-cells", &[3]);
        if let Some(n) = regions {
            b.cells("#redistributor-regions", &[n]);
        }
        b.cells("reg", &cells).end();
    })
}

#[test]
fn gic_v3_defaults_to_one_redistributor_region() {
    let blob = gic_v3_tree(None, &[(0x0800_0000, 0x1_0000), (0x080a_0000, 0x4_0000)]);
    let gic = dt::parse(&blob, 0).unwrap().gic.unwrap();
    assert_eq!(gic.version, 3);
    assert_eq!(gic.redistributors.as_slice(), &[r(0x080a_0000, 0x4_0000)]);
    assert_eq!(gic.cpu_interface, None);
}

#[test]
fn gic_v3_regions_past_capacity_are_dropped_with_the_legacy_frames() {
    // Six regions, then a GICC: the first four regions are kept; the GICC's
    // slot lies past what the parser keeps, so it is unknown, not a GICR.
    let mut reg = vec![(0x0800_0000, 0x1_0000)];
    for n in 0..6 {
        reg.push((0x1000_0000 + n * 0x10_0000, 0x2_0000));
    }
    reg.push((0x0801_0000, 0x2000));
    let blob = gic_v3_tree(Some(6), &reg);
    let gic = dt::parse(&blob, 0).unwrap().gic.unwrap();
    assert_eq!(gic.redistributors.len(), dt::MAX_REDISTRIBUTOR_REGIONS);
    assert_eq!(gic.redistributors[3], r(0x1030_0000, 0x2_0000));
    assert_eq!(gic.cpu_interface, None);
    assert_eq!(gic.hyp_interface, None);
}

#[test]
fn gic_v3_with_an_impossible_region_count_has_no_redistributors() {
    // 0 regions, or more than `reg` holds after GICD: every frame but the
    // distributor is unknown. The tree is still accepted (the kernel says
    // the GIC is unusable instead of refusing the whole tree).
    let reg = [
        (0x0800_0000, 0x1_0000),
        (0x080a_0000, 0x2_0000),
        (0x0801_0000, 0x2000),
    ];
    for count in [0, 3, 0xffff_ffff] {
        let blob = gic_v3_tree(Some(count), &reg);
        let gic = dt::parse(&blob, 0).unwrap().gic.unwrap();
        assert_eq!(gic.distributor, r(0x0800_0000, 0x1_0000), "{count}");
        assert_eq!(gic.redistributors.as_slice(), &[], "{count}");
        assert_eq!(gic.cpu_interface, None, "{count}");
    }
}

#[test]
fn gic_v3_frames_are_translated_through_bus_ranges() {
    // soc: bus 0x0.. is CPU 0x2000_0000..; a GICR outside the window is
    // skipped, the other region kept.
    let blob = tree(|b| {
        b.begin("soc")
            .cells("#address-cells", &[1])
            .cells("#size-cells", &[1])
            .cells("ranges", &[0x0, 0x2000_0000, 0x100_0000])
            .begin("interrupt-controller@0")
            .string("compatible", "arm,gic-v3")
            .cells("#interrupt-cells", &[3])
            .cells("#redistributor-regions", &[2])
            .cells(
                "reg",
                &[
                    0x0, 0x1_0000, // GICD
                    0x10_0000, 0x2_0000, // GICR 0
                    0x400_0000, 0x2_0000, // GICR 1, outside the window
                ],
            )
            .end()
            .end();
    });
    let gic = dt::parse(&blob, 0).unwrap().gic.unwrap();
    assert_eq!(gic.distributor, r(0x2000_0000, 0x1_0000));
    assert_eq!(gic.redistributors.as_slice(), &[r(0x2010_0000, 0x2_0000)]);
}

#[test]
fn gic_v3_with_two_redistributor_regions_and_legacy_frames() {
    let blob = tree(|b| {
        b.begin("interrupt-controller@8000000")
            .string("compatible", "arm,gic-v3")
            .cells("#interrupt-cells", &[4])
            .cells("#redistributor-regions", &[2])
            .cells(
                "reg",
                &[
                    0x0800_0000,
                    0x1_0000, // GICD
                    0x080a_0000,
                    0x2_0000, // GICR 0
                    0x0900_0000,
                    0x2_0000, // GICR 1
                    0x0801_0000,
                    0x2000, // GICC
                    0x0803_0000,
                    0x2000, // GICH
                    0x0804_0000,
                    0x2000, // GICV
                ],
            )
            .cells("phandle", &[7])
            .end();
        b.begin("timer")
            .string("compatible", "arm,armv8-timer")
            .cells("interrupt-parent", &[7])
            .cells(
                "interrupts",
                &[1, 13, 4, 0, 1, 14, 4, 0, 1, 11, 4, 0, 1, 10, 4, 0],
            )
            .end();
    });
    let info = dt::parse(&blob, 0).unwrap();
    let gic = info.gic.unwrap();
    assert_eq!(gic.version, 3);
    assert_eq!(gic.distributor, r(0x0800_0000, 0x1_0000));
    assert_eq!(
        gic.redistributors.as_slice(),
        &[r(0x080a_0000, 0x2_0000), r(0x0900_0000, 0x2_0000)]
    );
    assert_eq!(gic.cpu_interface, Some(r(0x0801_0000, 0x2000)));
    assert_eq!(gic.hyp_interface, Some(r(0x0803_0000, 0x2000)));
    assert_eq!(gic.virt_cpu_interface, Some(r(0x0804_0000, 0x2000)));
    let timer = info.timer.unwrap();
    assert_eq!(
        (
            timer.secure_phys_irq,
            timer.phys_irq,
            timer.virt_irq,
            timer.hyp_irq
        ),
        (13, 14, 11, 10)
    );
}

#[test]
fn timer_on_another_controller_or_with_spis_is_not_reported() {
    let gic = |b: &mut FdtBuilder| {
        b.begin("intc@1000")
            .string("compatible", "arm,gic-400")
            .cells("#interrupt-cells", &[3])
            .cells("reg", &[0x1000, 0x1000, 0x2000, 0x2000])
            .cells("phandle", &[1])
            .end();
    };
    let elsewhere = tree(|b| {
        gic(b);
        b.begin("timer")
            .string("compatible", "arm,armv8-timer")
            .cells("interrupt-parent", &[2])
            .cells("interrupts", &[1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4])
            .end();
    });
    let info = dt::parse(&elsewhere, 0).unwrap();
    assert!(info.gic.is_some());
    assert_eq!(info.timer, None);

    let spis = tree(|b| {
        gic(b);
        b.begin("timer")
            .string("compatible", "arm,armv8-timer")
            .cells("interrupt-parent", &[1])
            .cells("interrupts", &[0, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4])
            .end();
    });
    assert_eq!(dt::parse(&spis, 0).unwrap().timer, None);

    let short = tree(|b| {
        gic(b);
        b.begin("timer")
            .string("compatible", "arm,armv8-timer")
            .cells("interrupts", &[1, 13, 4, 1, 14, 4])
            .end();
    });
    assert_eq!(
        dt::parse(&short, 0).unwrap_err(),
        DtError::BadProperty("interrupts")
    );
}

#[test]
fn watchdog_takes_the_first_reg_entry() {
    let blob = tree(|b| {
        b.begin("watchdog@7e100000")
            .string("compatible", "brcm,bcm2835-pm")
            .cells("reg", &[0x7e10_0000, 0x114, 0x7e00_a000, 0x24])
            .end();
    });
    assert_eq!(
        dt::parse(&blob, 0).unwrap().watchdog,
        Some(r(0x7e10_0000, 0x114))
    );
}

#[test]
fn no_memory_node_is_an_error() {
    let mut b = FdtBuilder::new();
    b.begin("")
        .cells("#address-cells", &[1])
        .cells("#size-cells", &[1])
        .end();
    assert_eq!(
        dt::parse(&b.finish(), 0).unwrap_err(),
        DtError::MissingMemory
    );
}

#[test]
fn deep_nesting_is_refused_not_recursed() {
    let blob = tree(|b| {
        for i in 0..40 {
            b.begin(&format!("n{i}"));
        }
        for _ in 0..40 {
            b.end();
        }
    });
    assert_eq!(dt::parse(&blob, 0).unwrap_err(), DtError::TooDeep);
}

#[test]
fn malformed_cells_are_errors() {
    let bad_reg = tree(|b| {
        b.begin("serial@1000")
            .string("compatible", "arm,pl011")
            .cells("reg", &[0x1000, 0x100, 0x2000])
            .end();
    });
    assert_eq!(
        dt::parse(&bad_reg, 0).unwrap_err(),
        DtError::BadProperty("reg")
    );

    let bad_cells = tree(|b| {
        b.begin("bus").prop("#address-cells", &[0, 1]).end();
    });
    assert_eq!(
        dt::parse(&bad_cells, 0).unwrap_err(),
        DtError::BadProperty("#address-cells")
    );
}

#[test]
fn header_errors() {
    let good = tree(|_| {});
    assert!(dt::parse(&good, 0).is_ok());

    assert_eq!(dt::parse(&[], 0).unwrap_err(), DtError::Truncated);
    assert_eq!(dt::parse(&good[..20], 0).unwrap_err(), DtError::Truncated);
    assert_eq!(
        dt::parse(&good[..good.len() - 1], 0).unwrap_err(),
        DtError::Truncated
    );

    let mut bad_magic = good.clone();
    bad_magic[0] = 0xfe;
    assert_eq!(dt::parse(&bad_magic, 0).unwrap_err(), DtError::BadMagic);

    let mut old = good.clone();
    old[20..24].copy_from_slice(&16u32.to_be_bytes());
    assert_eq!(dt::parse(&old, 0).unwrap_err(), DtError::BadHeader);

    let mut strings_outside = good.clone();
    strings_outside[32..36].copy_from_slice(&0x1000u32.to_be_bytes());
    assert_eq!(
        dt::parse(&strings_outside, 0).unwrap_err(),
        DtError::BadHeader
    );

    // The DTB base is only recorded, but its range must not wrap.
    assert_eq!(
        dt::parse(&good, u64::MAX).unwrap_err(),
        DtError::BadProperty("dtb base")
    );
}

#[test]
fn from_raw_checks_pointer_and_magic() {
    // SAFETY: a null pointer is refused before any read.
    let null = unsafe { dt::from_raw(core::ptr::null()) };
    assert_eq!(null.unwrap_err(), DtError::NullPointer);
    let junk: &'static [u8] = Vec::leak(vec![0u8; 64]);
    // SAFETY: 64 readable bytes that are never written; the magic check fails
    // before anything past the header is read.
    let not_a_tree = unsafe { dt::from_raw(junk.as_ptr()) };
    assert_eq!(not_a_tree.unwrap_err(), DtError::BadMagic);
    let good: &'static [u8] = Vec::leak(tree(|_| {}));
    // SAFETY: the whole leaked tree is readable and never written.
    let raw = unsafe { dt::from_raw(good.as_ptr()) }.unwrap();
    assert_eq!(raw, good);
}
