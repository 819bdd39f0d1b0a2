//! Range arithmetic for the physical memory map: RAM minus everything that is
//! already in use (reserved ranges, the kernel image, the DTB, the initrd, the
//! firmware's spin table), and the device registers the kernel maps.

use crate::dt::{BoardInfo, Cpu, EnableMethod, FixedVec, Range};

/// At most this many disjoint usable ranges are tracked.
pub const MAX_USABLE: usize = 64;

/// `memory` minus every range in `taken`, page-aligned inward, sorted.
pub fn usable_ranges(memory: &[Range], taken: &[Range]) -> FixedVec<Range, MAX_USABLE> {
    let mut out: FixedVec<Range, MAX_USABLE> = FixedVec::new();
    for m in memory {
        let _ = out.push(*m);
    }
    for t in taken {
        let (t_start, t_end) = (t.base, t.base.saturating_add(t.size));
        let mut next: FixedVec<Range, MAX_USABLE> = FixedVec::new();
        for r in out.iter() {
            let (r_start, r_end) = (r.base, r.base + r.size);
            if t_end <= r_start || t_start >= r_end {
                let _ = next.push(*r);
                continue;
            }
            if t_start > r_start {
                let _ = next.push(Range {
                    base: r_start,
                    size: t_start - r_start,
                });
            }
            if t_end < r_end {
                let _ = next.push(Range {
                    base: t_end,
                    size: r_end - t_end,
                });
            }
        }
        out = next;
    }
    let mut sorted = [Range::default(); MAX_USABLE];
    let mut n = 0;
    for r in out.iter() {
        let start = (r.base + 0xfff) & !0xfff;
        let end = (r.base + r.size) & !0xfff;
        if end > start {
            sorted[n] = Range {
                base: start,
                size: end - start,
            };
            n += 1;
        }
    }
    sorted[..n].sort_unstable_by_key(|r| r.base);
    let mut aligned: FixedVec<Range, MAX_USABLE> = FixedVec::new();
    for r in &sorted[..n] {
        let _ = aligned.push(*r);
    }
    aligned
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
pub fn spin_table_pages(cpus: &[Cpu], reserved: &[Range]) -> FixedVec<Range, 8> {
    let mut pages: FixedVec<Range, 8> = FixedVec::new();
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
            // Past capacity: more distinct pages than cores we track.
            let _ = pages.push(page);
        }
    }
    pages
}

/// The device registers the tree names that the kernel drives: UARTs, the
/// GIC and the Raspberry Pi's watchdog. `with_hyp_gic` adds the GIC's
/// hypervisor and virtual CPU interfaces (the kernel maps them; its EL2
/// layer's guest view leaves them out).
pub fn device_ranges(info: &BoardInfo<'_>, with_hyp_gic: bool) -> FixedVec<Range, 16> {
    let mut devices: FixedVec<Range, 16> = FixedVec::new();
    for u in info.uarts.iter() {
        let _ = devices.push(u.regs);
    }
    if let Some(g) = info.gic {
        let hyp = if with_hyp_gic {
            [g.hyp_interface, g.virt_cpu_interface]
        } else {
            [None, None]
        };
        let parts = [
            Some(g.distributor),
            g.cpu_interface,
            g.redistributor,
            hyp[0],
            hyp[1],
        ];
        for r in parts.into_iter().flatten() {
            let _ = devices.push(r);
        }
    }
    if let Some(w) = info.watchdog {
        let _ = devices.push(w);
    }
    devices
}

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
        let u = usable_ranges(&mem, &taken);
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
        let u = usable_ranges(&[r(0, 0x1000_0000)], &[r(0, 0x2000_0000)]);
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
        let pages = spin_table_pages(&cpus, &[r(0, 0x1000)]);
        assert_eq!(pages.len(), 0);
    }

    #[test]
    fn uncovered_spin_table_reserves_its_page_once() {
        let cpus = [spin(0xd8), spin(0xe0), spin(0xe8), spin(0xf0)];
        let pages = spin_table_pages(&cpus, &[]);
        let got: std::vec::Vec<_> = pages.iter().map(|x| (x.base, x.size)).collect();
        assert_eq!(got, vec![(0, 0x1000)]);
        // A slot straddling a page boundary takes both pages.
        let pages = spin_table_pages(&[spin(0x1ffc)], &[r(0, 0x1000)]);
        let got: std::vec::Vec<_> = pages.iter().map(|x| (x.base, x.size)).collect();
        assert_eq!(got, vec![(0x1000, 0x2000)]);
    }

    #[test]
    fn psci_cpus_reserve_nothing() {
        let cpus = [Cpu {
            mpidr: 1,
            enable_method: EnableMethod::Psci,
        }];
        assert_eq!(spin_table_pages(&cpus, &[]).len(), 0);
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
