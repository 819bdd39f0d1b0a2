//! The flattened-device-tree header and memory-reservation block: checks every
//! offset and size before anything else reads the blob, lists the
//! `/memreserve/` entries, and turns the boot loader's raw pointer into a slice.

use super::{DtError, Range};

/// `magic` of every flattened device tree (big-endian on the wire).
pub const FDT_MAGIC: u32 = 0xd00d_feed;
/// Size of the version-17 header, the only layout this parser reads.
pub const HEADER_LEN: usize = 40;
/// `FDT_END`, the token that closes the structure block.
const FDT_END: u32 = 9;
/// Version 17 added `size_dt_struct`, which the checks below rely on.
const MIN_VERSION: u32 = 17;
/// One `/memreserve/` entry: big-endian address and size, 8 bytes each.
const RESERVATION_LEN: usize = 16;

/// The header fields the parser uses, each already checked against the blob.
#[derive(Clone, Copy, Debug)]
pub struct Header {
    /// `totalsize`: the blob's length, no more than the slice it came in.
    pub total_size: usize,
    /// Start of the `/memreserve/` block (8-byte aligned, inside the blob).
    pub reservations_offset: usize,
}

/// The big-endian `u32` at `offset`, if the bytes are there.
pub fn be32(bytes: &[u8], offset: usize) -> Option<u32> {
    let word = bytes.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_be_bytes(word.try_into().ok()?))
}

/// The big-endian `u64` at `offset`, if the bytes are there.
fn be64(bytes: &[u8], offset: usize) -> Option<u64> {
    let word = bytes.get(offset..offset.checked_add(8)?)?;
    Some(u64::from_be_bytes(word.try_into().ok()?))
}

/// Checks magic, size, version and that every block lies inside `totalsize`.
///
/// The `fdt` crate adds offsets in `u32` and slices without checking, which
/// panics on a hostile header; after this check its arithmetic cannot overflow
/// and its root parsing always finds the closing `FDT_END` word it expects.
pub fn check(dtb: &[u8]) -> Result<Header, DtError> {
    let magic = be32(dtb, 0).ok_or(DtError::Truncated)?;
    if magic != FDT_MAGIC {
        return Err(DtError::BadMagic);
    }
    if dtb.len() < HEADER_LEN {
        return Err(DtError::Truncated);
    }
    let field = |index: usize| be32(dtb, index * 4).ok_or(DtError::Truncated);
    let total_size = field(1)? as usize;
    let struct_offset = field(2)?;
    let strings_offset = field(3)?;
    let reservations_offset = field(4)?;
    let version = field(5)?;
    let last_compatible_version = field(6)?;
    let strings_size = field(8)?;
    let struct_size = field(9)?;

    if total_size < HEADER_LEN {
        return Err(DtError::BadHeader);
    }
    if total_size > dtb.len() {
        return Err(DtError::Truncated);
    }
    if version < MIN_VERSION || last_compatible_version > MIN_VERSION {
        return Err(DtError::BadHeader);
    }
    let inside = |offset: u32, size: u32| {
        offset as usize >= HEADER_LEN && u64::from(offset) + u64::from(size) <= total_size as u64
    };
    if !inside(reservations_offset, RESERVATION_LEN as u32)
        || !reservations_offset.is_multiple_of(8)
    {
        return Err(DtError::BadHeader);
    }
    if !inside(strings_offset, strings_size) {
        return Err(DtError::BadHeader);
    }
    if !inside(struct_offset, struct_size) || !struct_offset.is_multiple_of(4) {
        return Err(DtError::BadHeader);
    }
    // At least FDT_BEGIN_NODE and FDT_END, whole words, ending in FDT_END.
    if struct_size < 8 || !struct_size.is_multiple_of(4) {
        return Err(DtError::BadStructure);
    }
    let last_word = struct_offset as usize + struct_size as usize - 4;
    if be32(dtb, last_word) != Some(FDT_END) {
        return Err(DtError::BadStructure);
    }
    Ok(Header {
        total_size,
        reservations_offset: reservations_offset as usize,
    })
}

/// Calls `each` for every non-empty `/memreserve/` entry, in blob order.
///
/// The block ends with an all-zero entry; one missing before `totalsize` is an
/// error rather than a read past the blob.
pub fn for_each_reservation(
    dtb: &[u8],
    header: &Header,
    mut each: impl FnMut(Range) -> Result<(), DtError>,
) -> Result<(), DtError> {
    let blob = dtb.get(..header.total_size).ok_or(DtError::Truncated)?;
    let mut offset = header.reservations_offset;
    loop {
        let address = be64(blob, offset).ok_or(DtError::BadHeader)?;
        let size = be64(blob, offset + 8).ok_or(DtError::BadHeader)?;
        if address == 0 && size == 0 {
            return Ok(());
        }
        if size != 0 {
            each(Range::new(address, size).ok_or(DtError::BadProperty("/memreserve/"))?)?;
        }
        offset += RESERVATION_LEN;
    }
}

/// The device tree the boot loader left at `ptr`, as a slice of exactly its
/// header's `totalsize`. Only the magic and size are checked here; `parse`
/// checks the rest.
///
/// # Safety
///
/// `ptr` must be null or point to memory that is readable for 40 bytes (the
/// header) and, if those bytes start with the FDT magic, for the `totalsize`
/// bytes the header states. That memory must not be written or reused for the
/// rest of the program, since the slice returned is `'static`. The kernel keeps
/// this promise by reserving the DTB range (`BoardInfo::dtb`) before it hands
/// out memory.
pub unsafe fn from_raw(ptr: *const u8) -> Result<&'static [u8], DtError> {
    if ptr.is_null() {
        return Err(DtError::NullPointer);
    }
    // SAFETY: the caller guarantees the 40 header bytes at the non-null `ptr`
    // are readable and never written; `u8` needs no alignment.
    let header = unsafe { core::slice::from_raw_parts(ptr, HEADER_LEN) };
    if be32(header, 0) != Some(FDT_MAGIC) {
        return Err(DtError::BadMagic);
    }
    let total_size = be32(header, 4).ok_or(DtError::Truncated)? as usize;
    if total_size < HEADER_LEN
        || total_size > isize::MAX as usize
        || ptr.addr().checked_add(total_size).is_none()
    {
        return Err(DtError::BadHeader);
    }
    // SAFETY: the magic matched, so the caller guarantees `total_size` bytes
    // from `ptr` are readable and never written for the rest of the program;
    // the size fits `isize` and the range does not wrap (checked above).
    Ok(unsafe { core::slice::from_raw_parts(ptr, total_size) })
}
