//! Tests `zx_debug_write`: ordinary writes, NULL with length 0, bad buffers
//! with a length (INVALID_ARGS), writes longer than 256 bytes (clamped, OK)
//! and a buffer in a mapped page the program never touched.
#![no_std]
#![no_main]

use el0_tests::{assert_no_leak, close, st, vmo, write, zx, Mapping, BAD_POINTERS, PAGE};
use zx::{vm_opt, Handle, ZxStatus};

fn raw_debug_write(buf: usize, len: usize) -> zx::Status {
    // SAFETY: the kernel only reads `len` bytes at `buf`; callers pass live
    // memory or addresses the kernel must refuse.
    st(unsafe { zx::raw::debug_write(buf as *const u8, len) })
}

fn ordinary() {
    assert_eq!(
        zx::debug_write(b"debug_write: a plain line\n"),
        Ok(()),
        "plain write"
    );
    assert_eq!(zx::debug_write(b""), Ok(()), "empty slice");
    assert_eq!(raw_debug_write(0, 0), Ok(()), "NULL with length 0");
    let exact = [b'='; zx::DEBUG_WRITE_MAX];
    assert_eq!(
        zx::debug_write(&exact[..zx::DEBUG_WRITE_MAX - 1]),
        Ok(()),
        "255 bytes"
    );
    assert_eq!(zx::debug_write(b"\n"), Ok(()), "newline");
    zx::println!("debug_write: plain, empty and NULL-with-0 writes OK");
}

fn long() {
    // 300 bytes: the kernel prints the first 256 and still returns OK.
    let mut buf = [b'-'; 300];
    buf[..12].copy_from_slice(b"<300 bytes: ");
    buf[299] = b'\n';
    assert_eq!(zx::debug_write(&buf), Ok(()), "300-byte write");
    assert_eq!(zx::debug_write(b"\n"), Ok(()), "newline");
    zx::println!("debug_write: writes over 256 bytes are clamped and OK");
}

fn bad_buffers() {
    for (name, bad) in BAD_POINTERS {
        for len in [1, 16, zx::DEBUG_WRITE_MAX, 4096] {
            assert_eq!(
                raw_debug_write(bad, len),
                Err(ZxStatus::InvalidArgs),
                "debug_write buf {} len {}",
                name,
                len
            );
        }
    }
    zx::println!("debug_write: bad buffers are INVALID_ARGS");
}

fn from_mappings(root: Handle) {
    assert_no_leak("debug_write from mappings", || {
        let h = vmo(2 * PAGE as u64, 0);
        let line = b"debug_write: this line came from a read-only mapping\n";
        write(h, line, PAGE as u64 - 20);
        let m = Mapping::new(root, h, 2 * PAGE, vm_opt::PERM_READ);
        // The buffer crosses into the second page, which no one touched
        // through the mapping.
        assert_eq!(
            raw_debug_write(m.addr + PAGE - 20, line.len()),
            Ok(()),
            "write from a read-only mapping"
        );
        m.unmap();
        close(h);
    });
    zx::println!("debug_write: buffers in mappings are read by the kernel");
}

fn main(root: Handle) -> i64 {
    ordinary();
    long();
    bad_buffers();
    from_mappings(root);
    0
}

zx::entry!(main);
