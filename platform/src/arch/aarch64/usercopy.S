// user_copy: the kernel's fast path for copying to or from EL0 memory
// through the program's own translation table (TTBR0; the kernel runs with
// PAN off). A data abort inside [__user_copy_start, __user_copy_end) is not
// a kernel bug: `kernel_trap` resumes at __user_copy_fault, which returns
// non-zero, and the caller takes the slow path (the software walk through
// the program's mappings, which commits pages, copies shared ones and
// reports bad pointers). The caller checks that the user range lies below
// the user half before calling.
//
// u64 user_copy(void *dst, const void *src, size_t n): 0 when all n bytes
// were copied, 1 when a fault stopped it (some bytes may have been copied).

.arch_extension simd
.section .text.user_copy, "ax"

.global user_copy
user_copy:
    stp     q0, q1, [sp, #-64]!
    stp     q2, q3, [sp, #32]
.global __user_copy_start
__user_copy_start:
    cmp     x2, #64
    b.lo    2f
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
3:  cbz     x2, 5f
4:  ldrb    w3, [x1], #1
    strb    w3, [x0], #1
    subs    x2, x2, #1
    b.ne    4b
5:
.global __user_copy_end
__user_copy_end:
    ldp     q2, q3, [sp, #32]
    ldp     q0, q1, [sp], #64
    mov     x0, #0
    ret
.global __user_copy_fault
__user_copy_fault:
    ldp     q2, q3, [sp, #32]
    ldp     q0, q1, [sp], #64
    mov     x0, #1
    ret
