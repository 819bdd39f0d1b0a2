//! Cell arithmetic: decoding `reg` and `ranges` with each bus's
//! `#address-cells`/`#size-cells`, and translating a bus address into a CPU
//! physical address through the `ranges` of every ancestor up to the root.

use super::DtError;

/// Cells wider than this (PCI's 3-cell addresses) do not fit a `u64`; nodes that
/// need them are skipped as untranslatable rather than misread.
const MAX_CELLS: u32 = 2;

/// What a node tells its children about their addresses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bus<'a> {
    /// `#address-cells` for the children's `reg` and the child side of `ranges`.
    pub address_cells: u32,
    /// `#size-cells` for the children's `reg` and the length in `ranges`.
    pub size_cells: u32,
    /// `ranges` as raw bytes: `None` when absent (children's addresses do not
    /// reach the parent's address space), `Some(&[])` for identity.
    pub ranges: Option<&'a [u8]>,
}

/// Cell counts the spec says to assume when a node has none.
pub const DEFAULT_ADDRESS_CELLS: u32 = 2;
/// See [`DEFAULT_ADDRESS_CELLS`].
pub const DEFAULT_SIZE_CELLS: u32 = 1;

/// A `cells`-cell big-endian number (0, 1 or 2 cells) from exactly those bytes.
pub fn read_cells(bytes: &[u8], cells: u32) -> Option<u64> {
    match (cells, bytes.len()) {
        (0, 0) => Some(0),
        (1, 4) => Some(u64::from(u32::from_be_bytes(bytes.try_into().ok()?))),
        (2, 8) => Some(u64::from_be_bytes(bytes.try_into().ok()?)),
        _ => None,
    }
}

/// A property holding one number of 4 or 8 bytes (`linux,initrd-start`,
/// `cpu-release-addr`), whatever the surrounding `#address-cells`: firmware
/// writes either.
pub fn read_u32_or_u64(bytes: &[u8], property: &'static str) -> Result<u64, DtError> {
    match bytes.len() {
        4 => read_cells(bytes, 1),
        8 => read_cells(bytes, 2),
        _ => None,
    }
    .ok_or(DtError::BadProperty(property))
}

/// Splits `bytes` into records of `widths` cells each and calls `each` with the
/// decoded numbers. `Ok(false)` when a width exceeds what a `u64` holds (the
/// caller treats the property as untranslatable); an error when the length is
/// not a whole number of records.
fn for_each_record<const W: usize>(
    bytes: &[u8],
    widths: [u32; W],
    property: &'static str,
    mut each: impl FnMut([u64; W]) -> Result<bool, DtError>,
) -> Result<bool, DtError> {
    if widths.iter().any(|&w| w > MAX_CELLS) {
        return Ok(false);
    }
    let record_len = widths.iter().map(|&w| w as usize * 4).sum::<usize>();
    if record_len == 0 {
        return if bytes.is_empty() {
            Ok(true)
        } else {
            Err(DtError::BadProperty(property))
        };
    }
    if !bytes.len().is_multiple_of(record_len) {
        return Err(DtError::BadProperty(property));
    }
    for record in bytes.chunks_exact(record_len) {
        let mut values = [0u64; W];
        let mut at = 0;
        for (value, &width) in values.iter_mut().zip(widths.iter()) {
            let end = at + width as usize * 4;
            let cells = record.get(at..end).ok_or(DtError::BadProperty(property))?;
            *value = read_cells(cells, width).ok_or(DtError::BadProperty(property))?;
            at = end;
        }
        if !each(values)? {
            break;
        }
    }
    Ok(true)
}

/// Calls `each(address, size)` for every entry of a `reg` property whose node
/// sits on a bus with the given cell counts. `Ok(false)` when the cells are too
/// wide to decode (nothing is reported then).
pub fn for_each_reg(
    reg: &[u8],
    bus: &Bus<'_>,
    mut each: impl FnMut(u64, u64) -> Result<(), DtError>,
) -> Result<bool, DtError> {
    if bus.address_cells == 0 {
        // `#address-cells = <0>` gives the children no addresses to map.
        return Ok(false);
    }
    for_each_record(
        reg,
        [bus.address_cells, bus.size_cells],
        "reg",
        |[address, size]| {
            each(address, size)?;
            Ok(true)
        },
    )
}

