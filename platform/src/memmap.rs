//! Range arithmetic for the physical memory map: RAM minus everything that is
//! already in use (reserved ranges, the kernel image, the DTB, the initrd, the
//! firmware's spin table), and the device registers the kernel maps. Every
//! list has a fixed capacity large enough for what the device tree's
//! capacities allow; if one is still exceeded the function says so
//! ([`Overflow`]) instead of dropping an entry.

use crate::dt::{
    BoardInfo, Cpu, EnableMethod, FixedVec, Overflow, Range, MAX_CPUS, MAX_MEMORY,
    MAX_REDISTRIBUTOR_REGIONS, MAX_RESERVED, MAX_UARTS,
};

/// At most this many taken ranges: the kernel image, the DTB, the initrd,
/// every reserved range, one spin-table range per CPU, and the EL2 layer's
/// region.
pub const MAX_TAKEN: usize = 4 + MAX_RESERVED + MAX_CPUS;

/// At most this many disjoint usable ranges: each taken range splits at most
/// one range in two, so `memory` plus `taken` entries always fit.
pub const MAX_USABLE: usize = MAX_MEMORY + MAX_TAKEN;

/// A named range of RAM that is not free for the page allocator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Taken {
    /// The range, as the tree or the image layout gives it (not aligned).
    pub range: Range,
    /// What holds it, for the boot log.
    pub what: &'static str,
}

/// Appends to a capped list or reports which list overflowed.
fn push<T: Copy + Default, const N: usize>(
    list: &mut FixedVec<T, N>,
    value: T,
    what: &'static str,
) -> Result<(), Overflow> {
    list.push(value).map_err(|_| Overflow {
        what,
        found: N + 1,
        capacity: N,
    })
}

/// Everything in RAM that is not the page allocator's: the kernel image
/// `kimage`, the DTB, the initrd, the tree's reserved ranges and the
/// spin-table pages parked secondaries poll, in that order.
pub fn taken_ranges(
    info: &BoardInfo<'_>,
    kimage: Range,
) -> Result<FixedVec<Taken, MAX_TAKEN>, Overflow> {
    const WHAT: &str = "taken ranges";
    let mut taken: FixedVec<Taken, MAX_TAKEN> = FixedVec::new();
    let named = [
        (Some(kimage), "kernel image"),
        (Some(info.dtb), "device tree"),
        (info.initrd, "initrd"),
    ];
    for (range, what) in named {
        if let Some(range) = range {
            push(&mut taken, Taken { range, what }, WHAT)?;
        }
    }
    for r in info.reserved.iter() {
        push(
            &mut taken,
            Taken {
                range: *r,
                what: "reserved",
            },
            WHAT,
        )?;
    }
    // Parked secondaries spin on their release slots: those pages are never
    // ours, reserved by the tree or not.
    for page in spin_table_pages(&info.cpus, &info.reserved)?.iter() {
        push(
            &mut taken,
            Taken {
                range: *page,
                what: "spin table",
            },
            WHAT,
        )?;
    }
    Ok(taken)
}

/// The ranges of `taken`, for [`usable_ranges`].
pub fn ranges_of(taken: &[Taken]) -> Result<FixedVec<Range, MAX_TAKEN>, Overflow> {
    let mut out: FixedVec<Range, MAX_TAKEN> = FixedVec::new();
    for t in taken {
        push(&mut out, t.range, "taken ranges")?;
    }
    Ok(out)
}

/// `memory` minus every range in `taken`, page-aligned inward, sorted.
pub fn usable_ranges(
    memory: &[Range],
    taken: &[Range],
) -> Result<FixedVec<Range, MAX_USABLE>, Overflow> {
    const WHAT: &str = "usable ranges";
    let mut out: FixedVec<Range, MAX_USABLE> = FixedVec::new();
    for m in memory {
        push(&mut out, *m, WHAT)?;
    }
    for t in taken {
        let (t_start, t_end) = (t.base, t.base.saturating_add(t.size));
        let mut next: FixedVec<Range, MAX_USABLE> = FixedVec::new();
        for r in out.iter() {
            let (r_start, r_end) = (r.base, r.end());
            if t_end <= r_start || t_start >= r_end {
                push(&mut next, *r, WHAT)?;
                continue;
            }
            if t_start > r_start {
                push(
                    &mut next,
                    Range {
                        base: r_start,
                        size: t_start - r_start,
                    },
                    WHAT,
                )?;
            }
            if t_end < r_end {
                push(
                    &mut next,
                    Range {
                        base: t_end,
                        size: r_end - t_end,
                    },
                    WHAT,
                )?;
            }
        }
        out = next;
    }
    let mut aligned: FixedVec<Range, MAX_USABLE> = FixedVec::new();
    for r in out.iter() {
        let start = r.base.saturating_add(0xfff) & !0xfff;
        let end = r.end() & !0xfff;
        if end > start {
            push(
                &mut aligned,
                Range {
                    base: start,
                    size: end - start,
                },
                WHAT,
            )?;
        }
    }
    aligned.sort_unstable_by_key(|r| r.base);
    Ok(aligned)
}

