//! The targets, grouped by what they parse.

pub mod certificates;
pub mod form;
pub mod jose;
pub mod json_bodies;
pub mod proxy_protocol;
pub mod registration;
pub mod signed;
