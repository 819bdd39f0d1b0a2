//! The reference count that shares frames between copy-on-write relatives:
//! `alloc`'s `Arc` in every build, loom's in this crate's own tests under
//! `--cfg loom` (the models in `models.rs`, run by `scripts/loom.sh`), so
//! that loom explores every interleaving of two VMOs, each behind its own
//! lock, dropping, copying and taking back a frame they share. Only this
//! crate's test build switches: the kernel's (and every other) build of
//! `mm` keeps `alloc`'s.

#[cfg(not(all(loom, test)))]
pub(crate) use alloc::sync::Arc;
#[cfg(all(loom, test))]
pub(crate) use loom::sync::Arc;