/// Translates `[address, address + size)` on the bus `buses.last()` into the
/// root's (the CPU's physical) address space.
///
/// `buses` lists the node's ancestors from the root (`buses[0]`) to its parent.
/// At every level the whole region must fall inside one `ranges` window; a bus
/// without `ranges`, or with no window that holds the region, makes the result
/// `Ok(None)`. Malformed `ranges` are an error.
pub fn translate(address: u64, size: u64, buses: &[Bus<'_>]) -> Result<Option<u64>, DtError> {
    let mut address = address;
    // Walk from the parent up; the pair is (bus, the bus's own parent).
    for level in (1..buses.len()).rev() {
        let (Some(bus), Some(parent)) = (buses.get(level), buses.get(level - 1)) else {
            return Ok(None);
        };
        let Some(ranges) = bus.ranges else {
            return Ok(None);
        };
        if ranges.is_empty() {
            continue;
        }
        let mut translated = None;
        let decodable = for_each_record(
            ranges,
            [bus.address_cells, parent.address_cells, bus.size_cells],
            "ranges",
            |[child, parent_base, length]| {
                let Some(offset) = address.checked_sub(child) else {
                    return Ok(true);
                };
                let fits = offset <= length && size <= length - offset;
                if !fits {
                    return Ok(true);
                }
                translated = parent_base.checked_add(offset);
                Ok(false)
            },
        )?;
        match translated {
            Some(parent_address) if decodable => address = parent_address,
            _ => return Ok(None),
        }
    }
    if address.checked_add(size).is_none() {
        return Ok(None);
    }
    Ok(Some(address))
}

#[cfg(test)]
mod tests {
    use super::{for_each_reg, read_u32_or_u64, translate, Bus};
    use crate::dt::DtError;

    fn cells(values: &[u32]) -> [u8; 64] {
        let mut out = [0u8; 64];
        for (chunk, value) in out.chunks_exact_mut(4).zip(values) {
            chunk.copy_from_slice(&value.to_be_bytes());
        }
        out
    }

    const ROOT: Bus<'static> = Bus {
        address_cells: 2,
        size_cells: 1,
        ranges: None,
    };

    #[test]
    fn raspberry_pi_soc_window_translates_bus_addresses() {
        // /soc ranges of bcm2711: three windows, child 1 cell, parent 2, length 1.
        let raw = cells(&[
            0x7e00_0000,
            0,
            0xfe00_0000,
            0x180_0000,
            0x7c00_0000,
            0,
            0xfc00_0000,
            0x200_0000,
            0x4000_0000,
            0,
            0xff80_0000,
            0x80_0000,
        ]);
        let soc = Bus {
            address_cells: 1,
            size_cells: 1,
            ranges: Some(&raw[..48]),
        };
        let buses = [ROOT, soc];
        assert_eq!(translate(0x7e21_5040, 0x40, &buses), Ok(Some(0xfe21_5040)));
        assert_eq!(translate(0x7c00_0000, 0x10, &buses), Ok(Some(0xfc00_0000)));
        assert_eq!(
            translate(0x4004_1000, 0x1000, &buses),
            Ok(Some(0xff84_1000))
        );
        // Outside every window, and straddling the end of one.
        assert_eq!(translate(0x1000, 0x10, &buses), Ok(None));
        assert_eq!(translate(0x407f_f000, 0x2000, &buses), Ok(None));
    }

    #[test]
    fn nested_buses_compose_and_identity_passes_through() {
        // root(2,2) > a(1,1, ranges 0 -> 0x1_0000_0000 len 0x100000) > b(1,1, ranges;) > node
        let raw = cells(&[0, 0x1, 0, 0x10_0000]);
        let a = Bus {
            address_cells: 1,
            size_cells: 1,
            ranges: Some(&raw[..16]),
        };
        let b = Bus {
            address_cells: 1,
            size_cells: 1,
            ranges: Some(&[]),
        };
        let root = Bus {
            address_cells: 2,
            size_cells: 2,
            ranges: None,
        };
        assert_eq!(
            translate(0x4000, 0x100, &[root, a, b]),
            Ok(Some(0x1_0000_4000))
        );
        // Root-level nodes need no translation at all.
        assert_eq!(translate(0x4000, 0x100, &[root]), Ok(Some(0x4000)));
    }

    #[test]
    fn missing_ranges_means_untranslatable() {
        let bus = Bus {
            address_cells: 1,
            size_cells: 1,
            ranges: None,
        };
        assert_eq!(translate(0x10, 0x10, &[ROOT, bus]), Ok(None));
    }

    #[test]
    fn malformed_ranges_is_an_error_and_wide_cells_untranslatable() {
        let raw = cells(&[1, 2, 3]);
        let bad = Bus {
            address_cells: 1,
            size_cells: 1,
            ranges: Some(&raw[..12]),
        };
        assert_eq!(
            translate(0, 0, &[ROOT, bad]),
            Err(DtError::BadProperty("ranges"))
        );
        let pci = Bus {
            address_cells: 3,
            size_cells: 2,
            ranges: Some(&raw[..12]),
        };
        assert_eq!(translate(0, 0, &[ROOT, pci]), Ok(None));
    }

    #[test]
    fn translation_never_overflows() {
        let raw = cells(&[0, 0xffff_ffff, 0xffff_f000, 0x1000]);
        let bus = Bus {
            address_cells: 1,
            size_cells: 1,
            ranges: Some(&raw[..16]),
        };
        assert_eq!(translate(0x0, 0x1000, &[ROOT, bus]), Ok(None));
        assert_eq!(translate(u64::MAX, 1, &[ROOT]), Ok(None));
    }

    #[test]
    fn reg_entries_follow_the_bus_cells() {
        let raw = cells(&[0, 0x4000_0000, 0x1000, 1, 0, 0x2000]);
        let mut seen = [(0u64, 0u64); 2];
        let mut n = 0;
        let ok = for_each_reg(&raw[..24], &ROOT, |a, s| {
            seen[n] = (a, s);
            n += 1;
            Ok(())
        });
        assert_eq!(ok, Ok(true));
        assert_eq!(seen, [(0x4000_0000, 0x1000), (0x1_0000_0000, 0x2000)]);
        assert_eq!(
            for_each_reg(&raw[..20], &ROOT, |_, _| Ok(())),
            Err(DtError::BadProperty("reg"))
        );
    }

    #[test]
    fn four_or_eight_byte_numbers() {
        assert_eq!(read_u32_or_u64(&[0, 0, 0, 0xd8], "x"), Ok(0xd8));
        assert_eq!(
            read_u32_or_u64(&[0, 0, 0, 1, 0, 0, 0, 2], "x"),
            Ok(0x1_0000_0002)
        );
        assert_eq!(
            read_u32_or_u64(&[0, 0, 1], "x"),
            Err(DtError::BadProperty("x"))
        );
    }
}
