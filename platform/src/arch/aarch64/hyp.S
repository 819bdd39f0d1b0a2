// The resident EL2 layer ("hypervisor-lite"). This block of code is copied
// by the kernel into a reserved region of RAM that the guest's stage-2 view
// leaves out, and runs from there with the EL2 MMU off: everything here is
// position-independent and finds its data relative to `hyp_base`.
//
// It handles, for the EL1 guest:
// - HVC 0xc6000000: "is the layer there?" -> x0 = magic, x1 = version,
//   x2/x3 = the reserved region (base, size);
// - SMC (trapped by HCR_EL2.TSC): PSCI calls are forwarded to the firmware,
//   CPU_ON with the entry point replaced by `hyp_secondary_entry`, so that a
//   started core enters EL2 first and gets the same stage-2 view;
// - stage-2 faults (and anything unexpected): a report on the console, then
//   the machine stops with a failure status.
//
// Layout of the region (offsets from hyp_base; see platform/src/hyp.rs):
//   0x00000 code (this file)    0x10000 configuration (HYP_CFG_*)
//   0x11000 per-CPU slots       0x20000 EL2 stacks (16 KiB per CPU)
//   0x40000 stage-2 tables

.equ HYP_CFG,          0x10000
.equ CFG_VTTBR,        0x00
.equ CFG_VTCR,         0x08
.equ CFG_HCR,          0x10
.equ CFG_UART,         0x18
.equ CFG_UART_KIND,    0x20     // 0 none, 1 PL011, 2 mini UART
.equ CFG_SEMIHOSTING,  0x28
.equ CFG_EXIT_BLOCK,   0x30     // two words for semihosting SYS_EXIT
.equ CFG_SIZE,         0x40     // region size (for the HVC query)
.equ HYP_SLOTS,        0x11000  // per CPU: entry, context (16 bytes)
.equ HYP_STACKS,       0x20000
.equ HYP_STACK_SIZE,   0x4000
.equ HYP_MAX_CPUS,     8

.equ HYP_MAGIC,        0x7a6b4c31    // "zkL1"
.equ HYP_VERSION,      1

.section .text.hyp, "ax"
.balign 4096
.global __hyp_blob_start
__hyp_blob_start:
hyp_base:

// ---------------------------------------------------------------- vectors
.balign 2048
.global hyp_vectors
hyp_vectors:
    .rept 8
    b       hyp_unexpected          // exceptions taken at EL2 itself
    .balign 128
    .endr
    b       hyp_sync_lower          // lower EL, AArch64: sync
    .balign 128
    .rept 7
    b       hyp_unexpected          // irq/fiq/serror (routed to EL1), AArch32
    .balign 128
    .endr

// Guest registers x0..x30 are saved on the EL2 stack on entry (frame of
// 256 bytes) and restored on return, x0..x3 possibly updated.
hyp_sync_lower:
    sub     sp, sp, #256
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    mrs     x9, esr_el2
    ubfx    x10, x9, #26, #6        // exception class
    cmp     x10, #0x16
    b.eq    hyp_hvc
    cmp     x10, #0x17
    b.eq    hyp_smc
    cmp     x10, #0x24
    b.eq    hyp_abort
    cmp     x10, #0x20
    b.eq    hyp_abort
    b       hyp_unexpected

hyp_return:
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    add     sp, sp, #256
    eret

