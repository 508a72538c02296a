//! The embedded backend's tests, each run on both engines; the memory
//! engine's own (snapshots, budget) are in `memory/tests.rs`.

mod memory_engine {
    use super::super::layout::*;
    use super::super::*;
    use crate::store::kv::{KeyRange, RangeOptions, RunOptions};
    use std::path::PathBuf;
    const ENGINE: EngineKind = EngineKind::Memory;
    include!("cases.rs");
}

mod lsm_engine {
    use super::super::layout::*;
    use super::super::*;
    use crate::store::kv::{KeyRange, RangeOptions, RunOptions};
    use std::path::PathBuf;
    const ENGINE: EngineKind = EngineKind::Lsm;
    include!("cases.rs");
}
