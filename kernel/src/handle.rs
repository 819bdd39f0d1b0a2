//! A process's handle table: values with the low two bits set, a slot
//! index and a generation (so a closed handle's value stays invalid when the
//! slot is reused), each carrying an object and rights.

use crate::object::{KernelObject, VmarObject};
use crate::vm::VmoObject;
use alloc::sync::Arc;
use alloc::vec::Vec;
use zx_abi::{Handle, ZxStatus};

const INDEX_BITS: u32 = 16;
const GEN_BITS: u32 = 14;
/// Handles one process may hold at once.
pub const MAX_HANDLES: usize = 1 << INDEX_BITS;

#[derive(Clone)]
pub struct Entry {
    pub object: KernelObject,
    pub rights: u32,
}

struct Slot {
    generation: u32,
    entry: Option<Entry>,
}

#[derive(Default)]
pub struct HandleTable {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

fn encode(index: u32, generation: u32) -> Handle {
    (generation << (INDEX_BITS + 2)) | (index << 2) | 0x3
}

fn decode(h: Handle) -> Option<(usize, u32)> {
    if h & 0x3 != 0x3 {
        return None;
    }
    let index = (h >> 2) & ((1 << INDEX_BITS) - 1);
    Some((index as usize, h >> (INDEX_BITS + 2)))
}

impl HandleTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs a handle; `NoResources` when the table is full.
    pub fn add(&mut self, object: KernelObject, rights: u32) -> Result<Handle, ZxStatus> {
        let entry = Some(Entry { object, rights });
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.entry = entry;
            return Ok(encode(index, slot.generation));
        }
        if self.slots.len() >= MAX_HANDLES {
            return Err(ZxStatus::NoResources);
        }
        self.slots.try_reserve(1).map_err(|_| ZxStatus::NoMemory)?;
        let index = self.slots.len() as u32;
        self.slots.push(Slot {
            generation: 0,
            entry,
        });
        Ok(encode(index, 0))
    }

    pub fn get(&self, h: Handle) -> Result<&Entry, ZxStatus> {
        let (index, generation) = decode(h).ok_or(ZxStatus::BadHandle)?;
        match self.slots.get(index) {
            Some(Slot {
                generation: g,
                entry: Some(e),
            }) if *g == generation => Ok(e),
            _ => Err(ZxStatus::BadHandle),
        }
    }

    /// Removes a handle, returning what it held.
    pub fn remove(&mut self, h: Handle) -> Result<Entry, ZxStatus> {
        self.get(h)?;
        let (index, _) = decode(h).ok_or(ZxStatus::BadHandle)?;
        let slot = &mut self.slots[index];
        let entry = slot.entry.take().ok_or(ZxStatus::BadHandle)?;
        slot.generation = (slot.generation + 1) & ((1 << GEN_BITS) - 1);
        self.free.push(index as u32);
        Ok(entry)
    }

    /// The VMO behind `h` if it has all of `rights`: BAD_HANDLE, then
    /// WRONG_TYPE, then ACCESS_DENIED, Zircon's order.
    pub fn vmo(&self, h: Handle, rights: u32) -> Result<(&Arc<VmoObject>, u32), ZxStatus> {
        let e = self.get(h)?;
        let KernelObject::Vmo(v) = &e.object else {
            return Err(ZxStatus::WrongType);
        };
        if e.rights & rights != rights {
            return Err(ZxStatus::AccessDenied);
        }
        Ok((v, e.rights))
    }

    /// The VMAR behind `h` if it has all of `rights`.
    pub fn vmar(&self, h: Handle, rights: u32) -> Result<(&Arc<VmarObject>, u32), ZxStatus> {
        let e = self.get(h)?;
        let KernelObject::Vmar(v) = &e.object else {
            return Err(ZxStatus::WrongType);
        };
        if e.rights & rights != rights {
            return Err(ZxStatus::AccessDenied);
        }
        Ok((v, e.rights))
    }

    /// Closes everything (process exit).
    pub fn clear(&mut self) {
        self.slots.clear();
        self.free.clear();
    }
}