// HVC: the layer's own calls (SMCCC vendor-specific hypervisor service).
hyp_hvc:
    ldr     x0, [sp, #0]
    movz    x1, #0xc600, lsl #16
    cmp     x0, x1
    b.ne    1f
    movz    x0, #(HYP_MAGIC & 0xffff)
    movk    x0, #(HYP_MAGIC >> 16), lsl #16
    mov     x1, #HYP_VERSION
    adr     x2, hyp_base
    add     x3, x2, #HYP_CFG
    ldr     x3, [x3, #CFG_SIZE]
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    b       hyp_return
1:  mov     x0, #-1                 // SMCCC NOT_SUPPORTED
    str     x0, [sp, #0]
    b       hyp_return

// SMC trapped by HCR_EL2.TSC: the return address is the SMC itself.
hyp_smc:
    mrs     x9, elr_el2
    add     x9, x9, #4
    msr     elr_el2, x9
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    movz    x9, #0xc400, lsl #16
    movk    x9, #0x0003             // PSCI CPU_ON (SMC64)
    cmp     x0, x9
    b.eq    hyp_cpu_on
    movz    x9, #0x8400, lsl #16
    movk    x9, #0x0003             // PSCI CPU_ON (SMC32)
    cmp     x0, x9
    b.eq    hyp_cpu_on
    smc     #0                      // forward to the firmware
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    b       hyp_return

// CPU_ON(target, entry, context): remember the guest's entry and context in
// the target's slot, start the core at hyp_secondary_entry instead.
hyp_cpu_on:
    and     x10, x1, #0xff          // Aff0 picks the slot
    cmp     x10, #HYP_MAX_CPUS
    b.hs    2f
    adr     x11, hyp_base
    add     x11, x11, #HYP_SLOTS
    add     x11, x11, x10, lsl #4
    stp     x2, x3, [x11]
    dc      civac, x11              // the new core reads it with caches off
    dsb     sy
    adr     x2, hyp_secondary_entry
    mov     x3, x10                 // its context: the slot number
    smc     #0
    str     x0, [sp, #0]
    b       hyp_return
2:  mov     x0, #-2                 // PSCI INVALID_PARAMETERS
    str     x0, [sp, #0]
    b       hyp_return

// A core started through CPU_ON arrives here at EL2 (x0 = slot), is given
// the same EL2 set-up and stage-2 view as the boot core, and enters the
// guest's entry point at EL1 with the guest's context in x0.
hyp_secondary_entry:
    mov     x19, x0
    mov     x9, #0x33ff
    msr     cptr_el2, x9
    msr     hstr_el2, xzr
    mrs     x9, cnthctl_el2
    orr     x9, x9, #3
    msr     cnthctl_el2, x9
    msr     cntvoff_el2, xzr
    mrs     x9, midr_el1
    msr     vpidr_el2, x9
    mrs     x9, mpidr_el1
    msr     vmpidr_el2, x9
    adr     x20, hyp_base
    add     x21, x20, #HYP_CFG
    ldr     x9, [x21, #CFG_VTCR]
    msr     vtcr_el2, x9
    ldr     x9, [x21, #CFG_VTTBR]
    msr     vttbr_el2, x9
    ldr     x9, [x21, #CFG_HCR]
    msr     hcr_el2, x9
    adr     x9, hyp_vectors
    msr     vbar_el2, x9
    add     x9, x20, #HYP_STACKS
    add     x10, x19, #1
    mov     x11, #HYP_STACK_SIZE
    madd    x9, x10, x11, x9        // top of this core's stack
    mov     sp, x9
    isb
    tlbi    vmalls12e1
    dsb     nsh
    isb
    movz    x9, #0x30d0, lsl #16
    movk    x9, #0x0800
    msr     sctlr_el1, x9           // EL1 MMU and caches off
    adr     x0, msg_secondary
    bl      hyp_puts
    mov     x0, x19
    bl      hyp_puthex
    adr     x0, msg_newline
    bl      hyp_puts
    adr     x20, hyp_base
    add     x11, x20, #HYP_SLOTS
    add     x11, x11, x19, lsl #4
    ldp     x9, x0, [x11]           // guest entry, guest context
    msr     elr_el2, x9
    mov     x9, #0x3c5              // EL1h, interrupts masked
    msr     spsr_el2, x9
    eret

// A stage-2 fault (or any abort the layer does not expect).
hyp_abort:
    adr     x0, msg_s2_fault
    bl      hyp_puts
    ubfx    x10, x9, #26, #6
    adr     x0, msg_data
    cmp     x10, #0x24
    b.eq    1f
    adr     x0, msg_instr
1:  bl      hyp_puts
    cmp     x10, #0x24
    b.ne    2f
    adr     x0, msg_read
    tbz     x9, #6, 3f              // ISS.WnR
    adr     x0, msg_write
3:  bl      hyp_puts
2:  and     x11, x9, #0x3c          // DFSC/IFSC type bits
    adr     x0, msg_translation
    cmp     x11, #0x04
    b.eq    4f
    adr     x0, msg_access
    cmp     x11, #0x08
    b.eq    4f
    adr     x0, msg_permission
    cmp     x11, #0x0c
    b.eq    4f
    adr     x0, msg_other
4:  bl      hyp_puts
    adr     x0, msg_va
    bl      hyp_puts
    mrs     x0, far_el2
    bl      hyp_puthex
    adr     x0, msg_ipa
    bl      hyp_puts
    mrs     x0, hpfar_el2
    ubfx    x0, x0, #4, #40         // FIPA = IPA[51:12]
    lsl     x0, x0, #12
    mrs     x1, far_el2
    bfi     x0, x1, #0, #12
    bl      hyp_puthex
    adr     x0, msg_esr
    bl      hyp_puts
    mov     x0, x9
    bl      hyp_puthex
    adr     x0, msg_pc
    bl      hyp_puts
    mrs     x0, elr_el2
    bl      hyp_puthex
    b       hyp_stop

hyp_unexpected:
    adr     x0, msg_unexpected
    bl      hyp_puts
    mrs     x0, esr_el2
    bl      hyp_puthex
    adr     x0, msg_pc
    bl      hyp_puts
    mrs     x0, elr_el2
    bl      hyp_puthex
    b       hyp_stop

// Ends the run with a failure status: semihosting exit(1) when the boot
// arguments asked for it, else PSCI SYSTEM_OFF, else park.
hyp_stop:
    adr     x0, msg_stop
    bl      hyp_puts
    adr     x20, hyp_base
    add     x21, x20, #HYP_CFG
    ldr     x9, [x21, #CFG_SEMIHOSTING]
    cbz     x9, 1f
    movz    x9, #0x0002, lsl #16
    movk    x9, #0x0026             // ADP_Stopped_ApplicationExit
    mov     x10, #1
    add     x1, x21, #CFG_EXIT_BLOCK
    stp     x9, x10, [x1]
    mov     x0, #0x18               // SYS_EXIT
    hlt     #0xf000
1:  movz    x0, #0x8400, lsl #16
    movk    x0, #0x0008             // PSCI SYSTEM_OFF
    smc     #0
2:  wfe
    b       2b

// hyp_puts(x0 = NUL-terminated string). Clobbers x0-x3, x12.
hyp_puts:
    mov     x12, x30
    mov     x3, x0
1:  ldrb    w0, [x3], #1
    cbz     w0, 2f
    bl      hyp_putc
    b       1b
2:  ret     x12

// hyp_puthex(x0): "0x" and 16 hex digits. Clobbers x0-x5, x13.
hyp_puthex:
    mov     x13, x30
    mov     x4, x0
    mov     x0, #'0'
    bl      hyp_putc
    mov     x0, #'x'
    bl      hyp_putc
    mov     x5, #60
1:  lsr     x0, x4, x5
    and     x0, x0, #0xf
    cmp     x0, #10
    add     x1, x0, #'0'
    add     x2, x0, #('a' - 10)
    csel    x0, x1, x2, lo
    bl      hyp_putc
    subs    x5, x5, #4
    b.ge    1b
    ret     x13

// hyp_putc(w0): one byte to the console UART, if the layer has one.
// Clobbers x1, x2.
hyp_putc:
    adr     x1, hyp_base
    add     x1, x1, #HYP_CFG
    ldr     x2, [x1, #CFG_UART_KIND]
    ldr     x1, [x1, #CFG_UART]
    cmp     x2, #1
    b.eq    1f
    cmp     x2, #2
    b.eq    3f
    ret
1:  ldr     w2, [x1, #0x18]         // PL011 FR.TXFF
    tbnz    w2, #5, 1b
    str     w0, [x1]
    ret
3:  ldr     w2, [x1, #0x14]         // mini UART LSR.TX_EMPTY
    tbz     w2, #5, 3b
    str     w0, [x1]
    ret

msg_s2_fault:    .asciz "\r\nHYP: stage-2 fault from the EL1 guest: "
msg_data:        .asciz "data abort"
msg_instr:       .asciz "instruction abort"
msg_read:        .asciz " (read)"
msg_write:       .asciz " (write)"
msg_translation: .asciz ", translation fault (address not mapped for the guest)"
msg_access:      .asciz ", access flag fault"
msg_permission:  .asciz ", permission fault"
msg_other:       .asciz ", other fault"
msg_va:          .asciz "\r\nHYP:   guest VA  "
msg_ipa:         .asciz "\r\nHYP:   IPA       "
msg_esr:         .asciz "\r\nHYP:   ESR_EL2   "
msg_pc:          .asciz "\r\nHYP:   guest PC  "
msg_unexpected:  .asciz "\r\nHYP: unexpected exception at EL2, ESR_EL2 "
msg_stop:        .asciz "\r\nHYP: stopping the machine\r\n"
msg_secondary:   .asciz "HYP: core started by PSCI CPU_ON enters the guest through EL2, slot "
msg_newline:     .asciz "\r\n"

.balign 4096
.global __hyp_blob_end
__hyp_blob_end:
