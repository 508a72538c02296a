//! `/keys`: the OP's signing keys through the HSM key lifecycle
//! (`fiducia_hsm::pkcs11::admin::KeyAdmin`, the operations `fiducia keys`
//! runs; rules in `pkcs11/lifecycle.rs` and docs/ARCHITECTURE.md "Key
//! lifecycle"). Key material never leaves the token: a key is shown by its
//! kid, algorithm, state and dates.
//!
//! - `GET /keys` (`fiducia.config.read`): every key of the token;
//! - `POST /keys` (`fiducia.keys.write`): generate a key (`next`:
//!   published at every node's next reload, signing only once activated);
//! - `POST /keys/{kid}/activate`, `POST /keys/{kid}/retire`
//!   (`fiducia.keys.write`): the lifecycle's transitions, refused 409 when
//!   its timing rules forbid them (a `next` key activates only
//!   `key_refresh_secs` + `jwks_cache_ttl_secs` after it was made).
//!
//! Writes need `If-Match` with the key set's ETag (RFC 9110 §13.1.1; 428
//! without, 412 when it changed) and answer the new key set. The check and
//! the change are one step on this node; HSM records have no
//! compare-and-set, so two nodes writing at the same instant can both
//! pass. After a change this node's key manager reloads at once (the
//! others within `key_refresh_secs`), and one `config_changed` record is
//! appended next to the operation, its actor the caller (the HSM holds the
//! state, so there is no store write to share a transaction with; the key
//! manager's `keys_changed` record follows when a node observes the new
//! set).

use crate::actors::key_manager::KeyManagerMessage;
use crate::config_api::etag::{self, Precondition};
use crate::config_api::problem::{FieldError, Problem};
use crate::config_api::route::{Answer, Call, Route, no_body, representation};
use crate::config_api::scope::Scope;
use crate::signing::KeyBackend;
use crate::store::audit::{self, AuditEvent, Change, EventType, Target};
use bytes::Bytes;
use fiducia_hsm::JoseAlg;
use fiducia_hsm::pkcs11::HsmError;
use fiducia_hsm::pkcs11::admin::KeyAdmin;
use fiducia_hsm::pkcs11::lifecycle::{KeyRecord, KeyRing};
use http::{Method, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// RSA modulus sizes a generated PS256 key may have.
const RSA_BITS: std::ops::RangeInclusive<u64> = 2048..=4096;
/// The default PS256 modulus (as `fiducia keys generate`).
const DEFAULT_RSA_BITS: u64 = 3072;

/// The routes.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/keys",
        scope: Some(Scope::ConfigRead),
        label: "config_api_keys",
        handle: list,
    },
    Route {
        method: Method::POST,
        path: "/keys",
        scope: Some(Scope::KeysWrite),
        label: "config_api_keys_generate",
        handle: generate,
    },
    Route {
        method: Method::POST,
        path: "/keys/{kid}/activate",
        scope: Some(Scope::KeysWrite),
        label: "config_api_keys_activate",
        handle: activate,
    },
    Route {
        method: Method::POST,
        path: "/keys/{kid}/retire",
        scope: Some(Scope::KeysWrite),
        label: "config_api_keys_retire",
        handle: retire,
    },
];

/// A key as the API shows it: never its material.
#[derive(Debug, Serialize)]
struct KeyView<'a> {
    kid: &'a str,
    alg: &'static str,
    state: &'static str,
    created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    activated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retiring_since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retire_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retired: Option<String>,
}

impl<'a> KeyView<'a> {
    fn of(record: &'a KeyRecord) -> Self {
        Self {
            kid: record.kid(),
            alg: record.alg().as_str(),
            state: record.state.as_str(),
            created: rfc3339(record.created),
            activated: record.activated.map(rfc3339),
            retiring_since: record.retiring_since.map(rfc3339),
            retire_after: record.retire_after.map(rfc3339),
            retired: record.retired.map(rfc3339),
        }
    }
}

fn rfc3339(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| secs.to_string())
}

/// The `GET /keys` body of `ring`.
fn key_set_body(ring: &KeyRing) -> Vec<u8> {
    let keys: Vec<KeyView<'_>> = ring.records.iter().map(KeyView::of).collect();
    serde_json::to_vec(&json!({ "keys": keys })).unwrap_or_default()
}

/// The token's administrator, or 409 with the software backend.
fn admin(call: &Call<'_>) -> Result<KeyAdmin, Problem> {
    match &*call.api.keys.backend {
        KeyBackend::Pkcs11 { admin, .. } => Ok(admin.clone()),
        KeyBackend::Software(_) => Err(Problem::conflict(
            "signing.backend is `software`: its one key is not managed (use pkcs11)",
        )),
    }
}

/// Runs a blocking HSM call off the runtime's workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, HsmError> + Send + 'static,
) -> Result<T, Problem> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(HsmError::Lifecycle(why))) => Err(Problem::conflict(why)),
        Ok(Err(error)) => {
            tracing::error!(%error, "config API: a key operation failed in the HSM");
            Err(Problem::unavailable())
        }
        Err(_) => Err(Problem::unavailable()),
    }
}

fn list(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let admin = admin(&call)?;
        let ring = blocking(move || admin.load()).await?;
        Ok(representation(StatusCode::OK, key_set_body(&ring)))
    })
}

/// What a write does.
enum Operation {
    Generate { alg: JoseAlg, bits: u64 },
    Activate(String),
    Retire(String),
}

fn generate(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let (alg, bits) = generate_request(call.request.body())?;
        write(call, Operation::Generate { alg, bits }).await
    })
}

fn activate(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let kid = call.params.first().copied().unwrap_or_default().to_string();
        no_body(&call)?;
        write(call, Operation::Activate(kid)).await
    })
}

fn retire(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let kid = call.params.first().copied().unwrap_or_default().to_string();
        no_body(&call)?;
        write(call, Operation::Retire(kid)).await
    })
}

/// `POST /keys`' body: `{"alg": "ES256" | "PS256" | "EdDSA", "bits": n}`
/// (`bits` for PS256 only, 2048 to 4096, default 3072); one error per bad
/// member.
fn generate_request(body: &Bytes) -> Result<(JoseAlg, u64), Problem> {
    let members: Map<String, Value> = match serde_json::from_slice(body) {
        Ok(Value::Object(members)) => members,
        Ok(_) => {
            return Err(Problem::invalid(vec![FieldError::new(
                "",
                "must be a JSON object",
            )]));
        }
        Err(e) => {
            return Err(Problem::invalid(vec![FieldError::new(
                "",
                format!(
                    "not JSON: {}",
                    e.to_string().chars().take(120).collect::<String>()
                ),
            )]));
        }
    };
    let mut errors = Vec::new();
    for name in members.keys().filter(|n| *n != "alg" && *n != "bits") {
        errors.push(FieldError::new(format!("/{name}"), "unknown member"));
    }
    let alg = match members.get("alg") {
        None => {
            errors.push(FieldError::new("/alg", "required: ES256, PS256 or EdDSA"));
            None
        }
        Some(Value::String(alg)) => match alg.parse::<JoseAlg>() {
            Ok(alg) => Some(alg),
            Err(_) => {
                errors.push(FieldError::new("/alg", "must be ES256, PS256 or EdDSA"));
                None
            }
        },
        Some(_) => {
            errors.push(FieldError::new("/alg", "must be a string"));
            None
        }
    };
    let bits = match (members.get("bits"), alg) {
        (None, Some(JoseAlg::Ps256)) => Some(DEFAULT_RSA_BITS),
        (None, _) => Some(0),
        (Some(bits), Some(JoseAlg::Ps256) | None) => match bits.as_u64() {
            Some(bits) if RSA_BITS.contains(&bits) => Some(bits),
            _ => {
                errors.push(FieldError::new("/bits", "must be an integer from 2048 to 4096"));
                None
            }
        },
        (Some(_), Some(_)) => {
            errors.push(FieldError::new("/bits", "only for PS256 keys"));
            None
        }
    };
    match (alg, bits, errors.is_empty()) {
        (Some(alg), Some(bits), true) => Ok((alg, bits)),
        _ => Err(Problem::invalid(errors)),
    }
}

