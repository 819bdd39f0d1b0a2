//! The EL2 program: the entry points and exception vectors (the only
//! assembly), the per-CPU slots, trap dispatch, fault reports, the state
//! query and the failure stop.
//!
//! Every core enters at the image's physical address with the MMU off,
//! turns on the layer's own EL2 translation (the tables the loader built),
//! finds its slot by its full MPIDR affinity and runs Rust on that slot's
//! stack. The boot core returns to the kernel's `HypCall::Launch`; any other
//! core was started or resumed by the firmware on the layer's behalf and
//! enters the guest at the entry the guest asked for, at EL1, under stage 2.

mod console;
mod psci;

use console::hprintln;
use core::arch::{asm, global_asm};
use core::mem::{offset_of, size_of};
use core::sync::atomic::{AtomicU64, Ordering};
use hyp::policy::{self, Call, Conduit};
use hyp_abi::{entry, region, HypCall, HypConfig, ImageHeader, EL2_VA_BASE, MAX_CPUS};

use aarch64_cpu::registers::*;

/// The guest's general registers x0..x30, as the vector stub saves them.
#[repr(C)]
pub struct GuestRegs {
    pub x: [u64; 31],
    _pad: u64,
}

/// SPSR for entering the guest: EL1h, DAIF masked.
const SPSR_EL1H_MASKED: u64 = hyp_abi::el1_entry::SPSR_EL2;
/// SCTLR_EL1 with only its RES1 bits: the guest starts with MMU and caches off.
const SCTLR_EL1_RESET: u64 = hyp_abi::el1_entry::SCTLR_EL1;
/// CPTR_EL2: FP/SIMD and everything else untrapped (RES1 bits set).
const CPTR_EL2_NO_TRAPS: u64 = hyp_abi::el1_entry::CPTR_EL2;

