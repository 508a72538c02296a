//! The scenarios: what one operation is, played as a real client would
//! against any OP that publishes its endpoints in discovery.

mod browser;
pub mod ciba;
mod ciba_client;
mod context;
mod flow;
mod grants;
pub mod hostile;
mod introspection;

use crate::stats::{Failure, Steps};
pub use context::{Ctx, Scenario, Worker, client_error, expect, oauth_error, status_kind};
pub use grants::assertion;
pub use introspection::{Checked, introspection};

impl Worker {
    /// Runs one operation of `ctx.scenario`, recording each step.
    pub async fn run(&mut self, ctx: &Ctx, steps: &mut Steps) -> Result<(), Failure> {
        match ctx.scenario {
            Scenario::Discovery => grants::discovery(self, ctx, steps).await,
            Scenario::CcMtls => grants::cc_mtls(self, ctx, steps).await,
            Scenario::CcPkjwt => grants::cc_pkjwt(self, ctx, steps).await,
            Scenario::Handshake => grants::handshake(ctx, steps).await,
            Scenario::Introspect => introspection::introspect(self, ctx, steps).await,
            Scenario::Flow | Scenario::FlowMtls => flow::flow(self, ctx, steps).await,
            Scenario::Ciba => ciba::ciba(self, ctx, steps).await,
            Scenario::CibaPending => ciba::poll_pending(self, ctx, steps).await,
            Scenario::Hostile => hostile::hostile(self, ctx, steps).await,
        }
    }
}
