//! The customers resource's part of the OpenAPI 3.1 document (its paths
//! and schemas; `customers.rs` serves them): kept apart from the handlers
//! because the customer's schema is long.

use serde_json::{Value, json};

/// Paths and schemas; a page holds `default_limit` customers unless asked,
/// at most `max_limit` (`customers.rs`'s bounds).
pub fn part(default_limit: usize, max_limit: usize) -> Value {
    let read_security = json!([{ "bearer": ["fiducia.config.read"] }, { "dpop": ["fiducia.config.read"] }]);
    let write_security = json!([{ "bearer": ["fiducia.users.write"] }, { "dpop": ["fiducia.users.write"] }]);
    let username = json!({ "name": "username", "in": "path", "required": true, "description": "The username, percent-encoded (compared trimmed and lower-cased)", "schema": { "type": "string" } });
    let if_match = json!({ "$ref": "#/components/parameters/IfMatch" });
    let one = |status: &str, description: &str, schema: &str| {
        json!({
            status: {
                "description": description,
                "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
                "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
            }
        })
    };
    let with = super::openapi_refusals::with_refusals;
    let action_refusals = ["400", "401", "403", "404", "412", "415", "428", "503"];
    let body = |schema: &str| {
        json!({
            "required": true,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
        })
    };
    json!({
        "paths": {
            "/customers": {
                "get": {
                    "operationId": "listCustomers",
                    "summary": "A page of customers in username order, as `fiducia users list` shows them",
                    "security": read_security,
                    "parameters": [
                        { "name": "after", "in": "query", "description": "The username the page starts after (a `next` link's)", "schema": { "type": "string" } },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": max_limit, "default": default_limit } }
                    ],
                    "responses": with(json!({
                        "200": {
                            "description": "The page; `next` (and a Link header, rel next) while more may follow",
                            "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CustomerPage" } } }
                        }
                    }), &["400", "401", "403", "503"])
                },
                "post": {
                    "operationId": "createCustomer",
                    "summary": "Create a customer from an import line's members (no clear password)",
                    "security": write_security,
                    "requestBody": body("CustomerInput"),
                    "responses": with(
                        {
                            let mut created = one("201", "The new customer; Location names it", "Customer");
                            created["201"]["headers"]["Location"] = json!({ "schema": { "type": "string", "format": "uri" } });
                            created
                        },
                        &["400", "401", "403", "409", "415", "503"]
                    )
                }
            },
            "/customers/{username}": {
                "get": {
                    "operationId": "getCustomer",
                    "summary": "One customer, never the password hash; its ETag is the one If-Match names",
                    "security": read_security,
                    "parameters": [username],
                    "responses": with(one("200", "The customer", "Customer"), &["401", "403", "404", "503"])
                },
                "put": {
                    "operationId": "replaceCustomer",
                    "summary": "Replace a customer's profile, claims, verified claims and accounts (members left out are cleared; the password is kept unless password_hash is given)",
                    "security": write_security,
                    "parameters": [username, if_match],
                    "requestBody": body("CustomerInput"),
                    "responses": with(one("200", "The customer after the change", "Customer"), &action_refusals)
                },
                "delete": {
                    "operationId": "deleteCustomer",
                    "summary": "Disable the customer, revoke everything the account holds, then delete it",
                    "security": write_security,
                    "parameters": [username, if_match],
                    "responses": with(json!({ "204": { "description": "Deleted" } }), &action_refusals)
                }
            },
            "/customers/{username}/disable": {
                "post": {
                    "operationId": "disableCustomer",
                    "summary": "Disable a customer: no sign-in, and every grant, code, token and pending request of the account revoked",
                    "security": write_security,
                    "parameters": [username, if_match],
                    "responses": with(one("200", "The customer after the change, with `revoked`", "DisabledCustomer"), &action_refusals)
                }
            },
            "/customers/{username}/enable": {
                "post": {
                    "operationId": "enableCustomer",
                    "summary": "Enable a disabled customer (revoked grants stay revoked)",
                    "security": write_security,
                    "parameters": [username, if_match],
                    "responses": with(one("200", "The customer after the change", "Customer"), &action_refusals)
                }
            }
        },
        "schemas": {
            "CustomerInput": input_schema(),
            "Customer": customer_schema(),
            "DisabledCustomer": {
                "allOf": [
                    { "$ref": "#/components/schemas/Customer" },
                    {
                        "type": "object",
                        "required": ["revoked"],
                        "properties": {
                            "revoked": {
                                "type": "object",
                                "required": ["grants", "records"],
                                "properties": {
                                    "grants": { "type": "integer", "minimum": 0, "description": "Grants revoked, each with every code and token under it" },
                                    "records": { "type": "integer", "minimum": 0, "description": "Every record deleted: grants, codes, pending CIBA and pushed requests, interactions, sessions" }
                                }
                            }
                        }
                    }
                ]
            },
            "CustomerPage": {
                "type": "object",
                "required": ["customers", "next"],
                "properties": {
                    "customers": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["username", "sub", "name", "disabled", "verified_claim_sets"],
                            "properties": {
                                "username": { "type": "string" },
                                "sub": { "type": "string" },
                                "name": { "type": "string" },
                                "disabled": { "type": "boolean" },
                                "verified_claim_sets": { "type": "integer", "minimum": 0 }
                            }
                        }
                    },
                    "next": { "type": ["string", "null"], "description": "The next page's path and query" }
                }
            }
        }
    })
}