/// The write path: `If-Match` against the key set, the operation, the
/// key manager's reload, the audit record, the new key set.
async fn write(call: Call<'_>, operation: Operation) -> Result<http::Response<Bytes>, Problem> {
    let admin = admin(&call)?;
    let actor = match &call.principal {
        Some(principal) => principal.actor(),
        None => return Err(Problem::unavailable()),
    };
    let who = match &actor {
        audit::Actor::Operator(name) => format!("config-api:{name}"),
        _ => "config-api".to_string(),
    };
    let _one_writer = call.api.keys.writing.lock().await;
    let before = {
        let admin = admin.clone();
        blocking(move || admin.load()).await?
    };
    match etag::if_match(call.request.headers(), &etag::of(&key_set_body(&before))) {
        Precondition::Holds => {}
        Precondition::Fails => return Err(Problem::precondition_failed()),
        Precondition::Missing => return Err(Problem::precondition_required()),
    }
    let now = call.api.clock.now_unix();
    let (kid, status) = match operation {
        Operation::Generate { alg, bits } => {
            let admin = admin.clone();
            let record = blocking(move || admin.generate(alg, bits, &who, now)).await?;
            (record.kid().to_string(), StatusCode::CREATED)
        }
        Operation::Activate(kid) | Operation::Retire(kid) if before.get(&kid).is_none() => {
            return Err(Problem::not_found(format!(
                "no key `{}`",
                kid.chars().take(64).collect::<String>()
            )));
        }
        Operation::Activate(kid) => {
            let (admin, id) = (admin.clone(), kid.clone());
            blocking(move || admin.activate(&id, &who, now)).await?;
            (kid, StatusCode::OK)
        }
        Operation::Retire(kid) => {
            let (admin, id) = (admin.clone(), kid.clone());
            blocking(move || admin.retire(&id, &who, now)).await?;
            (kid, StatusCode::OK)
        }
    };
    let after = blocking(move || admin.load()).await?;
    // This node publishes the change at once; the others at their next reload.
    if let Err(error) = ractor::call!(call.api.keys.manager, KeyManagerMessage::RefreshAndReport) {
        tracing::warn!(%error, "config API: the key manager did not reload");
    }
    let event = changed_event(actor, &kid, &before, &after);
    let event = &event;
    let appended = call
        .api
        .store
        .run(|tx, _| async move { audit::append(&tx, event, now).await.map(|_| ()) })
        .await;
    if let Err(error) = appended {
        // The HSM changed; the key manager's `keys_changed` record will
        // still show it. Said loudly, not hidden from the caller's result.
        metrics::counter!("fiducia_config_api_audit_failures_total").increment(1);
        tracing::error!(%error, %kid, "config API: the key change could not be audited");
    }
    let mut response = representation(status, key_set_body(&after));
    response.headers_mut().insert(
        http::header::CONTENT_LOCATION,
        http::HeaderValue::from_static("/keys"),
    );
    Ok(response)
}

/// `config_changed` for a key operation: the operated key first (it
/// chooses the chain), each key whose state changed (activating retires
/// the old active key), with its state before and after.
fn changed_event(actor: audit::Actor, kid: &str, before: &KeyRing, after: &KeyRing) -> AuditEvent {
    let mut event = AuditEvent::new(EventType::ConfigChanged, actor, Target::new("key", kid));
    for record in &after.records {
        let old = before.get(record.kid()).map(|r| r.state.as_str());
        let new = record.state.as_str();
        if old == Some(new) {
            continue;
        }
        if record.kid() != kid {
            event = event.and_target(Target::new("key", record.kid()));
        }
        event = event.with_change(Change {
            member: format!("keys/{}/state", record.kid()),
            from: old.map(str::to_string),
            to: Some(new.to_string()),
        });
    }
    event
}

