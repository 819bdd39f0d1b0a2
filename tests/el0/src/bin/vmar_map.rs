//! Tests `zx_vmar_map` on the root VMAR: handle types and rights (MAP, and
//! READ/WRITE/EXECUTE on both handles), option and argument validation,
//! `ZX_VM_SPECIFIC` placement and overlaps, addresses the kernel picks,
//! length rounding, mappings larger than the VMO, VMO offsets, bad
//! `mapped_addr` pointers (nothing stays mapped), and that a mapping keeps
//! its VMO alive after the handle is closed.
#![no_std]
#![no_main]

use el0_tests::{
    assert_err, assert_no_leak, close, dup, read_byte, st, unaligned, vmo, write, zx, Mapping,
    ReadOnlyPage, BAD_POINTERS, GARBAGE_HANDLE, PAGE, ROOT_BASE, RW,
};
use zx::{rights, vm_opt, Handle, ZxStatus, ROOT_VMAR_SIZE};

/// VMAR offsets for `ZX_VM_SPECIFIC` mappings: above anything the kernel
/// picks for a small mapping (it allocates upward from 0x10_0000_0000) and
/// below the stack (near 2^47). Each group of checks uses its own.
const SPOT_OVERLAP: usize = 0x40_0000_0000;
const SPOT_ROUND: usize = 0x41_0000_0000;
const SPOT_BAD_OUT: usize = 0x42_0000_0000;
const SPOT_CHECKS: usize = 0x43_0000_0000;

const VMAR_END: usize = ROOT_BASE + ROOT_VMAR_SIZE as usize;

fn map(
    root: Handle,
    options: u32,
    vmar_offset: usize,
    vmo: Handle,
    vmo_offset: u64,
    len: usize,
) -> Result<usize, ZxStatus> {
    zx::vmar_map(root, options, vmar_offset, vmo, vmo_offset, len)
}

/// An address inside this program's text and one inside its stack.
fn own_addresses() -> [usize; 2] {
    let local = 0u8;
    [
        main as *const () as usize,
        core::hint::black_box(&local) as *const u8 as usize,
    ]
}

fn assert_inside_vmar(addr: usize, len: usize, what: &str) {
    assert!(
        addr >= ROOT_BASE && addr + len <= VMAR_END,
        "{}: {:#x}+{:#x} outside the root VMAR",
        what,
        addr,
        len
    );
    for own in own_addresses() {
        assert!(
            !(addr..addr + len).contains(&own),
            "{}: {:#x}+{:#x} covers the program at {:#x}",
            what,
            addr,
            len,
            own
        );
    }
}

fn basic(root: Handle) {
    assert_no_leak("basic mapping", || {
        let h = vmo(2 * PAGE as u64, 0);
        write(h, b"hello", 4096 + 3);
        let m = Mapping::new(root, h, 2 * PAGE, RW);
        assert_inside_vmar(m.addr, m.len, "mapping");
        assert_eq!(m.read_u8(4096 + 3), b'h', "mapping shows VMO data");
        m.write_u8(10, 0x99);
        assert_eq!(
            read_byte(h, 10),
            0x99,
            "VMO shows data written through the mapping"
        );
        m.unmap();
        close(h);
    });
    zx::println!("vmar_map: RW mapping inside the root VMAR shares the VMO's data");
}

fn handle_errors(root: Handle) {
    let h = vmo(4096, 0);
    assert_no_leak("handle errors", || {
        let closed = vmo(4096, 0);
        close(closed);
        for bad in [zx::ZX_HANDLE_INVALID, GARBAGE_HANDLE, closed] {
            assert_err(
                map(bad, RW, 0, h, 0, PAGE),
                ZxStatus::BadHandle,
                "vmar_map(invalid VMAR)",
            );
            assert_err(
                map(root, RW, 0, bad, 0, PAGE),
                ZxStatus::BadHandle,
                "vmar_map(invalid VMO)",
            );
        }
        assert_err(
            map(h, RW, 0, h, 0, PAGE),
            ZxStatus::WrongType,
            "vmar_map(VMO as the VMAR)",
        );
        assert_err(
            map(root, RW, 0, root, 0, PAGE),
            ZxStatus::WrongType,
            "vmar_map(VMAR as the VMO)",
        );
    });
    close(h);
    zx::println!("vmar_map: BAD_HANDLE and WRONG_TYPE for both handles");
}

