//! `fiducia admin clients ...`: the Config API's `/clients` resource. A
//! change reads the client first for its ETag (or takes `--if-match`) and
//! sends it as `If-Match` (RFC 9110 §13.1.1), so a change made meanwhile by
//! someone else is refused (412) rather than overwritten.

use super::args::ClientsOperation;
use super::call::Api;
use anyhow::Context;
use serde_json::{Value, json};
use std::path::Path;

/// Runs the operation; its JSON.
pub async fn run(api: &Api, operation: &ClientsOperation) -> anyhow::Result<Value> {
    Ok(match operation {
        ClientsOperation::List => api.get("/clients").await?.0,
        ClientsOperation::Get { client_id } => api.get(&path(client_id)?).await?.0,
        ClientsOperation::Create { file } => {
            let body = read_json(file)?;
            answer(api.send("POST", "/clients", Some(body), None).await?)
        }
        ClientsOperation::Update {
            client_id,
            file,
            if_match,
        } => {
            let body = read_json(file)?;
            let at = path(client_id)?;
            let tag = tag(api, &at, if_match).await?;
            answer(api.send("PUT", &at, Some(body), Some(&tag)).await?)
        }
        ClientsOperation::Disable { client_id, if_match } => {
            action(api, client_id, "disable", if_match).await?
        }
        ClientsOperation::Enable { client_id, if_match } => {
            action(api, client_id, "enable", if_match).await?
        }
        ClientsOperation::Delete { client_id, if_match } => {
            let at = path(client_id)?;
            let tag = tag(api, &at, if_match).await?;
            api.send("DELETE", &at, None, Some(&tag)).await?;
            json!({ "client_id": client_id, "deleted": true })
        }
    })
}

async fn action(api: &Api, client_id: &str, name: &str, if_match: &Option<String>) -> anyhow::Result<Value> {
    let at = path(client_id)?;
    let tag = tag(api, &at, if_match).await?;
    Ok(answer(
        api.send("POST", &format!("{at}/{name}"), None, Some(&tag))
            .await?,
    ))
}

/// `--if-match`, or the client's ETag now.
async fn tag(api: &Api, at: &str, if_match: &Option<String>) -> anyhow::Result<String> {
    match if_match {
        Some(tag) => Ok(tag.clone()),
        None => api.etag_of(at).await,
    }
}

fn answer(body: Option<Value>) -> Value {
    body.unwrap_or(Value::Null)
}

/// `/clients/<id>`, the id one path segment: bytes other than RFC 3986
/// §2.3 unreserved characters percent-encoded (§2.1).
fn path(client_id: &str) -> anyhow::Result<String> {
    if client_id.is_empty() {
        anyhow::bail!("a client id is needed");
    }
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    let segment: String = client_id
        .bytes()
        .map(|b| match unreserved(b) {
            true => (b as char).to_string(),
            false => format!("%{b:02X}"),
        })
        .collect();
    Ok(format!("/clients/{segment}"))
}

pub(super) fn read_json(file: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    // serde's message is left out: it may quote the file (a pasted secret).
    serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{} is not JSON (line {}, column {})",
            file.display(),
            e.line(),
            e.column()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3986 §2.1, §2.3: unreserved bytes as they are, others escaped.
    #[test]
    fn a_client_id_is_one_percent_encoded_segment() {
        assert_eq!(path("shop-1.a_b~").unwrap(), "/clients/shop-1.a_b~");
        assert_eq!(path("a b/é").unwrap(), "/clients/a%20b%2F%C3%A9");
        assert!(path("").is_err());
    }
}