/// Whether any of `ranges` overlaps `r`.
pub fn overlaps_any(r: &Range, ranges: &[Range]) -> bool {
    ranges
        .iter()
        .any(|o| o.base < r.end() && r.base < o.end() && o.size != 0 && r.size != 0)
}

/// The 4 KiB pages holding the spin-table release slots of `cpus` that no
/// range in `reserved` already covers.
///
/// Parked secondaries poll their slot (`cpu-release-addr`) and run whatever
/// address appears there; the code they spin in is not described by the tree
/// at all. On the Raspberry Pi 4 and QEMU raspi4b both live in page 0 (QEMU:
/// boot stub 0x0..0x28, slots 0xd8..0xf8, spin loop 0x300..0x32c; the Pi
/// firmware's armstub: slots 0xd8..0xf8 next to its code), which mainline trees
/// cover with `/memreserve/ 0x0 0x1000`. A tree without that reservation would
/// let the page allocator hand out, and zero, a page a core is spinning in.
pub fn spin_table_pages(
    cpus: &[Cpu],
    reserved: &[Range],
) -> Result<FixedVec<Range, MAX_CPUS>, Overflow> {
    let mut pages: FixedVec<Range, MAX_CPUS> = FixedVec::new();
    for cpu in cpus {
        let EnableMethod::SpinTable { release_addr } = cpu.enable_method else {
            continue;
        };
        let Some(slot) = Range::new(release_addr, 8) else {
            continue;
        };
        let covered = reserved
            .iter()
            .any(|r| r.base <= slot.base && slot.end() <= r.end());
        if covered {
            continue;
        }
        let base = slot.base & !0xfff;
        let end = slot.end().saturating_add(0xfff) & !0xfff;
        let Some(page) = Range::new(base, end - base) else {
            continue;
        };
        if !pages.contains(&page) {
            push(&mut pages, page, "spin-table pages")?;
        }
    }
    Ok(pages)
}

/// The device registers the tree names that the kernel drives: UARTs, the
/// GIC and the Raspberry Pi's watchdog. `with_hyp_gic` adds the GIC's
/// hypervisor and virtual CPU interfaces (the kernel maps them; its EL2
/// layer's guest view leaves them out).
pub fn device_ranges(info: &BoardInfo<'_>, with_hyp_gic: bool) -> FixedVec<Range, MAX_DEVICES> {
    let mut devices: FixedVec<Range, MAX_DEVICES> = FixedVec::new();
    // MAX_DEVICES counts every range the loops below can add: no push fails.
    for u in info.uarts.iter() {
        let _ = devices.push(u.regs);
    }
    if let Some(g) = info.gic {
        let hyp = if with_hyp_gic {
            [g.hyp_interface, g.virt_cpu_interface]
        } else {
            [None, None]
        };
        let parts = [Some(g.distributor), g.cpu_interface, hyp[0], hyp[1]];
        for r in parts.into_iter().flatten() {
            let _ = devices.push(r);
        }
        for r in g.redistributors.iter() {
            let _ = devices.push(*r);
        }
    }
    if let Some(w) = info.watchdog {
        let _ = devices.push(w);
    }
    devices
}

/// Device ranges at most: every UART, the GIC's four interfaces and its
/// redistributor regions, and the watchdog.
pub const MAX_DEVICES: usize = MAX_UARTS + 4 + MAX_REDISTRIBUTOR_REGIONS + 1;

#[cfg(test)]
mod tests {
    use super::*;

    fn r(base: u64, size: u64) -> Range {
        Range { base, size }
    }

