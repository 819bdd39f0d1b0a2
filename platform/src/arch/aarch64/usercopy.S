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

// The big path borrows v0-v7, and from 256 bytes v8-v15 too, which the
// program owns (the kernel never saves EL0's FP/SIMD registers on entry):
// they go on the stack first (128 bytes a set) and come back on the way
// out, whether the copy ends or faults; x6 counts the sets pushed. Each
// `ld1`/`st1` moves four registers, 64 bytes: two instructions per 64 bytes
// copied, where paired q loads and stores take four for the same bytes.
//
// (Register lists are written `{{...}}`: this file is a `global_asm!`
// template, where a single brace is an operand.)
//
// One set: a..b and c..d, four registers each, through x3.
.macro PUSH_SET a, b, c, d
    sub     sp, sp, #128
    mov     x3, sp
    st1     {{\a\().16b - \b\().16b}}, [x3], #64
    st1     {{\c\().16b - \d\().16b}}, [x3]
.endm
.macro POP_SET a, b, c, d
    mov     x3, sp
    ld1     {{\a\().16b - \b\().16b}}, [x3], #64
    ld1     {{\c\().16b - \d\().16b}}, [x3]
    add     sp, sp, #128
.endm
.macro SAVE_V0_V7
    PUSH_SET v0, v3, v4, v7
.endm
.macro RESTORE_V0_V7
    POP_SET v0, v3, v4, v7
.endm
.macro SAVE_V8_V15
    PUSH_SET v8, v11, v12, v15
.endm
.macro RESTORE_V8_V15
    POP_SET v8, v11, v12, v15
.endm
// 64 bytes from [x1] to [x0] through the four registers a..b, both pointers
// advanced; LOAD64/STORE64 are its halves, for interleaving.
.macro LOAD64 a, b
    ld1     {{\a\().16b - \b\().16b}}, [x1], #64
.endm
.macro STORE64 a, b
    st1     {{\a\().16b - \b\().16b}}, [x0], #64
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
// 64 bytes or more: 256 a step through v0-v15 while 256 are left, then 128
// through v0-v7 (at most once), then 64, 32 and 16, and the last 15 bytes by
// the general path's tail once the vector registers are back.
.Lbig:
    SAVE_V0_V7
    mov     x6, #1                  // v0-v7 are on the stack
    subs    x2, x2, #256
    b.lo    3f
    SAVE_V8_V15
    mov     x6, #2                  // and v8-v15 below them
1:  LOAD64  v0, v3
    LOAD64  v4, v7
    LOAD64  v8, v11
    LOAD64  v12, v15
    STORE64 v0, v3
    STORE64 v4, v7
    STORE64 v8, v11
    STORE64 v12, v15
    subs    x2, x2, #256
    b.hs    1b
    RESTORE_V8_V15
    mov     x6, #1
3:  adds    x2, x2, #128            // x2 + 256 were left: now x2 + 128
    b.lo    2f
    LOAD64  v0, v3
    LOAD64  v4, v7
    STORE64 v0, v3
    STORE64 v4, v7
    sub     x2, x2, #128
2:  // x2 + 128 bytes are left, fewer than 128: its low 7 bits say which.
    tbz     x2, #6, 1f
    LOAD64  v0, v3
    STORE64 v0, v3
1:  tbz     x2, #5, 1f
    ld1     {{v0.16b - v1.16b}}, [x1], #32
    st1     {{v0.16b - v1.16b}}, [x0], #32
1:  tbz     x2, #4, 1f
    ldr     q0, [x1], #16
    str     q0, [x0], #16
1:  RESTORE_V0_V7
    mov     x6, #0                  // nothing pushed any more
    b       .Ltail8

// u64 user_put_u32(u32 *dst, u32 value): `user_copy` of one 4-byte value
// that is in a register already (a handle handed out), without the length
// dispatch and the copy through memory. Same registers, same fault path.
.global user_put_u32
user_put_u32:
    mrs     x4, tpidr_el1
    ldp     x4, x5, [x4, #{PERCPU_USER_TTBR0}]
    mov     x6, #0
    msr     ttbr0_el1, x4
    isb
    str     w1, [x0]
    msr     ttbr0_el1, x5
    isb
    mov     x0, #0
    ret
.global __user_copy_end
__user_copy_end:
// Resumed here by `kernel_trap` after a fault in [start, end), with every
// register as it was: x5 holds the kernel's TTBR0, and x6 how many sets of
// the big path's vector registers are on the stack (0, 1: v0-v7, 2: v8-v15
// too).
.global __user_copy_fault
__user_copy_fault:
    msr     ttbr0_el1, x5
    isb
    cbz     x6, 1f
    cmp     x6, #1
    b.eq    2f
    RESTORE_V8_V15
2:  RESTORE_V0_V7
1:  mov     x0, #1
    ret
