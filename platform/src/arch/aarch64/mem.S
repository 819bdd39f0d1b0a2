// memcpy and memset for the kernel: 64 bytes per iteration through q
// registers. They replace compiler-builtins' portable versions (weak
// symbols), which move 8 bytes at a time; page copies and user copies are
// the kernel's hottest loops. Normal memory only (unaligned q accesses).
//
// The kernel is built soft-float and otherwise leaves FP/SIMD registers to
// the running program, so these routines save and restore the ones they use.

.arch_extension simd
.section .text.mem, "ax"

// void *memcpy(void *dst, const void *src, size_t n)
.global memcpy
.type memcpy, %function
memcpy:
    stp     q0, q1, [sp, #-64]!
    stp     q2, q3, [sp, #32]
    mov     x3, x0
    cmp     x2, #64
    b.lo    2f
1:  ldp     q0, q1, [x1], #32
    ldp     q2, q3, [x1], #32
    sub     x2, x2, #64
    stp     q0, q1, [x3], #32
    stp     q2, q3, [x3], #32
    cmp     x2, #64
    b.hs    1b
2:  cmp     x2, #16
    b.lo    3f
    ldr     q0, [x1], #16
    str     q0, [x3], #16
    sub     x2, x2, #16
    b       2b
3:  cbz     x2, 5f
4:  ldrb    w4, [x1], #1
    strb    w4, [x3], #1
    subs    x2, x2, #1
    b.ne    4b
5:  ldp     q2, q3, [sp, #32]
    ldp     q0, q1, [sp], #64
    ret
.size memcpy, . - memcpy

// void *memset(void *dst, int c, size_t n)
.global memset
.type memset, %function
memset:
    str     q0, [sp, #-16]!
    mov     x3, x0
    and     w1, w1, #0xff
    dup     v0.16b, w1
    cmp     x2, #64
    b.lo    2f
1:  stp     q0, q0, [x3], #32
    stp     q0, q0, [x3], #32
    sub     x2, x2, #64
    cmp     x2, #64
    b.hs    1b
2:  cmp     x2, #16
    b.lo    3f
    str     q0, [x3], #16
    sub     x2, x2, #16
    b       2b
3:  cbz     x2, 5f
4:  strb    w1, [x3], #1
    subs    x2, x2, #1
    b.ne    4b
5:  ldr     q0, [sp], #16
    ret
.size memset, . - memset
