//! The clients resource's part of the OpenAPI 3.1 document (its paths and
//! schemas; `clients.rs` serves them): kept apart from the handlers
//! because the `[[clients]]` entry's schema is long.

use serde_json::{Value, json};

/// Paths and schemas.
pub fn part() -> Value {
    let read_security = json!([{ "bearer": ["fiducia.config.read"] }, { "dpop": ["fiducia.config.read"] }]);
    let write_security =
        json!([{ "bearer": ["fiducia.config.write"] }, { "dpop": ["fiducia.config.write"] }]);
    let client_id = json!({ "name": "client_id", "in": "path", "required": true, "schema": { "type": "string", "maxLength": 256 } });
    let if_match = json!({ "$ref": "#/components/parameters/IfMatch" });
    let one = |status: &str, description: &str| {
        json!({
            status: {
                "description": description,
                "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Client" } } }
            }
        })
    };
    let with = super::openapi_refusals::with_refusals;
    let write_refusals = ["400", "401", "403", "404", "409", "412", "415", "428", "503"];
    let state_change = |operation: &str, summary: &str| {
        json!({
            "post": {
                "operationId": operation,
                "summary": summary,
                "security": write_security,
                "parameters": [client_id, if_match],
                "responses": with(one("200", "The client after the change"), &write_refusals)
            }
        })
    };
    json!({
        "paths": {
            "/clients": {
                "get": {
                    "operationId": "listClients",
                    "summary": "Every client: the file's entries, stored clients and registrations",
                    "security": read_security,
                    "responses": with(json!({
                        "200": {
                            "description": "Every client with its source, state, revision and ETag",
                            "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ClientList" } } }
                        }
                    }), &["401", "403", "503"])
                },
                "post": {
                    "operationId": "createClient",
                    "summary": "Create a stored client from a [[clients]] entry's members",
                    "security": write_security,
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ClientMetadata" } } }
                    },
                    "responses": with(
                        {
                            let mut created = one("201", "The new client; Location names it");
                            created["201"]["headers"]["Location"] = json!({ "schema": { "type": "string", "format": "uri" } });
                            created
                        },
                        &["400", "401", "403", "409", "415", "503"]
                    )
                }
            },
            "/clients/{client_id}": {
                "get": {
                    "operationId": "getClient",
                    "summary": "One client; its ETag is the one If-Match names",
                    "security": read_security,
                    "parameters": [client_id],
                    "responses": with(one("200", "The client"), &["401", "403", "404", "503"])
                },
                "put": {
                    "operationId": "updateClient",
                    "summary": "Replace a stored client's metadata, or override a file entry's (a registered client's: 409, RFC 7592)",
                    "security": write_security,
                    "parameters": [client_id, if_match],
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ClientMetadata" } } }
                    },
                    "responses": with(one("200", "The client after the change"), &write_refusals)
                },
                "delete": {
                    "operationId": "deleteClient",
                    "summary": "Delete a client: a tombstone over a file entry or stored client, the registration of a registered one; what was issued to it is revoked",
                    "security": write_security,
                    "parameters": [client_id, if_match],
                    "responses": with(json!({ "204": { "description": "Deleted" } }), &write_refusals)
                }
            },
            "/clients/{client_id}/disable": state_change(
                "disableClient",
                "Disable a client of any source: refused as invalid_client at once, what was issued to it revoked"
            ),
            "/clients/{client_id}/enable": state_change(
                "enableClient",
                "Enable a disabled client; tokens issued before stay refused"
            )
        },
        "schemas": {
            "ClientMetadata": metadata_schema(),
            "Client": {
                "type": "object",
                "required": ["client_id", "source", "state", "revision", "etag", "metadata"],
                "properties": {
                    "client_id": { "type": "string" },
                    "source": { "type": "string", "enum": ["static", "stored", "registered"], "description": "static: a [[clients]] entry of the file (overridden when revision > 0 and metadata was changed); stored: created through this API; registered: RFC 7591" },
                    "state": { "type": "string", "enum": ["active", "disabled", "suspended"] },
                    "revision": { "type": "integer", "minimum": 0 },
                    "etag": { "type": "string", "description": "The ETag header's value" },
                    "metadata": { "type": "object", "description": "A [[clients]] entry's members (ClientMetadata), or a registration's RFC 7591 metadata" }
                }
            },
            "ClientList": {
                "type": "object",
                "required": ["clients"],
                "properties": { "clients": { "type": "array", "items": { "$ref": "#/components/schemas/Client" } } }
            }
        }
    })
}

/// A `[[clients]]` entry's members (README's `[[clients]]` row;
/// `config::StaticClientConfig`); any other member, such as a client
/// secret, is refused.
fn metadata_schema() -> Value {
    let string = json!({ "type": "string" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let alg = json!({ "type": "string", "enum": ["ES256", "PS256", "EdDSA"] });
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["client_id", "client_name", "redirect_uris", "token_endpoint_auth_method"],
        "properties": {
            "client_id": { "type": "string", "pattern": "^[A-Za-z0-9._~-]{1,128}$", "description": "On PUT: the path's id, or left out" },
            "client_name": string,
            "redirect_uris": strings,
            "token_endpoint_auth_method": { "type": "string", "enum": ["private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"] },
            "scopes": strings,
            "jwks_file": { "type": "string", "description": "An absolute path every node can read" },
            "jwks_uri": { "type": "string", "format": "uri" },
            "tls_client_auth_subject_dn": string,
            "id_token_signed_response_alg": alg,
            "authorization_signed_response_alg": alg,
            "require_signed_request_object": { "type": "boolean" },
            "requests_per_second": { "type": "integer", "minimum": 0 },
            "burst": { "type": "integer", "minimum": 0 },
            "authorization_details_types": strings,
            "access_token_format": { "type": "string", "enum": ["opaque", "jwt"] },
            "access_token_audience": string,
            "fapi_profile": { "type": "string", "enum": ["fapi1-advanced", "fapi2-security", "fapi2-message-signing"] },
            "id_token_encrypted_response_alg": { "type": "string", "enum": ["RSA-OAEP", "RSA-OAEP-256"] },
            "id_token_encrypted_response_enc": { "type": "string", "enum": ["A256GCM"] },
            "backchannel_token_delivery_mode": { "type": "string", "enum": ["poll", "ping", "push"] },
            "backchannel_client_notification_endpoint": { "type": "string", "format": "uri" },
            "backchannel_authentication_request_signing_alg": alg,
            "backchannel_user_code_parameter": { "type": "boolean" },
            "ciba_fapi": { "type": "boolean" }
        }
    })
}
