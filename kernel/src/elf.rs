//! Reading static ELF64 AArch64 executables: the header checks and the
//! `PT_LOAD` segments the loader maps. Only what a static program needs;
//! anything else is refused with a reason.

/// One loadable segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    pub vaddr: u64,
    pub mem_size: u64,
    /// The bytes in the file (`filesz`); the rest up to `mem_size` is zero.
    pub data: &'a [u8],
    pub read: bool,
    pub write: bool,
    pub execute: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfError {
    TooShort,
    NotElf,
    Not64BitLittleEndian,
    NotExecutable,
    NotAarch64,
    BadProgramHeaders,
    SegmentOutOfFile,
    SegmentAddressInvalid,
    TooManySegments,
}

impl ElfError {
    pub const fn describe(self) -> &'static str {
        match self {
            Self::TooShort => "file too short for an ELF header",
            Self::NotElf => "no ELF magic",
            Self::Not64BitLittleEndian => "not ELF64 little-endian",
            Self::NotExecutable => "not an executable (ET_EXEC)",
            Self::NotAarch64 => "not an AArch64 program",
            Self::BadProgramHeaders => "bad program header table",
            Self::SegmentOutOfFile => "a segment's bytes lie outside the file",
            Self::SegmentAddressInvalid => "a segment's address range is invalid",
            Self::TooManySegments => "too many loadable segments",
        }
    }
}

/// A validated executable.
pub struct Elf<'a> {
    bytes: &'a [u8],
    pub entry: u64,
    phoff: usize,
    phentsize: usize,
    phnum: usize,
}