/// Its part of the OpenAPI document.
pub fn openapi() -> Value {
    let write_responses = |ok: &str| {
        super::openapi_refusals::with_refusals(
            json!({
                ok: {
                    "description": "The key set after the change",
                    "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/KeySet" } } }
                }
            }),
            &["400", "401", "403", "404", "409", "412", "415", "428", "503"],
        )
    };
    let write_security = json!([{ "bearer": ["fiducia.keys.write"] }, { "dpop": ["fiducia.keys.write"] }]);
    let kid = json!({ "name": "kid", "in": "path", "required": true, "schema": { "type": "string" } });
    let if_match = json!({ "$ref": "#/components/parameters/IfMatch" });
    json!({
        "paths": {
            "/keys": {
                "get": {
                    "operationId": "listKeys",
                    "summary": "The signing keys of the HSM token",
                    "security": [{ "bearer": ["fiducia.config.read"] }, { "dpop": ["fiducia.config.read"] }],
                    "responses": {
                        "200": {
                            "description": "Every key, by kid, algorithm, state and dates",
                            "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/KeySet" } } }
                        },
                        "401": { "$ref": "#/components/responses/Unauthorized" },
                        "403": { "$ref": "#/components/responses/Forbidden" },
                        "409": { "$ref": "#/components/responses/Conflict" },
                        "503": { "$ref": "#/components/responses/Unavailable" }
                    }
                },
                "post": {
                    "operationId": "generateKey",
                    "summary": "Generate a key in the HSM (state next)",
                    "security": write_security,
                    "parameters": [if_match],
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/KeyGeneration" } } }
                    },
                    "responses": write_responses("201")
                }
            },
            "/keys/{kid}/activate": {
                "post": {
                    "operationId": "activateKey",
                    "summary": "Make a next key active; the active key of its algorithm starts retiring",
                    "security": write_security,
                    "parameters": [kid, if_match],
                    "responses": write_responses("200")
                }
            },
            "/keys/{kid}/retire": {
                "post": {
                    "operationId": "retireKey",
                    "summary": "Take a next key, or a retiring key whose tokens expired, out of the JWKS",
                    "security": write_security,
                    "parameters": [kid, if_match],
                    "responses": write_responses("200")
                }
            }
        },
        "schemas": {
            "Key": {
                "type": "object",
                "required": ["kid", "alg", "state", "created"],
                "properties": {
                    "kid": { "type": "string", "description": "RFC 7638 thumbprint" },
                    "alg": { "type": "string", "enum": ["ES256", "PS256", "EdDSA"] },
                    "state": { "type": "string", "enum": ["next", "active", "retiring", "retired"] },
                    "created": { "type": "string", "format": "date-time" },
                    "activated": { "type": "string", "format": "date-time" },
                    "retiring_since": { "type": "string", "format": "date-time" },
                    "retire_after": { "type": "string", "format": "date-time" },
                    "retired": { "type": "string", "format": "date-time" }
                }
            },
            "KeySet": {
                "type": "object",
                "required": ["keys"],
                "properties": { "keys": { "type": "array", "items": { "$ref": "#/components/schemas/Key" } } }
            },
            "KeyGeneration": {
                "type": "object",
                "required": ["alg"],
                "additionalProperties": false,
                "properties": {
                    "alg": { "type": "string", "enum": ["ES256", "PS256", "EdDSA"] },
                    "bits": { "type": "integer", "minimum": 2048, "maximum": 4096, "description": "PS256 only; default 3072" }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(body: &str) -> Vec<String> {
        generate_request(&Bytes::from(body.to_string()))
            .unwrap_err()
            .errors
            .into_iter()
            .map(|e| e.pointer)
            .collect()
    }

    #[test]
    fn a_generation_request_is_checked_member_by_member() {
        assert_eq!(
            generate_request(&Bytes::from_static(br#"{"alg":"ES256"}"#)).unwrap(),
            (JoseAlg::Es256, 0)
        );
        assert_eq!(
            generate_request(&Bytes::from_static(br#"{"alg":"PS256"}"#)).unwrap(),
            (JoseAlg::Ps256, 3072)
        );
        assert_eq!(
            errors(r#"{"alg":"HS256","bits":1,"x":1}"#),
            ["/x", "/alg", "/bits"]
        );
        assert_eq!(errors(r#"{"alg":"ES256","bits":2048}"#), ["/bits"]);
        assert_eq!(errors(r#"{}"#), ["/alg"]);
        assert_eq!(errors(r#"[1]"#), [""]);
        assert_eq!(errors(r#"{"alg":"#), [""]);
    }
}
