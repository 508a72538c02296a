//! `fiducia admin`: the Config API from the command line, so operators and
//! scripts need no curl. It calls the API over TLS (`--ca` the root its
//! certificate chains to), with a token from a file (`Bearer`; the
//! `--cert` presented on the connection for a certificate-bound one) or
//! from a client_credentials grant at `--token-endpoint` (`token.rs`:
//! private_key_jwt with `--client-key` and a fresh DPoP key, or
//! tls_client_auth with `--cert`) — `keys`, `clients` (`clients.rs`),
//! `customers` (`customers.rs`), `directories` and `resource-servers`
//! (`sections.rs`), `policies` (`policies.rs`), `effective-config`, `audit`
//! — prints the answer's JSON and exits
//! non-zero with the problem's text (RFC 9457) or the challenge (RFC 6750
//! §3) when refused.

mod args;
mod call;
mod clients;
mod customers;
mod https;
mod policies;
mod policies_args;
mod sections;
mod token;

use anyhow::Context;
pub use args::{
    AdminArgs, AdminCommand, ClientsOperation, CustomersOperation, KeysOperation, SectionOperation,
};

/// Runs the command and prints its JSON.
pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let client = https::Client::new(&args)?;
    let credential = token::obtain(&args, &client, args.command.scope()).await?;
    let api = call::Api::new(&args.url, client, credential);
    let output = match &args.command {
        AdminCommand::EffectiveConfig => api.get("/effective-config").await?.0,
        AdminCommand::Clients { command } => clients::run(&api, command).await?,
        AdminCommand::Customers { command } => customers::run(&api, command).await?,
        AdminCommand::Directories { command } => sections::run(&api, "/trusted-directories", command).await?,
        AdminCommand::ResourceServers { command } => {
            sections::run(&api, "/resource-servers", command).await?
        }
        AdminCommand::Policies { command } => policies::run(&api, command).await?,
        AdminCommand::Keys { command } => match command {
            KeysOperation::List => api.get("/keys").await?.0,
            KeysOperation::Generate { alg, bits } => {
                let mut body = serde_json::json!({ "alg": alg });
                if let Some(bits) = bits {
                    body["bits"] = serde_json::json!(bits);
                }
                api.write("/keys", Some(body)).await?
            }
            KeysOperation::Activate { kid } => {
                api.write(&format!("/keys/{}/activate", segment(kid)?), None)
                    .await?
            }
            KeysOperation::Retire { kid } => {
                api.write(&format!("/keys/{}/retire", segment(kid)?), None)
                    .await?
            }
        },
        AdminCommand::Audit { since, max } => {
            let mut path = match since {
                Some(since) => format!(
                    "/audit?since={}",
                    form_urlencoded::byte_serialize(since.as_bytes()).collect::<String>()
                ),
                None => "/audit".to_string(),
            };
            let mut records = Vec::new();
            loop {
                let (page, _) = api.get(&path).await?;
                if let Some(items) = page["records"].as_array() {
                    records.extend(items.iter().cloned());
                }
                match page["next"].as_str() {
                    Some(next) if records.len() < *max => path = next.to_string(),
                    _ => break,
                }
            }
            records.truncate(*max);
            serde_json::json!({ "records": records })
        }
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&output).context("the answer could not be printed")?
    );
    Ok(())
}

/// A kid as one path segment (RFC 7638 thumbprints are base64url).
fn segment(kid: &str) -> anyhow::Result<&str> {
    match !kid.is_empty()
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        true => Ok(kid),
        false => anyhow::bail!("`{kid}` is not a key id (base64url characters only)"),
    }
}
