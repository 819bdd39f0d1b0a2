//! The initrd the kernel booted with, kept for `initrd_file` (a program
//! asks for another program of the initrd as a VMO). The runner sets it
//! once, before any program runs; system calls only read it.

use crate::cpio::Archive;

static INITRD: spin::Once<&'static [u8]> = spin::Once::new();

/// Keeps `initrd` (the first call wins).
pub fn set(initrd: &'static [u8]) {
    INITRD.call_once(|| initrd);
}

/// The contents of the initrd's file `name`.
pub fn file(name: &[u8]) -> Option<&'static [u8]> {
    let initrd = INITRD.get()?;
    Archive::new(initrd)
        .map_while(Result::ok)
        .find(|e| e.name.as_bytes() == name)
        .map(|e| e.data)
}
