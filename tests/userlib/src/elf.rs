//! An ELF loader at EL0: maps a static AArch64 executable, held in a VMO,
//! into a new process and starts it there, as a Zircon launcher does. Each
//! `PT_LOAD` segment goes at its link address (`ZX_VM_SPECIFIC` in the
//! process's root VMAR): a read-only or executable segment as a
//! copy-on-write, no-write child of the ELF's VMO (which keeps EXECUTE), a
//! writable one (or one with zero-filled bytes) as a new VMO the file's
//! bytes are copied into. A new VMO is its stack, and its first thread
//! starts at the entry point with the stack and a bootstrap handle.
//! Segments both writable and executable are refused, as the kernel's own
//! loader refuses them.

use crate::process::{process_create, process_start};
use crate::{
    child_opt, handle_close, thread_create, vm_opt, vmar_map, vmo_create, vmo_create_child,
    vmo_read, vmo_replace_as_executable, vmo_write, Handle, Status, ZxStatus, PAGE_SIZE,
    ROOT_VMAR_BASE,
};

/// Why an ELF could not be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// Not a static little-endian 64-bit AArch64 executable, or a header
    /// or segment that does not fit in the file or in user space.
    BadElf,
    /// A segment both writable and executable.
    WritableAndExecutable,
    /// A system call failed.
    Kernel(ZxStatus),
}

impl From<ZxStatus> for LoadError {
    fn from(s: ZxStatus) -> Self {
        Self::Kernel(s)
    }
}

/// A loaded process, not started yet.
pub struct Loaded {
    pub process: Handle,
    pub root_vmar: Handle,
    pub thread: Handle,
    pub entry: usize,
    pub stack_top: usize,
}

/// The stack a loaded program gets.
pub const STACK_SIZE: u64 = 64 * 1024;

const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;
const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
const MAX_PHDRS: usize = 16;
const EM_AARCH64: u16 = 183;
const ET_EXEC: u16 = 2;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

/// One `PT_LOAD` program header.
struct Segment {
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
}

/// Loads the executable in `elf` (its size is the VMO's) into a new
/// process `name` of `job`.
pub fn load(job: Handle, name: &str, elf: Handle) -> Result<Loaded, LoadError> {
    let file_size = crate::vmo_get_size(elf)?;
    let mut ehdr = [0u8; EHDR_SIZE];
    vmo_read(elf, &mut ehdr, 0)?;
    let ok = &ehdr[..4] == b"\x7fELF"
        && ehdr[4] == 2
        && ehdr[5] == 1
        && u16_at(&ehdr, 16) == ET_EXEC
        && u16_at(&ehdr, 18) == EM_AARCH64
        && usize::from(u16_at(&ehdr, 54)) == PHDR_SIZE;
    let phnum = usize::from(u16_at(&ehdr, 56));
    let phoff = u64_at(&ehdr, 32);
    if !ok || phnum > MAX_PHDRS || phoff.saturating_add((phnum * PHDR_SIZE) as u64) > file_size {
        return Err(LoadError::BadElf);
    }
    let entry = u64_at(&ehdr, 24);
    let mut phdrs = [0u8; MAX_PHDRS * PHDR_SIZE];
    vmo_read(elf, &mut phdrs[..phnum * PHDR_SIZE], phoff)?;

    let (process, root_vmar) = process_create(job, name)?;
    let loaded = map_all(elf, file_size, root_vmar, &phdrs[..phnum * PHDR_SIZE]).and_then(|()| {
        let stack = vmo_create(STACK_SIZE, 0)?;
        let perms = vm_opt::PERM_READ | vm_opt::PERM_WRITE;
        let mapped = vmar_map(root_vmar, perms, 0, stack, 0, STACK_SIZE as usize);
        let _ = handle_close(stack);
        let base = mapped?;
        let thread = thread_create(process, "main")?;
        Ok(Loaded {
            process,
            root_vmar,
            thread,
            entry: entry as usize,
            stack_top: base + STACK_SIZE as usize,
        })
    });
    if loaded.is_err() {
        let _ = handle_close(root_vmar);
        let _ = handle_close(process);
    }
    loaded
}

