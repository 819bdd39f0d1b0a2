//! The process topics of `zx_object_get_info` that return arrays:
//! `ZX_INFO_PROCESS_MAPS` (the address-space tree: the address space, its
//! regions and mappings, each mapping with the attribution of the range it
//! maps) and `ZX_INFO_PROCESS_VMOS` (every VMO the process reaches through a
//! handle, then through a mapping), in each topic version. The records are
//! gathered first, under the locks of the address space, the handle table
//! and each VMO in turn, and copied out afterwards.

use super::vmo_info::{vmo_info, Via};
use crate::object::{downcast, ObjectRef, ObjectType};
use crate::task::process::Process;
use crate::vm::aspace::MapsNode;
use crate::vm::fastcopy::record_as_bytes;
use crate::vm::VmoObject;
use alloc::sync::Arc;
use alloc::vec::Vec;
use mm::attribution::Attribution;
use platform::arch::user_pt::UserPerms;
use zx_abi::{
    maps_type, topic, vm_opt, InfoMaps, InfoMapsMapping, InfoMapsMappingV1, InfoMapsMappingV2,
    InfoMapsOf, InfoMapsV1, InfoMapsV2, InfoVmo, Rights, ZxStatus, PAGE_SIZE, ROOT_VMAR_BASE,
    ROOT_VMAR_SIZE, ZX_MAX_NAME_LEN,
};

/// The records of an array topic, ready to copy out.
pub(super) enum Records {
    Maps(Vec<InfoMaps>, u32),
    Vmos(Vec<InfoVmo>, usize),
}

impl Records {
    /// How many records there are (`avail`).
    pub fn count(&self) -> usize {
        match self {
            Records::Maps(v, _) => v.len(),
            Records::Vmos(v, _) => v.len(),
        }
    }

    /// The size of one record in the topic's version.
    pub fn record_len(&self) -> usize {
        match self {
            Records::Maps(_, topic::PROCESS_MAPS_V1) => core::mem::size_of::<InfoMapsV1>(),
            Records::Maps(_, topic::PROCESS_MAPS_V2) => core::mem::size_of::<InfoMapsV2>(),
            Records::Maps(..) => core::mem::size_of::<InfoMaps>(),
            Records::Vmos(_, len) => *len,
        }
    }

    /// The first `n` records as the topic's version lays them out.
    pub fn bytes(&self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n * self.record_len());
        match self {
            Records::Maps(v, version) => {
                for m in &v[..n] {
                    match *version {
                        topic::PROCESS_MAPS_V1 => out.extend_from_slice(record_as_bytes(&v1(m))),
                        topic::PROCESS_MAPS_V2 => out.extend_from_slice(record_as_bytes(&v2(m))),
                        _ => out.extend_from_slice(record_as_bytes(m)),
                    }
                }
            }
            Records::Vmos(v, len) => {
                for r in &v[..n] {
                    out.extend_from_slice(&record_as_bytes(r)[..*len]);
                }
            }
        }
        out
    }
}

/// The same node in an older layout, with mapping `M`.
fn older<M: Copy>(m: &InfoMaps, mapping: M) -> InfoMapsOf<M> {
    InfoMapsOf {
        name: m.name,
        base: m.base,
        size: m.size,
        depth: m.depth,
        r#type: m.r#type,
        padding1: [0; 4],
        mapping,
    }
}

fn v2(m: &InfoMaps) -> InfoMapsV2 {
    older(
        m,
        InfoMapsMappingV2 {
            mmu_flags: m.mapping.mmu_flags,
            padding1: [0; 4],
            vmo_koid: m.mapping.vmo_koid,
            vmo_offset: m.mapping.vmo_offset,
            committed_pages: m.mapping.committed_bytes / PAGE_SIZE,
            populated_pages: m.mapping.populated_bytes / PAGE_SIZE,
        },
    )
}

fn v1(m: &InfoMaps) -> InfoMapsV1 {
    older(
        m,
        InfoMapsMappingV1 {
            mmu_flags: m.mapping.mmu_flags,
            padding1: [0; 4],
            vmo_koid: m.mapping.vmo_koid,
            vmo_offset: m.mapping.vmo_offset,
            committed_pages: m.mapping.committed_bytes / PAGE_SIZE,
        },
    )
}