fn rights_checks(root: Handle) {
    let h = vmo(4096, 0);
    let r = vm_opt::PERM_READ;
    assert_no_leak("rights", || {
        let no_map = dup(h, rights::DEFAULT_VMO & !rights::MAP);
        assert_err(
            map(root, r, 0, no_map, 0, PAGE),
            ZxStatus::AccessDenied,
            "VMO without MAP",
        );
        close(no_map);

        let no_read = dup(h, rights::DEFAULT_VMO & !rights::READ);
        assert_err(
            map(root, r, 0, no_read, 0, PAGE),
            ZxStatus::AccessDenied,
            "PERM_READ, VMO without READ",
        );
        assert_err(
            map(root, RW, 0, no_read, 0, PAGE),
            ZxStatus::AccessDenied,
            "PERM_RW, VMO without READ",
        );
        close(no_read);

        let no_write = dup(h, rights::DEFAULT_VMO & !rights::WRITE);
        assert_err(
            map(root, RW, 0, no_write, 0, PAGE),
            ZxStatus::AccessDenied,
            "PERM_WRITE, VMO without WRITE",
        );
        Mapping::new(root, no_write, PAGE, r).unmap();
        close(no_write);

        // A plain VMO has no EXECUTE right (0xD0EF).
        assert_err(
            map(root, r | vm_opt::PERM_EXECUTE, 0, h, 0, PAGE),
            ZxStatus::AccessDenied,
            "PERM_EXECUTE, VMO without EXECUTE",
        );

        let vmar_read = dup(root, rights::READ);
        assert_err(
            map(vmar_read, RW, 0, h, 0, PAGE),
            ZxStatus::AccessDenied,
            "PERM_WRITE, VMAR without WRITE",
        );
        let m = Mapping::new(vmar_read, h, PAGE, r);
        Mapping { root, ..m }.unmap();
        close(vmar_read);

        let vmar_write = dup(root, rights::WRITE | rights::EXECUTE);
        assert_err(
            map(vmar_write, r, 0, h, 0, PAGE),
            ZxStatus::AccessDenied,
            "PERM_READ, VMAR without READ",
        );
        close(vmar_write);
    });
    close(h);
    zx::println!("vmar_map: MAP and the READ/WRITE/EXECUTE rights of both handles enforced");
}

fn argument_checks(root: Handle) {
    let h = vmo(4 * PAGE as u64, 0);
    let s = vm_opt::SPECIFIC;
    assert_no_leak("argument checks", || {
        assert_err(
            map(root, vm_opt::PERM_WRITE, 0, h, 0, PAGE),
            ZxStatus::InvalidArgs,
            "PERM_WRITE without PERM_READ",
        );
        for bit in [16, 17, 20, 23, 29, 30, 31] {
            let opt = vm_opt::PERM_READ | 1 << bit;
            assert_err(
                map(root, opt, 0, h, 0, PAGE),
                ZxStatus::InvalidArgs,
                "unknown option bit",
            );
        }
        // CAN_MAP_* belong to vmar_allocate, and alignment 2^1 is not one
        // of the accepted values (2^10 .. 2^32).
        assert_err(
            map(
                root,
                vm_opt::PERM_READ | vm_opt::CAN_MAP_READ,
                0,
                h,
                0,
                PAGE,
            ),
            ZxStatus::InvalidArgs,
            "CAN_MAP_READ in vmar_map",
        );
        assert_err(
            map(
                root,
                vm_opt::PERM_READ | 1 << vm_opt::ALIGN_BASE,
                0,
                h,
                0,
                PAGE,
            ),
            ZxStatus::InvalidArgs,
            "alignment field 1",
        );
        assert_err(map(root, RW, 0, h, 0, 0), ZxStatus::InvalidArgs, "len 0");
        assert_err(
            map(root, RW, 0, h, 1, PAGE),
            ZxStatus::InvalidArgs,
            "vmo_offset 1",
        );
        assert_err(
            map(root, RW, 0, h, 0x800, PAGE),
            ZxStatus::InvalidArgs,
            "vmo_offset 0x800",
        );
        assert_err(
            map(root, RW, SPOT_CHECKS, h, 0, PAGE),
            ZxStatus::InvalidArgs,
            "vmar_offset without SPECIFIC",
        );
        assert_err(
            map(root, RW | s, SPOT_CHECKS + 1, h, 0, PAGE),
            ZxStatus::InvalidArgs,
            "SPECIFIC, offset +1",
        );
        assert_err(
            map(root, RW | s, SPOT_CHECKS + 0x800, h, 0, PAGE),
            ZxStatus::InvalidArgs,
            "SPECIFIC, offset +0x800",
        );

        let outside = [
            (ROOT_VMAR_SIZE as usize, PAGE, "at the VMAR's end"),
            (
                ROOT_VMAR_SIZE as usize - PAGE,
                2 * PAGE,
                "running past the VMAR's end",
            ),
            (1 << 62, PAGE, "at 2^62"),
            (
                usize::MAX & !(PAGE - 1),
                PAGE,
                "at the top of the address range",
            ),
            (
                (usize::MAX & !(PAGE - 1)) - PAGE,
                4 * PAGE,
                "wrapping around",
            ),
        ];
        for (offset, len, what) in outside {
            assert_err(
                map(root, RW | s, offset, h, 0, len),
                ZxStatus::InvalidArgs,
                what,
            );
        }

        // Lengths whose rounding or end overflows must fail, not wrap.
        assert!(
            map(root, RW, 0, h, 0, usize::MAX).is_err(),
            "len usize::MAX mapped"
        );
        assert!(
            map(root, RW, 0, h, 0, usize::MAX - PAGE + 2).is_err(),
            "len rounding to 2^64 mapped"
        );
        assert!(
            map(root, RW, 0, h, u64::MAX - (PAGE as u64 - 1), 2 * PAGE).is_err(),
            "vmo_offset + len wrapping mapped"
        );
    });
    close(h);
    zx::println!("vmar_map: bad options, lengths, offsets and ranges are INVALID_ARGS");
}

