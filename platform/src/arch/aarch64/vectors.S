// The EL1 vector table and the switch between the kernel and EL0.
//
// `run_user(ctx)` saves the kernel's callee-saved registers on the kernel
// stack, loads the user context and erets to EL0. Any exception from EL0 lands
// on that same stack (SP_EL1), stores the user registers back into `ctx` and
// returns from `run_user` with the kind of exception: to the kernel, a trap is
// just a function return, and resuming the program is calling `run_user` again.
// Exceptions taken at EL1 save a full frame and call `kernel_trap`.
//
// FP/SIMD registers are not saved: the kernel is built for the soft-float
// target and never touches them (memcpy/memset save what they use), so the
// program's FP/SIMD state simply stays in the registers.

.equ CTX_SP,     248
.equ CTX_PC,     256
.equ CTX_SPSR,   264
.equ CTX_ESR,    272
.equ CTX_FAR,    280

.equ KFRAME_SIZE, 288           // x0..x30, sp, elr, spsr, esr, far (+pad)

.equ TRAP_SYNC,   0
.equ TRAP_IRQ,    1
.equ TRAP_FIQ,    2
.equ TRAP_SERROR, 3

.macro KERNEL_VECTOR kind
    .balign 128
    // A kernel stack overflow faults in the guard page below the stack; the
    // frame must not go there too. SP_EL0 (the program's SP is saved while
    // the kernel runs) and TPIDR_EL1 serve as scratch for the check.
    msr     sp_el0, x0
    msr     tpidr_el1, x1
    mov     x0, sp
    adrp    x1, __boot_stack_bottom
    add     x1, x1, :lo12:__boot_stack_bottom
    add     x1, x1, #KFRAME_SIZE
    cmp     x0, x1
    b.hs    1f
    adrp    x1, __emergency_stack_top
    add     x1, x1, :lo12:__emergency_stack_top
    mov     sp, x1
1:  mrs     x0, sp_el0
    mrs     x1, tpidr_el1
    sub     sp, sp, #KFRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x1, #\kind
    b       kernel_trap_entry
.endm

.macro USER_VECTOR kind
    .balign 128
    stp     x0, x1, [sp, #-16]!
    mov     x1, #\kind
    b       user_trap_entry
.endm

.arch_extension simd
.section .text.vectors, "ax"
.balign 2048
.global kernel_vectors
kernel_vectors:
    KERNEL_VECTOR TRAP_SYNC         // current EL, SP_EL0
    KERNEL_VECTOR TRAP_IRQ
    KERNEL_VECTOR TRAP_FIQ
    KERNEL_VECTOR TRAP_SERROR
    KERNEL_VECTOR TRAP_SYNC         // current EL, SP_EL1
    KERNEL_VECTOR TRAP_IRQ
    KERNEL_VECTOR TRAP_FIQ
    KERNEL_VECTOR TRAP_SERROR
    USER_VECTOR TRAP_SYNC           // lower EL, AArch64
    USER_VECTOR TRAP_IRQ
    USER_VECTOR TRAP_FIQ
    USER_VECTOR TRAP_SERROR
    USER_VECTOR TRAP_SYNC           // lower EL, AArch32 (never enabled)
    USER_VECTOR TRAP_IRQ
    USER_VECTOR TRAP_FIQ
    USER_VECTOR TRAP_SERROR

kernel_trap_entry:
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
    add     x2, sp, #KFRAME_SIZE
    stp     x30, x2, [sp, #240]     // lr, sp before the exception
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x2, x3, [sp, #256]
    mrs     x2, esr_el1
    mrs     x3, far_el1
    stp     x2, x3, [sp, #272]
    mov     x0, sp
    bl      kernel_trap             // (frame, kind); returns to resume
    ldp     x2, x3, [sp, #256]
    msr     elr_el1, x2
    msr     spsr_el1, x3
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
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #KFRAME_SIZE
    eret
    dsb     nsh
    isb

// u64 run_user(UserContext *ctx)
.global run_user
run_user:
    sub     sp, sp, #112
    str     x0, [sp]
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    stp     x29, x30, [sp, #96]
    ldp     x1, x2, [x0, #CTX_SP]
    msr     sp_el0, x1
    msr     elr_el1, x2
    ldr     x1, [x0, #CTX_SPSR]
    msr     spsr_el1, x1
    ldp     x2, x3, [x0, #16]
    ldp     x4, x5, [x0, #32]
    ldp     x6, x7, [x0, #48]
    ldp     x8, x9, [x0, #64]
    ldp     x10, x11, [x0, #80]
    ldp     x12, x13, [x0, #96]
    ldp     x14, x15, [x0, #112]
    ldp     x16, x17, [x0, #128]
    ldp     x18, x19, [x0, #144]
    ldp     x20, x21, [x0, #160]
    ldp     x22, x23, [x0, #176]
    ldp     x24, x25, [x0, #192]
    ldp     x26, x27, [x0, #208]
    ldp     x28, x29, [x0, #224]
    ldr     x30, [x0, #240]
    ldp     x0, x1, [x0, #0]
    eret
    dsb     nsh
    isb

user_trap_entry:
    // [sp] = user x0, x1; [sp + 16] = the frame run_user pushed.
    ldr     x0, [sp, #16]
    stp     x2, x3, [x0, #16]
    stp     x4, x5, [x0, #32]
    stp     x6, x7, [x0, #48]
    stp     x8, x9, [x0, #64]
    stp     x10, x11, [x0, #80]
    stp     x12, x13, [x0, #96]
    stp     x14, x15, [x0, #112]
    stp     x16, x17, [x0, #128]
    stp     x18, x19, [x0, #144]
    stp     x20, x21, [x0, #160]
    stp     x22, x23, [x0, #176]
    stp     x24, x25, [x0, #192]
    stp     x26, x27, [x0, #208]
    stp     x28, x29, [x0, #224]
    str     x30, [x0, #240]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #0]
    mrs     x2, sp_el0
    mrs     x3, elr_el1
    stp     x2, x3, [x0, #CTX_SP]
    mrs     x2, spsr_el1
    mrs     x3, esr_el1
    stp     x2, x3, [x0, #CTX_SPSR]
    mrs     x2, far_el1
    str     x2, [x0, #CTX_FAR]
    mov     x0, x1
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp, #96]
    add     sp, sp, #112
    ret

// void clear_fp_state(void): zeroes every FP/SIMD register, FPCR and FPSR,
// so that a new program starts clean and sees nothing of the previous one.
.global clear_fp_state
clear_fp_state:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    movi    v\n\().2d, #0
    .endr
    msr     fpcr, xzr
    msr     fpsr, xzr
    ret
