//! Zircon's memory attribution figures for a VMO (`ZX_INFO_VMO`, and the
//! per-mapping and per-process totals built from them): how many bytes a VMO
//! can reach, how many only it can reach, and its proportional share, where a
//! page shared copy-on-write by `N` VMOs counts `PAGE_SIZE / N` to each.
//!
//! Proportional shares are rarely whole bytes, so they are kept as Zircon
//! keeps them: whole bytes plus a fraction of a byte in fixed point with 63
//! fractional bits ([`FRACTION_ONE`] is one byte). A share `n / d` is
//! `n / d` whole bytes and `(FRACTION_ONE / d) * (n % d)` fractional units,
//! both divisions truncating; fractions add with a carry into the whole
//! bytes. The same truncation makes three thirds of a page 4095 bytes plus
//! `0x7FFF_FFFF_FFFF_FFFE` units, not 4096: that is the figure Zircon
//! reports, so it is the one reported here.

use core::ops::{Add, AddAssign};

/// One byte in the fractional unit: fractions are multiples of 2^-63 bytes.
pub const FRACTION_ONE: u64 = 1 << 63;

/// A byte count with a fractional part: `integral + fractional / 2^63`
/// bytes, with `fractional < FRACTION_ONE` always.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScaledBytes {
    /// Whole bytes.
    pub integral: u64,
    /// The fraction of a byte, in units of 2^-63 bytes; below
    /// [`FRACTION_ONE`].
    pub fractional: u64,
}

impl ScaledBytes {
    /// Exactly `bytes` bytes.
    pub const fn whole(bytes: u64) -> Self {
        Self {
            integral: bytes,
            fractional: 0,
        }
    }

    /// `bytes / sharers`, rounded as Zircon rounds it: the whole bytes are
    /// `bytes / sharers`, the fraction is `FRACTION_ONE / sharers` (truncated)
    /// times the remainder. `sharers` 0 is taken as 1.
    pub const fn share(bytes: u64, sharers: u64) -> Self {
        let d = if sharers == 0 { 1 } else { sharers };
        // (2^63 / d) * r with r < d is below 2^63: no overflow.
        let fractional = (FRACTION_ONE / d) * (bytes % d);
        Self {
            integral: bytes / d,
            fractional,
        }
    }
}

impl AddAssign for ScaledBytes {
    fn add_assign(&mut self, other: Self) {
        // Both fractions are below 2^63, so their sum fits a u64 and at most
        // one whole byte carries out of it.
        let mut fractional = self.fractional + other.fractional;
        let mut integral = self.integral.saturating_add(other.integral);
        if fractional >= FRACTION_ONE {
            fractional -= FRACTION_ONE;
            integral = integral.saturating_add(1);
        }
        *self = Self {
            integral,
            fractional,
        };
    }
}

impl Add for ScaledBytes {
    type Output = Self;
    fn add(mut self, other: Self) -> Self {
        self += other;
        self
    }
}

/// The attribution fields of `zx_info_vmo_t`, named as there.
///
/// "Committed" bytes are pages held in memory; "populated" bytes add pages
/// held compressed. This kernel compresses nothing, so each `populated_*`
/// field equals its `committed_*` twin. Counts are of whole pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attribution {
    /// Every committed page the VMO can reach, shared or not (RSS).
    pub committed_bytes: u64,
    /// Committed pages no other VMO can reach (USS): what closing the VMO
    /// would free.
    pub committed_private_bytes: u64,
    /// Whole bytes of the proportional share (PSS): private pages in full,
    /// a page shared by `N` VMOs as `PAGE_SIZE / N`.
    pub committed_scaled_bytes: u64,
    /// The fraction of a byte of the proportional share, in units of
    /// 2^-63 bytes (see [`FRACTION_ONE`]).
    pub committed_fractional_scaled_bytes: u64,
    /// `committed_bytes` plus compressed pages (none here).
    pub populated_bytes: u64,
    /// `committed_private_bytes` plus compressed pages (none here).
    pub populated_private_bytes: u64,
    /// `committed_scaled_bytes` plus compressed pages (none here).
    pub populated_scaled_bytes: u64,
    /// `committed_fractional_scaled_bytes` plus compressed pages (none).
    pub populated_fractional_scaled_bytes: u64,
    /// Kernel heap held for the VMO's page bookkeeping (its page-list
    /// nodes). Zero for a range query, which counts pages only.
    pub metadata_bytes: u64,
}

impl Attribution {
    /// The committed proportional share with its fraction.
    pub fn committed_scaled(&self) -> ScaledBytes {
        ScaledBytes {
            integral: self.committed_scaled_bytes,
            fractional: self.committed_fractional_scaled_bytes,
        }
    }

    /// The populated proportional share with its fraction.
    pub fn populated_scaled(&self) -> ScaledBytes {
        ScaledBytes {
            integral: self.populated_scaled_bytes,
            fractional: self.populated_fractional_scaled_bytes,
        }
    }

    /// Counts one committed page of `page_bytes` that `sharers` VMOs can
    /// reach (1: only this one).
    pub(crate) fn add_page(&mut self, page_bytes: u64, sharers: u64) {
        let scaled = if sharers <= 1 {
            self.committed_private_bytes = self.committed_private_bytes.saturating_add(page_bytes);
            ScaledBytes::whole(page_bytes)
        } else {
            ScaledBytes::share(page_bytes, sharers)
        };
        self.committed_bytes = self.committed_bytes.saturating_add(page_bytes);
        self.set_committed_scaled(self.committed_scaled() + scaled);
    }

    /// Copies the committed figures into the populated ones (nothing is
    /// compressed).
    pub(crate) fn populate_from_committed(&mut self) {
        self.populated_bytes = self.committed_bytes;
        self.populated_private_bytes = self.committed_private_bytes;
        self.populated_scaled_bytes = self.committed_scaled_bytes;
        self.populated_fractional_scaled_bytes = self.committed_fractional_scaled_bytes;
    }

    fn set_committed_scaled(&mut self, s: ScaledBytes) {
        self.committed_scaled_bytes = s.integral;
        self.committed_fractional_scaled_bytes = s.fractional;
    }

    fn set_populated_scaled(&mut self, s: ScaledBytes) {
        self.populated_scaled_bytes = s.integral;
        self.populated_fractional_scaled_bytes = s.fractional;
    }
}

/// Totals, as for a process's or an address space's VMOs: counts add, the
/// fractions add with a carry into the whole bytes. Saturates rather than
/// wraps.
impl AddAssign<&Attribution> for Attribution {
    fn add_assign(&mut self, other: &Attribution) {
        let committed = self.committed_scaled() + other.committed_scaled();
        let populated = self.populated_scaled() + other.populated_scaled();
        self.committed_bytes = self.committed_bytes.saturating_add(other.committed_bytes);
        self.committed_private_bytes = self
            .committed_private_bytes
            .saturating_add(other.committed_private_bytes);
        self.populated_bytes = self.populated_bytes.saturating_add(other.populated_bytes);
        self.populated_private_bytes = self
            .populated_private_bytes
            .saturating_add(other.populated_private_bytes);
        self.metadata_bytes = self.metadata_bytes.saturating_add(other.metadata_bytes);
        self.set_committed_scaled(committed);
        self.set_populated_scaled(populated);
    }
}

impl AddAssign for Attribution {
    fn add_assign(&mut self, other: Attribution) {
        *self += &other;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_truncates_like_zircon() {
        assert_eq!(ScaledBytes::share(4096, 1), ScaledBytes::whole(4096));
        assert_eq!(ScaledBytes::share(4096, 2), ScaledBytes::whole(2048));
        let third = ScaledBytes::share(4096, 3);
        assert_eq!(third.integral, 1365);
        assert_eq!(third.fractional, 0x2AAA_AAAA_AAAA_AAAA);
        assert_eq!(third.fractional, FRACTION_ONE / 3);
        let sixth = ScaledBytes::share(4096, 6);
        assert_eq!(
            (sixth.integral, sixth.fractional),
            (682, (FRACTION_ONE / 6) * 4)
        );
        assert_eq!(ScaledBytes::share(7, 0), ScaledBytes::whole(7));
    }

    #[test]
    fn fractions_carry_into_whole_bytes() {
        let third = ScaledBytes::share(4096, 3);
        let three_thirds = third + third + third;
        assert_eq!(three_thirds.integral, 4095, "truncation loses a little");
        assert_eq!(three_thirds.fractional, 0x7FFF_FFFF_FFFF_FFFE);
        let half = ScaledBytes {
            integral: 0,
            fractional: FRACTION_ONE / 2,
        };
        assert_eq!(half + half, ScaledBytes::whole(1));
        let big = ScaledBytes {
            integral: 10,
            fractional: FRACTION_ONE - 1,
        };
        assert_eq!(
            big + big,
            ScaledBytes {
                integral: 21,
                fractional: FRACTION_ONE - 2
            }
        );
    }

    #[test]
    fn totals_add_fields_and_carry_fractions() {
        let mut a = Attribution::default();
        a.add_page(4096, 3);
        a.add_page(4096, 1);
        a.populate_from_committed();
        let mut total = a;
        total += &a;
        total += a;
        assert_eq!(total.committed_bytes, 3 * 8192);
        assert_eq!(total.committed_private_bytes, 3 * 4096);
        assert_eq!(total.committed_scaled_bytes, 3 * (4096 + 1365));
        assert_eq!(
            total.committed_fractional_scaled_bytes,
            0x7FFF_FFFF_FFFF_FFFE
        );
        assert_eq!(total.populated_scaled(), total.committed_scaled());
        let mut more = total;
        more += a;
        assert_eq!(more.committed_scaled_bytes, 4 * (4096 + 1365) + 1);
        assert_eq!(
            more.committed_fractional_scaled_bytes,
            0x7FFF_FFFF_FFFF_FFFE + 0x2AAA_AAAA_AAAA_AAAA - FRACTION_ONE
        );
    }
}