fn specific_and_overlap(root: Handle) {
    let s = vm_opt::SPECIFIC;
    assert_no_leak("SPECIFIC", || {
        let h = vmo(4 * PAGE as u64, 0);
        let m = Mapping::at(root, SPOT_OVERLAP, h, 0, 2 * PAGE, RW | s);
        assert_eq!(
            m.addr,
            ROOT_BASE + SPOT_OVERLAP,
            "SPECIFIC address is the VMAR base plus the offset"
        );
        m.write_u64(0, 0x1122_3344_5566_7788);
        m.write_u64(PAGE, 0x99AA_BBCC_DDEE_FF00);

        let overlaps = [
            (SPOT_OVERLAP, 2 * PAGE, "same range"),
            (SPOT_OVERLAP, PAGE, "first page"),
            (SPOT_OVERLAP + PAGE, PAGE, "second page"),
            (SPOT_OVERLAP - PAGE, 2 * PAGE, "page before and first page"),
            (SPOT_OVERLAP + PAGE, 2 * PAGE, "second page and page after"),
            (SPOT_OVERLAP - PAGE, 4 * PAGE, "covering the mapping"),
        ];
        for (offset, len, what) in overlaps {
            assert_err(
                map(root, RW | s, offset, h, 0, len),
                ZxStatus::AlreadyExists,
                what,
            );
        }
        // The program's own text and stack are mappings too.
        for own in own_addresses() {
            let offset = (own & !(PAGE - 1)) - ROOT_BASE;
            assert_err(
                map(root, vm_opt::PERM_READ | s, offset, h, 0, PAGE),
                ZxStatus::AlreadyExists,
                "over the program",
            );
        }

        // Adjacent ranges are free.
        Mapping::at(root, SPOT_OVERLAP - PAGE, h, 0, PAGE, RW | s).unmap();
        Mapping::at(root, SPOT_OVERLAP + 2 * PAGE, h, 0, PAGE, RW | s).unmap();

        assert_eq!(
            m.read_u64(0),
            0x1122_3344_5566_7788,
            "first page after failed overlaps"
        );
        assert_eq!(
            m.read_u64(PAGE),
            0x99AA_BBCC_DDEE_FF00,
            "second page after failed overlaps"
        );
        m.unmap();
        close(h);
    });
    zx::println!("vmar_map: SPECIFIC maps at base+offset, overlaps are ALREADY_EXISTS");
}

