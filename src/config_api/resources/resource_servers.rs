//! `/resource-servers`: the resource servers (`[[resource_servers]]`: the
//! API gateway, interaction apps) that authenticate with their certificate
//! at introspection, the payment-grant calls and the interaction API,
//! managed live (`oauth::live_sections::ResourceServers`; the routes are
//! `section_items.rs`'s), keyed by `id`. The start-up rules hold for every
//! write: an id no client has and a subject DN no `tls_client_auth`
//! client has (the file's and the stored clients', RFC 8705 §2.1.2), an
//! interaction app still named by `login.interaction_app` or a client
//! cannot be removed. One added authenticates on its next call, one
//! removed is `invalid_client` on its next call.

use super::section_items::{self as items, Collection};
use crate::config_api::route::Route;
use crate::config_api::scope::Scope;
use crate::oauth::live_sections::ResourceServers;
use http::Method;
use serde_json::{Value, json};

impl Collection for ResourceServers {
    const COLLECTION: &'static str = "/resource-servers";
    const MEMBER: &'static str = "resource_servers";
}

/// The routes.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/resource-servers",
        scope: Some(Scope::ConfigRead),
        label: "config_api_resource_servers",
        handle: items::list::<ResourceServers>,
    },
    Route {
        method: Method::POST,
        path: "/resource-servers",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_resource_servers_create",
        handle: items::create::<ResourceServers>,
    },
    Route {
        method: Method::DELETE,
        path: "/resource-servers",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_resource_servers_reset",
        handle: items::reset::<ResourceServers>,
    },
    Route {
        method: Method::GET,
        path: "/resource-servers/{key}",
        scope: Some(Scope::ConfigRead),
        label: "config_api_resource_server",
        handle: items::get::<ResourceServers>,
    },
    Route {
        method: Method::PUT,
        path: "/resource-servers/{key}",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_resource_server_update",
        handle: items::update::<ResourceServers>,
    },
    Route {
        method: Method::DELETE,
        path: "/resource-servers/{key}",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_resource_server_delete",
        handle: items::delete::<ResourceServers>,
    },
];

/// Its part of the OpenAPI document.
pub fn openapi() -> Value {
    items::openapi::<ResourceServers>(
        "ResourceServers",
        "ResourceServer",
        json!({
            "type": "object",
            "description": "A [[resource_servers]] entry (README, Configuration): checked with the start-up rules, one problem per member.",
            "required": ["id", "tls_client_auth_subject_dn"],
            "additionalProperties": false,
            "properties": {
                "id": { "type": "string", "pattern": "^[A-Za-z0-9._~-]{1,128}$", "description": "Its client_id at introspection; no client's" },
                "tls_client_auth_subject_dn": { "type": "string", "description": "RFC 4514 subject DN of its certificate; no tls_client_auth client's" },
                "interaction_login_url": { "type": ["string", "null"], "format": "uri", "description": "Makes it an interaction app" },
                "interaction_requests_per_second": { "type": "integer", "minimum": 1, "maximum": 1000000 },
                "interaction_burst": { "type": "integer", "minimum": 1, "maximum": 1000000 },
                "revocation_notice_url": { "type": ["string", "null"], "format": "uri", "description": "Where the OP posts signed revocation notices (the gateway's admin listener, http or https)" }
            }
        }),
        "The resource server's id",
    )
}
