//! One file per Config API resource: its routes (`ROUTES`), handlers and
//! its part of the OpenAPI document (`openapi()`: `paths` and `schemas`),
//! listed in `router::RESOURCES` (`clients_openapi.rs` is the clients
//! resource's long document part, not a resource).

pub mod audit;
pub mod clients;
mod clients_openapi;
pub mod effective_config;
pub mod keys;
pub mod openapi;
pub mod policies;
