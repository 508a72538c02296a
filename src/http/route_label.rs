//! The route label a handler attaches to its response (as an extension) so
//! that metrics count requests by route: its own file so that `context.rs`
//! (whose `Handler::refuse` answers with `response.rs`) and `response.rs`
//! (which labels what it builds) do not import each other.

/// The route label of a response.
#[derive(Debug, Clone, Copy)]
pub struct RouteLabel(pub &'static str);
