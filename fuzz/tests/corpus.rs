//! Every committed seed (`fuzz/corpus/TARGET/`) and every input a fuzzer
//! once broke a parser with (`fuzz/regressions/TARGET/`, each fixed since)
//! through its target, with its prefixes and single-byte changes: a quick
//! stand-in for a fuzzing run on each `cargo test`, and the regression tests
//! of the fixes the long runs forced (`scripts/fuzz.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, Vec<u8>)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

/// The input, every prefix of its first 256 bytes, and each of its first
/// 256 bytes replaced by three values that parsers treat specially.
fn variants(input: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![input.to_vec()];
    let head = input.len().min(256);
    out.extend((0..head).map(|n| input[..n].to_vec()));
    for at in 0..head {
        for byte in [0x00, 0xff, b'%'] {
            let mut changed = input.to_vec();
            changed[at] = byte;
            out.push(changed);
        }
    }
    out
}

#[test]
fn every_target_has_seeds_and_every_corpus_folder_a_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, _) in fiducia_fuzz::TARGETS {
        assert!(
            !inputs(&root.join("corpus").join(name)).is_empty(),
            "fuzz/corpus/{name}/ holds no seed"
        );
    }
    for folder in ["corpus", "regressions"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let name = path.file_name().unwrap().to_str().unwrap();
                assert!(
                    fiducia_fuzz::target(name).is_some(),
                    "fuzz/{folder}/{name}: no such target"
                );
            }
        }
    }
}

#[test]
fn seeds_and_regressions_run_through_their_targets_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut runs = 0;
    for (name, target) in fiducia_fuzz::TARGETS {
        for folder in ["corpus", "regressions"] {
            for (path, input) in inputs(&root.join(folder).join(name)) {
                for variant in variants(&input) {
                    let outcome = std::panic::catch_unwind(|| target(&variant));
                    assert!(
                        outcome.is_ok(),
                        "{name} panicked on a variant of {}",
                        path.display()
                    );
                    runs += 1;
                }
            }
        }
    }
    assert!(runs > 1_000, "only {runs} inputs ran");
}