    #[test]
    fn carves_holes_and_aligns() {
        let mem = [r(0x4000_0000, 0x4000_0000)];
        let taken = [r(0x4008_0000, 0x20_0000), r(0x4800_0000, 0x10_0800)];
        let u = usable_ranges(&mem, &taken).unwrap();
        let got: std::vec::Vec<_> = u.iter().map(|x| (x.base, x.size)).collect();
        assert_eq!(
            got,
            vec![
                (0x4000_0000, 0x8_0000),
                (0x4028_0000, 0x4800_0000 - 0x4028_0000),
                (0x4810_1000, 0x8000_0000 - 0x4810_1000),
            ]
        );
    }

    #[test]
    fn range_covering_everything_leaves_nothing() {
        let u = usable_ranges(&[r(0, 0x1000_0000)], &[r(0, 0x2000_0000)]).unwrap();
        assert_eq!(u.len(), 0);
    }

    fn spin(release_addr: u64) -> Cpu {
        Cpu {
            mpidr: 0,
            enable_method: EnableMethod::SpinTable { release_addr },
        }
    }

    #[test]
    fn spin_table_covered_by_memreserve_adds_nothing() {
        let cpus = [spin(0xd8), spin(0xe0), spin(0xe8), spin(0xf0)];
        let pages = spin_table_pages(&cpus, &[r(0, 0x1000)]).unwrap();
        assert_eq!(pages.len(), 0);
    }

    #[test]
    fn uncovered_spin_table_reserves_its_page_once() {
        let cpus = [spin(0xd8), spin(0xe0), spin(0xe8), spin(0xf0)];
        let pages = spin_table_pages(&cpus, &[]).unwrap();
        let got: std::vec::Vec<_> = pages.iter().map(|x| (x.base, x.size)).collect();
        assert_eq!(got, vec![(0, 0x1000)]);
        // A slot straddling a page boundary takes both pages.
        let pages = spin_table_pages(&[spin(0x1ffc)], &[r(0, 0x1000)]).unwrap();
        let got: std::vec::Vec<_> = pages.iter().map(|x| (x.base, x.size)).collect();
        assert_eq!(got, vec![(0x1000, 0x2000)]);
    }

    #[test]
    fn psci_cpus_reserve_nothing() {
        let cpus = [Cpu {
            mpidr: 1,
            enable_method: EnableMethod::Psci,
        }];
        assert_eq!(spin_table_pages(&cpus, &[]).unwrap().len(), 0);
    }

    #[test]
    fn worst_case_carving_fits() {
        // Every memory range split by its own taken range in the middle: the
        // most pieces the capacities allow, and all of them are kept.
        let memory: std::vec::Vec<Range> = (0..MAX_MEMORY as u64)
            .map(|i| r(i << 32, 1 << 30))
            .collect();
        let mut taken = std::vec::Vec::new();
        for i in 0..MAX_TAKEN as u64 {
            let m = memory[(i as usize) % MAX_MEMORY];
            let slot = i / MAX_MEMORY as u64;
            taken.push(r(m.base + 0x10_0000 + slot * 0x20_0000, 0x1000));
        }
        let u = usable_ranges(&memory, &taken).unwrap();
        assert_eq!(u.len(), MAX_MEMORY + MAX_TAKEN);
        let total: u64 = u.iter().map(|x| x.size).sum();
        assert_eq!(
            total,
            MAX_MEMORY as u64 * (1 << 30) - MAX_TAKEN as u64 * 0x1000
        );
    }

    #[test]
    fn more_than_capacity_is_reported_not_dropped() {
        let memory: std::vec::Vec<Range> = (0..=MAX_USABLE as u64)
            .map(|i| r(i << 32, 1 << 30))
            .collect();
        let err = usable_ranges(&memory, &[]).unwrap_err();
        assert_eq!(err.what, "usable ranges");
        assert_eq!(err.capacity, MAX_USABLE);
        let cpus: std::vec::Vec<Cpu> = (0..=MAX_CPUS as u64).map(|i| spin(i << 12)).collect();
        let err = spin_table_pages(&cpus, &[]).unwrap_err();
        assert_eq!(err.what, "spin-table pages");
    }

    #[test]
    fn overlap() {
        let k = r(0x8_0000, 0x8_6000);
        assert!(overlaps_any(&k, &[r(0x10_0000, 0x1000)]));
        assert!(!overlaps_any(&k, &[r(0x10_6000, 0x1000)]));
        assert!(!overlaps_any(&k, &[r(0, 0x8_0000)]));
        assert!(!overlaps_any(&k, &[r(0x9_0000, 0)]));
    }
}
