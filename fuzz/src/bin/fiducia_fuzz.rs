//! The AFL++ entry point: `FIDUCIA_FUZZ_TARGET` names the target
//! (`fiducia_fuzz::TARGETS`); `scripts/fuzz.sh` sets it.

fn main() {
    let name = std::env::var("FIDUCIA_FUZZ_TARGET").unwrap_or_default();
    let Some(target) = fiducia_fuzz::target(&name) else {
        let names: Vec<&str> = fiducia_fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
        eprintln!("FIDUCIA_FUZZ_TARGET must be one of: {}", names.join(", "));
        std::process::exit(2);
    };
    afl::fuzz!(|data: &[u8]| target(data));
}
