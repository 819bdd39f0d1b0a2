//! `platform::dt::parse` against the real device trees `scripts/fetch-dtbs.sh`
//! produces: QEMU virt in six configurations, Debian's Raspberry Pi 4, Pi 400
//! and CM4 (IO board) trees and the edited copy QEMU raspi4b hands a guest.
//! (The Raspberry Pi firmware's own trees are in no Debian package; see
//! scripts/fetch-dtbs.sh.) Every value asserted was read
//! from the tree with `dtc -I dtb -O dts`.
//!
//! The trees come from `$DTB_DIR`, default `<workspace>/target/dtb`. A missing
//! tree fails the test with instructions; it is never skipped.

use std::path::PathBuf;

use platform::dt::{
    self, Board, BoardInfo, Cpu, EnableMethod, FixedVec, Gic, PsciConduit, PsciIds, Range, Timer,
    Uart, UartKind, MAX_REDISTRIBUTOR_REGIONS,
};

/// Where the tests pretend the boot loader put the blob.
const DTB_BASE: u64 = 0x4820_0000;

/// `cache/initrd.bin` from `scripts/fetch-dtbs.sh`: 15 lines of 21 bytes.
const INITRD_LEN: u64 = 315;

fn dtb_dir() -> PathBuf {
    match std::env::var_os("DTB_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/dtb"),
    }
}

/// The named tree, leaked so the `BoardInfo` borrowing it can be `'static`.
fn load(name: &str) -> &'static [u8] {
    let path = dtb_dir().join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Vec::leak(bytes),
        Err(err) => panic!(
            "cannot read {}: {err}\n\
             Run `bash scripts/fetch-dtbs.sh` from the workspace root (or point DTB_DIR \
             at a directory holding the trees) before `cargo test -p platform`.",
            path.display()
        ),
    }
}

fn parse(name: &str) -> (BoardInfo<'static>, &'static [u8]) {
    let blob = load(name);
    match dt::parse(blob, DTB_BASE) {
        Ok(info) => (info, blob),
        Err(err) => panic!("{name}: {err} ({err:?})"),
    }
}

fn r(base: u64, size: u64) -> Range {
    Range { base, size }
}

fn psci_cpus(n: u64) -> Vec<Cpu> {
    (0..n)
        .map(|mpidr| Cpu {
            mpidr,
            enable_method: EnableMethod::Psci,
        })
        .collect()
}

const VIRT_PL011: Uart = Uart {
    kind: UartKind::Pl011,
    regs: Range {
        base: 0x0900_0000,
        size: 0x1000,
    },
};

const ARCH_TIMER_PPIS: Timer = Timer {
    secure_phys_irq: 13,
    phys_irq: 14,
    virt_irq: 11,
    hyp_irq: 10,
};

fn virt_gic_v2(with_el2: bool) -> Gic {
    Gic {
        version: 2,
        distributor: r(0x0800_0000, 0x1_0000),
        cpu_interface: Some(r(0x0801_0000, 0x1_0000)),
        redistributors: FixedVec::new(),
        hyp_interface: with_el2.then(|| r(0x0803_0000, 0x1_0000)),
        virt_cpu_interface: with_el2.then(|| r(0x0804_0000, 0x1_0000)),
    }
}

#[test]
fn virt_1g_smp4() {
    let (info, blob) = parse("virt.dtb");
    assert_eq!(info.board, Board::QemuVirt);
    assert_eq!(info.model, Some("linux,dummy-virt"));
    assert_eq!(info.memory.as_slice(), &[r(0x4000_0000, 0x4000_0000)]);
    assert_eq!(info.reserved.as_slice(), &[]);
    assert_eq!(info.dtb, r(DTB_BASE, blob.len() as u64));
    assert_eq!(info.dtb.size, 0x10_0000, "QEMU pads the virt tree to 1 MiB");
    assert_eq!(info.initrd, None);
    assert_eq!(info.bootargs, None);
    assert_eq!(info.console, Some(VIRT_PL011));
    assert_eq!(info.uarts.as_slice(), &[VIRT_PL011]);
    assert_eq!(info.gic, Some(virt_gic_v2(false)));
    assert_eq!(info.timer, Some(ARCH_TIMER_PPIS));
    assert_eq!(Timer::intid(ARCH_TIMER_PPIS.phys_irq), 30);
    assert_eq!(info.psci, Some(PsciConduit::Hvc));
    assert_eq!(info.cpus.as_slice(), psci_cpus(4).as_slice());
    assert_eq!(info.watchdog, None);
}

