//! A process: an address space, a handle table holding its root VMAR, and
//! the saved registers of its one thread. Created from an ELF image: each
//! `PT_LOAD` segment becomes a VMO mapped at its link address with the
//! segment's permissions, and the stack is a VMO with a guard page below.

use crate::elf::{Elf, ElfError};
use crate::handle::HandleTable;
use crate::memory::FRAMES;
use crate::object::{new_koid, KernelObject, VmarObject};
use crate::vm::aspace::Placement;
use crate::vm::{AddressSpace, VmoObject};
use alloc::string::String;
use alloc::sync::Arc;
use mm::vmo::Vmo;
use platform::arch::trap::UserContext;
use platform::arch::user_pt::UserPerms;
use zx_abi::{rights, ZxStatus, INITIAL_STACK_SIZE, PAGE_SIZE, ROOT_VMAR_BASE, ROOT_VMAR_SIZE};

/// Where the initial stack goes: well above any link address we promise to
/// load at (2^39) and the kernel's default placement region.
const STACK_TOP: u64 = 0x7fff_0000_0000;

/// Mappings the kernel places itself go at or above this address.
pub const DEFAULT_MAP_BASE: u64 = 0x10_0000_0000;

pub struct Process {
    pub name: String,
    pub aspace: Arc<AddressSpace>,
    pub handles: HandleTable,
    pub ctx: UserContext,
}

/// Why a program could not be started.
#[derive(Debug)]
pub enum LoadError {
    Elf(ElfError),
    /// A segment overlaps another, or lies outside the user range.
    BadLayout(u64),
    /// A segment is both writable and executable.
    WritableAndExecutable(u64),
    Kernel(ZxStatus),
}

impl From<ZxStatus> for LoadError {
    fn from(s: ZxStatus) -> Self {
        Self::Kernel(s)
    }
}

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Elf(e) => write!(f, "bad ELF: {}", e.describe()),
            Self::BadLayout(a) => write!(
                f,
                "segment at {a:#x} overlaps another or lies outside user space"
            ),
            Self::WritableAndExecutable(a) => {
                write!(f, "segment at {a:#x} is writable and executable")
            }
            Self::Kernel(s) => write!(f, "kernel error {}", s.name()),
        }
    }
}

impl Process {
    /// Loads `image` into a fresh address space, ready to run.
    pub fn load(name: &str, image: &[u8]) -> Result<Self, LoadError> {
        let elf = Elf::parse(image).map_err(LoadError::Elf)?;
        let aspace = AddressSpace::new()?;
        for seg in elf.segments() {
            let seg = seg.map_err(LoadError::Elf)?;
            if seg.mem_size == 0 {
                continue;
            }
            if seg.write && seg.execute {
                return Err(LoadError::WritableAndExecutable(seg.vaddr));
            }
            let start = seg.vaddr & !(PAGE_SIZE - 1);
            let end = (seg.vaddr + seg.mem_size).next_multiple_of(PAGE_SIZE);
            if start < ROOT_VMAR_BASE || end > ROOT_VMAR_BASE + ROOT_VMAR_SIZE {
                return Err(LoadError::BadLayout(seg.vaddr));
            }
            let mut vmo = Vmo::create(&FRAMES, end - start, 0)?;
            vmo.write(seg.vaddr - start, seg.data)?;
            let perms = UserPerms {
                read: seg.read,
                write: seg.write,
                execute: seg.execute,
            };
            aspace
                .map(
                    VmoObject::new(vmo),
                    0,
                    end - start,
                    perms,
                    Placement::Specific(start),
                )
                .map_err(|e| match e {
                    ZxStatus::AlreadyExists => LoadError::BadLayout(seg.vaddr),
                    other => LoadError::Kernel(other),
                })?;
        }

        let stack = VmoObject::new(Vmo::create(&FRAMES, INITIAL_STACK_SIZE, 0)?);
        let rw = UserPerms {
            read: true,
            write: true,
            execute: false,
        };
        // The page below the stack stays unmapped: an overflow faults there.
        let stack_base = STACK_TOP - INITIAL_STACK_SIZE;
        aspace.map(
            stack,
            0,
            INITIAL_STACK_SIZE,
            rw,
            Placement::Specific(stack_base),
        )?;

        let mut handles = HandleTable::new();
        let root = Arc::new(VmarObject {
            koid: new_koid(),
            aspace: aspace.clone(),
            base: ROOT_VMAR_BASE,
            size: ROOT_VMAR_SIZE,
        });
        let root_handle = handles.add(KernelObject::Vmar(root), rights::ROOT_VMAR)?;

        let mut ctx = UserContext::default();
        ctx.x[0] = u64::from(root_handle);
        ctx.sp = STACK_TOP;
        ctx.pc = elf.entry;
        Ok(Self {
            name: String::from(name),
            aspace,
            handles,
            ctx,
        })
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.handles.clear();
        self.aspace.destroy();
    }
}
