//! The allow-list. A guest call is decoded from w0 as SMCCC says (the upper
//! 32 bits of x0 are ignored), and is one of [`Call`]'s named functions or
//! [`Call::Refused`]: there is no "pass it on" case.

use hyp_abi::{status, HypCall, HypConfig, PsciFirmware};

/// The instruction that made the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conduit {
    Hvc,
    Smc,
}

/// The SMCCC calling convention the id selects: 32-bit calls use w1..w3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    W32,
    W64,
}

impl Width {
    /// An argument as this convention reads it.
    pub const fn arg(self, x: u64) -> u64 {
        match self {
            Width::W32 => x as u32 as u64,
            Width::W64 => x,
        }
    }
}

/// PSCI functions the layer implements (checked or passed on with the
/// layer's own entry point).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Psci {
    Version,
    CpuSuspend,
    CpuOff,
    CpuOn,
    AffinityInfo,
    MigrateInfoType,
    SystemOff,
    SystemReset,
    Features,
    SystemSuspend,
}

/// What a guest call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// The layer's own ([`HypCall::Query`], [`HypCall::State`]); HVC only.
    Hyp(HypCall),
    /// SMCCC_VERSION: answered by the layer.
    SmcccVersion,
    /// SMCCC_ARCH_FEATURES: the layer offers no workarounds.
    SmcccArchFeatures,
    /// A PSCI function under one of its ids.
    Psci(Psci, Width),
    /// Not on the list: NOT_SUPPORTED, never sent to the firmware.
    Refused,
}

const FAST: u32 = 1 << 31;
const SMC64: u32 = 1 << 30;
const OWNER_SHIFT: u32 = 24;
const OWNER_MASK: u32 = 0x3f;
/// Bits 23:16 of a fast call's id must be zero.
const MBZ: u32 = 0x00ff_0000;
const OWNER_ARCH: u32 = 0;
const OWNER_STANDARD: u32 = 4;
const OWNER_VENDOR_HYP: u32 = 6;

/// Decodes the call in `x0` made with `conduit`, given the firmware's PSCI
/// 0.1 ids (which are firmware-chosen numbers and take 64-bit arguments).
pub fn decode(x0: u64, conduit: Conduit, fw: &PsciFirmware) -> Call {
    let fid = x0 as u32;
    if fw.present != 0 {
        for (id, f) in [
            (fw.v0_1_cpu_on, Psci::CpuOn),
            (fw.v0_1_cpu_off, Psci::CpuOff),
            (fw.v0_1_cpu_suspend, Psci::CpuSuspend),
        ] {
            if id != 0 && u64::from(fid) == id {
                return Call::Psci(f, Width::W64);
            }
        }
        // PSCI 0.1 MIGRATE (fw.v0_1_migrate) is not on the list.
    }
    if fid & FAST == 0 || fid & MBZ != 0 {
        return Call::Refused;
    }
    let w64 = fid & SMC64 != 0;
    let width = if w64 { Width::W64 } else { Width::W32 };
    let num = fid & 0xffff;
    match (fid >> OWNER_SHIFT) & OWNER_MASK {
        OWNER_ARCH => match (num, w64) {
            (0, false) => Call::SmcccVersion,
            (1, false) => Call::SmcccArchFeatures,
            _ => Call::Refused,
        },
        OWNER_STANDARD => {
            let f = match (num, w64) {
                (0x0, false) => Psci::Version,
                (0x1, _) => Psci::CpuSuspend,
                (0x2, false) => Psci::CpuOff,
                (0x3, _) => Psci::CpuOn,
                (0x4, _) => Psci::AffinityInfo,
                (0x6, false) => Psci::MigrateInfoType,
                (0x8, false) => Psci::SystemOff,
                (0x9, false) => Psci::SystemReset,
                (0xa, false) => Psci::Features,
                (0xe, _) => Psci::SystemSuspend,
                // MIGRATE, MIGRATE_INFO_UP_CPU, CPU_FREEZE, CPU_DEFAULT_SUSPEND,
                // NODE_HW_STATE, SYSTEM_RESET2, MEM_PROTECT*, stats, ...
                _ => return Call::Refused,
            };
            Call::Psci(f, width)
        }
        OWNER_VENDOR_HYP if conduit == Conduit::Hvc => match HypCall::from_id(fid) {
            Some(c @ (HypCall::Query | HypCall::State)) => Call::Hyp(c),
            _ => Call::Refused,
        },
        _ => Call::Refused,
    }
}

/// Whether PSCI `power_state` asks for a state that loses the core's
/// context (StateType: bit 30 in the extended StateID format, bit 16 in
/// the original one).
pub const fn is_power_down(power_state: u64, extended_format: bool) -> bool {
    let bit = if extended_format { 30 } else { 16 };
    power_state & (1 << bit) != 0
}

