//! Secondary cores: starting one in the kernel (PSCI `CPU_ON`, through the
//! EL2 layer when there is one) with its boot record (`SecondaryBoot`: the
//! kernel's tables, its stack, its index and the function it runs), and the
//! CPU_ON self-test that proves the EL2 layer routes the call (that core
//! sets a flag and parks).

use crate::arch::mmu::kernel_pa;
use crate::dt::{BoardInfo, EnableMethod, PsciConduit};
use core::sync::atomic::{AtomicU64, Ordering};

unsafe extern "C" {
    fn secondary_entry_el1();
    fn secondary_entry();
}

/// What a starting core reads with its MMU off (offsets given to
/// `entry.S` as const operands).
#[repr(C)]
pub struct SecondaryBoot {
    /// TTBR1: the kernel's own tables.
    pub ttbr1: u64,
    /// The core's first stack pointer (a kernel virtual address).
    pub stack_top: u64,
    /// The core's index, the main function's argument.
    pub cpu: u64,
    /// `extern "C" fn(usize) -> !`, as an address.
    pub main: u64,
}

struct BootRecords([core::cell::UnsafeCell<SecondaryBoot>; crate::arch::percpu::MAX_CPUS]);
// SAFETY: the boot core writes a core's record before starting that core,
// and only that core reads it afterwards.
unsafe impl Sync for BootRecords {}
static BOOT_RECORDS: BootRecords = BootRecords(
    [const {
        core::cell::UnsafeCell::new(SecondaryBoot {
            ttbr1: 0,
            stack_top: 0,
            cpu: 0,
            main: 0,
        })
    }; crate::arch::percpu::MAX_CPUS],
);

/// PSCI `CPU_ON` through `conduit`.
fn cpu_on(
    conduit: PsciConduit,
    mpidr: u64,
    entry_pa: u64,
    context: u64,
) -> Result<(), &'static str> {
    let r = match conduit {
        PsciConduit::Hvc => smccc::psci::cpu_on::<smccc::Hvc>(mpidr, entry_pa, context),
        PsciConduit::Smc => smccc::psci::cpu_on::<smccc::Smc>(mpidr, entry_pa, context),
    };
    r.map_err(|_| "PSCI CPU_ON refused")
}

/// Starts core `cpu` (MPIDR `mpidr`) with PSCI `CPU_ON` at `secondary_entry`:
/// it turns its MMU on with the kernel's tables and calls `main(cpu)` on the
/// stack whose top is `stack_top`. Returns once the firmware (or the EL2
/// layer) accepted the call; the caller waits for the core to check in.
///
/// # Errors
/// An index past the per-CPU blocks, or the call refused.
pub fn start_secondary(
    conduit: PsciConduit,
    cpu: usize,
    mpidr: u64,
    stack_top: u64,
    main: extern "C" fn(usize) -> !,
) -> Result<(), &'static str> {
    let cell = BOOT_RECORDS
        .0
        .get(cpu)
        .ok_or("more cores than per-CPU blocks")?;
    // SAFETY: the core has not been started, so nothing else reads its
    // record (see `BootRecords`).
    unsafe {
        *cell.get() = SecondaryBoot {
            ttbr1: crate::arch::mmu::kernel_ttbr1(),
            stack_top,
            cpu: cpu as u64,
            main: main as *const () as u64,
        }
    };
    let record_va = cell.get() as u64;
    // The core reads the record with its caches off.
    crate::arch::cpu::clean_dcache_range(record_va, core::mem::size_of::<SecondaryBoot>());
    let entry_pa = kernel_pa(secondary_entry as *const () as u64);
    cpu_on(conduit, mpidr, entry_pa, kernel_pa(record_va))
}

/// Set to 1 by the started core (which writes it with its MMU off).
static CHECKED_IN: AtomicU64 = AtomicU64::new(0);

/// Starts the first secondary core listed with the `psci` enable method and
/// waits (about a second of counter time) for it to check in. Returns its
/// MPIDR.
pub fn start_secondary_selftest(info: &BoardInfo<'_>) -> Result<u64, &'static str> {
    let conduit = crate::power::psci_conduit().ok_or("no PSCI on this board")?;
    let cpu = info
        .cpus
        .iter()
        .skip(1)
        .find(|c| c.enable_method == EnableMethod::Psci)
        .ok_or("no secondary core started with PSCI (boot with --smp 2 or more)")?;
    let entry_pa = kernel_pa(secondary_entry_el1 as *const () as u64);
    let flag_va = &CHECKED_IN as *const AtomicU64 as u64;
    CHECKED_IN.store(0, Ordering::SeqCst);
    cpu_on(conduit, cpu.mpidr, entry_pa, kernel_pa(flag_va))?;
    let deadline = crate::arch::cpu::counter() + crate::arch::cpu::counter_frequency();
    while crate::arch::cpu::counter() < deadline {
        crate::arch::cpu::invalidate_dcache_line(flag_va);
        if CHECKED_IN.load(Ordering::SeqCst) == 1 {
            return Ok(cpu.mpidr);
        }
        core::hint::spin_loop();
    }
    Err("the core did not check in")
}
