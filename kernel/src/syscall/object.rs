//! `zx_object_get_property`, `zx_object_set_property`, `zx_object_get_info`
//! and `zx_object_wait_one`.

use super::user;
use super::Outcome;
use crate::object::KernelObject;
use crate::process::Process;
use crate::vm::vmo::Kind;
use crate::vm::VmoObject;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use zx_abi::{
    obj_type, prop, rights, signals, topic, vmo_info_flags, Handle, ZxStatus, ZX_MAX_NAME_LEN,
};

/// The common start of both property calls: a NULL value is `INVALID_ARGS`
/// before the handle is looked at, then the handle needs `right`.
fn property_target(
    p: &Process,
    h: Handle,
    value: u64,
    right: u32,
) -> Result<crate::handle::Entry, ZxStatus> {
    if value == 0 {
        return Err(ZxStatus::InvalidArgs);
    }
    let e = p.handles.get(h)?.clone();
    if e.rights & right == 0 {
        return Err(ZxStatus::AccessDenied);
    }
    Ok(e)
}

pub fn get_property(
    p: &mut Process,
    h: Handle,
    property: u32,
    value: u64,
    size: u64,
) -> Result<(), ZxStatus> {
    let e = property_target(p, h, value, rights::GET_PROPERTY)?;
    let bad_pointer = |e: user::UserCopyError| e.or(ZxStatus::InvalidArgs);
    match (property, &e.object) {
        (prop::NAME, KernelObject::Vmo(v)) => {
            if size < ZX_MAX_NAME_LEN as u64 {
                return Err(ZxStatus::BufferTooSmall);
            }
            let name = *v.inner.lock().vmo.name();
            user::write_bytes(p, value, &name).map_err(bad_pointer)
        }
        (prop::VMO_CONTENT_SIZE, KernelObject::Vmo(v)) => {
            if size < 8 {
                return Err(ZxStatus::BufferTooSmall);
            }
            let content = v.inner.lock().vmo.content_size();
            user::write_bytes(p, value, &content.to_le_bytes()).map_err(bad_pointer)
        }
        (prop::VMO_CONTENT_SIZE, _) => Err(ZxStatus::WrongType),
        _ => Err(ZxStatus::NotSupported),
    }
}

pub fn set_property(
    p: &mut Process,
    h: Handle,
    property: u32,
    value: u64,
    size: u64,
) -> Result<(), ZxStatus> {
    let e = property_target(p, h, value, rights::SET_PROPERTY)?;
    match (property, &e.object) {
        (prop::NAME, KernelObject::Vmo(v)) => {
            let len = (size as usize).min(ZX_MAX_NAME_LEN - 1);
            let mut name = [0u8; ZX_MAX_NAME_LEN];
            user::read_bytes(p, value, &mut name[..len])
                .map_err(|e| e.or(ZxStatus::InvalidArgs))?;
            v.inner.lock().vmo.set_name(&name[..len]);
            Ok(())
        }
        (prop::VMO_CONTENT_SIZE, KernelObject::Vmo(v)) => {
            if e.rights & rights::WRITE == 0 {
                return Err(ZxStatus::AccessDenied);
            }
            if size < 8 {
                return Err(ZxStatus::BufferTooSmall);
            }
            let mut bytes = [0u8; 8];
            user::read_bytes(p, value, &mut bytes).map_err(|e| e.or(ZxStatus::InvalidArgs))?;
            set_content_size(v, u64::from_le_bytes(bytes))
        }
        (prop::VMO_CONTENT_SIZE, _) => Err(ZxStatus::WrongType),
        _ => Err(ZxStatus::NotSupported),
    }
}

/// Sets the content size and zeroes what lies beyond it (through the root
/// for a slice), after dropping page-table entries of pages that may go.
fn set_content_size(v: &Arc<VmoObject>, content: u64) -> Result<(), ZxStatus> {
    let size = v.size();
    if content < size {
        let (root, root_offset) = v.root(content);
        root.unmap_pages(root_offset, size - content);
        if v.window.is_some() {
            root.inner.lock().vmo.zero(root_offset, size - content)?;
        }
    }
    // For a slice its own (page-less) record holds the content size; for a
    // plain VMO this also zeroes the tail.
    let result = v.inner.lock().vmo.set_content_size(content);
    result
}

/// Writes the record-count out-pointers of `zx_object_get_info`, when given.
fn write_counts(
    p: &Process,
    actual: u64,
    avail: u64,
    n_actual: u64,
    n_avail: u64,
) -> Result<(), ZxStatus> {
    for (ptr, value) in [(actual, n_actual), (avail, n_avail)] {
        if ptr != 0 {
            user::write_u64(p, ptr, value).map_err(|e| e.or(ZxStatus::InvalidArgs))?;
        }
    }
    Ok(())
}