/// Maps every `PT_LOAD` segment of the headers `phdrs`.
fn map_all(elf: Handle, file_size: u64, vmar: Handle, phdrs: &[u8]) -> Result<(), LoadError> {
    for ph in phdrs.chunks_exact(PHDR_SIZE) {
        if u32_at(ph, 0) != PT_LOAD {
            continue;
        }
        let seg = Segment {
            flags: u32_at(ph, 4),
            offset: u64_at(ph, 8),
            vaddr: u64_at(ph, 16),
            filesz: u64_at(ph, 32),
            memsz: u64_at(ph, 40),
        };
        if seg.memsz > 0 {
            map_segment(elf, file_size, vmar, &seg)?;
        }
    }
    Ok(())
}

fn map_segment(elf: Handle, file_size: u64, vmar: Handle, seg: &Segment) -> Result<(), LoadError> {
    let (write, exec) = (seg.flags & PF_W != 0, seg.flags & PF_X != 0);
    if write && exec {
        return Err(LoadError::WritableAndExecutable);
    }
    let in_page = seg.vaddr % PAGE_SIZE;
    let start = seg.vaddr - in_page;
    let end = seg
        .vaddr
        .checked_add(seg.memsz)
        .and_then(|e| e.checked_next_multiple_of(PAGE_SIZE))
        .ok_or(LoadError::BadElf)?;
    if start < ROOT_VMAR_BASE
        || seg.filesz > seg.memsz
        || seg
            .offset
            .checked_add(seg.filesz)
            .is_none_or(|e| e > file_size)
    {
        return Err(LoadError::BadElf);
    }
    let len = end - start;
    let shared = !write && seg.filesz == seg.memsz && seg.offset % PAGE_SIZE == in_page;
    let vmo = if shared {
        let opts = child_opt::SNAPSHOT_AT_LEAST_ON_WRITE | child_opt::NO_WRITE;
        vmo_create_child(elf, opts, seg.offset - in_page, len)?
    } else {
        let vmo = vmo_create(len, 0)?;
        let copied = copy(elf, seg.offset, vmo, in_page, seg.filesz);
        let vmo = match (copied, exec) {
            (Ok(()), true) => vmo_replace_as_executable(vmo, 0),
            (Ok(()), false) => Ok(vmo),
            (Err(e), _) => {
                let _ = handle_close(vmo);
                Err(e)
            }
        };
        vmo?
    };
    let mut perms = vm_opt::SPECIFIC;
    if seg.flags & PF_R != 0 {
        perms |= vm_opt::PERM_READ;
    }
    if write {
        perms |= vm_opt::PERM_WRITE;
    }
    if exec {
        perms |= vm_opt::PERM_EXECUTE;
    }
    let offset = (start - ROOT_VMAR_BASE) as usize;
    let mapped = vmar_map(vmar, perms, offset, vmo, 0, len as usize);
    let _ = handle_close(vmo);
    mapped?;
    Ok(())
}

/// Copies `len` bytes from `from` at `from_off` to `to` at `to_off`.
fn copy(from: Handle, from_off: u64, to: Handle, to_off: u64, len: u64) -> Status {
    let mut buf = [0u8; 1024];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(buf.len() as u64) as usize;
        vmo_read(from, &mut buf[..n], from_off + done)?;
        vmo_write(to, &buf[..n], to_off + done)?;
        done += n as u64;
    }
    Ok(())
}

impl Loaded {
    /// Starts the process: x0 = `bootstrap` (moved into it; closed if the
    /// start fails), x1 = `arg2`. The thread and VMAR handles stay the
    /// caller's.
    pub fn start(&self, bootstrap: Handle, arg2: usize) -> Status {
        process_start(
            self.process,
            self.thread,
            self.entry,
            self.stack_top,
            bootstrap,
            arg2,
        )
    }

    /// Closes the handles (the process lives on while it runs).
    pub fn close(self) {
        for h in [self.thread, self.root_vmar, self.process] {
            let _ = handle_close(h);
        }
    }
}
