//! Secondary cores. The kernel itself runs on the boot core only; this
//! module can start another core through PSCI `CPU_ON` (for the self-test
//! that proves the EL2 layer routes it), where it sets a flag and parks.

use crate::dt::{BoardInfo, EnableMethod};
use crate::layout::virt_to_phys;
use core::sync::atomic::{AtomicU64, Ordering};

unsafe extern "C" {
    fn secondary_entry_el1();
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
    let l = crate::arch::mmu::image_layout();
    let entry_va = secondary_entry_el1 as *const () as u64;
    // The image is mapped at its link address, not in the linear map: its
    // physical address is the offset from the image start.
    let kimage_offset = crate::arch::mmu::kimage_offset();
    let entry_pa = entry_va - kimage_offset;
    let flag_va = &CHECKED_IN as *const AtomicU64 as u64;
    let flag_pa = if flag_va >= l.start {
        flag_va - kimage_offset
    } else {
        virt_to_phys(flag_va).ok_or("flag")?
    };
    CHECKED_IN.store(0, Ordering::SeqCst);
    let r = match conduit {
        crate::dt::PsciConduit::Hvc => {
            smccc::psci::cpu_on::<smccc::Hvc>(cpu.mpidr, entry_pa, flag_pa)
        }
        crate::dt::PsciConduit::Smc => {
            smccc::psci::cpu_on::<smccc::Smc>(cpu.mpidr, entry_pa, flag_pa)
        }
    };
    r.map_err(|_| "PSCI CPU_ON returned an error")?;
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
