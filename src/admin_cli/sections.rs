//! `fiducia admin directories ...` and `fiducia admin resource-servers
//! ...`: the Config API's collections of a section managed live
//! (`/trusted-directories`, `/resource-servers`). A change reads the
//! item's ETag first (the list's for a reset), or takes `--if-match`, and
//! sends it as `If-Match` (RFC 9110 §13.1.1), so a change made meanwhile
//! is refused (412) rather than overwritten. A key is sent as one
//! percent-encoded path segment (RFC 3986 §2.1): a directory's issuer URL
//! as it is.

use super::args::SectionOperation;
use super::call::Api;
use super::clients::{read_json, segment};
use serde_json::{Value, json};

/// Runs the operation on the collection at `collection`; its JSON.
pub async fn run(api: &Api, collection: &str, operation: &SectionOperation) -> anyhow::Result<Value> {
    Ok(match operation {
        SectionOperation::List => api.get(collection).await?.0,
        SectionOperation::Get { key } => api.get(&path(collection, key)?).await?.0,
        SectionOperation::Create { file } => {
            let body = read_json(file)?;
            answer(api.send("POST", collection, Some(body), None).await?)
        }
        SectionOperation::Update { key, file, if_match } => {
            let body = read_json(file)?;
            let at = path(collection, key)?;
            let tag = tag(api, &at, if_match).await?;
            answer(api.send("PUT", &at, Some(body), Some(&tag)).await?)
        }
        SectionOperation::Delete { key, if_match } => {
            let at = path(collection, key)?;
            let tag = tag(api, &at, if_match).await?;
            api.send("DELETE", &at, None, Some(&tag)).await?;
            json!({ "key": key, "deleted": true })
        }
        SectionOperation::Reset { if_match } => {
            let tag = tag(api, collection, if_match).await?;
            answer(api.send("DELETE", collection, None, Some(&tag)).await?)
        }
    })
}

/// `--if-match`, or the resource's ETag now.
async fn tag(api: &Api, at: &str, if_match: &Option<String>) -> anyhow::Result<String> {
    match if_match {
        Some(tag) => Ok(tag.clone()),
        None => api.etag_of(at).await,
    }
}

fn answer(body: Option<Value>) -> Value {
    body.unwrap_or(Value::Null)
}

fn path(collection: &str, key: &str) -> anyhow::Result<String> {
    if key.is_empty() {
        anyhow::bail!("a key is needed");
    }
    Ok(format!("{collection}/{}", segment(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3986 §2.1: an issuer URL is one segment.
    #[test]
    fn an_issuer_is_one_percent_encoded_segment() {
        assert_eq!(
            path("/trusted-directories", "https://dir.example/").unwrap(),
            "/trusted-directories/https%3A%2F%2Fdir.example%2F"
        );
        assert!(path("/resource-servers", "").is_err());
    }
}
