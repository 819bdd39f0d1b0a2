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
// Fewer than 64 bytes: general registers only (no FP state to save).
.global __user_copy_start
__user_copy_start:
6:  cmp     x2, #8
    b.lo    7f
    ldr     x3, [x1], #8
    str     x3, [x0], #8
    sub     x2, x2, #8
    b       6b
7:  cbz     x2, 5f
8:  ldrb    w3, [x1], #1
    strb    w3, [x0], #1
    subs    x2, x2, #1
    b.ne    8b
5:  msr     ttbr0_el1, x5
    isb
    mov     x0, #0
    ret
.Lbig:
    stp     q0, q1, [sp, #-64]!
    stp     q2, q3, [sp, #32]
    mov     x6, #1                  // the q registers are on the stack
1:  ldp     q0, q1, [x1], #32
    ldp     q2, q3, [x1], #32
    stp     q0, q1, [x0], #32
    stp     q2, q3, [x0], #32
    sub     x2, x2, #64
    cmp     x2, #64
    b.hs    1b
2:  cmp     x2, #16
    b.lo    3f
    ldr     q0, [x1], #16
    str     q0, [x0], #16
    sub     x2, x2, #16
    b       2b
3:  cbz     x2, 4f
9:  ldrb    w3, [x1], #1
    strb    w3, [x0], #1
    subs    x2, x2, #1
    b.ne    9b
4:
.global __user_copy_end
__user_copy_end:
    msr     ttbr0_el1, x5
    isb
    ldp     q2, q3, [sp, #32]
    ldp     q0, q1, [sp], #64
    mov     x0, #0
    ret
// Resumed here by `kernel_trap` after a fault in [start, end), with every
// register as it was: x5 holds the kernel's TTBR0, and x6 says whether the
// big path's saved q registers are on the stack.
.global __user_copy_fault
__user_copy_fault:
    msr     ttbr0_el1, x5
    isb
    cbz     x6, 1f
    ldp     q2, q3, [sp, #32]
    ldp     q0, q1, [sp], #64
1:  mov     x0, #1
    ret
