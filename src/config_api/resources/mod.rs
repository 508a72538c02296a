//! One file per Config API resource: its routes (`ROUTES`), handlers and
//! its part of the OpenAPI document (`openapi()`: `paths` and `schemas`),
//! listed in `router::RESOURCES` (`clients_openapi.rs` and
//! `customers_openapi.rs` are the clients and customers resources' long
//! document parts, not resources; `section_items.rs` is the routes every
//! list section managed live shares).

pub mod audit;
pub mod clients;
mod clients_openapi;
pub mod customers;
mod customers_openapi;
pub mod effective_config;
pub mod keys;
pub mod openapi;
mod openapi_refusals;
pub mod policies;
pub mod resource_servers;
pub mod section_items;
pub mod trusted_directories;
