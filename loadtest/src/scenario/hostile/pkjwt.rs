//! The private_key_jwt client of the setup, which the forged-assertion and
//! replay attacks impersonate or use.

use crate::jose::SigningKey;
use crate::scenario::context::Ctx;
use crate::stats::Failure;

/// The private_key_jwt client and its key, which the forged-assertion and
/// replay attacks use.
pub fn pkjwt_client<'a>(ctx: &'a Ctx, step: &'static str) -> Result<(&'a str, &'a SigningKey), Failure> {
    match (&ctx.setup.pkjwt, &ctx.pkjwt_key) {
        (Some(client), Some(key)) => Ok((client.client_id.as_str(), key)),
        _ => Err(Failure::new(step, "client: no private_key_jwt client configured")),
    }
}
