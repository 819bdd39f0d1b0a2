// The EL1 vector table, the switch between the kernel and EL0, and the
// switch between kernel stacks.
//
// Every number here comes from Rust as a `const` operand of `global_asm!`
// (see trap.rs): the UserContext, KernelFrame, KernelContext and CpuLocal
// offsets, the frame sizes and the trap kinds.
//
// `run_user(ctx, entry)` saves the kernel's callee-saved registers on the
// current kernel stack (the running thread's own), loads the user context
// and erets to EL0. Any exception from EL0 lands on that same stack
// (SP_EL1) and stores the user registers back into `ctx`. A system call is
// then run right there, below run_user's frame, through the entry's table
// (as Zircon's arm64 vectors do), and any other synchronous exception by
// the entry's `on_sync(ctx, arg)`; the program resumes from their return:
// the hot paths (system calls, page faults) restore no kernel registers. Anything else
// (an interrupt, or a handler that says leave) returns from `run_user` with
// the kind of exception: to the kernel, a trap is just a function return,
// and resuming the program is calling `run_user` again.
// Exceptions taken at EL1 save a full frame and call `kernel_trap`.
//
// FP/SIMD registers are not saved: the kernel is built for the soft-float
// target and never touches them (memcpy/memset save what they use), so the
// program's FP/SIMD state simply stays in the registers.

