//! Boot-time self-tests chosen on the kernel command line
//! (`selftest=NAME`), for tests that must see the kernel fail correctly.

/// Runs the self-test `bootargs` names, if any.
pub fn run(bootargs: Option<&str>, p: &platform::boot::Platform) {
    let Some(args) = bootargs else { return };
    for arg in args.split_ascii_whitespace() {
        match arg {
            "selftest=kernel-fault" => kernel_fault(),
            "selftest=kernel-stack-overflow" => {
                platform::println!("selftest: recursing in the kernel until the stack runs out");
                recurse(0);
            }
            "selftest=hyp-isolation" => hyp_isolation(p),
            "selftest=cpu-on" => cpu_on(p),
            _ => {}
        }
    }
}

/// The guest reads the EL2 layer's memory through its own linear map: the
/// stage-2 view leaves it out, so the layer must report the fault and stop
/// the machine with a failure status. Without the layer there is nothing to
/// test: say so and fail.
fn hyp_isolation(p: &platform::boot::Platform) {
    let Some(h) = p.hyp else {
        platform::println!("selftest: no EL2 layer in this mode; nothing protects anything");
        platform::power::fail();
    };
    let pa = h.region.base + platform::hyp::abi::region::CONFIG;
    let va = platform::layout::phys_to_virt(pa);
    platform::println!(
        "selftest: the guest reads the EL2 layer's memory at PA {pa:#x} (VA {va:#x})"
    );
    // SAFETY: deliberately forbidden: the read must trap to EL2, which stops
    // the machine; the value is never used.
    let v = unsafe { (va as *const u64).read_volatile() };
    platform::println!("selftest: FAILED: read {v:#x} from the EL2 layer's memory");
    platform::power::fail();
}

/// Starts the second core with PSCI CPU_ON (through the EL2 layer when it
/// is there) and waits for it to check in.
fn cpu_on(p: &platform::boot::Platform) {
    match platform::smp::start_secondary_selftest(&p.info) {
        Ok(mpidr) => {
            platform::println!("selftest: cpu {mpidr:#x} started with PSCI CPU_ON and checked in")
        }
        Err(why) => {
            platform::println!("selftest: FAILED: CPU_ON: {why}");
            platform::power::fail();
        }
    }
}

/// Unbounded recursion: the kernel stack must overflow into its guard page,
/// and the report must still come out (from the emergency stack).
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    if core::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    let frame = core::hint::black_box([depth; 64]);
    recurse(depth + 1) + frame[(depth % 64) as usize]
}

/// A write through an address nothing maps: the kernel must report the
/// data abort (ESR decoded, FAR, ELR) and stop with a failure status.
fn kernel_fault() {
    platform::println!("selftest: writing to unmapped address 0xdead0000 from the kernel");
    let p = core::hint::black_box(0xdead_0000usize) as *mut u64;
    // SAFETY: deliberately invalid: this write must fault, and the fault
    // handler never returns here.
    unsafe { p.write_volatile(1) };
}
