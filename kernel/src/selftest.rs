//! Boot-time self-tests chosen on the kernel command line
//! (`selftest=NAME`), for tests that must see the kernel fail correctly.

/// Runs the self-test `bootargs` names, if any.
pub fn run(bootargs: Option<&str>) {
    let Some(args) = bootargs else { return };
    for arg in args.split_ascii_whitespace() {
        if arg == "selftest=kernel-fault" {
            kernel_fault();
        }
    }
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