fn kernel_picks(root: Handle) {
    assert_no_leak("kernel-picked addresses", || {
        let sizes = [1, 2, 3, 1];
        let mut vmos = [0; 4];
        let mut maps: [(usize, usize); 4] = [(0, 0); 4];
        for (i, &pages) in sizes.iter().enumerate() {
            vmos[i] = vmo((pages * PAGE) as u64, 0);
            let m = Mapping::new(root, vmos[i], pages * PAGE, RW);
            assert_inside_vmar(m.addr, m.len, "picked mapping");
            for p in 0..pages {
                m.write_u8(p * PAGE, (i * 16 + p) as u8 + 1);
            }
            maps[i] = (m.addr, m.len);
        }
        for i in 0..maps.len() {
            for j in 0..i {
                let (a, al) = maps[i];
                let (b, bl) = maps[j];
                assert!(
                    a + al <= b || b + bl <= a,
                    "mappings {:#x}+{:#x} and {:#x}+{:#x} overlap",
                    a,
                    al,
                    b,
                    bl
                );
            }
        }
        for (i, &pages) in sizes.iter().enumerate() {
            let m = Mapping {
                root,
                addr: maps[i].0,
                len: maps[i].1,
            };
            for p in 0..pages {
                assert_eq!(
                    m.read_u8(p * PAGE),
                    (i * 16 + p) as u8 + 1,
                    "mapping {} page {} data",
                    i,
                    p
                );
            }
            m.unmap();
            close(vmos[i]);
        }
    });
    zx::println!("vmar_map: kernel-picked addresses are aligned, free and distinct");
}

fn len_rounding(root: Handle) {
    let s = vm_opt::SPECIFIC;
    assert_no_leak("len rounding", || {
        let h = vmo(4 * PAGE as u64, 0);
        let m = Mapping::at(root, SPOT_ROUND, h, 0, 100, RW | s);
        assert_eq!(m.len, PAGE, "helper rounds like the kernel");
        m.write_u8(PAGE - 1, 0x5C);
        assert_eq!(
            read_byte(h, PAGE as u64 - 1),
            0x5C,
            "last byte of a 100-byte mapping's page"
        );
        assert_err(
            map(root, RW | s, SPOT_ROUND, h, 0, 1),
            ZxStatus::AlreadyExists,
            "first page taken",
        );
        // ... and only the first page.
        Mapping::at(root, SPOT_ROUND + PAGE, h, 0, PAGE, RW | s).unmap();
        // Unmapping 100 bytes removes the page.
        assert_eq!(zx::vmar_unmap(root, m.addr, 100), Ok(()), "unmap 100 bytes");
        Mapping::at(root, SPOT_ROUND, h, 0, PAGE, RW | s).unmap();
        close(h);
    });
    zx::println!("vmar_map: len is rounded up to whole pages");
}

fn beyond_vmo_and_offsets(root: Handle) {
    assert_no_leak("mapping beyond the VMO", || {
        let small = vmo(PAGE as u64, 0);
        let m = Mapping::new(root, small, 4 * PAGE, RW);
        m.write_u8(5, 0xAB);
        assert_eq!(
            read_byte(small, 5),
            0xAB,
            "first page of an oversized mapping"
        );
        m.unmap();
        let empty = vmo(0, 0);
        Mapping::new(root, empty, PAGE, RW).unmap();
        close(empty);
        close(small);
    });
    assert_no_leak("vmo_offset", || {
        let h = vmo(3 * PAGE as u64, 0);
        write(h, b"one", PAGE as u64);
        write(h, b"two", 2 * PAGE as u64 + 7);
        let m = Mapping::at(root, 0, h, PAGE as u64, 2 * PAGE, RW);
        assert_eq!(
            m.read_u8(0),
            b'o',
            "mapping at vmo_offset one page shows VMO page 1"
        );
        assert_eq!(m.read_u8(PAGE + 7), b't', "and VMO page 2 after it");
        m.write_u8(PAGE + 8, b'W');
        assert_eq!(
            read_byte(h, 2 * PAGE as u64 + 8),
            b'W',
            "write lands at vmo_offset + offset"
        );
        m.unmap();
        close(h);
    });
    zx::println!("vmar_map: mappings may exceed the VMO, vmo_offset selects the pages");
}

fn read_only(root: Handle) {
    assert_no_leak("read-only mapping", || {
        let h = vmo(PAGE as u64, 0);
        let m = Mapping::new(root, h, PAGE, vm_opt::PERM_READ);
        assert_eq!(m.read_u8(0), 0, "fresh read-only mapping reads zero");
        write(h, b"seen", 0);
        assert_eq!(
            m.read_u8(3),
            b'n',
            "vmo_write visible through a read-only mapping"
        );
        m.unmap();
        close(h);
    });
    zx::println!("vmar_map: PERM_READ mappings read VMO data");
}

