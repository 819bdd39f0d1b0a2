//! Shared by the device-tree test files: a builder for flattened device trees.

#![allow(dead_code)] // each test file uses a different part

/// Assembles a flattened device tree (version 17) token by token.
pub struct FdtBuilder {
    structs: Vec<u8>,
    strings: Vec<u8>,
    reservations: Vec<(u64, u64)>,
}

impl FdtBuilder {
    pub fn new() -> Self {
        Self {
            structs: Vec::new(),
            strings: Vec::new(),
            reservations: Vec::new(),
        }
    }

    pub fn word(&mut self, value: u32) {
        self.structs.extend_from_slice(&value.to_be_bytes());
    }

    pub fn pad(&mut self) {
        while !self.structs.len().is_multiple_of(4) {
            self.structs.push(0);
        }
    }

    pub fn begin(&mut self, name: &str) -> &mut Self {
        self.word(1);
        self.structs.extend_from_slice(name.as_bytes());
        self.structs.push(0);
        self.pad();
        self
    }

    pub fn end(&mut self) -> &mut Self {
        self.word(2);
        self
    }

    pub fn prop(&mut self, name: &str, value: &[u8]) -> &mut Self {
        let name_offset = self.strings.len() as u32;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        self.word(3);
        self.word(value.len() as u32);
        self.word(name_offset);
        self.structs.extend_from_slice(value);
        self.pad();
        self
    }

    pub fn cells(&mut self, name: &str, cells: &[u32]) -> &mut Self {
        let bytes: Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
        self.prop(name, &bytes)
    }

    pub fn string(&mut self, name: &str, value: &str) -> &mut Self {
        let mut bytes = value.as_bytes().to_vec();
        bytes.push(0);
        self.prop(name, &bytes)
    }

    pub fn reserve(&mut self, base: u64, size: u64) -> &mut Self {
        self.reservations.push((base, size));
        self
    }

    /// The blob, its header's `totalsize` raised to `total` bytes with zero
    /// padding after the strings (as firmware leaves room to edit the tree).
    pub fn finish_padded(&self, total: usize) -> Vec<u8> {
        let mut blob = self.finish();
        assert!(total >= blob.len(), "padding below the tree's size");
        blob.resize(total, 0);
        blob[4..8].copy_from_slice(&(total as u32).to_be_bytes());
        blob
    }

    pub fn finish(&self) -> Vec<u8> {
        const HEADER: usize = 40;
        let reservations_offset = HEADER;
        let struct_offset = reservations_offset + 16 * (self.reservations.len() + 1);
        let mut structs = self.structs.clone();
        structs.extend_from_slice(&9u32.to_be_bytes()); // FDT_END
        let strings_offset = struct_offset + structs.len();
        let total = strings_offset + self.strings.len();
        let header = [
            0xd00d_feed,
            total as u32,
            struct_offset as u32,
            strings_offset as u32,
            reservations_offset as u32,
            17,
            16,
            0,
            self.strings.len() as u32,
            structs.len() as u32,
        ];
        let mut blob: Vec<u8> = header.iter().flat_map(|w: &u32| w.to_be_bytes()).collect();
        for &(base, size) in self.reservations.iter().chain([(0, 0)].iter()) {
            blob.extend_from_slice(&base.to_be_bytes());
            blob.extend_from_slice(&size.to_be_bytes());
        }
        blob.extend_from_slice(&structs);
        blob.extend_from_slice(&self.strings);
        blob
    }
}
