//! Bringing the secondary cores online: each gets its per-CPU block, a
//! kernel stack and an emergency stack (both with guard pages), the
//! kernel's tables with the empty TTBR0, its part of the interrupt
//! controller, and then idles in `wfi` until the boot core starts
//! scheduling; from then on it runs its scheduler (`crate::sched`). The
//! boot log names each core as it comes online, and a core that does not
//! come up is reported while the others carry on.

use super::kstack::KernelStack;
use alloc::boxed::Box;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use platform::arch::percpu::MAX_CPUS;
use platform::dt::{Cpu, PsciConduit};
use platform::println;

/// Set by each core once it runs in the kernel.
static ONLINE: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// Each core's stack limit and emergency stack top, for its per-CPU block.
static STACK_LIMIT: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
static EMERGENCY_TOP: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// This core's MPIDR affinity fields (Aff3..Aff0), as the tree names cores.
fn this_mpidr() -> u64 {
    use aarch64_cpu::registers::{Readable, MPIDR_EL1};
    MPIDR_EL1.get() & 0xff_00ff_ffff
}

/// Starts every core of `cpus` but this one, with `conduit`, and waits up to
/// a second of counter time for each to check in. Returns how many are
/// online, this one included.
pub fn bring_up(cpus: &[Cpu], conduit: Option<PsciConduit>) -> usize {
    let me = this_mpidr();
    let mut online = 1;
    let mut index = 0;
    for cpu in cpus.iter().filter(|c| c.mpidr != me) {
        index += 1;
        if index >= MAX_CPUS {
            println!(
                "cpu:    core {:#x} and later stay off (per-CPU blocks for {MAX_CPUS} cores)",
                cpu.mpidr
            );
            break;
        }
        let Some(conduit) = conduit else {
            println!(
                "cpu:    core {} ({:#x}) not started: no PSCI",
                index, cpu.mpidr
            );
            continue;
        };
        let (Ok(stack), Ok(emergency)) = (KernelStack::new(), KernelStack::new()) else {
            println!(
                "cpu:    core {} ({:#x}) not started: no memory for its stacks",
                index, cpu.mpidr
            );
            continue;
        };
        // A core's stacks live as long as the kernel.
        let stack = Box::leak(Box::new(stack));
        let emergency = Box::leak(Box::new(emergency));
        STACK_LIMIT[index].store(stack.limit(), Ordering::Relaxed);
        EMERGENCY_TOP[index].store(emergency.top(), Ordering::Relaxed);
        match platform::smp::start_secondary(conduit, index, cpu.mpidr, stack.top(), secondary_main)
        {
            Err(why) => println!(
                "cpu:    core {} ({:#x}) not started: {why}",
                index, cpu.mpidr
            ),
            Ok(()) => {
                let freq = platform::arch::cpu::counter_frequency();
                let deadline = platform::arch::cpu::counter() + freq;
                while !ONLINE[index].load(Ordering::Acquire)
                    && platform::arch::cpu::counter() < deadline
                {
                    core::hint::spin_loop();
                }
                if ONLINE[index].load(Ordering::Acquire) {
                    online += 1;
                    println!(
                        "cpu:    core {} ({:#x}) online, {}",
                        index,
                        cpu.mpidr,
                        platform::irq::describe_core(index)
                    );
                } else {
                    println!(
                        "cpu:    core {} ({:#x}) did not come up within 1 s",
                        index, cpu.mpidr
                    );
                }
            }
        }
    }
    online
}

/// The first Rust code a secondary core runs, on its own kernel stack.
extern "C" fn secondary_main(index: usize) -> ! {
    platform::arch::percpu::init_this_cpu(
        index,
        STACK_LIMIT[index].load(Ordering::Relaxed),
        EMERGENCY_TOP[index].load(Ordering::Relaxed),
    );
    crate::heap::init_this_cpu();
    platform::arch::mmu::finish_secondary_mmu();
    // The boot core reports the outcome (irq::describe_core) with the
    // online line.
    let gic = platform::irq::init_this_core();
    enable_el0_counter();
    ONLINE[index].store(true, Ordering::Release);
    // Until the boot core starts scheduling (after its self-tests), idle:
    // interrupts stay masked; `wfi` still wakes on a pending one, which
    // `take` then acknowledges and ends. A core without interrupts could
    // not be preempted or woken, so it never takes threads.
    loop {
        aarch64_cpu::asm::wfi();
        if gic.is_ok() {
            crate::selftest::ipi_ack(platform::irq::take());
            if SCHEDULING.load(Ordering::Acquire) {
                break;
            }
        }
    }
    crate::sched::core_online();
    crate::sched::run_cpu(&|| false, &|| u64::MAX);
    unreachable!("a secondary's scheduler returned")
}

/// Set once the boot core lets the secondaries take threads.
static SCHEDULING: AtomicBool = AtomicBool::new(false);

/// Lets EL0 read the virtual counter and its frequency (each core's own
/// CNTKCTL_EL1).
pub fn enable_el0_counter() {
    use aarch64_cpu::registers::{ReadWriteable, CNTKCTL_EL1};
    CNTKCTL_EL1.modify(CNTKCTL_EL1::EL0VCTEN::SET);
}

/// Every core with working interrupts starts taking threads: the boot
/// core, and the secondaries, which leave their idle loop.
pub fn start_scheduling() {
    enable_el0_counter();
    crate::sched::core_online();
    SCHEDULING.store(true, Ordering::Release);
    for (index, online) in ONLINE.iter().enumerate().skip(1) {
        if online.load(Ordering::Acquire) {
            platform::irq::send_reschedule(index);
        }
    }
}