fn bad_mapped_addr(root: Handle) {
    let s = vm_opt::SPECIFIC;
    let h = vmo(PAGE as u64, 0);
    let try_bad = |ptr: *mut usize, what: &str| {
        assert_no_leak(what, || {
            // SAFETY: `ptr` is not writable by this process (or lies inside a
            // scratch buffer at an unaligned address); the kernel must
            // reject it without writing, and Rust reads nothing through it.
            let r = st(unsafe { zx::raw::vmar_map(root, RW | s, SPOT_BAD_OUT, h, 0, PAGE, ptr) });
            assert_eq!(
                r,
                Err(ZxStatus::InvalidArgs),
                "vmar_map mapped_addr = {}",
                what
            );
        });
        // Nothing stayed mapped: the same range maps again.
        Mapping::at(root, SPOT_BAD_OUT, h, 0, PAGE, RW | s).unmap();
    };
    for (name, ptr) in BAD_POINTERS {
        try_bad(ptr as *mut usize, name);
    }
    let mut buf = [0u64; 4];
    try_bad(unaligned::<usize>(&mut buf), "unaligned");
    assert_eq!(buf, [0; 4], "the kernel wrote through an unaligned pointer");
    let ro = ReadOnlyPage::new(root);
    try_bad(ro.addr() as *mut usize, "read-only mapping");
    ro.release();
    close(h);
    zx::println!("vmar_map: bad mapped_addr is INVALID_ARGS and maps nothing");
}

fn mapping_keeps_vmo(root: Handle) {
    assert_no_leak("mapping outlives the handle", || {
        let h = vmo(2 * PAGE as u64, 0);
        write(h, b"alive", PAGE as u64);
        let m = Mapping::new(root, h, 2 * PAGE, RW);
        close(h);
        assert_eq!(
            m.read_u8(PAGE + 4),
            b'e',
            "mapping reads after its handle is closed"
        );
        m.write_u8(0, 1);
        assert_eq!(m.read_u8(0), 1, "mapping writes after its handle is closed");
        m.unmap();
    });
    zx::println!("vmar_map: a mapping keeps its VMO alive until unmapped");
}

/// `ZX_VM_PERM_READ_IF_XOM_UNSUPPORTED`: this kernel has no execute-only
/// EL0 mappings, so the flag adds READ (and READ's right is then needed).
fn read_if_xom_unsupported(root: Handle) {
    let xom = vm_opt::PERM_EXECUTE | vm_opt::PERM_READ_IF_XOM_UNSUPPORTED;
    let plain = vmo(PAGE as u64, 0);
    write(plain, &[0x5a], 0);
    let exec = zx::vmo_replace_as_executable(plain, zx::ZX_HANDLE_INVALID).expect("executable");
    assert_no_leak("READ_IF_XOM_UNSUPPORTED", || {
        let addr = map(root, xom, 0, exec, 0, PAGE).expect("EXECUTE | READ_IF_XOM_UNSUPPORTED");
        // SAFETY: the page was just mapped readable (the flag added READ).
        let byte = unsafe { (addr as *const u8).read_volatile() };
        assert_eq!(byte, 0x5a, "the mapping is readable");
        zx::vmar_unmap(root, addr, PAGE).expect("unmap");
        // Without the flag, execute alone stays refused.
        assert_err(
            map(root, vm_opt::PERM_EXECUTE, 0, exec, 0, PAGE),
            ZxStatus::InvalidArgs,
            "PERM_EXECUTE without PERM_READ",
        );
        // The READ the flag adds needs the READ right.
        let no_read = dup(exec, rights::DEFAULT_VMO & !rights::READ | rights::EXECUTE);
        assert_err(
            map(root, xom, 0, no_read, 0, PAGE),
            ZxStatus::AccessDenied,
            "READ_IF_XOM_UNSUPPORTED without READ",
        );
        close(no_read);
    });
    close(exec);
    zx::println!(
        "vmar_map: READ_IF_XOM_UNSUPPORTED maps readable (no execute-only here), needs READ"
    );
}

fn main(root: Handle) -> i64 {
    read_if_xom_unsupported(root);
    basic(root);
    handle_errors(root);
    rights_checks(root);
    argument_checks(root);
    specific_and_overlap(root);
    kernel_picks(root);
    len_rounding(root);
    beyond_vmo_and_offsets(root);
    read_only(root);
    bad_mapped_addr(root);
    mapping_keeps_vmo(root);
    0
}

zx::entry!(main);