global_asm!(
    r#"
.section .text.hyp_entry, "ax"
.global _hyp_start
_hyp_start:
.org _hyp_start + {e_primary}
    b       1f
.org _hyp_start + {e_secondary}
    b       2f
.org _hyp_start + {h_off} + {h_magic}
    .quad   {h_magic_value}
.org _hyp_start + {h_off} + {h_text}
    .quad   __hyp_text_end
.org _hyp_start + {h_off} + {h_ro}
    .quad   __hyp_rodata_end
.org _hyp_start + {h_off} + {h_end}
    .quad   __hyp_image_end
.org _hyp_start + {h_off} + {h_size}
1:  mov     x1, #1                  // the boot core, from the kernel's boot stub
    b       3f
2:  mov     x1, #0                  // a core the firmware started or resumed
3:  // MMU off, at the physical address the loader put the image at: the
    // configuration is at a fixed offset from here.
    adr     x9, _hyp_start
    ldr     x10, ={config}
    add     x10, x9, x10
    ldr     x11, [x10, #{c_mair}]
    msr     mair_el2, x11
    ldr     x11, [x10, #{c_tcr}]
    msr     tcr_el2, x11
    ldr     x11, [x10, #{c_ttbr}]
    msr     ttbr0_el2, x11
    isb
    tlbi    alle2
    dsb     nsh
    isb
    ldr     x11, [x10, #{c_sctlr}]
    msr     sctlr_el2, x11
    isb
    // MMU and caches on; this page is also identity-mapped. Find the slot
    // whose MPIDR affinity (all four levels) is this core's.
    ldr     x10, ={config_va}
    mrs     x12, mpidr_el1
    ldr     x13, ={aff_mask}
    and     x12, x12, x13
    ldr     x14, [x10, #{c_ncpus}]
    mov     x15, #{max_cpus}
    cmp     x14, x15
    csel    x14, x14, x15, lo
    add     x15, x10, #{c_cpus}
    mov     x16, #0
4:  cmp     x16, x14
    b.hs    6f
    ldr     x17, [x15, x16, lsl #3]
    cmp     x17, x12
    b.eq    5f
    add     x16, x16, #1
    b       4b
5:  ldr     x17, ={stacks_va}
    ldr     x18, ={stride}
    madd    x17, x16, x18, x17
    add     x17, x17, x18           // top of this slot's stack (guard page below it)
    mov     sp, x17
    mov     x0, x16
    ldr     x9, ={rust_entry}
    blr     x9
    // Only the boot core comes back: to the kernel after its HVC, status in x0.
    eret
6:  wfe                             // a core the layer was not told about
    b       6b

.section .text.hyp_vectors, "ax"
.balign 2048
.global hyp_vectors
hyp_vectors:
    .rept 8
    b       7f                      // taken at EL2 itself
    .balign 128
    .endr
    b       8f                      // lower EL, AArch64, synchronous
    .balign 128
    .rept 7
    b       9f                      // IRQ/FIQ/SError (routed to EL1), AArch32
    .balign 128
    .endr

8:  sub     sp, sp, #{frame}
    stp     x0, x1, [sp, #{regs} + 0]
    stp     x2, x3, [sp, #{regs} + 16]
    stp     x4, x5, [sp, #{regs} + 32]
    stp     x6, x7, [sp, #{regs} + 48]
    stp     x8, x9, [sp, #{regs} + 64]
    stp     x10, x11, [sp, #{regs} + 80]
    stp     x12, x13, [sp, #{regs} + 96]
    stp     x14, x15, [sp, #{regs} + 112]
    stp     x16, x17, [sp, #{regs} + 128]
    stp     x18, x19, [sp, #{regs} + 144]
    stp     x20, x21, [sp, #{regs} + 160]
    stp     x22, x23, [sp, #{regs} + 176]
    stp     x24, x25, [sp, #{regs} + 192]
    stp     x26, x27, [sp, #{regs} + 208]
    stp     x28, x29, [sp, #{regs} + 224]
    str     x30, [sp, #{regs} + 240]
    mov     x0, sp
    bl      {guest_sync}
    ldp     x0, x1, [sp, #{regs} + 0]
    ldp     x2, x3, [sp, #{regs} + 16]
    ldp     x4, x5, [sp, #{regs} + 32]
    ldp     x6, x7, [sp, #{regs} + 48]
    ldp     x8, x9, [sp, #{regs} + 64]
    ldp     x10, x11, [sp, #{regs} + 80]
    ldp     x12, x13, [sp, #{regs} + 96]
    ldp     x14, x15, [sp, #{regs} + 112]
    ldp     x16, x17, [sp, #{regs} + 128]
    ldp     x18, x19, [sp, #{regs} + 144]
    ldp     x20, x21, [sp, #{regs} + 160]
    ldp     x22, x23, [sp, #{regs} + 176]
    ldp     x24, x25, [sp, #{regs} + 192]
    ldp     x26, x27, [sp, #{regs} + 208]
    ldp     x28, x29, [sp, #{regs} + 224]
    ldr     x30, [sp, #{regs} + 240]
    add     sp, sp, #{frame}
    eret

7:  mov     x0, #1                  // at EL2: the stack may be what failed
    b       10f
9:  mov     x0, #0
10: ldr     x9, ={emergency}
    add     x9, x9, #{emergency_size}
    mov     sp, x9
    bl      {fatal}

// hyp_enter_guest(entry, context, stack_top) -> !: the guest's entry at EL1h
// with DAIF masked, x0 = context, every other register zero.
.global hyp_enter_guest
hyp_enter_guest:
    mov     sp, x2
    msr     elr_el2, x0
    mov     x9, #{spsr}
    msr     spsr_el2, x9
    mov     x0, x1
    mov     x1, xzr
    mov     x2, xzr
    mov     x3, xzr
    mov     x4, xzr
    mov     x5, xzr
    mov     x6, xzr
    mov     x7, xzr
    mov     x8, xzr
    mov     x9, xzr
    mov     x10, xzr
    mov     x11, xzr
    mov     x12, xzr
    mov     x13, xzr
    mov     x14, xzr
    mov     x15, xzr
    mov     x16, xzr
    mov     x17, xzr
    mov     x18, xzr
    mov     x19, xzr
    mov     x20, xzr
    mov     x21, xzr
    mov     x22, xzr
    mov     x23, xzr
    mov     x24, xzr
    mov     x25, xzr
    mov     x26, xzr
    mov     x27, xzr
    mov     x28, xzr
    mov     x29, xzr
    mov     x30, xzr
    eret
"#,
    e_primary = const entry::PRIMARY,
    e_secondary = const entry::SECONDARY,
    h_off = const ImageHeader::OFFSET,
    h_magic = const offset_of!(ImageHeader, magic),
    h_magic_value = const ImageHeader::MAGIC,
    h_text = const offset_of!(ImageHeader, text_end),
    h_ro = const offset_of!(ImageHeader, rodata_end),
    h_end = const offset_of!(ImageHeader, image_end),
    h_size = const size_of::<ImageHeader>(),
    config = const region::CONFIG,
    config_va = const EL2_VA_BASE + region::CONFIG,
    c_mair = const offset_of!(HypConfig, mair_el2),
    c_tcr = const offset_of!(HypConfig, tcr_el2),
    c_ttbr = const offset_of!(HypConfig, ttbr0_el2),
    c_sctlr = const offset_of!(HypConfig, sctlr_el2),
    c_ncpus = const offset_of!(HypConfig, n_cpus),
    c_cpus = const offset_of!(HypConfig, cpus),
    aff_mask = const hyp_abi::MPIDR_AFFINITY_MASK,
    max_cpus = const MAX_CPUS,
    stacks_va = const EL2_VA_BASE + region::STACKS,
    stride = const region::STACK_STRIDE,
    rust_entry = sym hyp_rust_entry,
    frame = const size_of::<GuestRegs>(),
    regs = const offset_of!(GuestRegs, x),
    guest_sync = sym hyp_guest_sync,
    emergency = sym EMERGENCY_STACK,
    emergency_size = const EMERGENCY_STACK_SIZE,
    fatal = sym hyp_fatal,
    spsr = const SPSR_EL1H_MASKED,
);

unsafe extern "C" {
    static hyp_vectors: u8;
    fn hyp_enter_guest(entry: u64, context: u64, stack_top: u64) -> !;
}

/// A stack for the fatal path only (shared: whoever gets there stops the
/// machine).
const EMERGENCY_STACK_SIZE: usize = 4096;
#[repr(C, align(16))]
struct EmergencyStack([u8; EMERGENCY_STACK_SIZE]);
static mut EMERGENCY_STACK: EmergencyStack = EmergencyStack([0; EMERGENCY_STACK_SIZE]);

/// The configuration the loader wrote (mapped read-only).
pub fn cfg() -> &'static HypConfig {
    // SAFETY: the loader wrote a HypConfig at region::CONFIG, mapped at this
    // address for the layer's lifetime; nothing writes it afterwards.
    unsafe { &*((EL2_VA_BASE + region::CONFIG) as *const HypConfig) }
}

/// Where the firmware is told to start or resume a core: the image's
/// secondary entry, physically.
fn secondary_entry_pa() -> u64 {
    cfg().region_base + region::IMAGE + entry::SECONDARY
}

fn stack_top(slot: usize) -> u64 {
    EL2_VA_BASE + region::STACKS + (slot as u64 + 1) * region::STACK_STRIDE
}

/// Calls refused (not on the allow-list), calls rejected (on the list, with
/// arguments that fail its checks), calls passed to the firmware.
static REFUSED: AtomicU64 = AtomicU64::new(0);
static REJECTED: AtomicU64 = AtomicU64::new(0);
static FORWARDED: AtomicU64 = AtomicU64::new(0);
/// Refusals printed in full before the layer only counts them.
const REFUSALS_PRINTED: u64 = 8;

/// The per-core EL2 set-up every core needs before it runs the guest.
/// On a GICv3 CPU interface, lets EL1 use its `ICC_*` system registers
/// (`ICC_SRE_EL2.Enable` and `.SRE`), on every core the layer starts, as
/// the kernel's entry does on the boot core.
fn enable_el1_gic_system_registers() {
    use hyp_abi::el1_entry::{ICC_SRE_EL2_ENABLE, ICC_SRE_SRE, PFR0_GIC_BITS, PFR0_GIC_SHIFT};
    let gic = (ID_AA64PFR0_EL1.get() >> PFR0_GIC_SHIFT) & ((1 << PFR0_GIC_BITS) - 1);
    if gic == 0 {
        return;
    }
    // SAFETY: ID_AA64PFR0_EL1.GIC says the register exists; the bits only
    // open the GIC's system-register interface to EL1.
    unsafe {
        asm!(
            "mrs {t}, icc_sre_el2",
            "orr {t}, {t}, {bits}",
            "msr icc_sre_el2, {t}",
            "isb",
            t = out(reg) _,
            bits = in(reg) ICC_SRE_EL2_ENABLE | ICC_SRE_SRE,
            options(nostack, preserves_flags)
        )
    };
}

fn install_guest_view(c: &HypConfig) {
    CPTR_EL2.set(CPTR_EL2_NO_TRAPS);
    CNTHCTL_EL2.set(CNTHCTL_EL2.get() | 0b11); // EL1PCTEN | EL1PCEN
    CNTVOFF_EL2.set(0);
    VMPIDR_EL2.set(MPIDR_EL1.get());
    // SAFETY: VPIDR_EL2 and HSTR_EL2 only shape what the guest sees and traps.
    unsafe {
        asm!(
            "mrs {t}, midr_el1",
            "msr vpidr_el2, {t}",
            "msr hstr_el2, xzr",
            t = out(reg) _,
            options(nostack, preserves_flags)
        )
    };
    enable_el1_gic_system_registers();
    VTCR_EL2.set(c.vtcr_el2);
    VTTBR_EL2.set(c.vttbr_el2);
    HCR_EL2.set(c.hcr_el2);
    VBAR_EL2.set(&raw const hyp_vectors as u64);
    // SAFETY: TLB maintenance after the new stage-2 root; no memory changes.
    unsafe {
        asm!(
            "isb",
            "tlbi vmalls12e1is",
            "dsb ish",
            "isb",
            options(nostack, preserves_flags)
        )
    };
}

/// Every core's first Rust, on its own stack. The boot core returns the
/// launch status; the others never return.
extern "C" fn hyp_rust_entry(slot: usize, primary: u64) -> u64 {
    let c = cfg();
    if primary != 0 {
        if c.magic != hyp_abi::MAGIC {
            return status_word(hyp_abi::status::INVALID_PARAMETERS);
        }
        psci::discover();
        psci::slot(slot).mark_on();
        install_guest_view(c);
        hprintln!(
            "HYP: EL2 layer v{} in Rust at PA {:#x}, linked at {:#x}, EL2 MMU and caches on; \
             boot core {:#x} in slot {}; {}",
            hyp_abi::VERSION,
            c.region_base,
            EL2_VA_BASE,
            MPIDR_EL1.get() & hyp_abi::MPIDR_AFFINITY_MASK,
            slot,
            psci::describe()
        );
        psci::report_held(c.held);
        return 0;
    }
    let (entry, ctx, how) = match psci::slot(slot).arrive() {
        Some((entry, ctx)) => (entry, ctx, "entered EL2 from the firmware"),
        None if c.psci.present == 0 => {
            // Quietly: the boot core reports the held cores (the guest may be
            // printing on the same UART right now).
            let (entry, ctx) = psci::hold(slot);
            (entry, ctx, "started by the guest from the layer's hold")
        }
        None => {
            hprintln!("HYP: core in slot {slot} arrived with nothing to run: powering it off");
            psci::power_off_this_core();
        }
    };
    run_guest(slot, entry, ctx, how)
}

/// Gives this core the guest's EL2 set-up and stage 2, then enters the
/// guest at `entry` (EL1, MMU off, x0 = `ctx`) on a fresh EL2 stack.
pub fn run_guest(slot: usize, entry: u64, ctx: u64, how: &str) -> ! {
    install_guest_view(cfg());
    // SCTLR_EL1 as at reset: the guest entry runs with its MMU off.
    SCTLR_EL1.set(SCTLR_EL1_RESET);
    hprintln!(
        "HYP: core {:#x} (slot {slot}) {how}; stage 2 on, to the guest at EL1 entry {entry:#x}",
        MPIDR_EL1.get() & hyp_abi::MPIDR_AFFINITY_MASK
    );
    // SAFETY: entry was checked against guest RAM when the guest asked for
    // it; the stack top is this slot's.
    unsafe { hyp_enter_guest(entry, ctx, stack_top(slot)) }
}

const fn status_word(s: i64) -> u64 {
    s as u64
}

/// A synchronous exception from the guest.
extern "C" fn hyp_guest_sync(regs: &mut GuestRegs) {
    let esr = ESR_EL2.get();
    let ec = (esr >> 26) & 0x3f;
    let imm = esr & 0xffff;
    match ec {
        0x16 => call(regs, Conduit::Hvc, imm),
        0x17 => {
            // A trapped SMC returns to the SMC itself.
            ELR_EL2.set(ELR_EL2.get() + 4);
            call(regs, Conduit::Smc, imm)
        }
        0x20 | 0x24 => {
            report_abort(esr);
            stop()
        }
        _ => {
            hprintln!(
                "\nHYP: unexpected exception from the guest, ESR_EL2 {:#018x}\nHYP:   guest PC  {:#018x}",
                esr,
                ELR_EL2.get()
            );
            stop()
        }
    }
}

/// A guest SMC or HVC: decoded, then answered by the allow-list.
fn call(regs: &mut GuestRegs, conduit: Conduit, imm: u64) {
    let c = cfg();
    let decoded = if imm != 0 {
        Call::Refused
    } else {
        policy::decode(regs.x[0], conduit, &c.psci)
    };
    let result = match decoded {
        Call::Refused => {
            refuse(regs, conduit, imm);
            hyp_abi::status::NOT_SUPPORTED
        }
        Call::Hyp(HypCall::Query) => {
            regs.x[1] = hyp_abi::VERSION;
            regs.x[2] = c.region_base;
            regs.x[3] = c.region_size;
            hyp_abi::MAGIC as i64
        }
        Call::Hyp(HypCall::State) => {
            regs.x[1] = digest();
            regs.x[2] = REFUSED.load(Ordering::Relaxed);
            regs.x[3] = REJECTED.load(Ordering::Relaxed);
            regs.x[4] = FORWARDED.load(Ordering::Relaxed);
            hyp_abi::status::SUCCESS
        }
        Call::Hyp(HypCall::Launch) => hyp_abi::status::NOT_SUPPORTED,
        Call::SmcccVersion => 0x1_0001,
        Call::SmcccArchFeatures => match regs.x[1] as u32 {
            0x8000_0000 | 0x8000_0001 => hyp_abi::status::SUCCESS,
            _ => hyp_abi::status::NOT_SUPPORTED,
        },
        Call::Psci(f, width) => match psci::handle(f, width, regs) {
            psci::Outcome::Return(r) => r,
            psci::Outcome::Resumed => return,
        },
    };
    regs.x[0] = result as u64;
}

fn refuse(regs: &GuestRegs, conduit: Conduit, imm: u64) {
    let n = REFUSED.fetch_add(1, Ordering::Relaxed);
    if n < REFUSALS_PRINTED {
        hprintln!(
            "HYP: refused {:?} #{imm:#x} function {:#010x} from the guest at {:#x}: not on the allow-list{}",
            conduit,
            regs.x[0] as u32,
            ELR_EL2.get(),
            if n + 1 == REFUSALS_PRINTED {
                " (further refusals are counted, not printed)"
            } else {
                ""
            }
        );
    }
}

/// Counts a call on the list the layer refuses for its arguments, and
/// returns the status it gets.
fn note_rejected(status: i64) -> i64 {
    REJECTED.fetch_add(1, Ordering::Relaxed);
    status
}

/// Counts a call the layer passes to the firmware.
fn note_forwarded() {
    FORWARDED.fetch_add(1, Ordering::Relaxed);
}

/// 64-bit FNV-1a over the configuration, the layer's code and read-only
/// data, every table page in use, and this core's live EL2 registers: what
/// a guest must not be able to change.
fn digest() -> u64 {
    const PRIME: u64 = 0x100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(PRIME);
        }
    };
    let c = cfg();
    // SAFETY: each range is mapped readable at EL2 for the layer's lifetime
    // (configuration, text + rodata, tables) and never written after launch.
    unsafe {
        feed(core::slice::from_raw_parts(
            (c as *const HypConfig).cast::<u8>(),
            size_of::<HypConfig>(),
        ));
        feed(core::slice::from_raw_parts(
            EL2_VA_BASE as *const u8,
            (rodata_end() - EL2_VA_BASE) as usize,
        ));
        let tables = EL2_VA_BASE + region::TABLES;
        feed(core::slice::from_raw_parts(
            tables as *const u8,
            (c.tables_end.saturating_sub(region::TABLES)) as usize,
        ));
    }
    for r in [
        VTTBR_EL2.get(),
        VTCR_EL2.get(),
        HCR_EL2.get(),
        VBAR_EL2.get(),
        SCTLR_EL2.get(),
        TCR_EL2.get(),
        TTBR0_EL2.get(),
        MAIR_EL2.get(),
    ] {
        feed(&r.to_le_bytes());
    }
    h
}

fn rodata_end() -> u64 {
    // SAFETY: reads the header this image carries at ImageHeader::OFFSET.
    unsafe { ((EL2_VA_BASE + ImageHeader::OFFSET) as *const ImageHeader).read() }.rodata_end
}

/// A stage-2 fault (or other abort from the guest), reported as it was by
/// the assembly layer.
fn report_abort(esr: u64) {
    let ec = (esr >> 26) & 0x3f;
    let data = ec == 0x24;
    let fsc = esr & 0x3c;
    let kind = match fsc {
        0x04 => ", translation fault (address not mapped for the guest)",
        0x08 => ", access flag fault",
        0x0c => ", permission fault",
        _ => ", other fault",
    };
    let far = FAR_EL2.get();
    let ipa = ((HPFAR_EL2.get() >> 4) & ((1 << 40) - 1)) << 12 | (far & 0xfff);
    hprintln!(
        "\nHYP: stage-2 fault from the EL1 guest: {}{}{}\nHYP:   guest VA  {:#018x}\n\
         HYP:   IPA       {:#018x}\nHYP:   ESR_EL2   {:#018x}\nHYP:   guest PC  {:#018x}",
        if data {
            "data abort"
        } else {
            "instruction abort"
        },
        match (data, esr & (1 << 6) != 0) {
            (false, _) => "",
            (true, true) => " (write)",
            (true, false) => " (read)",
        },
        kind,
        far,
        ipa,
        esr,
        ELR_EL2.get()
    );
}

/// An exception the layer cannot handle (kind 1: taken at EL2 itself).
extern "C" fn hyp_fatal(kind: u64) -> ! {
    console::break_lock();
    hprintln!(
        "\nHYP: unexpected exception {}, ESR_EL2 {:#018x}\nHYP:   PC        {:#018x}",
        if kind == 1 {
            "at EL2"
        } else {
            "from the guest (not synchronous AArch64)"
        },
        ESR_EL2.get(),
        ELR_EL2.get()
    );
    stop()
}

/// Two words for semihosting SYS_EXIT: reason, status.
static EXIT_BLOCK: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x2_0026;
const SYS_EXIT: u64 = 0x18;

/// Ends the run with a failure status: semihosting exit(1) when the boot
/// arguments asked for it, else PSCI SYSTEM_OFF, else park.
pub fn stop() -> ! {
    hprintln!("\nHYP: stopping the machine");
    let c = cfg();
    if c.semihosting != 0 {
        EXIT_BLOCK[0].store(ADP_STOPPED_APPLICATION_EXIT, Ordering::SeqCst);
        EXIT_BLOCK[1].store(1, Ordering::SeqCst);
        // SAFETY: semihosting SYS_EXIT with a valid parameter block; QEMU
        // exits and never returns here.
        unsafe {
            asm!("hlt #0xf000", in("x0") SYS_EXIT, in("x1") EXIT_BLOCK.as_ptr(), options(nostack))
        };
    }
    psci::system_off();
    loop {
        aarch64_cpu::asm::wfe();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    console::break_lock();
    hprintln!("\nHYP: panic: {info}");
    stop()
}
