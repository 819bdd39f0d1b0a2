//! `platform::dt::parse` never panics: real trees (from `scripts/fetch-dtbs.sh`,
//! see `dt_real_trees.rs`) truncated at every point, with the structure block
//! cut short behind a consistent header, with header fields and structure words
//! overwritten, and with random bytes flipped. Each case must return `Ok` or a
//! `DtError`; a panic fails the test.

use std::path::PathBuf;

use platform::dt::{self, DtError};

fn load(name: &str) -> Vec<u8> {
    let dir = match std::env::var_os("DTB_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/dtb"),
    };
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|err| {
        panic!(
            "cannot read {}: {err}\n\
             Run `bash scripts/fetch-dtbs.sh` from the workspace root (or point DTB_DIR \
             at a directory holding the trees) before `cargo test -p platform`.",
            path.display()
        )
    })
}

/// The trees to mangle: both Pi trees (the QEMU one has FDT_NOPs) and virt.
const TREES: [&str; 3] = ["raspi4b-qemu.dtb", "bcm2711-rpi-4-b.dtb", "virt-el2.dtb"];

fn be32(blob: &[u8], offset: usize) -> u32 {
    u32::from_be_bytes(blob[offset..offset + 4].try_into().unwrap())
}

fn put32(blob: &mut [u8], offset: usize, value: u32) {
    blob[offset..offset + 4].copy_from_slice(&value.to_be_bytes());
}

/// Offset and size of the structure block, from a trusted header.
fn struct_block(blob: &[u8]) -> (usize, usize) {
    (be32(blob, 8) as usize, be32(blob, 36) as usize)
}

/// A small deterministic generator, so a failure reproduces.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn every_truncation_is_reported_as_truncated() {
    for name in TREES {
        let blob = load(name);
        assert!(dt::parse(&blob, 0).is_ok(), "{name} itself must parse");
        // virt's tree is padded to 1 MiB: past the structure, sample the padding.
        let (struct_offset, struct_size) = struct_block(&blob);
        let dense_end = (struct_offset + struct_size + 4096).min(blob.len());
        let cuts = (0..dense_end).chain((dense_end..blob.len()).step_by(4093));
        for cut in cuts {
            assert_eq!(
                dt::parse(&blob[..cut], 0).unwrap_err(),
                DtError::Truncated,
                "{name} cut at {cut}"
            );
        }
    }
}

/// The tree with its structure block ended early (at `keep` bytes, then
/// FDT_END) and the header made consistent again, so the cut reaches the tree
/// walker instead of the header check.
fn with_structure_cut(blob: &[u8], keep: usize) -> Vec<u8> {
    let (struct_offset, struct_size) = struct_block(blob);
    let strings_offset = be32(blob, 12) as usize;
    let strings_size = be32(blob, 32) as usize;
    let mut out = blob[..struct_offset + keep].to_vec();
    out.extend_from_slice(&9u32.to_be_bytes());
    let new_strings = out.len();
    out.extend_from_slice(&blob[strings_offset..strings_offset + strings_size]);
    let total = out.len() as u32;
    put32(&mut out, 4, total);
    put32(&mut out, 12, new_strings as u32);
    put32(&mut out, 36, (keep + 4) as u32);
    assert!(keep + 4 <= struct_size + 4);
    out
}

#[test]
fn structure_cut_at_every_word_never_panics() {
    for name in TREES {
        let blob = load(name);
        let (_, struct_size) = struct_block(&blob);
        let mut errors = 0;
        for keep in (0..struct_size - 4).step_by(4) {
            let cut = with_structure_cut(&blob, keep);
            if dt::parse(&cut, 0).is_err() {
                errors += 1;
            }
        }
        // Cutting mid-node leaves a tree the walker must refuse at least
        // sometimes (e.g. before /memory, or before the root's properties end).
        assert!(errors > 0, "{name}: no cut was refused");
        // And the helper itself is right: keeping everything parses.
        assert!(dt::parse(&with_structure_cut(&blob, struct_size - 4), 0).is_ok());
    }
}

#[test]
fn header_fields_overwritten_never_panic() {
    for name in TREES {
        let blob = load(name);
        let len = blob.len() as u32;
        let interesting = [
            0,
            1,
            3,
            4,
            8,
            39,
            40,
            0x48,
            len / 2,
            len - 4,
            len - 1,
            len,
            len + 1,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_fffc,
            0xffff_ffff,
        ];
        for field in 1..10 {
            for &value in &interesting {
                let mut bad = blob.clone();
                put32(&mut bad, field * 4, value);
                let _ = dt::parse(&bad, 0);
            }
        }
        let mut bad = blob.clone();
        put32(&mut bad, 0, 0xedfe_0dd0);
        assert_eq!(dt::parse(&bad, 0).unwrap_err(), DtError::BadMagic);
    }
}

#[test]
fn structure_words_overwritten_never_panic() {
    // Token values, lengths and name offsets near the edges, written over
    // sampled words (every word of every tree takes over a minute unoptimised).
    let values = [
        0,
        1,
        2,
        3,
        4,
        9,
        0x10,
        0x7fff_ffff,
        0xffff_fff0,
        0xffff_ffff,
    ];
    let mut rng = Lcg(0x0dd_f00d);
    for name in ["bcm2711-rpi-4-b.dtb", "virt-el2.dtb"] {
        let blob = load(name);
        let (struct_offset, struct_size) = struct_block(&blob);
        let mut bad = blob.clone();
        for _ in 0..3000 {
            let word = struct_offset + 4 * rng.below(struct_size / 4);
            put32(&mut bad, word, values[rng.below(values.len())]);
            let _ = dt::parse(&bad, 0);
            bad[word..word + 4].copy_from_slice(&blob[word..word + 4]);
        }
    }
}

#[test]
fn random_byte_flips_never_panic() {
    let mut rng = Lcg(0x5eed_d7b0);
    for name in TREES {
        let blob = load(name);
        let (struct_offset, struct_size) = struct_block(&blob);
        let strings_end = (be32(&blob, 12) + be32(&blob, 32)) as usize;
        let live = strings_end.max(struct_offset + struct_size);
        for _ in 0..2000 {
            let mut bad = blob.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(live);
                bad[at] ^= 1 << rng.below(8) as u8;
            }
            let _ = dt::parse(&bad, 0);
        }
    }
}