/// The standard claim members a customer carries (OIDC Core §5.1); any
/// other standard claim (IDA Claims §3.1) is allowed by name too.
fn profile_properties() -> Value {
    let string = json!({ "type": "string" });
    json!({
        "username": { "type": "string", "description": "Login name; compared trimmed and lower-cased. On PUT: the path's, or left out" },
        "sub": { "type": "string", "pattern": "^[!-~]{1,255}$", "description": "OIDC Core §2 subject; never changes. On PUT: the customer's, or left out" },
        "name": string,
        "given_name": string,
        "family_name": string,
        "email": string,
        "email_verified": { "type": "boolean" },
        "phone_number": string,
        "phone_number_verified": { "type": "boolean" },
        "birthdate": { "type": "string", "description": "YYYY-MM-DD or YYYY" },
        "verified_claims": { "description": "OpenID Connect for Identity Assurance 1.0 verified claims: one set or an array of sets (Schema §5)" },
        "accounts": {
            "type": "array",
            "items": { "type": "object", "description": "A payment account ([[login.seed_users.accounts]])" }
        }
    })
}

/// What a create or replace sends: an import line's members without
/// `password` and `disabled` (README "Customer accounts").
fn input_schema() -> Value {
    let mut properties = profile_properties();
    properties["password_hash"] = json!({
        "type": "string",
        "description": "An argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash) at least the OP's minimum cost; left out: none (create) or kept (replace). A clear `password` member is refused"
    });
    json!({
        "type": "object",
        "required": ["name", "email"],
        "description": "Every other member must be a standard claim this OP knows (OIDC Core §5.1, IDA Claims §3.1); `password`, `disabled` and `updated_at` are refused (on PUT, `disabled` and `updated_at` equal to the current values are ignored)",
        "properties": properties
    })
}

/// A customer as read: the input's members, `disabled` and `updated_at`;
/// never a password hash.
fn customer_schema() -> Value {
    let mut properties = profile_properties();
    properties["disabled"] = json!({ "type": "boolean" });
    properties["updated_at"] = json!({ "type": "integer", "description": "Unix seconds of the last change" });
    json!({
        "type": "object",
        "required": ["username", "sub", "name", "email", "email_verified", "phone_number_verified", "accounts", "disabled", "updated_at"],
        "description": "As `fiducia users show` prints it, without the password hash; other standard claims appear by name",
        "properties": properties
    })
}
