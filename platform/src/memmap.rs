//! Range arithmetic for the physical memory map: RAM minus everything that is
//! already in use (reserved ranges, the kernel image, the DTB, the initrd).

use crate::dt::{FixedVec, Range};

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
}
