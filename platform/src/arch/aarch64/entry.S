// The first instructions: the arm64 image header, leaving EL2 for EL1, turning
// on FP/SIMD, clearing .bss, building the boot translation tables and enabling
// the MMU, then calling `kernel_entry(dtb_pa, kimage_offset, entry_el)` in the
// upper half. Nothing here knows a board address: the load address comes from
// `adr`, the device tree from x0.

// Translation-table descriptor bits (VMSAv8-64, 4 KiB granule).
.equ DESC_TABLE,     0x3
.equ DESC_BLOCK,     0x1
.equ DESC_PAGE,      0x3
.equ ATTR_NORMAL,    (1 << 2)        // MAIR index 1: normal write-back
.equ SH_INNER,       (3 << 8)
.equ AF,             (1 << 10)
.equ PXN,            (1 << 53)
.equ UXN,            (1 << 54)
.equ BOOT_BLOCK,     (DESC_BLOCK | ATTR_NORMAL | SH_INNER | AF | UXN)
.equ BOOT_PAGE,      (DESC_PAGE | ATTR_NORMAL | SH_INNER | AF | UXN)

// MAIR: index 0 Device-nGnRE, index 1 Normal WB RA/WA, index 2 Normal non-cacheable.
.equ MAIR_VALUE,     0x44ff04

// TCR_EL1: 48-bit VA in both halves, 4 KiB granule, inner-shareable WB walks,
// 16-bit ASIDs; IPS is filled in from ID_AA64MMFR0_EL1.PARange.
.equ TCR_VALUE,      (16 | (1 << 8) | (1 << 10) | (3 << 12) | (16 << 16) | (1 << 24) | (1 << 26) | (3 << 28) | (2 << 30) | (1 << 36))

// SCTLR_EL1: RES1 bits, MMU, D- and I-cache, SP alignment checks at EL1 and EL0,
// EL0 may use DC ZVA, read CTR_EL0, execute WFI/WFE, and clean or invalidate
// caches by address (UCI: DC CVAU/CVAC/CIVAC, IC IVAU), as Zircon lets EL0 do
// for JITs and DMA buffers. No WXN: EL0 may have writable and executable
// pages, as in Zircon (the kernel's own tables are W^X by construction).
.equ SCTLR_RES1,     {sctlr_el1_reset}   // hyp_abi::el1_entry::SCTLR_EL1
.equ SCTLR_VALUE,    (SCTLR_RES1 | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 12) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 18) | (1 << 26))

// The arm64 Linux image header (Documentation/arch/arm64/booting.rst).
// Turns the MMU on: TTBR0 = the boot identity map of the image's gigabyte
// (for the instant it turns on), TTBR1 = \ttbr1. Clobbers x9 and x10.
.macro MMU_ON ttbr1
    ldr     x9, =MAIR_VALUE
    msr     mair_el1, x9
    ldr     x9, =TCR_VALUE
    mrs     x10, id_aa64mmfr0_el1
    and     x10, x10, #7            // PARange
    bfi     x9, x10, #32, #3        // TCR_EL1.IPS
    msr     tcr_el1, x9
    adrp    x9, boot_ttbr0_l0
    msr     ttbr0_el1, x9
    msr     ttbr1_el1, \ttbr1
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x9, =SCTLR_VALUE
    msr     sctlr_el1, x9
    isb
.endm

.section .text.head, "ax"
.global _start
_start:
    b       primary_entry           // code0
    .long   0                       // code1
    .quad   0x80000                 // text_offset
    .quad   __image_size            // image_size, .bss included
    .quad   0x2                     // flags: little-endian, 4 KiB pages
    .quad   0                       // res2
    .quad   0                       // res3
    .quad   0                       // res4
    .ascii  "ARM\x64"               // magic
    .long   0                       // res5

.section .text.boot, "ax"
primary_entry:
    mov     x19, x0                 // x19 = DTB physical address

    // Only the boot core runs on: QEMU keeps other cores powered off or in the
    // firmware's spin table, but an unexpected one must not run wild.
    mrs     x9, mpidr_el1
    and     x9, x9, #0xffffff
    cbnz    x9, park

    mrs     x20, CurrentEL
    ubfx    x20, x20, #2, #2        // x20 = exception level at entry
    cmp     x20, #2
    b.ne    el1_entry

    // Entered at EL2: let EL1 run AArch64 with FP, counters and timers, then drop to it.
    mov     x9, #{cptr_el2}         // CPTR_EL2: no FP/SIMD trap
    msr     cptr_el2, x9
    msr     hstr_el2, xzr
    // A GICv3 CPU interface (ID_AA64PFR0_EL1.GIC nonzero): EL1 may use its
    // ICC_* system registers (ICC_SRE_EL2.Enable, .SRE). Without one the
    // register does not exist. Numbers from platform/src/drivers/gicv3.rs.
    mrs     x9, id_aa64pfr0_el1
    ubfx    x9, x9, #{PFR0_GIC_SHIFT}, #{PFR0_GIC_BITS}
    cbz     x9, 5f
    mrs     x9, icc_sre_el2
    orr     x9, x9, #{ICC_SRE_EL2_ENABLE}
    orr     x9, x9, #{ICC_SRE_SRE}
    msr     icc_sre_el2, x9
    isb
