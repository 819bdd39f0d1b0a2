//! W^X for EL0: a mapping that is both writable and executable is refused
//! (`ZX_ERR_NOT_SUPPORTED`) even with every right, while R|W and R|X
//! mappings of the same executable VMO work. Rights errors still come first.
#![no_std]
#![no_main]

use el0_tests::zx::{self, vm_opt, ZxStatus};

const R: u32 = vm_opt::PERM_READ;
const W: u32 = vm_opt::PERM_WRITE;
const X: u32 = vm_opt::PERM_EXECUTE;

fn main(root: zx::Handle) -> i64 {
    el0_tests::assert_no_leak("vmar_map_wx", || {
        let plain = zx::vmo_create(4096, 0).expect("create");
        // Without EXECUTE the rights check answers first.
        assert_eq!(
            zx::vmar_map(root, R | W | X, 0, plain, 0, 4096),
            Err(ZxStatus::AccessDenied)
        );
        let exec = zx::vmo_replace_as_executable(plain, zx::ZX_HANDLE_INVALID).expect("replace");
        assert_eq!(
            zx::vmar_map(root, R | W | X, 0, exec, 0, 4096),
            Err(ZxStatus::NotSupported)
        );
        let rw = zx::vmar_map(root, R | W, 0, exec, 0, 4096).expect("R|W");
        let rx = zx::vmar_map(root, R | X, 0, exec, 0, 4096).expect("R|X");
        zx::vmar_unmap(root, rw, 4096).expect("unmap rw");
        zx::vmar_unmap(root, rx, 4096).expect("unmap rx");
        zx::handle_close(exec).expect("close");
    });
    zx::println!("vmar_map_wx: writable+executable refused, R|W and R|X fine");
    0
}

zx::entry!(main);