// stp/ldp of x2..x17 and of x19..x29 (x[n] at n * 8, the UserContext's and
// the kernel frame's layout: x0/x1 at 0, x30 at 240; checked in trap.rs):
// the registers a call clobbers and those it keeps, which the system-call
// path treats apart.
.macro CTX_X2_X17 op, base
    \op     x2, x3, [\base, #16]
    \op     x4, x5, [\base, #32]
    \op     x6, x7, [\base, #48]
    \op     x8, x9, [\base, #64]
    \op     x10, x11, [\base, #80]
    \op     x12, x13, [\base, #96]
    \op     x14, x15, [\base, #112]
    \op     x16, x17, [\base, #128]
.endm
.macro CTX_X19_X29 op, op1, base
    \op     x19, x20, [\base, #152]
    \op     x21, x22, [\base, #168]
    \op     x23, x24, [\base, #184]
    \op     x25, x26, [\base, #200]
    \op     x27, x28, [\base, #216]
    \op1    x29, [\base, #232]
.endm
// x2..x29 of the kernel frame, in pairs.
.macro REGS_X2_X29 op, base
    CTX_X2_X17 \op, \base
    \op     x18, x19, [\base, #144]
    \op     x20, x21, [\base, #160]
    \op     x22, x23, [\base, #176]
    \op     x24, x25, [\base, #192]
    \op     x26, x27, [\base, #208]
    \op     x28, x29, [\base, #224]
.endm

// stp/ldp of the AAPCS64 callee-saved x19..x30 at [base, #off ..]: what
// run_user keeps of the kernel while EL0 runs, and what switch_context
// saves of a kernel stack (both twelve registers in a row; trap.rs checks).
.macro CALLEE_X19_X30 op, base, off
    \op     x19, x20, [\base, #\off]
    \op     x21, x22, [\base, #\off + 16]
    \op     x23, x24, [\base, #\off + 32]
    \op     x25, x26, [\base, #\off + 48]
    \op     x27, x28, [\base, #\off + 64]
    \op     x29, x30, [\base, #\off + 80]
.endm

.macro KERNEL_VECTOR kind
    .balign 128
    // A kernel stack overflow faults in the guard page below the stack; the
    // frame must not go there too. SP_EL0 (the program's SP is saved while
    // the kernel runs) is the one scratch register; the limit of the current
    // kernel stack and the emergency stack come from the per-CPU block.
    msr     sp_el0, x0
    mrs     x0, tpidr_el1
    ldr     x0, [x0, #{PERCPU_STACK_LIMIT}]
    cmp     sp, x0
    b.hs    1f
    mrs     x0, tpidr_el1
    ldr     x0, [x0, #{PERCPU_EMERGENCY_TOP}]
    mov     sp, x0
1:  mrs     x0, sp_el0
    sub     sp, sp, #{KFRAME_SIZE}
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
// A synchronous exception needs no kind: its handlers return the one to
// leave with.
.macro USER_SYNC_VECTOR
    .balign 128
    stp     x0, x1, [sp, #-16]!
    b       user_sync_entry
.endm

.arch_extension simd
.section .text.vectors, "ax"
.balign 2048
.global kernel_vectors
kernel_vectors:
    KERNEL_VECTOR {TRAP_SYNC}       // current EL, SP_EL0
    KERNEL_VECTOR {TRAP_IRQ}
    KERNEL_VECTOR {TRAP_FIQ}
    KERNEL_VECTOR {TRAP_SERROR}
    KERNEL_VECTOR {TRAP_SYNC}       // current EL, SP_EL1
    KERNEL_VECTOR {TRAP_IRQ}
    KERNEL_VECTOR {TRAP_FIQ}
    KERNEL_VECTOR {TRAP_SERROR}
    USER_SYNC_VECTOR                // lower EL, AArch64
    USER_VECTOR {TRAP_IRQ}
    USER_VECTOR {TRAP_FIQ}
    USER_VECTOR {TRAP_SERROR}
    USER_VECTOR {TRAP_SYNC}         // lower EL, AArch32 (never enabled)
    USER_VECTOR {TRAP_IRQ}
    USER_VECTOR {TRAP_FIQ}
    USER_VECTOR {TRAP_SERROR}

kernel_trap_entry:
    REGS_X2_X29 stp, sp
    add     x2, sp, #{KFRAME_SIZE}
    stp     x30, x2, [sp, #{KFRAME_LR}]     // lr, sp before the exception
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x2, x3, [sp, #{KFRAME_ELR}]
    mrs     x2, esr_el1
    mrs     x3, far_el1
    stp     x2, x3, [sp, #{KFRAME_ESR}]
    mov     x0, sp
    bl      kernel_trap             // (frame, kind); returns to resume
    ldp     x2, x3, [sp, #{KFRAME_ELR}]
    msr     elr_el1, x2
    msr     spsr_el1, x3
    REGS_X2_X29 ldp, sp
    ldr     x30, [sp, #{KFRAME_LR}]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #{KFRAME_SIZE}
    eret
    dsb     nsh
    isb

// u64 run_user(UserContext *ctx, const EntryWords *entry)
.global run_user
run_user:
    sub     sp, sp, #{RUF_SIZE}
    str     x0, [sp, #{RUF_CTX}]
    // The entry's five words, into the frame where the vectors read them.
    ldp     x2, x3, [x1, #0]
    stp     x2, x3, [sp, #{RUF_ENTRY}]
    ldp     x2, x3, [x1, #16]
    stp     x2, x3, [sp, #{RUF_ENTRY} + 16]
    ldr     x2, [x1, #32]
    str     x2, [sp, #{RUF_ENTRY} + 32]
    CALLEE_X19_X30 stp, sp, {RUF_SAVED}
    CTX_X19_X29 ldp, ldr, x0
    b       resume_user

// The start of every exception from EL0. [sp] = user x0, x1; [sp + 16] =
// the frame run_user pushed. Saved here: what a system call's handler may
// clobber, and the special registers; x19..x29 only on the way out of
// run_user (`leave_user`), because the handler keeps them (AAPCS64) and
// nothing reads them meanwhile: a debugger sees a thread's registers only
// once it stops in an exception, which is raised only after run_user
// returns. FAR_EL1 only for what is not a system call (SAVE_FAR). Leaves
// x0 = ctx, x1 = kind, x3 = ESR_EL1.
.macro SAVE_USER_ENTRY
    ldr     x0, [sp, #16 + {RUF_CTX}]
    CTX_X2_X17 stp, x0
    str     x18, [x0, #144]
    str     x30, [x0, #{CTX_X30}]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #0]
    mrs     x2, sp_el0
    mrs     x3, elr_el1
    stp     x2, x3, [x0, #{CTX_SP}]
    mrs     x2, spsr_el1
    mrs     x3, esr_el1
    stp     x2, x3, [x0, #{CTX_SPSR}]
    // EL0 addresses stop translating while the kernel runs (software PAN).
    mrs     x2, tpidr_el1
    ldr     x2, [x2, #{PERCPU_KERNEL_TTBR0}]
    msr     ttbr0_el1, x2
    isb
.endm
.macro SAVE_FAR
    mrs     x2, far_el1
    str     x2, [x0, #{CTX_FAR}]
.endm

// The program's registers from the context at \base (x0 or x1) but x0 and
// x1, which the caller loads, with the program's table installed (the eret
// after it synchronises the change); x2 and x3 are scratch.
.macro RESTORE_USER base
    mrs     x2, tpidr_el1
    ldr     x2, [x2, #{PERCPU_USER_TTBR0}]
    msr     ttbr0_el1, x2
    ldp     x2, x3, [\base, #{CTX_SP}]
    msr     sp_el0, x2
    msr     elr_el1, x3
    ldr     x2, [\base, #{CTX_SPSR}]
    and     x2, x2, #{SPSR_EL0_KEEP}
    msr     spsr_el1, x2
    CTX_X2_X17 ldp, \base
    ldr     x18, [\base, #144]
    ldr     x30, [\base, #{CTX_X30}]
.endm

user_sync_entry:
    SAVE_USER_ENTRY
    // A system call in the table runs from here, entry(&ctx.x, arg), and
    // the program resumes with its result in x0 unless the thread is to
    // stop. x16 is still the program's: the number.
    lsr     x4, x3, #{ESR_EC_SHIFT}
    ldp     x5, x6, [sp, #{RUF_SYSCALLS}]   // table, count
    cmp     x4, #{ESR_EC_SVC64}
    // Not an svc, or a number past the table: "hs" (C set) either way.
    ccmp    x16, x6, #2, eq
    b.hs    3f
    ldr     x4, [x5, x16, lsl #3]
    ldr     x1, [sp, #{RUF_ARG}]            // x0 = ctx, whose x[] it reads
    blr     x4
    ldp     x1, x2, [sp, #{RUF_CTX}]        // ctx, the stop flag
    ldarb   w2, [x2]
    cbnz    w2, 5f
    RESTORE_USER x1
    ldr     x1, [x1, #8]                    // and x0 is the result
    eret
    dsb     nsh
    isb
5:  str     x0, [x1, #0]                    // the result, then leave
    mov     x0, x1
    mov     x1, #{TRAP_HANDLED}
    b       leave_user
    // Anything else (a fault, an unknown call) goes to on_sync, on this
    // frame, and the program resumes from its return unless it says
    // otherwise.
3:  SAVE_FAR
    ldp     x2, x1, [sp, #{RUF_ON_SYNC}]    // on_sync, arg; x0 = ctx
    blr     x2
    cbnz    x0, 2f                          // SyncOutcome: 0 = resume
    ldr     x0, [sp, #{RUF_CTX}]
resume_user:
    // x0 = ctx, x19..x29 = the program's.
    RESTORE_USER x0
    ldp     x0, x1, [x0, #0]
    eret
    dsb     nsh
    isb
2:  mov     x1, x0                          // otherwise the kind to return
    ldr     x0, [sp, #{RUF_CTX}]
    b       leave_user

user_trap_entry:
    SAVE_USER_ENTRY
    SAVE_FAR
leave_user:
    // Leaving run_user: the context gets the rest of the program's state.
    CTX_X19_X29 stp, str, x0
    mov     x0, x1
    CALLEE_X19_X30 ldp, sp, {RUF_SAVED}
    add     sp, sp, #{RUF_SIZE}
    ret

// void switch_context(KernelContext *save, const KernelContext *load):
// saves the callee-saved registers, SP and the return address in `save`,
// loads them from `load` and returns where `load` was saved (or, for a new
// stack, into `kernel_thread_start`).
.global switch_context
switch_context:
    CALLEE_X19_X30 stp, x0, {KCTX_X19}
    mov     x2, sp
    str     x2, [x0, #{KCTX_SP}]
    CALLEE_X19_X30 ldp, x1, {KCTX_X19}
    ldr     x2, [x1, #{KCTX_SP}]
    mov     sp, x2
    ret

// The first return of a new kernel stack: x19 = function, x20 = argument.
// Frame pointer and link register are zero so that backtraces end here.
.global kernel_thread_start
kernel_thread_start:
    mov     x0, x20
    mov     x29, xzr
    mov     x30, xzr
    blr     x19
    brk     #0x3                    // the function must not return

// void clear_fp_state(void): zeroes every FP/SIMD register, FPCR, FPSR and
// TPIDR_EL0, so that a new program starts clean and sees nothing of the
// previous one.
.global clear_fp_state
clear_fp_state:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    movi    v\n\().2d, #0
    .endr
    msr     fpcr, xzr
    msr     fpsr, xzr
    msr     tpidr_el0, xzr
    ret

// void save_fp_state(FpState *s): stores q0..q31, FPCR, FPSR and TPIDR_EL0,
// so that a thread switched out keeps them while another runs.
.global save_fp_state
save_fp_state:
    stp     q0, q1, [x0, #{FP_Q} + 0]
    stp     q2, q3, [x0, #{FP_Q} + 32]
    stp     q4, q5, [x0, #{FP_Q} + 64]
    stp     q6, q7, [x0, #{FP_Q} + 96]
    stp     q8, q9, [x0, #{FP_Q} + 128]
    stp     q10, q11, [x0, #{FP_Q} + 160]
    stp     q12, q13, [x0, #{FP_Q} + 192]
    stp     q14, q15, [x0, #{FP_Q} + 224]
    stp     q16, q17, [x0, #{FP_Q} + 256]
    stp     q18, q19, [x0, #{FP_Q} + 288]
    stp     q20, q21, [x0, #{FP_Q} + 320]
    stp     q22, q23, [x0, #{FP_Q} + 352]
    stp     q24, q25, [x0, #{FP_Q} + 384]
    stp     q26, q27, [x0, #{FP_Q} + 416]
    stp     q28, q29, [x0, #{FP_Q} + 448]
    stp     q30, q31, [x0, #{FP_Q} + 480]
    mrs     x1, fpcr
    mrs     x2, fpsr
    add     x0, x0, #{FP_FPCR}
    stp     x1, x2, [x0]
    mrs     x1, tpidr_el0
    str     x1, [x0, #({FP_TPIDR} - {FP_FPCR})]
    ret

// void load_fp_state(const FpState *s): the inverse of save_fp_state.
.global load_fp_state
load_fp_state:
    ldp     q0, q1, [x0, #{FP_Q} + 0]
    ldp     q2, q3, [x0, #{FP_Q} + 32]
    ldp     q4, q5, [x0, #{FP_Q} + 64]
    ldp     q6, q7, [x0, #{FP_Q} + 96]
    ldp     q8, q9, [x0, #{FP_Q} + 128]
    ldp     q10, q11, [x0, #{FP_Q} + 160]
    ldp     q12, q13, [x0, #{FP_Q} + 192]
    ldp     q14, q15, [x0, #{FP_Q} + 224]
    ldp     q16, q17, [x0, #{FP_Q} + 256]
    ldp     q18, q19, [x0, #{FP_Q} + 288]
    ldp     q20, q21, [x0, #{FP_Q} + 320]
    ldp     q22, q23, [x0, #{FP_Q} + 352]
    ldp     q24, q25, [x0, #{FP_Q} + 384]
    ldp     q26, q27, [x0, #{FP_Q} + 416]
    ldp     q28, q29, [x0, #{FP_Q} + 448]
    ldp     q30, q31, [x0, #{FP_Q} + 480]
    add     x0, x0, #{FP_FPCR}
    ldp     x1, x2, [x0]
    msr     fpcr, x1
    msr     fpsr, x2
    ldr     x1, [x0, #({FP_TPIDR} - {FP_FPCR})]
    msr     tpidr_el0, x1
    ret
