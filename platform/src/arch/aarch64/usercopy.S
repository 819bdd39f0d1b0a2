// user_copy: the kernel's fast path for copying to or from EL0 memory
// through the program's own translation table. The kernel runs with an empty
// TTBR0 (software PAN), so the copy installs the program's table first and
// the empty one again on every way out; the per-CPU offsets come from Rust
// (usercopy.rs). A data abort inside [__user_copy_start, __user_copy_end) is not
// a kernel bug: `kernel_trap` resumes at __user_copy_fault, which returns
// non-zero, and the caller takes the slow path (the software walk through
// the program's mappings, which commits pages, copies shared ones and
// reports bad pointers). The caller checks that the user range lies below
// the user half before calling.
//
// u64 user_copy(void *dst, const void *src, size_t n): 0 when all n bytes
// were copied, 1 when a fault stopped it (some bytes may have been copied).
// Clobbers x0-x6 only (caller-saved).

.arch_extension simd
.section .text.user_copy, "ax"

// The big path borrows q0-q7, and from 256 bytes q8-q15 too, which the
// program owns (the kernel never saves EL0's FP/SIMD registers on entry):
// they go on the stack first (eight q registers a push) and come back on the
// way out, whether the copy ends or faults; x6 counts the pushes.
.macro SAVE_Q8 a, b, c, d, e, f, g, h
    stp     \a, \b, [sp, #-128]!
    stp     \c, \d, [sp, #32]
    stp     \e, \f, [sp, #64]
    stp     \g, \h, [sp, #96]
.endm
.macro RESTORE_Q8 a, b, c, d, e, f, g, h
    ldp     \g, \h, [sp, #96]
    ldp     \e, \f, [sp, #64]
    ldp     \c, \d, [sp, #32]
    ldp     \a, \b, [sp], #128
.endm
// 128 bytes from [x1] to [x0] through the eight q registers named, both
// pointers advanced.
.macro COPY_Q8 a, b, c, d, e, f, g, h
    ldp     \a, \b, [x1], #32
    ldp     \c, \d, [x1], #32
    ldp     \e, \f, [x1], #32
    ldp     \g, \h, [x1], #32
    stp     \a, \b, [x0], #32
    stp     \c, \d, [x0], #32
    stp     \e, \f, [x0], #32
    stp     \g, \h, [x0], #32
.endm
.macro SAVE_Q0_Q7
    SAVE_Q8 q0, q1, q2, q3, q4, q5, q6, q7
.endm
.macro RESTORE_Q0_Q7
    RESTORE_Q8 q0, q1, q2, q3, q4, q5, q6, q7
.endm
.macro SAVE_Q8_Q15
    SAVE_Q8 q8, q9, q10, q11, q12, q13, q14, q15
.endm
.macro RESTORE_Q8_Q15
    RESTORE_Q8 q8, q9, q10, q11, q12, q13, q14, q15
.endm

.global user_copy
user_copy:
    // x4 = the program's TTBR0, x5 = the kernel's (adjacent in CpuLocal).
    mrs     x4, tpidr_el1
    ldp     x4, x5, [x4, #{PERCPU_USER_TTBR0}]
    msr     ttbr0_el1, x4
    isb
    mov     x6, #0                  // nothing pushed (see __user_copy_fault)
    cmp     x2, #64
    b.hs    .Lbig
// Fewer than 64 bytes: general registers, one step per bit of the length
// (a 4-byte handle is one load and one store).
.global __user_copy_start
__user_copy_start:
    tbz     x2, #5, 1f
    ldp     x3, x4, [x1], #16
    stp     x3, x4, [x0], #16
    ldp     x3, x4, [x1], #16
    stp     x3, x4, [x0], #16
1:  tbz     x2, #4, .Ltail8
    ldp     x3, x4, [x1], #16
    stp     x3, x4, [x0], #16
.Ltail8:
    tbz     x2, #3, 1f
    ldr     x3, [x1], #8
    str     x3, [x0], #8
1:  tbz     x2, #2, 1f
    ldr     w3, [x1], #4
    str     w3, [x0], #4
1:  tbz     x2, #1, 1f
    ldrh    w3, [x1], #2
    strh    w3, [x0], #2
1:  tbz     x2, #0, 1f
    ldrb    w3, [x1]
    strb    w3, [x0]
1:  msr     ttbr0_el1, x5
    isb
    mov     x0, #0
    ret
// 64 bytes or more: 256 a step through q0-q15 while 256 are left, then 128
// through q0-q7 (at most once), then 64, 32 and 16, and the last 15 bytes by
// the general path's tail once the q registers are back.
.Lbig:
    SAVE_Q0_Q7
    mov     x6, #1                  // q0-q7 are on the stack
    subs    x2, x2, #256
    b.lo    3f
    SAVE_Q8_Q15
    mov     x6, #2                  // and q8-q15 below them
1:  COPY_Q8 q0, q1, q2, q3, q4, q5, q6, q7
    COPY_Q8 q8, q9, q10, q11, q12, q13, q14, q15
    subs    x2, x2, #256
    b.hs    1b
    RESTORE_Q8_Q15
    mov     x6, #1
3:  adds    x2, x2, #128            // x2 + 256 were left: now x2 + 128
    b.lo    2f
    COPY_Q8 q0, q1, q2, q3, q4, q5, q6, q7
    sub     x2, x2, #128
2:  // x2 + 128 bytes are left, fewer than 128: its low 7 bits say which.
    tbz     x2, #6, 1f
    ldp     q0, q1, [x1], #32
    ldp     q2, q3, [x1], #32
    stp     q0, q1, [x0], #32
    stp     q2, q3, [x0], #32
1:  tbz     x2, #5, 1f
    ldp     q0, q1, [x1], #32
    stp     q0, q1, [x0], #32
1:  tbz     x2, #4, 1f
    ldr     q0, [x1], #16
    str     q0, [x0], #16
1:  RESTORE_Q0_Q7
    mov     x6, #0                  // nothing pushed any more
    b       .Ltail8
.global __user_copy_end
__user_copy_end:
// Resumed here by `kernel_trap` after a fault in [start, end), with every
// register as it was: x5 holds the kernel's TTBR0, and x6 how many sets of
// the big path's q registers are on the stack (0, 1: q0-q7, 2: q8-q15 too).
.global __user_copy_fault
__user_copy_fault:
    msr     ttbr0_el1, x5
    isb
    cbz     x6, 1f
    cmp     x6, #1
    b.eq    2f
    RESTORE_Q8_Q15
2:  RESTORE_Q0_Q7
1:  mov     x0, #1
    ret