/// Size of `zx_info_vmo_t` for each topic version.
fn vmo_info_size(t: u32) -> Option<usize> {
    match t {
        topic::VMO_V1 => Some(104),
        topic::VMO_V2 => Some(120),
        topic::VMO_V3 => Some(128),
        topic::VMO => Some(176),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
pub fn get_info(
    p: &mut Process,
    h: Handle,
    t: u32,
    buf: u64,
    buf_size: u64,
    actual: u64,
    avail: u64,
) -> Result<(), ZxStatus> {
    let e = p.handles.get(h)?.clone();
    let record: Vec<u8> = match t {
        topic::HANDLE_VALID => return Ok(()),
        topic::HANDLE_BASIC => {
            let mut r = Vec::from([0u8; 32]);
            r[0..8].copy_from_slice(&e.object.koid().to_le_bytes());
            r[8..12].copy_from_slice(&e.rights.to_le_bytes());
            r[12..16].copy_from_slice(&e.object.obj_type().to_le_bytes());
            r
        }
        t if vmo_info_size(t).is_some() => {
            let KernelObject::Vmo(v) = &e.object else {
                return Err(ZxStatus::WrongType);
            };
            let mut r = vmo_info(v, e.rights);
            r.truncate(vmo_info_size(t).unwrap_or(176));
            r
        }
        _ => return Err(ZxStatus::NotSupported),
    };
    if (buf_size as usize) < record.len() {
        write_counts(p, actual, avail, 0, 1)?;
        return Err(ZxStatus::BufferTooSmall);
    }
    user::write_bytes(p, buf, &record).map_err(|e| e.or(ZxStatus::InvalidArgs))?;
    write_counts(p, actual, avail, 1, 1)
}

/// A `zx_info_vmo_t` (the newest layout, 176 bytes).
fn vmo_info(v: &Arc<VmoObject>, handle_rights: u32) -> Vec<u8> {
    let mut r = Vec::from([0u8; 176]);
    let put =
        |r: &mut Vec<u8>, at: usize, bytes: &[u8]| r[at..at + bytes.len()].copy_from_slice(bytes);
    let (name, size, committed, private, options) = {
        let inner = v.inner.lock();
        let vmo = &inner.vmo;
        (
            *vmo.name(),
            vmo.size(),
            vmo.committed_pages() as u64 * 4096,
            vmo.private_pages() as u64 * 4096,
            vmo.options(),
        )
    };
    let mut flags = vmo_info_flags::TYPE_PAGED | vmo_info_flags::VIA_HANDLE;
    if options.contains(mm::vmo::VmoOptions::RESIZABLE) {
        flags |= vmo_info_flags::RESIZABLE;
    }
    if options.contains(mm::vmo::VmoOptions::DISCARDABLE) {
        flags |= vmo_info_flags::DISCARDABLE;
    }
    if let Kind::Snapshot { immutable } = v.kind {
        flags |= vmo_info_flags::IS_COW_CLONE;
        if immutable {
            flags |= vmo_info_flags::IMMUTABLE;
        }
    }
    let mappings = v.mapping_count.load(Ordering::Acquire) as u64;
    let share_count = if mappings == 0 {
        0
    } else {
        let (root, _) = v.root(0);
        // Distinct address spaces among the mappings, counted in place with
        // a small fixed set (the list can be long: no heap, linear time).
        let inner = root.inner.lock();
        let mut seen = [0usize; 16];
        let mut distinct = 0;
        for m in inner.mappings.values() {
            let id = m.aspace.as_ptr() as usize;
            if !seen[..distinct.min(16)].contains(&id) {
                if distinct < 16 {
                    seen[distinct] = id;
                }
                distinct += 1;
            }
        }
        distinct.max(1) as u64
    };
    put(&mut r, 0, &v.koid.to_le_bytes());
    put(&mut r, 8, &name);
    put(&mut r, 40, &size.to_le_bytes());
    put(
        &mut r,
        48,
        &v.parent.as_ref().map_or(0, |(_, koid)| *koid).to_le_bytes(),
    );
    put(
        &mut r,
        56,
        &(v.children.load(Ordering::Acquire) as u64).to_le_bytes(),
    );
    put(&mut r, 64, &mappings.to_le_bytes());
    put(&mut r, 72, &share_count.to_le_bytes());
    put(&mut r, 80, &flags.to_le_bytes());
    put(&mut r, 88, &committed.to_le_bytes());
    put(&mut r, 96, &handle_rights.to_le_bytes());
    // 100 cache_policy 0, 104 metadata_bytes 0, 112 committed_change_events 0.
    put(&mut r, 120, &committed.to_le_bytes()); // populated_bytes
    put(&mut r, 128, &private.to_le_bytes()); // committed_private_bytes
    put(&mut r, 136, &private.to_le_bytes()); // populated_private_bytes
    put(&mut r, 144, &committed.to_le_bytes()); // committed_scaled_bytes
    put(&mut r, 152, &committed.to_le_bytes()); // populated_scaled_bytes
    r
}

/// `zx_object_wait_one`. Only this process's one thread could change a
/// signal it waits on, so a wait that is not satisfied now only ends at its
/// deadline; with no deadline it would never end, and the program is killed.
pub fn wait_one(
    p: &mut Process,
    h: Handle,
    wanted: u32,
    deadline: i64,
    observed: u64,
) -> Result<(), Outcome> {
    let fail = |e: ZxStatus| Outcome::Return(i64::from(e.raw()));
    let e = p.handles.get(h).map_err(fail)?.clone();
    if e.rights & rights::WAIT == 0 {
        return Err(fail(ZxStatus::AccessDenied));
    }
    let KernelObject::Vmo(v) = &e.object else {
        return Err(fail(ZxStatus::NotSupported));
    };
    debug_assert_eq!(e.object.obj_type(), obj_type::VMO);
    let state = if v.has_zero_children() {
        signals::VMO_ZERO_CHILDREN
    } else {
        0
    };
    let result = if state & wanted != 0 {
        Ok(())
    } else if deadline == zx_abi::ZX_TIME_INFINITE {
        return Err(Outcome::Kill(String::from(
            "blocked forever in zx_object_wait_one: no other thread can raise the signal",
        )));
    } else {
        crate::time::sleep_until_ns(deadline);
        Err(ZxStatus::TimedOut)
    };
    if observed != 0 {
        user::write_u32(p, observed, state).map_err(|e| fail(e.or(ZxStatus::InvalidArgs)))?;
    }
    result.map_err(fail)
}