const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;
const EM_AARCH64: u16 = 183;
const ET_EXEC: u16 = 2;
pub const MAX_SEGMENTS: usize = 16;

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(off..off + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

impl<'a> Elf<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ElfError> {
        if bytes.len() < 64 {
            return Err(ElfError::TooShort);
        }
        if &bytes[..4] != b"\x7fELF" {
            return Err(ElfError::NotElf);
        }
        if bytes[4] != 2 || bytes[5] != 1 {
            return Err(ElfError::Not64BitLittleEndian);
        }
        let bad = ElfError::BadProgramHeaders;
        if u16_at(bytes, 16) != Some(ET_EXEC) {
            return Err(ElfError::NotExecutable);
        }
        if u16_at(bytes, 18) != Some(EM_AARCH64) {
            return Err(ElfError::NotAarch64);
        }
        let entry = u64_at(bytes, 24).ok_or(bad)?;
        let phoff = usize::try_from(u64_at(bytes, 32).ok_or(bad)?).map_err(|_| bad)?;
        let phentsize = usize::from(u16_at(bytes, 54).ok_or(bad)?);
        let phnum = usize::from(u16_at(bytes, 56).ok_or(bad)?);
        if phentsize < 56 {
            return Err(bad);
        }
        let table_end = phentsize
            .checked_mul(phnum)
            .and_then(|n| n.checked_add(phoff))
            .ok_or(bad)?;
        if table_end > bytes.len() {
            return Err(bad);
        }
        let elf = Self {
            bytes,
            entry,
            phoff,
            phentsize,
            phnum,
        };
        let mut count = 0;
        for s in elf.segments() {
            s?;
            count += 1;
        }
        if count > MAX_SEGMENTS {
            return Err(ElfError::TooManySegments);
        }
        Ok(elf)
    }

    /// The `PT_LOAD` segments, in table order.
    pub fn segments(&self) -> impl Iterator<Item = Result<Segment<'a>, ElfError>> + '_ {
        (0..self.phnum).filter_map(move |i| {
            let ph = self.phoff + i * self.phentsize;
            let b = self.bytes;
            let kind = u32_at(b, ph)?;
            if kind != PT_LOAD {
                return None;
            }
            Some(self.segment(ph))
        })
    }

    fn segment(&self, ph: usize) -> Result<Segment<'a>, ElfError> {
        let b = self.bytes;
        let bad = ElfError::BadProgramHeaders;
        let flags = u32_at(b, ph + 4).ok_or(bad)?;
        let offset = u64_at(b, ph + 8).ok_or(bad)?;
        let vaddr = u64_at(b, ph + 16).ok_or(bad)?;
        let file_size = u64_at(b, ph + 32).ok_or(bad)?;
        let mem_size = u64_at(b, ph + 40).ok_or(bad)?;
        if file_size > mem_size || vaddr.checked_add(mem_size).is_none() {
            return Err(ElfError::SegmentAddressInvalid);
        }
        let end = offset
            .checked_add(file_size)
            .ok_or(ElfError::SegmentOutOfFile)?;
        let data = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(s, e)| b.get(s..e))
            .ok_or(ElfError::SegmentOutOfFile)?;
        Ok(Segment {
            vaddr,
            mem_size,
            data,
            read: flags & PF_R != 0,
            write: flags & PF_W != 0,
            execute: flags & PF_X != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// A minimal executable with the given (vaddr, flags, file bytes, memsz) segments.
    fn build(segments: &[(u64, u32, &[u8], u64)]) -> Vec<u8> {
        let phoff = 64usize;
        let data_start = phoff + 56 * segments.len();
        let mut out = vec![0u8; data_start];
        out[..4].copy_from_slice(b"\x7fELF");
        out[4] = 2;
        out[5] = 1;
        out[6] = 1;
        out[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
        out[18..20].copy_from_slice(&EM_AARCH64.to_le_bytes());
        out[24..32].copy_from_slice(&0x20_0000u64.to_le_bytes());
        out[32..40].copy_from_slice(&(phoff as u64).to_le_bytes());
        out[54..56].copy_from_slice(&56u16.to_le_bytes());
        out[56..58].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        for (i, (vaddr, flags, data, memsz)) in segments.iter().enumerate() {
            let ph = phoff + i * 56;
            let off = out.len() as u64;
            out.extend_from_slice(data);
            out[ph..ph + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
            out[ph + 4..ph + 8].copy_from_slice(&flags.to_le_bytes());
            out[ph + 8..ph + 16].copy_from_slice(&off.to_le_bytes());
            out[ph + 16..ph + 24].copy_from_slice(&vaddr.to_le_bytes());
            out[ph + 32..ph + 40].copy_from_slice(&(data.len() as u64).to_le_bytes());
            out[ph + 40..ph + 48].copy_from_slice(&memsz.to_le_bytes());
        }
        out
    }

    #[test]
    fn reads_segments_and_entry() {
        let f = build(&[
            (0x20_0000, PF_R | PF_X, b"code", 4),
            (0x20_1000, PF_R | PF_W, b"dd", 0x2000),
        ]);
        let elf = Elf::parse(&f).unwrap();
        assert_eq!(elf.entry, 0x20_0000);
        let segs: Vec<_> = elf.segments().map(|s| s.unwrap()).collect();
        assert_eq!(segs.len(), 2);
        assert_eq!(
            (segs[0].vaddr, segs[0].data, segs[0].execute, segs[0].write),
            (0x20_0000, &b"code"[..], true, false)
        );
        assert_eq!((segs[1].mem_size, segs[1].write), (0x2000, true));
    }

    #[test]
    fn refuses_bad_files() {
        assert_eq!(Elf::parse(b"short").err(), Some(ElfError::TooShort));
        let mut f = build(&[(0x20_0000, PF_R, b"x", 1)]);
        f[18] = 62; // x86-64
        assert_eq!(Elf::parse(&f).err(), Some(ElfError::NotAarch64));
        let f = build(&[(0x20_0000, PF_R, b"xyz", 1)]); // filesz > memsz
        assert_eq!(Elf::parse(&f).err(), Some(ElfError::SegmentAddressInvalid));
        let f = build(&[(u64::MAX - 1, PF_R, b"x", 4)]);
        assert_eq!(Elf::parse(&f).err(), Some(ElfError::SegmentAddressInvalid));
        let f = build(&[(0x20_0000, PF_R, b"abc", 3)]);
        for cut in 0..f.len() {
            let _ = Elf::parse(&f[..cut]);
        }
        assert_eq!(
            Elf::parse(&f[..f.len() - 1]).err(),
            Some(ElfError::SegmentOutOfFile)
        );
    }
}
