//! Per-CPU data behind `TPIDR_EL1`: each core finds its own block with one
//! register read, so a second core needs no new global. The block holds
//! what the exception vectors need (the current kernel stack's limit and
//! this core's emergency stack, at offsets given to the assembly as `const`
//! operands) and two slots for the kernel (its current thread and its heap
//! cache), which the platform treats as opaque.

use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

/// Cores the kernel keeps per-CPU state for.
pub const MAX_CPUS: usize = 8;

#[repr(C)]
pub struct CpuLocal {
    /// Lowest stack pointer at which the vectors may still push an exception
    /// frame on the current kernel stack; below it they switch to the
    /// emergency stack (a kernel stack overflow then gets reported).
    pub stack_limit: AtomicU64,
    /// Top of this core's emergency stack.
    pub emergency_stack_top: AtomicU64,
    /// This core's index (0 for the boot core).
    pub index: AtomicU64,
    /// The kernel's thread running on this core (owned by the kernel).
    pub current: AtomicPtr<()>,
    /// The kernel heap's cache for this core (owned by the kernel): here so
    /// that an allocation finds it with one load after the register read.
    pub heap_cache: AtomicPtr<()>,
    /// TTBR0 while EL0 runs (or a user copy): the current address space's
    /// table and ASID. The vectors install it on the way to EL0.
    pub user_ttbr0: AtomicU64,
    /// TTBR0 while the kernel runs: an empty table with ASID 0, so that no
    /// EL0 address translates outside the user-copy routines (a software
    /// PAN: Cortex-A72 has no hardware PAN).
    pub kernel_ttbr0: AtomicU64,
}

impl CpuLocal {
    /// This core's index (0 for the boot core).
    #[inline]
    pub fn index(&self) -> usize {
        self.index.load(Ordering::Relaxed) as usize
    }

    const fn new() -> Self {
        Self {
            stack_limit: AtomicU64::new(0),
            emergency_stack_top: AtomicU64::new(0),
            index: AtomicU64::new(0),
            current: AtomicPtr::new(core::ptr::null_mut()),
            heap_cache: AtomicPtr::new(core::ptr::null_mut()),
            user_ttbr0: AtomicU64::new(0),
            kernel_ttbr0: AtomicU64::new(0),
        }
    }
}

static CPUS: [CpuLocal; MAX_CPUS] = [const { CpuLocal::new() }; MAX_CPUS];

/// Points `TPIDR_EL1` at core `index`'s block and records where its stacks
/// are. Call once per core, before the first exception can be taken.
pub fn init_this_cpu(index: usize, stack_limit: u64, emergency_stack_top: u64) {
    let cpu = &CPUS[index];
    cpu.index.store(index as u64, Ordering::Relaxed);
    cpu.stack_limit.store(stack_limit, Ordering::Relaxed);
    cpu.emergency_stack_top
        .store(emergency_stack_top, Ordering::Relaxed);
    aarch64_cpu::registers::TPIDR_EL1.set(cpu as *const CpuLocal as u64);
}

/// This core's block.
#[inline]
pub fn this_cpu() -> &'static CpuLocal {
    use aarch64_cpu::registers::Readable;
    let p = aarch64_cpu::registers::TPIDR_EL1.get() as *const CpuLocal;
    debug_assert!(!p.is_null(), "per-CPU data not set up");
    // SAFETY: `init_this_cpu` pointed TPIDR_EL1 at one of the static blocks
    // before anything could call this; nothing else writes TPIDR_EL1.
    unsafe { &*p }
}

use aarch64_cpu::registers::Writeable;