#[test]
fn virt_el2_uses_smc_and_has_gich_gicv() {
    let (info, _) = parse("virt-el2.dtb");
    assert_eq!(info.board, Board::QemuVirt);
    assert_eq!(info.psci, Some(PsciConduit::Smc));
    // The PSCI 0.1 ids (dtc: cpu_suspend <0xc4000001>, cpu_off <0x84000002>,
    // cpu_on <0xc4000003>, migrate <0xc4000005>) and "arm,psci-0.2".
    assert_eq!(
        info.psci_ids,
        PsciIds {
            v0_2: true,
            cpu_suspend: Some(0xc400_0001),
            cpu_off: Some(0x8400_0002),
            cpu_on: Some(0xc400_0003),
            migrate: Some(0xc400_0005),
        }
    );
    assert_eq!(info.gic, Some(virt_gic_v2(true)));
    assert_eq!(info.timer, Some(ARCH_TIMER_PPIS));
    assert_eq!(info.cpus.as_slice(), psci_cpus(4).as_slice());
    assert_eq!(info.console, Some(VIRT_PL011));
    assert_eq!(info.memory.as_slice(), &[r(0x4000_0000, 0x4000_0000)]);
}

#[test]
fn virt_4g_memory_crosses_4g_and_a_lone_cpu_has_no_enable_method() {
    let (info, _) = parse("virt-4g.dtb");
    assert_eq!(info.memory.as_slice(), &[r(0x4000_0000, 0x1_0000_0000)]);
    assert_eq!(info.memory[0].end(), 0x1_4000_0000);
    assert_eq!(
        info.cpus.as_slice(),
        &[Cpu {
            mpidr: 0,
            enable_method: EnableMethod::None
        }]
    );
    // PSCI is still there for SYSTEM_OFF.
    assert_eq!(info.psci, Some(PsciConduit::Hvc));
}

#[test]
fn virt_initrd_has_8_byte_cells_and_bootargs() {
    let (info, blob) = parse("virt-initrd.dtb");
    // The initrd goes at RAM base + min(RAM / 2, 128 MiB).
    assert_eq!(info.initrd, Some(r(0x4800_0000, INITRD_LEN)));
    assert_eq!(info.bootargs, Some("console=ttyAMA0 dt-test"));
    assert_eq!(info.dtb, r(DTB_BASE, blob.len() as u64));
    assert_eq!(info.console, Some(VIRT_PL011));
}

#[test]
fn virt_gicv3_has_distributor_and_redistributor() {
    let (info, _) = parse("virt-gicv3.dtb");
    assert_eq!(
        info.gic,
        Some(Gic {
            version: 3,
            distributor: r(0x0800_0000, 0x1_0000),
            cpu_interface: None,
            redistributors: one(r(0x080a_0000, 0xf6_0000)),
            hyp_interface: None,
            virt_cpu_interface: None,
        })
    );
    assert_eq!(info.timer, Some(ARCH_TIMER_PPIS));
    assert_eq!(info.cpus.as_slice(), psci_cpus(2).as_slice());
}

/// A list of redistributor regions.
fn regions(list: &[Range]) -> FixedVec<Range, MAX_REDISTRIBUTOR_REGIONS> {
    let mut v = FixedVec::new();
    for r in list {
        v.push(*r).unwrap();
    }
    v
}

fn one(region: Range) -> FixedVec<Range, MAX_REDISTRIBUTOR_REGIONS> {
    regions(&[region])
}

#[test]
fn virt_gicv3_130_cores_has_two_redistributor_regions() {
    // reg = GICD, GICR 0 (123 redistributors of 128 KiB), GICR 1 (the
    // high-memory region at 256 GiB); #redistributor-regions = 2.
    let (info, _) = parse("virt-gicv3-smp130.dtb");
    assert_eq!(
        info.gic,
        Some(Gic {
            version: 3,
            distributor: r(0x0800_0000, 0x1_0000),
            cpu_interface: None,
            redistributors: regions(&[r(0x080a_0000, 0xf6_0000), r(0x40_0000_0000, 0x400_0000)]),
            hyp_interface: None,
            virt_cpu_interface: None,
        })
    );
    assert_eq!(info.timer, Some(ARCH_TIMER_PPIS));
    // Every CPU is kept (the parser's capacity is above QEMU's 130).
    assert_eq!(info.cpus.len(), 130);
    assert_eq!(info.cpus[7].mpidr, 7);
}

const PI_MINI_UART: Uart = Uart {
    kind: UartKind::MiniUart,
    regs: Range {
        base: 0xfe21_5040,
        size: 0x40,
    },
};

const PI_PL011: Uart = Uart {
    kind: UartKind::Pl011,
    regs: Range {
        base: 0xfe20_1000,
        size: 0x200,
    },
};

/// What every BCM2711 tree here says (Pi 4 B, Pi 400, CM4), all of it
/// translated from `/soc` bus addresses (0x7e…, 0x40…) through `/soc` `ranges`.
fn assert_raspberry_pi_4(info: &BoardInfo<'_>) {
    assert_bcm2711(info, "Raspberry Pi 4 Model B");
}

