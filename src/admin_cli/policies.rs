//! `fiducia admin policies ...`: the Config API's `/policies` resource
//! (`tokens`, `fapi`, `registration`). An update sends the whole policy
//! from a JSON file (the `value` of `get`, changed); a change reads the
//! policy first for its ETag (or takes `--if-match`) and sends it as
//! `If-Match` (RFC 9110 §13.1.1), so a change made meanwhile is refused
//! (412) rather than overwritten.

use super::call::Api;
use super::policies_args::PoliciesOperation;
use serde_json::Value;

/// Runs the operation; its JSON.
pub async fn run(api: &Api, operation: &PoliciesOperation) -> anyhow::Result<Value> {
    Ok(match operation {
        PoliciesOperation::List => api.get("/policies").await?.0,
        PoliciesOperation::Get { name } => api.get(&path(name)?).await?.0,
        PoliciesOperation::Update { name, file, if_match } => {
            let body = super::clients::read_json(file)?;
            let at = path(name)?;
            let tag = tag(api, &at, if_match).await?;
            api.send("PUT", &at, Some(body), Some(&tag))
                .await?
                .unwrap_or(Value::Null)
        }
        PoliciesOperation::Reset { name, if_match } => {
            let at = path(name)?;
            let tag = tag(api, &at, if_match).await?;
            api.send("DELETE", &at, None, Some(&tag))
                .await?
                .unwrap_or(Value::Null)
        }
    })
}

/// `--if-match`, or the policy's ETag now.
async fn tag(api: &Api, at: &str, if_match: &Option<String>) -> anyhow::Result<String> {
    match if_match {
        Some(tag) => Ok(tag.clone()),
        None => api.etag_of(at).await,
    }
}

/// `/policies/<name>` for a known policy name (the API answers 404 for
/// others; refusing here names them).
fn path(name: &str) -> anyhow::Result<String> {
    match name {
        "tokens" | "fapi" | "registration" => Ok(format!("/policies/{name}")),
        _ => anyhow::bail!("no such policy: tokens, fapi or registration"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_is_named_by_one_of_three_names() {
        assert_eq!(path("tokens").unwrap(), "/policies/tokens");
        assert!(path("../keys").is_err());
    }
}
