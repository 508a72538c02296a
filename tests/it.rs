//! The one integration-test binary (STYLE.md §12): every test over real
//! sockets, real TLS and real processes lives in `tests/it/*.rs`, with the
//! layer rule of the source tree (`layers.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod it {
    pub mod admin;
    pub mod admission;
    pub mod balancer;
    pub mod bank;
    pub mod ciba;
    pub mod cluster;
    pub mod config_api;
    pub mod customers;
    pub mod dcr;
    pub mod demo;
    pub mod deploy;
    pub mod device;
    pub mod directory;
    pub mod flow;
    pub mod gateway;
    pub mod h3_limits;
    pub mod hsm;
    pub mod layers;
    pub mod loadtest;
    pub mod loadtest_verify;
    pub mod nodes;
    pub mod pg_server;
    pub mod process;
    pub mod sandbox_login_app;
    pub mod serving;
    pub mod store;
    pub mod support;
    pub mod tls;
}
