//! CRC-32 as gzip, zlib and Ethernet compute it (reflected polynomial
//! 0xEDB88320, initial value and final XOR all ones), so the host can take
//! the figure from `gzip`'s trailer.

use core::sync::atomic::{AtomicU32, Ordering};

const POLY: u32 = 0xedb8_8320;

/// The byte-at-a-time table, filled by [`init`].
static TABLE: [AtomicU32; 256] = [const { AtomicU32::new(0) }; 256];

/// Fills the table (once, at start).
pub fn init() {
    for (i, slot) in TABLE.iter().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
        }
        slot.store(c, Ordering::Relaxed);
    }
}

/// A running CRC-32.
pub struct Crc32(u32);

impl Crc32 {
    pub const fn new() -> Self {
        Self(!0)
    }

    pub fn update(&mut self, b: u8) {
        let index = ((self.0 ^ u32::from(b)) & 0xff) as usize;
        let t = TABLE.get(index).map_or(0, |e| e.load(Ordering::Relaxed));
        self.0 = t ^ (self.0 >> 8);
    }

    pub fn finish(&self) -> u32 {
        !self.0
    }
}

/// The CRC-32 of `bytes`.
pub fn of(bytes: &[u8]) -> u32 {
    let mut c = Crc32::new();
    for &b in bytes {
        c.update(b);
    }
    c.finish()
}
