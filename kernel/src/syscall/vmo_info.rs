//! The `zx_info_vmo_t` record of a VMO (`ZX_INFO_VMO` and every entry of
//! `ZX_INFO_PROCESS_VMOS`): its identity, shape, flags and attribution
//! figures, and how the asking process reaches it.

use crate::object::ObjectType;
use crate::vm::vmo::Kind;
use crate::vm::VmoObject;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use zx_abi::{InfoVmo, Rights, VmoInfoFlags};

/// How a process reaches a VMO, for `zx_info_vmo_t.flags` and
/// `handle_rights`.
#[derive(Clone, Copy)]
pub enum Via {
    Handle(Rights),
    Mapping,
}

/// A `zx_info_vmo_t`.
pub fn vmo_info(v: &Arc<VmoObject>, via: Via) -> InfoVmo {
    // A reference's own record holds no page: nothing is attributed to it
    // (Zircon's rule; its root counts the pages). Its size is its root's,
    // read after this lock is dropped (one VMO lock at a time).
    let (name, usage, options) = {
        let inner = v.inner.lock();
        let vmo = &inner.vmo;
        (*vmo.name(), vmo.attribution(), vmo.options())
    };
    let size = v.size();
    let (mut flags, handle_rights) = match via {
        Via::Handle(rights) => (VmoInfoFlags::VIA_HANDLE, rights),
        Via::Mapping => (VmoInfoFlags::VIA_MAPPING, Rights::NONE),
    };
    flags |= VmoInfoFlags::TYPE_PAGED;
    if options.contains(mm::vmo::VmoOptions::RESIZABLE) {
        flags |= VmoInfoFlags::RESIZABLE;
    }
    if options.contains(mm::vmo::VmoOptions::DISCARDABLE) {
        flags |= VmoInfoFlags::DISCARDABLE;
    }
    if let Kind::Snapshot { immutable } = v.kind {
        flags |= VmoInfoFlags::IS_COW_CLONE;
        if immutable {
            flags |= VmoInfoFlags::IMMUTABLE;
        }
    }
    let mappings = v.mapping_count.load(Ordering::Acquire) as u64;
    InfoVmo {
        koid: v.koid(),
        name,
        size_bytes: size,
        parent_koid: v.parent().map_or(0, |(_, koid)| *koid),
        num_children: v.child_count() as u64,
        num_mappings: mappings,
        share_count: if mappings == 0 {
            0
        } else {
            v.mapping_address_spaces()
        },
        flags: flags.bits(),
        committed_bytes: usage.committed_bytes,
        handle_rights: handle_rights.bits(),
        cache_policy: v.cache_policy(),
        metadata_bytes: usage.metadata_bytes,
        populated_bytes: usage.populated_bytes,
        committed_private_bytes: usage.committed_private_bytes,
        populated_private_bytes: usage.populated_private_bytes,
        committed_scaled_bytes: usage.committed_scaled_bytes,
        populated_scaled_bytes: usage.populated_scaled_bytes,
        committed_fractional_scaled_bytes: usage.committed_fractional_scaled_bytes,
        populated_fractional_scaled_bytes: usage.populated_fractional_scaled_bytes,
        ..Default::default()
    }
}
