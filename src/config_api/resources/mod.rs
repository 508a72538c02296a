//! One file per Config API resource: its routes (`ROUTES`), handlers and
//! its part of the OpenAPI document (`openapi()`: `paths` and `schemas`),
//! listed in `routes::RESOURCES`.

pub mod audit;
pub mod effective_config;
pub mod keys;
pub mod openapi;
