//! Fiducia: an OpenID Provider for open banking.
//!
//! The module tree follows `docs/ARCHITECTURE.md`: `protocol` is sans-IO logic
//! (no sockets, no clock: `now` is a parameter), `http` turns bytes on the wire
//! into typed requests and OAuth errors into responses, `actors` holds the
//! ractor runtime, `admin` the health and metrics listener, `pki` the
//! development certificate tooling, `directory` the sandbox regulatory directory and
//! `sandbox` the one-command ecosystem.
#![forbid(unsafe_code)]

pub mod actors;
pub mod admin;
pub mod admin_cli;
pub mod child;
pub mod clock;
pub mod config;
pub mod config_api;
pub mod consent;
pub mod demo;
pub mod directory;
pub mod gateway;
pub mod http;
pub mod jwks_fetch;
pub mod login;
pub mod model;
pub mod oauth;
pub mod outbound;
pub mod pki;
pub mod protocol;
pub mod sandbox;
pub mod server;
pub mod signing;
pub mod store;
pub mod telemetry;
