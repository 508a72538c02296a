//! Tests of the client authentication methods, one file per method.

mod assertion;
mod identify;
mod self_signed;
mod tls;
