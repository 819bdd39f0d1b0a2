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

// The big path borrows q0-q7, which the program owns (the kernel never saves
// EL0's FP/SIMD registers on entry): they go on the stack first and come back
// on the way out, whether the copy ends or faults.
.macro SAVE_Q0_Q7
    stp     q0, q1, [sp, #-128]!
    stp     q2, q3, [sp, #32]
    stp     q4, q5, [sp, #64]
    stp     q6, q7, [sp, #96]
.endm
.macro RESTORE_Q0_Q7
    ldp     q6, q7, [sp, #96]
    ldp     q4, q5, [sp, #64]
    ldp     q2, q3, [sp, #32]
    ldp     q0, q1, [sp], #128
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
// 64 bytes or more: 128 a step through q0-q7, then 64, 32 and 16, and the
// last 15 bytes by the general path's tail once the q registers are back.
.Lbig:
    SAVE_Q0_Q7
    mov     x6, #1                  // the q registers are on the stack
    subs    x2, x2, #128
    b.lo    2f
1:  ldp     q0, q1, [x1], #32
    ldp     q2, q3, [x1], #32
    ldp     q4, q5, [x1], #32
    ldp     q6, q7, [x1], #32
    stp     q0, q1, [x0], #32
    stp     q2, q3, [x0], #32
    stp     q4, q5, [x0], #32
    stp     q6, q7, [x0], #32
    subs    x2, x2, #128
    b.hs    1b
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
// register as it was: x5 holds the kernel's TTBR0, and x6 says whether the
// big path's saved q registers are on the stack.
.global __user_copy_fault
__user_copy_fault:
    msr     ttbr0_el1, x5
    isb
    cbz     x6, 1f
    RESTORE_Q0_Q7
1:  mov     x0, #1
    ret
