//! `fiducia admin customers ...`: the Config API's `/customers` resource.
//! A change reads the customer first for its ETag (or takes `--if-match`)
//! and sends it as `If-Match` (RFC 9110 §13.1.1), so a change made
//! meanwhile by someone else is refused (412) rather than overwritten. The
//! file, the request helpers and the path encoding are the clients
//! command's (`clients.rs`).

use super::args::CustomersOperation;
use super::call::Api;
use super::clients::{answer, read_json, segment, tag};
use serde_json::{Value, json};

/// Runs the operation; its JSON.
pub async fn run(api: &Api, operation: &CustomersOperation) -> anyhow::Result<Value> {
    Ok(match operation {
        CustomersOperation::List { after, limit } => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            if let Some(after) = after {
                query.append_pair("after", after);
            }
            query.append_pair("limit", &limit.to_string());
            api.get(&format!("/customers?{}", query.finish())).await?.0
        }
        CustomersOperation::Get { username } => api.get(&path(username)?).await?.0,
        CustomersOperation::Create { file } => {
            let body = read_json(file)?;
            answer(api.send("POST", "/customers", Some(body), None).await?)
        }
        CustomersOperation::Update {
            username,
            file,
            if_match,
        } => {
            let body = read_json(file)?;
            let at = path(username)?;
            let tag = tag(api, &at, if_match).await?;
            answer(api.send("PUT", &at, Some(body), Some(&tag)).await?)
        }
        CustomersOperation::Disable { username, if_match } => {
            action(api, username, "disable", if_match).await?
        }
        CustomersOperation::Enable { username, if_match } => {
            action(api, username, "enable", if_match).await?
        }
        CustomersOperation::Delete { username, if_match } => {
            let at = path(username)?;
            let tag = tag(api, &at, if_match).await?;
            api.send("DELETE", &at, None, Some(&tag)).await?;
            json!({ "username": username, "deleted": true })
        }
    })
}

async fn action(api: &Api, username: &str, name: &str, if_match: &Option<String>) -> anyhow::Result<Value> {
    let at = path(username)?;
    let tag = tag(api, &at, if_match).await?;
    Ok(answer(
        api.send("POST", &format!("{at}/{name}"), None, Some(&tag))
            .await?,
    ))
}

/// `/customers/<username>`, the username one percent-encoded segment.
fn path(username: &str) -> anyhow::Result<String> {
    if username.trim().is_empty() {
        anyhow::bail!("a username is needed");
    }
    Ok(format!("/customers/{}", segment(username)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3986 §2.1: a username with `@` or a space is one segment.
    #[test]
    fn a_username_is_one_percent_encoded_segment() {
        assert_eq!(path("carol").unwrap(), "/customers/carol");
        assert_eq!(
            path("carol@bank.example").unwrap(),
            "/customers/carol%40bank.example"
        );
        assert!(path(" ").is_err());
    }
}
