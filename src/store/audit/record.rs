//! What one audit record says: who did what to which records, and the hash
//! of the record before it in its chain. Nothing secret is ever a field:
//! targets are named by ids that are not bearer secrets (client ids,
//! consent ids, grant ids, account ids, kids), and a change names the
//! members that changed, with values only for states (a consent's status,
//! a client's suspension), never for credentials.

use serde::{Deserialize, Serialize};

/// Version of the record format (the `v` member).
pub const RECORD_FORMAT: u32 = 1;

/// What happened. The wire names are stable: SIEM rules match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// A client registered (RFC 7591 §3).
    ClientRegistered,
    /// A registered client's metadata was replaced (RFC 7592 §2.2).
    ClientUpdated,
    /// A registered client was deleted (RFC 7592 §2.3).
    ClientDeleted,
    /// A registered client was suspended (its directory withdrew trust).
    ClientSuspended,
    /// A suspended client was reinstated.
    ClientReinstated,
    /// A UK OBIE consent was created by a client.
    ConsentCreated,
    /// A customer authorised a consent, or granted an authorization request
    /// (the grant).
    ConsentAuthorised,
    /// A customer rejected a consent or an authorization request.
    ConsentRejected,
    /// A consent was revoked.
    ConsentRevoked,
    /// A consent was used for its payment.
    ConsentConsumed,
    /// Every token issued under a grant was revoked.
    GrantRevoked,
    /// A customer account was disabled.
    CustomerDisabled,
    /// A customer account was enabled again.
    CustomerEnabled,
    /// The signing keys the OP publishes or signs with changed.
    KeysChanged,
    /// A configuration change made through the Config API.
    ConfigChanged,
    /// An administrator failed to authenticate.
    AdminAuthenticationFailed,
    /// A customer's second factor was locked after consecutive wrong codes
    /// (`[login.totp] max_failures`). Never holds a code.
    SecondFactorLocked,
}

impl EventType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ClientRegistered => "client_registered",
            EventType::ClientUpdated => "client_updated",
            EventType::ClientDeleted => "client_deleted",
            EventType::ClientSuspended => "client_suspended",
            EventType::ClientReinstated => "client_reinstated",
            EventType::ConsentCreated => "consent_created",
            EventType::ConsentAuthorised => "consent_authorised",
            EventType::ConsentRejected => "consent_rejected",
            EventType::ConsentRevoked => "consent_revoked",
            EventType::ConsentConsumed => "consent_consumed",
            EventType::GrantRevoked => "grant_revoked",
            EventType::CustomerDisabled => "customer_disabled",
            EventType::CustomerEnabled => "customer_enabled",
            EventType::KeysChanged => "keys_changed",
            EventType::ConfigChanged => "config_changed",
            EventType::AdminAuthenticationFailed => "admin_authentication_failed",
            EventType::SecondFactorLocked => "second_factor_locked",
        }
    }
}

/// Who made the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// A client, by client id (it authenticated at the endpoint).
    Client(String),
    /// A customer, by account id (the `sub` the OP issues).
    Customer(String),
    /// An operator (a CLI user or a Config API caller), by the name their
    /// credential carries.
    Operator(String),
    /// The OP itself, by node name (e.g. the trust sweeper, the key
    /// manager), for changes no caller asked for.
    Node(String),
}

impl Actor {
    /// The operator running a CLI on this host: the local user name (the
    /// CLI has no other credential; whoever may run it may change the
    /// store).
    pub fn local_operator() -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".to_string());
        Actor::Operator(format!("cli:{user}"))
    }
}

/// A record the event concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Its kind (`client`, `consent`, `grant`, `customer`, `key`, ...).
    pub kind: String,
    /// Its id (never a bearer secret).
    pub id: String,
}

impl Target {
    /// Target `id` of `kind`.
    pub fn new(kind: &str, id: &str) -> Self {
        Self {
            kind: kind.to_string(),
            id: id.to_string(),
        }
    }
}

/// One member that changed; `from` and `to` only for states, never for
/// credentials or personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The member's name (for a registration update: the RFC 7591 name).
    pub member: String,
    /// The value before, for a state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The value after, for a state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl Change {
    /// A member whose value is not recorded.
    pub fn member(member: &str) -> Self {
        Self {
            member: member.to_string(),
            from: None,
            to: None,
        }
    }

    /// A state member moving from `from` to `to`.
    pub fn state(member: &str, from: Option<&str>, to: &str) -> Self {
        Self {
            member: member.to_string(),
            from: from.map(str::to_string),
            to: Some(to.to_string()),
        }
    }
}

/// What a caller appends: the event without its place in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// What happened.
    pub event: EventType,
    /// Who did it.
    pub actor: Actor,
    /// What it concerns; the first target chooses the chain.
    pub targets: Vec<Target>,
    /// What changed.
    pub changed: Vec<Change>,
}

impl AuditEvent {
    /// `event` by `actor` on `target`, changing nothing recorded yet.
    pub fn new(event: EventType, actor: Actor, target: Target) -> Self {
        Self {
            event,
            actor,
            targets: vec![target],
            changed: Vec::new(),
        }
    }

    /// Adds a target.
    pub fn and_target(mut self, target: Target) -> Self {
        self.targets.push(target);
        self
    }

    /// Adds a change.
    pub fn with_change(mut self, change: Change) -> Self {
        self.changed.push(change);
        self
    }
}

/// A stored audit record. Its canonical bytes are its JSON with the members
/// in this order (serde writes a struct's fields in declaration order); the
/// next record of its chain carries their SHA-256 in `prev`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Record format ([`RECORD_FORMAT`]).
    pub v: u32,
    /// The chain it belongs to.
    pub chain: u16,
    /// Its place in the chain, from 1.
    pub seq: u64,
    /// When (Unix seconds).
    pub time: u64,
    /// What happened.
    pub event: EventType,
    /// Who did it.
    pub actor: Actor,
    /// The node that wrote it.
    pub node: String,
    /// What it concerns.
    pub targets: Vec<Target>,
    /// What changed.
    #[serde(default)]
    pub changed: Vec<Change>,
    /// Hex SHA-256 of the previous record's canonical bytes (64 zeros for
    /// the first record of a chain).
    pub prev: String,
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}
