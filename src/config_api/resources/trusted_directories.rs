//! `/trusted-directories`: the directories whose software statements
//! registration trusts (`[[registration.trusted_directories]]`), managed
//! live (`oauth::live_sections::TrustedDirectories`; the routes are
//! `section_items.rs`'s). A directory is named in a path by its `issuer`
//! percent-encoded (RFC 3986 §2.1): the one name its statements carry.
//! `jwks_file` is refused in a body (a path on one node's disk is not an
//! API value): give `jwks_uri`. Registration follows at once: a directory
//! added admits its statements on the next registration, one removed
//! refuses them (`unapproved_software_statement`) and the clients it
//! registered (`invalid_client` wherever a client is looked up).

use super::section_items::{self as items, Collection};
use crate::config_api::route::Route;
use crate::config_api::scope::Scope;
use crate::oauth::live_sections::TrustedDirectories;
use http::Method;
use serde_json::{Value, json};

impl Collection for TrustedDirectories {
    const COLLECTION: &'static str = "/trusted-directories";
    const MEMBER: &'static str = "trusted_directories";
}

/// The routes.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/trusted-directories",
        scope: Some(Scope::ConfigRead),
        label: "config_api_trusted_directories",
        handle: items::list::<TrustedDirectories>,
    },
    Route {
        method: Method::POST,
        path: "/trusted-directories",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_trusted_directories_create",
        handle: items::create::<TrustedDirectories>,
    },
    Route {
        method: Method::DELETE,
        path: "/trusted-directories",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_trusted_directories_reset",
        handle: items::reset::<TrustedDirectories>,
    },
    Route {
        method: Method::GET,
        path: "/trusted-directories/{key}",
        scope: Some(Scope::ConfigRead),
        label: "config_api_trusted_directory",
        handle: items::get::<TrustedDirectories>,
    },
    Route {
        method: Method::PUT,
        path: "/trusted-directories/{key}",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_trusted_directory_update",
        handle: items::update::<TrustedDirectories>,
    },
    Route {
        method: Method::DELETE,
        path: "/trusted-directories/{key}",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_trusted_directory_delete",
        handle: items::delete::<TrustedDirectories>,
    },
];

/// Its part of the OpenAPI document.
pub fn openapi() -> Value {
    let https = json!({ "type": "string", "format": "uri", "pattern": "^https://" });
    let template = json!({ "type": "string", "pattern": "^https://.*\\{software_id\\}" });
    items::openapi::<TrustedDirectories>(
        "TrustedDirectories",
        "TrustedDirectory",
        json!({
            "type": "object",
            "description": "A [[registration.trusted_directories]] entry (README, Configuration): checked with the start-up rules, one problem per member.",
            "required": ["issuer"],
            "additionalProperties": false,
            "properties": {
                "issuer": { "type": "string", "minLength": 1, "description": "The iss of its software statements; unique" },
                "jwks_uri": https,
                "jwks_file": { "type": ["string", "null"], "description": "Refused through the API unless carried unchanged from the file" },
                "profile": { "type": "string", "enum": ["uk", "brazil", "generic", "cdr"] },
                "certificate_binding": { "type": ["string", "null"], "enum": ["uk", "brazil", "none", null] },
                "role_scopes": { "type": "object", "additionalProperties": { "type": "array", "items": { "type": "string" } } },
                "status_endpoint": { "oneOf": [template, { "type": "null" }] },
                "revocation_endpoint": { "oneOf": [template, { "type": "null" }] },
                "requests_per_second": { "type": "integer", "minimum": 1, "maximum": 1000000 },
                "burst": { "type": "integer", "minimum": 1, "maximum": 1000000 }
            }
        }),
        "The directory's issuer, percent-encoded (RFC 3986 §2.1)",
    )
}
