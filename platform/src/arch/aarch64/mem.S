// memcpy and memset for the kernel. They replace compiler-builtins'
// portable versions (weak symbols), which move 8 bytes at a time; page
// copies, user copies and struct moves are the kernel's hottest code.
// Normal memory only (unaligned accesses); memcpy's buffers never overlap.
//
// Up to 16 bytes: two overlapping accesses. Up to 128: 16-byte x-register
// pairs and an overlapping last pair. Larger: q registers, 128 bytes per
// iteration, and an overlapping last 64 bytes. The kernel is built
// soft-float and otherwise leaves FP/SIMD registers to the running program,
// so the large paths save and restore the ones they use.

.arch_extension simd
.section .text.mem, "ax"

// void *memcpy(void *dst, const void *src, size_t n)
.global memcpy
.type memcpy, %function
memcpy:
    add     x4, x1, x2              // src end
    add     x5, x0, x2              // dst end
    cmp     x2, #16
    b.hi    3f
    cmp     x2, #8
    b.lo    1f
    ldr     x6, [x1]
    ldr     x7, [x4, #-8]
    str     x6, [x0]
    str     x7, [x5, #-8]
    ret
1:  cmp     x2, #4
    b.lo    2f
    ldr     w6, [x1]
    ldr     w7, [x4, #-4]
    str     w6, [x0]
    str     w7, [x5, #-4]
    ret
2:  cbz     x2, 9f
    lsr     x8, x2, #1              // n = 1..3: first, middle and last byte
    ldrb    w6, [x1]
    ldrb    w7, [x1, x8]
    ldrb    w9, [x4, #-1]
    strb    w6, [x0]
    strb    w7, [x0, x8]
    strb    w9, [x5, #-1]
9:  ret
3:  mov     x3, x0
    cmp     x2, #128
    b.hs    5f
4:  ldp     x6, x7, [x1], #16
    stp     x6, x7, [x3], #16
    sub     x2, x2, #16
    cmp     x2, #16
    b.hi    4b
    ldp     x6, x7, [x4, #-16]
    stp     x6, x7, [x5, #-16]
    ret
5:  stp     q0, q1, [sp, #-64]!
    stp     q2, q3, [sp, #32]
6:  ldp     q0, q1, [x1], #32
    ldp     q2, q3, [x1], #32
    stp     q0, q1, [x3], #32
    stp     q2, q3, [x3], #32
    ldp     q0, q1, [x1], #32
    ldp     q2, q3, [x1], #32
    stp     q0, q1, [x3], #32
    stp     q2, q3, [x3], #32
    sub     x2, x2, #128
    cmp     x2, #128
    b.hs    6b
    cmp     x2, #64
    b.lo    7f
    ldp     q0, q1, [x1], #32
    ldp     q2, q3, [x1], #32
    stp     q0, q1, [x3], #32
    stp     q2, q3, [x3], #32
7:  ldp     q0, q1, [x4, #-64]      // the last 64 bytes, overlapping
    ldp     q2, q3, [x4, #-32]
    stp     q0, q1, [x5, #-64]
    stp     q2, q3, [x5, #-32]
    ldp     q2, q3, [sp, #32]
    ldp     q0, q1, [sp], #64
    ret
.size memcpy, . - memcpy

// void *memset(void *dst, int c, size_t n)
.global memset
.type memset, %function
memset:
    and     x1, x1, #0xff
    mov     x6, #0x0101010101010101
    mul     x6, x6, x1              // the byte in all eight lanes
    add     x5, x0, x2
    cmp     x2, #16
    b.hi    3f
    cmp     x2, #8
    b.lo    1f
    str     x6, [x0]
    str     x6, [x5, #-8]
    ret
1:  cmp     x2, #4
    b.lo    2f
    str     w6, [x0]
    str     w6, [x5, #-4]
    ret
2:  cbz     x2, 9f
    lsr     x8, x2, #1
    strb    w6, [x0]
    strb    w6, [x0, x8]
    strb    w6, [x5, #-1]
9:  ret
3:  mov     x3, x0
    cmp     x2, #128
    b.hs    5f
4:  stp     x6, x6, [x3], #16
    sub     x2, x2, #16
    cmp     x2, #16
    b.hi    4b
    stp     x6, x6, [x5, #-16]
    ret
5:  str     q0, [sp, #-16]!
    dup     v0.2d, x6
6:  stp     q0, q0, [x3], #32
    stp     q0, q0, [x3], #32
    sub     x2, x2, #64
    cmp     x2, #64
    b.hs    6b
    stp     q0, q0, [x5, #-64]      // the last 64 bytes, overlapping
    stp     q0, q0, [x5, #-32]
    ldr     q0, [sp], #16
    ret
.size memset, . - memset