/// A guest entry point must be an instruction in the guest's RAM.
pub fn check_entry(cfg: &HypConfig, entry: u64) -> Result<(), i64> {
    if !entry.is_multiple_of(4) || !cfg.in_guest_ram(entry, 4) {
        return Err(status::INVALID_ADDRESS);
    }
    Ok(())
}

/// A context id is 0 ("none") or an address in the guest's RAM: the layer
/// never dereferences it, but a value naming its own region or a device is
/// refused rather than handed on.
pub fn check_context(cfg: &HypConfig, ctx: u64) -> Result<(), i64> {
    if ctx != 0 && !cfg.in_guest_ram(ctx, 1) {
        return Err(status::INVALID_ADDRESS);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyp_abi::MemRange;

    fn qemu_fw() -> PsciFirmware {
        PsciFirmware {
            present: 1,
            v0_2: 1,
            v0_1_cpu_on: 0xc400_0003,
            v0_1_cpu_off: 0x8400_0002,
            v0_1_cpu_suspend: 0xc400_0001,
            v0_1_migrate: 0xc400_0005,
        }
    }

    #[test]
    fn function_id_comes_from_w0_only() {
        let fw = qemu_fw();
        assert_eq!(
            decode(0xdead_beef_8400_0000, Conduit::Smc, &fw),
            Call::Psci(Psci::Version, Width::W32)
        );
        assert_eq!(
            decode(0xffff_ffff_c400_0003, Conduit::Smc, &fw),
            Call::Psci(Psci::CpuOn, Width::W64)
        );
    }

    #[test]
    fn every_cpu_on_id() {
        let fw = PsciFirmware {
            v0_1_cpu_on: 0x95c1_ba5e,
            ..qemu_fw()
        };
        for (fid, w) in [
            (0x95c1_ba5e, Width::W64),
            (0x8400_0003, Width::W32),
            (0xc400_0003, Width::W64),
        ] {
            assert_eq!(
                decode(fid, Conduit::Smc, &fw),
                Call::Psci(Psci::CpuOn, w),
                "{fid:#x}"
            );
        }
        // Without firmware the 0.1 id is just a number.
        let none = PsciFirmware::default();
        assert_eq!(decode(0x95c1_ba5e, Conduit::Smc, &none), Call::Refused);
    }

    #[test]
    fn refused_by_default() {
        let fw = qemu_fw();
        for fid in [
            0u64,
            0x0400_0003, // yielding call
            0x8401_0003, // MBZ bits set
            0xc400_0000, // PSCI_VERSION has no SMC64 id
            0xc400_0008, // nor SYSTEM_OFF
            0x8400_0005, // MIGRATE
            0xc400_0005, // MIGRATE (also the 0.1 id here)
            0x8400_0007, // MIGRATE_INFO_UP_CPU
            0x8400_0012, // SYSTEM_RESET2
            0x8400_0013, // MEM_PROTECT
            0x8000_8000, // SMCCC_ARCH_WORKAROUND_1 as a call
            0x8200_0000, // SiP
            0x8300_0000, // OEM
            0xb200_0000, // trusted OS
            0xc600_0010, // Launch: the boot stub's, not the layer's
            0x8600_0000, // vendor hyp, 32-bit: not ours
        ] {
            assert_eq!(decode(fid, Conduit::Smc, &fw), Call::Refused, "{fid:#x}");
        }
        // The layer's own calls only by HVC.
        assert_eq!(decode(0xc600_0000, Conduit::Smc, &fw), Call::Refused);
        assert_eq!(
            decode(0xc600_0000, Conduit::Hvc, &fw),
            Call::Hyp(HypCall::Query)
        );
        assert_eq!(decode(0xc600_0010, Conduit::Hvc, &fw), Call::Refused);
    }

    #[test]
    fn power_down_bit() {
        assert!(is_power_down(1 << 16, false));
        assert!(!is_power_down(1 << 16, true));
        assert!(is_power_down(1 << 30, true));
        assert!(!is_power_down(0, false));
    }

    #[test]
    fn entry_and_context_checks() {
        let mut cfg = HypConfig {
            n_ram: 1,
            ..HypConfig::default()
        };
        cfg.ram[0] = MemRange {
            base: 0x4000_0000,
            size: 0x1000_0000,
        };
        assert_eq!(check_entry(&cfg, 0x4008_0000), Ok(()));
        assert_eq!(check_entry(&cfg, 0x4008_0002), Err(status::INVALID_ADDRESS));
        assert_eq!(check_entry(&cfg, 0x5000_0000), Err(status::INVALID_ADDRESS));
        assert_eq!(check_entry(&cfg, 0), Err(status::INVALID_ADDRESS));
        assert_eq!(check_context(&cfg, 0), Ok(()));
        assert_eq!(check_context(&cfg, 0x4fff_ffff), Ok(()));
        assert_eq!(
            check_context(&cfg, 0x9000_0000),
            Err(status::INVALID_ADDRESS)
        );
    }
}