/// The records of `info_topic` for `object`, if it is an array topic of
/// a process: `WRONG_TYPE` for another object, `ACCESS_DENIED` without
/// INSPECT, `BAD_STATE` once the process's address space is gone.
pub(super) fn records(
    info_topic: u32,
    object: ObjectRef,
    rights: Rights,
) -> Result<Option<Records>, ZxStatus> {
    let vmos_len = match info_topic {
        topic::PROCESS_VMOS_V1 => Some(topic::VMO_V1),
        topic::PROCESS_VMOS_V2 => Some(topic::VMO_V2),
        topic::PROCESS_VMOS_V3 => Some(topic::VMO_V3),
        topic::PROCESS_VMOS => Some(topic::VMO),
        _ => None,
    }
    .and_then(InfoVmo::size_for_topic);
    let maps = matches!(
        info_topic,
        topic::PROCESS_MAPS_V1 | topic::PROCESS_MAPS_V2 | topic::PROCESS_MAPS
    );
    if vmos_len.is_none() && !maps {
        return Ok(None);
    }
    let process = downcast::<Process>(object).ok_or(ZxStatus::WrongType)?;
    if !rights.contains(Rights::INSPECT) {
        return Err(ZxStatus::AccessDenied);
    }
    if process.is_dead() {
        return Err(ZxStatus::BadState);
    }
    let nodes = process.aspace.maps();
    if maps {
        return Ok(Some(Records::Maps(
            maps_records(&process, nodes),
            info_topic,
        )));
    }
    let mut vmos: Vec<InfoVmo> = process
        .with_handles(|table| {
            table
                .entries()
                .filter_map(|e| {
                    let v = downcast::<VmoObject>(e.object.clone())?;
                    Some((v, e.rights))
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .map(|(v, r)| vmo_info(&v, Via::Handle(r)))
        .collect();
    for n in &nodes {
        if let MapsNode::Mapping { object, .. } = n {
            vmos.push(vmo_info(object, Via::Mapping));
        }
    }
    Ok(Some(Records::Vmos(vmos, vmos_len.unwrap_or(0))))
}

fn name_of(text: &[u8]) -> [u8; ZX_MAX_NAME_LEN] {
    let mut name = [0u8; ZX_MAX_NAME_LEN];
    let n = text.len().min(ZX_MAX_NAME_LEN - 1);
    name[..n].copy_from_slice(&text[..n]);
    name
}

fn mmu_flags(p: UserPerms) -> u32 {
    let mut f = 0;
    for (on, bit) in [
        (p.read, vm_opt::PERM_READ),
        (p.write, vm_opt::PERM_WRITE),
        (p.execute, vm_opt::PERM_EXECUTE),
    ] {
        if on {
            f |= bit;
        }
    }
    f
}

/// The address space (depth 0), then the region tree.
fn maps_records(process: &Arc<Process>, nodes: Vec<MapsNode>) -> Vec<InfoMaps> {
    let mut out = Vec::with_capacity(nodes.len() + 1);
    out.push(InfoMaps {
        name: name_of(process.name.as_bytes()),
        base: ROOT_VMAR_BASE,
        size: ROOT_VMAR_SIZE,
        depth: 0,
        r#type: maps_type::ASPACE,
        ..Default::default()
    });
    for n in nodes {
        out.push(match n {
            MapsNode::Vmar { base, size, depth } => InfoMaps {
                name: name_of(if depth == 1 { b"root" } else { b"useralloc" }),
                base,
                size,
                depth,
                r#type: maps_type::VMAR,
                ..Default::default()
            },
            MapsNode::Mapping {
                base,
                size,
                depth,
                perms,
                object,
                object_offset,
                vmo,
                vmo_offset,
            } => {
                let (name, usage): ([u8; ZX_MAX_NAME_LEN], Attribution) = {
                    let name = *object.inner.lock().vmo.name();
                    // A reference is attributed nothing, so neither is a
                    // mapping of it (Zircon's rule; its root counts the pages).
                    let usage = if object.reference_root().is_some() {
                        Attribution::default()
                    } else {
                        vmo.inner.lock().vmo.attribution_in_range(vmo_offset, size)
                    };
                    (name, usage)
                };
                InfoMaps {
                    name,
                    base,
                    size,
                    depth,
                    r#type: maps_type::MAPPING,
                    padding1: [0; 4],
                    mapping: InfoMapsMapping {
                        mmu_flags: mmu_flags(perms),
                        padding1: [0; 4],
                        vmo_koid: object.koid(),
                        vmo_offset: object_offset,
                        committed_bytes: usage.committed_bytes,
                        populated_bytes: usage.populated_bytes,
                        committed_private_bytes: usage.committed_private_bytes,
                        populated_private_bytes: usage.populated_private_bytes,
                        committed_scaled_bytes: usage.committed_scaled_bytes,
                        populated_scaled_bytes: usage.populated_scaled_bytes,
                        committed_fractional_scaled_bytes: usage.committed_fractional_scaled_bytes,
                        populated_fractional_scaled_bytes: usage.populated_fractional_scaled_bytes,
                    },
                }
            }
        });
    }
    out
}
