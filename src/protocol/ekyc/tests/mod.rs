//! Tests of the identity assurance layer: every request example of OpenID
//! Connect for Identity Assurance 1.0's request sections against one
//! fixture customer, filters, arrays, `purpose`, malformed requests,
//! record validation, discovery and the consent summary.

mod consent;
mod filters;
mod fixture;
mod malformed;
mod records;
mod spec_requests;