5:  mov     x9, #{hcr_el2_rw}       // HCR_EL2.RW: EL1 is AArch64
    msr     hcr_el2, x9
    mrs     x9, cnthctl_el2
    orr     x9, x9, #3              // EL1PCTEN | EL1PCEN
    msr     cnthctl_el2, x9
    msr     cntvoff_el2, xzr
    mrs     x9, midr_el1
    msr     vpidr_el2, x9
    mrs     x9, mpidr_el1
    msr     vmpidr_el2, x9
    adr     x9, el2_vectors
    msr     vbar_el2, x9
    ldr     x9, =SCTLR_RES1
    msr     sctlr_el1, x9
    mov     x9, #{spsr_el1h}        // EL1h, DAIF masked
    msr     spsr_el2, x9
    adr     x9, el1_entry
    msr     elr_el2, x9
    eret

el1_entry:
    mov     x9, #(3 << 20)          // CPACR_EL1.FPEN: Rust emits NEON
    msr     cpacr_el1, x9
    isb

    adrp    x9, __bss_start
    add     x9, x9, :lo12:__bss_start
    adrp    x10, __bss_end
    add     x10, x10, :lo12:__bss_end
1:  stp     xzr, xzr, [x9], #16
    cmp     x9, x10
    b.lo    1b

    adrp    x21, __image_start      // x21 = image physical start
    ldr     x22, =__image_start
    sub     x22, x22, x21           // x22 = kimage offset (VA - PA)

    // TTBR0: identity-map the 1 GiB around the image, for the instant the MMU turns on.
    adrp    x0, boot_ttbr0_l0
    adrp    x1, boot_ttbr0_l1
    mov     x2, x21
    bl      map_gib

    // TTBR1: the linear map (VA = 0xffff000000000000 + PA) of the 2 GiB from the
    // DTB's gigabyte, so that Rust can read the tree before building the real map.
    adrp    x0, boot_ttbr1_l0
    adrp    x1, boot_ttbr1_l1_linear
    mov     x2, x19
    bl      map_gib
    mov     x2, #(1 << 30)
    add     x2, x2, x19
    bl      map_gib

    // TTBR1: the image at its link address, 4 KiB pages, through L0[511]/L1/L2/L3.
    ldr     x3, =__image_start      // VA
    ubfx    x4, x3, #39, #9
    adrp    x0, boot_ttbr1_l0
    adrp    x5, boot_ttbr1_l1_kimage
    orr     x6, x5, #DESC_TABLE
    str     x6, [x0, x4, lsl #3]
    ubfx    x4, x3, #30, #9
    adrp    x6, boot_ttbr1_l2_kimage
    orr     x7, x6, #DESC_TABLE
    str     x7, [x5, x4, lsl #3]
    ubfx    x4, x3, #21, #9         // first L2 slot; four L3 tables cover 8 MiB
    adrp    x7, boot_ttbr1_l3_kimage
    mov     x8, #4
2:  orr     x9, x7, #DESC_TABLE
    str     x9, [x6, x4, lsl #3]
    add     x4, x4, #1
    add     x7, x7, #4096
    subs    x8, x8, #1
    b.ne    2b
    adrp    x7, boot_ttbr1_l3_kimage
    ubfx    x4, x3, #12, #9         // page index of the image start in the L3 run
    ldr     x10, =__image_end
    sub     x10, x10, x3            // image size
    mov     x11, x21                // PA
    ldr     x12, =BOOT_PAGE
3:  orr     x9, x11, x12
    str     x9, [x7, x4, lsl #3]
    add     x4, x4, #1
    add     x11, x11, #4096
    subs    x10, x10, #4096
    b.hi    3b

    // .bss and the tables were written with the MMU and the data cache off,
    // straight to memory. Drop any cache line still held for them (left by a
    // boot loader that ran with caches on: the walker or a later eviction
    // would see its stale data), and any stale instructions. QEMU models no
    // caches; a real Pi 4 starts the kernel with clean, cold caches, but the
    // boot protocol only promises the image itself is clean.
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
    mrs     x2, ctr_el0
    ubfx    x2, x2, #16, #4         // CTR_EL0.DminLine: log2 of the line in words
    mov     x3, #4
    lsl     x2, x3, x2              // x2 = smallest data cache line, in bytes
    sub     x3, x2, #1
    bic     x0, x0, x3
4:  dc      ivac, x0
    add     x0, x0, x2
    cmp     x0, x1
    b.lo    4b
    dsb     sy
    ic      iallu
    dsb     nsh
    isb

    adrp    x11, boot_ttbr1_l0
    MMU_ON  x11
    ldr     x9, =high_entry
    br      x9

high_entry:
    ldr     x9, =__boot_stack_top
    mov     sp, x9
    ldr     x9, =kernel_vectors
    msr     vbar_el1, x9
    isb
    mov     x0, x19
    mov     x1, x22
    mov     x2, x20
    // A zero frame pointer and link register end every backtrace here
    // instead of in whatever the firmware left in them ("corrupt stack?").
    mov     x29, xzr
    mov     x30, xzr
    bl      kernel_entry
park:
    wfe
    b       park

// map_gib(x0 = L0 table PA, x1 = L1 table PA, x2 = address): maps the 1 GiB
// block containing x2 at VA (x2 rounded down) in the half the tables serve.
map_gib:
    ubfx    x3, x2, #39, #9
    orr     x4, x1, #DESC_TABLE
    str     x4, [x0, x3, lsl #3]
    ubfx    x3, x2, #30, #9
    lsr     x4, x2, #30
    lsl     x4, x4, #30
    ldr     x5, =BOOT_BLOCK
    orr     x4, x4, x5
    str     x4, [x1, x3, lsl #3]
    ret

// EL2 vectors until the kernel launches the resident layer (platform/src/hyp.rs):
// one call, HVC HypCall::Launch with x1 = the layer's region, jumps into the
// layer's image at its primary entry (MMU off, ELR_EL2/SPSR_EL2 still holding
// the way back to the kernel's HVC); the layer returns there itself. Anything
// else taken to EL2 parks the core (nothing traps to EL2 before that:
// HCR_EL2 has only RW).
.balign 2048
el2_vectors:
    .rept 8
    b       park
    .balign 128
    .endr
    b       el2_launch              // lower EL, AArch64, sync
    .balign 128
    .rept 7
    b       park
    .balign 128
    .endr

el2_launch:
    ldr     w9, ={hyp_launch}
    cmp     w0, w9
    b.ne    1f
    add     x9, x1, #{hyp_entry_primary}
    br      x9
1:  mov     x0, #-1
    eret

// A secondary core started by the kernel's CPU_ON self-test: it arrives at
// EL1 with the MMU off and x0 = the physical address of a flag, sets it,
// and parks.
.global secondary_entry_el1
secondary_entry_el1:
    mov     x9, #(3 << 20)
    msr     cpacr_el1, x9
    isb
    mov     x9, #1
    str     x9, [x0]
    dc      civac, x0
    dsb     sy
    sev
1:  wfe
    b       1b

// A secondary core brought into the kernel: it arrives at EL1 (PSCI CPU_ON,
// through the EL2 layer when there is one) with the MMU off, interrupts
// masked and x0 = the physical address of its boot record (smp.rs:
// `SecondaryBoot`, offsets from Rust), which lies in the image's gigabyte
// and so stays reachable through the identity map once the MMU is on.
.global secondary_entry
secondary_entry:
    mov     x19, x0
    mov     x9, #(3 << 20)          // CPACR_EL1.FPEN: Rust emits NEON
    msr     cpacr_el1, x9
    isb
    ldr     x11, [x19, #{boot_ttbr1}]
    MMU_ON  x11
    ldr     x9, =secondary_high
    br      x9
secondary_high:
    ldr     x9, [x19, #{boot_stack_top}]
    mov     sp, x9
    ldr     x9, =kernel_vectors
    msr     vbar_el1, x9
    isb
    ldr     x0, [x19, #{boot_cpu}]
    ldr     x9, [x19, #{boot_main}]
    mov     x29, xzr                // backtraces end here
    mov     x30, xzr
    blr     x9
    brk     #0x4                    // the main function must not return

.section .bss.boot_tables, "aw", @nobits
.balign 4096
boot_ttbr0_l0:          .space 4096
boot_ttbr0_l1:          .space 4096
boot_ttbr1_l0:          .space 4096
boot_ttbr1_l1_linear:   .space 4096
boot_ttbr1_l1_kimage:   .space 4096
boot_ttbr1_l2_kimage:   .space 4096
boot_ttbr1_l3_kimage:   .space 4 * 4096
