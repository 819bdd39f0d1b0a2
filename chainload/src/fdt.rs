//! Just enough of the flattened device tree to rewrite `/chosen`
//! `linux,initrd-start` and `linux,initrd-end` in place (4- or 8-byte
//! values, as the firmware or QEMU wrote them). The tree is read and written
//! byte by byte: it sits in RAM with the MMU off, where only aligned accesses
//! are allowed.

use core::ptr::{read_volatile, write_volatile};

const FDT_MAGIC: u32 = 0xd00d_feed;
const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;

/// A device tree at a physical address, bounded by its header's totalsize.
pub struct Tree {
    base: u64,
    size: u64,
}

impl Tree {
    /// The tree at `base`, if it starts with the FDT magic.
    pub fn at(base: u64) -> Option<Self> {
        if base == 0 || !base.is_multiple_of(4) {
            return None;
        }
        let probe = Self { base, size: 8 };
        if probe.be32(0)? != FDT_MAGIC {
            return None;
        }
        let size = u64::from(probe.be32(4)?);
        Some(Self { base, size })
    }

    /// Moves the tree so that it ends at or below `limit`, on a 4 KiB
    /// boundary, and returns it there (overlapping moves are fine).
    pub fn move_below(self, limit: u64) -> Option<Self> {
        let dest = limit.checked_sub(self.size)? & !0xfff;
        let copy = |i: u64| {
            // SAFETY: both bytes lie in RAM below the loader: the source is
            // the tree the firmware wrote, the destination was just chosen
            // below `limit`; nothing else uses either.
            unsafe {
                let b = read_volatile((self.base + i) as *const u8);
                write_volatile((dest + i) as *mut u8, b);
            }
        };
        // memmove: copy away from the overlap.
        if dest < self.base {
            (0..self.size).for_each(copy);
        } else {
            (0..self.size).rev().for_each(copy);
        }
        Some(Self {
            base: dest,
            size: self.size,
        })
    }

    /// The tree's physical address.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// `[base, base + totalsize)`.
    pub fn span(&self) -> (u64, u64) {
        (self.base, self.base.saturating_add(self.size))
    }

    fn byte(&self, off: u64) -> Option<u8> {
        if off >= self.size {
            return None;
        }
        // SAFETY: inside the tree's totalsize, in RAM the firmware filled.
        Some(unsafe { read_volatile((self.base + off) as *const u8) })
    }

    fn be32(&self, off: u64) -> Option<u32> {
        let mut v = 0u32;
        for i in 0..4 {
            v = (v << 8) | u32::from(self.byte(off.checked_add(i)?)?);
        }
        Some(v)
    }

    /// Whether the NUL-terminated string at `off` equals `want`.
    fn str_eq(&self, off: u64, want: &[u8]) -> bool {
        for (i, &w) in want.iter().chain([0u8].iter()).enumerate() {
            if self.byte(off + i as u64) != Some(w) {
                return false;
            }
        }
        true
    }

    /// Length of the NUL-terminated string at `off`, NUL included.
    fn str_len(&self, off: u64) -> Option<u64> {
        let mut n = 0;
        while self.byte(off + n)? != 0 {
            n += 1;
        }
        Some(n + 1)
    }

    /// Writes `value` big-endian into the `len` (4 or 8) bytes at `off`.
    fn put(&self, off: u64, len: u64, value: u64) -> Result<(), ()> {
        if len != 4 && len != 8 {
            return Err(());
        }
        if len == 4 && value > u64::from(u32::MAX) {
            return Err(());
        }
        for i in 0..len {
            let at = off + i;
            if at >= self.size {
                return Err(());
            }
            let b = (value >> (8 * (len - 1 - i))) as u8;
            // SAFETY: inside the tree; the loader owns RAM until the jump.
            unsafe { write_volatile((self.base + at) as *mut u8, b) };
        }
        Ok(())
    }

    /// Rewrites `/chosen linux,initrd-start/-end` to `[start, end)`. Both
    /// properties must already exist (the firmware writes them for an
    /// `initramfs` line, QEMU for `-initrd`).
    pub fn set_initrd(&self, start: u64, end: u64) -> Result<(), ()> {
        let structs = u64::from(self.be32(8).ok_or(())?);
        let strings = u64::from(self.be32(12).ok_or(())?);
        let mut off = structs;
        let mut depth = 0u32;
        let mut in_chosen = false;
        let (mut start_prop, mut end_prop) = (None, None);
        loop {
            let token = self.be32(off).ok_or(())?;
            off += 4;
            match token {
                FDT_BEGIN_NODE => {
                    depth += 1;
                    in_chosen = depth == 2 && self.str_eq(off, b"chosen");
                    let n = self.str_len(off).ok_or(())?;
                    off = (off + n).next_multiple_of(4);
                }
                FDT_END_NODE => {
                    depth = depth.checked_sub(1).ok_or(())?;
                    in_chosen = false;
                }
                FDT_PROP => {
                    let len = u64::from(self.be32(off).ok_or(())?);
                    let name = u64::from(self.be32(off + 4).ok_or(())?);
                    let value = off + 8;
                    if in_chosen && depth == 2 {
                        if self.str_eq(strings + name, b"linux,initrd-start") {
                            start_prop = Some((value, len));
                        } else if self.str_eq(strings + name, b"linux,initrd-end") {
                            end_prop = Some((value, len));
                        }
                    }
                    off = (value + len).next_multiple_of(4);
                }
                FDT_NOP => {}
                FDT_END => break,
                _ => return Err(()),
            }
        }
        match (start_prop, end_prop) {
            (Some((s, sl)), Some((e, el))) => {
                self.put(s, sl, start)?;
                self.put(e, el, end)
            }
            _ => Err(()),
        }
    }
}