fn assert_bcm2711(info: &BoardInfo<'_>, model: &str) {
    // The Pi 400 and CM4 are recognised by "brcm,bcm2711".
    assert_eq!(info.board, Board::RaspberryPi4);
    assert_eq!(info.model, Some(model));
    // stdout-path = "serial1:115200n8"; /aliases serial1 = "/soc/serial@7e215040".
    assert_eq!(info.console, Some(PI_MINI_UART));
    // uart2..uart5 (serial@7e201400..a00) are disabled and left out.
    assert_eq!(info.uarts.as_slice(), &[PI_PL011, PI_MINI_UART]);
    assert_eq!(
        info.gic,
        Some(Gic {
            version: 2,
            distributor: r(0xff84_1000, 0x1000),
            cpu_interface: Some(r(0xff84_2000, 0x2000)),
            redistributors: FixedVec::new(),
            hyp_interface: Some(r(0xff84_4000, 0x2000)),
            virt_cpu_interface: Some(r(0xff84_6000, 0x2000)),
        })
    );
    assert_eq!(info.timer, Some(ARCH_TIMER_PPIS));
    assert_eq!(info.psci, None);
    assert_eq!(info.psci_ids, PsciIds::default());
    let spin = |mpidr, release_addr| Cpu {
        mpidr,
        enable_method: EnableMethod::SpinTable { release_addr },
    };
    assert_eq!(
        info.cpus.as_slice(),
        &[spin(0, 0xd8), spin(1, 0xe0), spin(2, 0xe8), spin(3, 0xf0)]
    );
    // watchdog@7e100000, first of its three reg entries ("pm").
    assert_eq!(info.watchdog, Some(r(0xfe10_0000, 0x114)));
}

#[test]
fn debian_raspberry_pi_4_tree() {
    let (info, blob) = parse("bcm2711-rpi-4-b.dtb");
    assert_raspberry_pi_4(&info);
    // memory@0 is a placeholder (reg = <0 0 0>) the firmware fills in.
    assert_eq!(info.memory.as_slice(), &[]);
    // /memreserve/ 0 0x1000 (the spin tables). /reserved-memory has linux,cma
    // (no reg, only alloc-ranges) and nvram@0 (disabled, size 0): neither counts.
    assert_eq!(info.reserved.as_slice(), &[r(0, 0x1000)]);
    assert_eq!(info.initrd, None);
    assert_eq!(info.bootargs, None);
    assert_eq!(info.dtb, r(DTB_BASE, blob.len() as u64));
}

/// Debian's Pi 400 and CM4 IO-board trees: the same SoC view as the Pi 4 B
/// (console on the mini UART through the `serial1` alias, spin-table CPUs,
/// page 0 reserved), and memory left for the firmware to fill in.
#[test]
fn debian_raspberry_pi_400_and_cm4_trees() {
    for (name, model) in [
        ("bcm2711-rpi-400.dtb", "Raspberry Pi 400"),
        (
            "bcm2711-rpi-cm4-io.dtb",
            "Raspberry Pi Compute Module 4 IO Board",
        ),
    ] {
        let (info, blob) = parse(name);
        assert_bcm2711(&info, model);
        assert_eq!(info.memory.as_slice(), &[], "{name}");
        assert_eq!(info.reserved.as_slice(), &[r(0, 0x1000)], "{name}");
        assert_eq!(info.initrd, None, "{name}");
        assert_eq!(info.dtb, r(DTB_BASE, blob.len() as u64), "{name}");
    }
}

#[test]
fn qemu_raspi4b_tree() {
    let (info, blob) = parse("raspi4b-qemu.dtb");
    assert_raspberry_pi_4(&info);
    // QEMU replaces memory@0 with 960 MiB (of the machine's 2 GiB).
    assert_eq!(info.memory.as_slice(), &[r(0, 0x3c00_0000)]);
    assert_eq!(info.reserved.as_slice(), &[r(0, 0x1000)]);
    assert_eq!(info.initrd, Some(r(0x0800_0000, INITRD_LEN)));
    assert_eq!(info.bootargs, Some("console=ttyS1 dt-test"));
    assert_eq!(info.dtb, r(DTB_BASE, blob.len() as u64));
}

#[test]
fn a_longer_slice_is_bounded_by_totalsize() {
    let blob = load("bcm2711-rpi-4-b.dtb");
    let mut padded = blob.to_vec();
    padded.extend_from_slice(&[0xff; 4096]);
    let info = dt::parse(&padded, DTB_BASE).expect("padded tree parses");
    assert_eq!(info.dtb.size, blob.len() as u64);
}

#[test]
fn from_raw_reads_exactly_totalsize() {
    let blob = load("raspi4b-qemu.dtb");
    let mut padded = blob.to_vec();
    padded.extend_from_slice(&[0u8; 64]);
    let padded: &'static [u8] = Vec::leak(padded);
    // SAFETY: `padded` is leaked, so readable and never written for the rest of
    // the test, and it holds the whole tree.
    let raw = unsafe { dt::from_raw(padded.as_ptr()) }.expect("valid header");
    assert_eq!(raw.as_ptr(), padded.as_ptr());
    assert_eq!(raw.len(), blob.len());
    assert!(dt::parse(raw, 0).is_ok());
}
