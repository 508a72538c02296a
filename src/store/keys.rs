//! The key schema and value schema of the store.
//!
//! ```text
//! SCHEMA_VERSION = 17
//!
//! Keys are FoundationDB tuple-layer encodings (FDB "design/tuple.md":
//! byte strings 0x01, text 0x02, non-negative integers 0x14..0x1c), so they
//! sort by their elements and a tuple prefix is a subspace. On FDB every key
//! also sits under the configured `store.fdb_prefix`. The first element is a
//! small integer naming the subspace; integers rather than names keep keys
//! short, which is most of the embedded writer's cost (memtable inserts
//! compare keys).
//!
//! (0, "schema_version")                            -> u32, big endian (not enveloped)
//! (0, "client_config_generation")                  -> u64, big endian (not enveloped): bumped with every
//!                                                     client document change (oauth/managed_clients)
//! (0, "config_section_generation")                 -> u64, big endian (not enveloped): bumped with every
//!                                                     section document change (oauth/live_sections)
//! (<kind>, <id key>)                               -> envelope(RecordMeta, payload)
//! (64, <bucket>, <kind>, <id key>)                 -> ""   expiry; bucket = expires_at / 60
//! (65, <index>, <value>, <kind>, <id key>)         -> ""   secondary index
//! (66, 0, <chain>)                                 -> audit chain head: seq u64 BE ++ SHA-256 (40 bytes)
//! (66, 1, <chain>, <seq>)                          -> audit record: its canonical JSON (store/audit/record.rs)
//! (66, 2, <seq>)                                   -> audit checkpoint: canonical JSON with a JWS (store/audit/checkpoint.rs)
//! (66, 3, "keys")                                  -> the key set the audit trail last recorded (JSON)
//!
//! <chain>  0..AUDIT_CHAINS (64): the audit trail is that many hash chains,
//!          a record's chain chosen by its first target id
//!          (store/audit/chain.rs); <seq> counts from 1 in each chain.
//!          Audit keys have no expiry entry: the sweeper never deletes them.
//!
//! <kind>   1..=63, one subspace per record kind (Kind::code below:
//!          1 access_token, 2 refresh_token, 3 authorization_code, 4 par,
//!          5 ciba_request, 6 session, 7 interaction,
//!          8 registration_access_token, 9 replay, 10 grant, 11 client,
//!          12 consent, 13 user, 14 signing_key, 15 payment_reservation,
//!          16 client_config, 17 config_section, 18 revocation_notice)
//! <id key> SHA-256 of the id for kinds that hold a bearer secret (tokens,
//!          codes, request_uris, CIBA auth_req_ids, session ids, jtis):
//!          32 bytes, so the secret is never stored; the id's UTF-8 bytes for
//!          the others (grants, clients, consents, users, keys, payment
//!          reservations, client documents, section documents, revocation
//!          notices)
//! <index>  1 client (client_id), 2 grant (grant_id), 3 user (account id),
//!          4 uid (session uid), 5 auth_req (SHA-256 of a CIBA auth_req_id)
//!          A record gets an entry for each of its links, except that access
//!          and refresh tokens are indexed by grant only (Kind::is_indexed_by):
//!          revoke-by-grant is what needs to find them; their tokens of a
//!          client or user are reached through the grants, which are indexed
//!          by client and user. Two keys fewer per issued token. A
//!          client_credentials token is its own grant: its grant id names
//!          its own key (`records::own_grant_id`), so it takes no index
//!          entry at all and revoke-by-grant deletes it by key. Pending
//!          CIBA requests take no client or customer entry
//!          (Kind::is_found_by_scan): revocation reads the kind.
//!
//! Values: codec::encode (tag byte 0x01 + bincode 2.0.1 standard) of
//! (RecordMeta, payload); RecordMeta (store/record.rs) comes first so that
//! the sweeper and revoke-by-grant read it without knowing the payload type.
//! ```
//!
//! Record values by kind: the flow records (`model/records.rs`); `client`
//! = `RegisteredClient` and `registration_access_token` =
//! `RegistrationAccessToken` (`model/registered.rs`, dynamic client
//! registration). Those two kinds were reserved in this layout from the
//! start and a store without records of them is simply empty there, so
//! adding their values needed no new version. The `replay` kind holds
//! short-lived abuse marks, all with an expiry: seen `jti`s (`SeenJti`, id
//! `namespace NUL jti`) and failed-login counters (`login/throttle.rs`
//! `LoginAttempts`, ids `login-attempts <scope> <subject>`, never a NUL)
//! and the continuous-trust lease (`model/trust_lease.rs` `TrustLease`,
//! the one id `trust-lease`, expiring with the lease) and a pending grant
//! management merge or replace (`model/grant_update.rs`
//! `PendingGrantUpdate`, ids `grant_update NUL <request_uri | interaction
//! id>`, expiring with its request or interaction);
//! each payload type is only ever read under its own ids, and older
//! binaries' sweepers handle them as any record of a known kind.
//! The `ciba_request` value is `BackchannelRequest` (`model/ciba.rs`, a
//! pending CIBA request keyed by the SHA-256 of its `auth_req_id`); the kind
//! was likewise reserved from the start, so its first values needed no new
//! version either.
//! The `session` value is `UpstreamLogin` (`model/upstream_login.rs`, a
//! login pending at the bank's upstream OpenID Provider, keyed by the
//! SHA-256 of the `state` sent there, always with an expiry, no links);
//! the kind was reserved from the start, so its first values needed no
//! new version either: an older build's sweeper deletes them at expiry as
//! any record of a known kind, and nothing else reads the kind. The
//! consent dashboard's sessions (`model/account_session.rs`
//! `AccountSession`) share the kind: keyed by the SHA-256 of
//! `account-session NUL <cookie value>` (an upstream `state` has no NUL,
//! so neither finds the other's records), always with an expiry, linked to
//! the customer (so disabling the account deletes them with its other
//! sessions). Adding them needed no new version for the same reasons.
//! `PushedRequest.response_mode` gained the variant `Fragment` (the hybrid
//! `code id_token`) after the existing ones: bincode writes a variant's
//! index, so stored requests read as before and no new version was needed.
//!
//! Changing any of this means a new [`SCHEMA_VERSION`] and a migration in
//! `repo/schema.rs`. Version 2 stopped indexing tokens by client and user;
//! its migration deletes those entries. Version 3 changed the value of
//! pushed requests and interactions (`response_mode`, JARM) and appended
//! `authorization_details` (RFC 9396) to pushed requests, grants, codes,
//! access and refresh tokens; its migration (`repo/migrate_v3.rs`) deletes
//! the pushed requests and interactions in flight and rewrites the others.
//! Version 4 appended `openbanking_intent_id` (the UK OBIE consent the
//! request authorises) to pushed requests; its migration deletes the pushed
//! requests and interactions in flight. Version 5 added the kind
//! `payment_reservation` (15): which payment (client, `x-idempotency-key`)
//! a consent or RAR grant was used for (`consent/reservation.rs`); a
//! version-4 store has none, so its migration writes nothing, but an older
//! build must not open a store that holds them (its sweeper would not know
//! the kind). Version 6 changed the `client` value: registration
//! profiles (`jwks` by value, an optional `jwks_uri`, the transport
//! certificate's subject), continuous trust (`trusted_since`: tokens
//! issued before it are not honoured; `revoked_certificates`: transport
//! certificates the directory revoked) and `descriptive_metadata` (the RFC
//! 7591 §2 members kept and returned, a JSON object as text); its
//! migration (`repo/migrate_v6.rs`) rewrites every registered client.
//! Version 7 appended `id_token_encryption` (OIDC Registration §2
//! `id_token_encrypted_response_alg` / `_enc`) to a registered client's
//! metadata; its migration (`repo/migrate_v7.rs`) rewrites every
//! registered client with none.
//! Version 8 appended identity assurance (eKYC) fields: a customer
//! account's other claims, verified claim sets, payment accounts and
//! `disabled`, and the approved `claims` request of grants, codes and
//! tokens; its migration (`repo/migrate_v8.rs`) appends their empty values
//! and drops the pushed requests in flight.
//! Version 9 stopped storing a pending CIBA request's client and customer
//! in its payload (`BackchannelRequest`): they are its links, held once in
//! its `RecordMeta` and put back on every read (`StoredRecord::restore`),
//! which saves their second copy in each of the records the OP holds in
//! numbers; its migration (`repo/migrate_v9.rs`) drops the CIBA requests
//! in flight.
//! Version 10 added the audit subspace (66): hash-chained audit records,
//! their chain heads, signed checkpoints and the last recorded key set. Its
//! values are JSON rather than the envelope: a record's stored bytes are
//! what its successor hashes and what `fiducia audit export` writes, so an
//! auditor can check them with any SHA-256 tool; each record carries its
//! own format version (`v`). A version-9 store has no audit keys, so the
//! migration writes nothing; the bump keeps older builds, which would
//! change records without appending to the trail, from opening the store.
//! Version 11 stopped indexing pending CIBA requests by client and by
//! customer (`Kind::is_found_by_scan`): the OP holds them in numbers (up to
//! `[ciba] max_pending`) and each entry costs the embedded store's memtable
//! its key and 64 bytes more, while the two indexes served only revocation
//! (a client deleted or suspended, a customer disabled), which now scans
//! the kind (`repo/revoke_indexed.rs`). Its migration (`repo/migrate_v11.rs`)
//! clears those entries and keeps the requests.
//! Version 12 added the kind `client_config` (16): an operator's document
//! for a client id (`model/client_document.rs`, managed through
//! `oauth/managed_clients/`), and the key `(0, "client_config_generation")`
//! bumped with each; a version-11 store has neither, so the migration
//! writes nothing, and the bump keeps older builds (which would serve a
//! client an operator disabled) from opening the store.
//! Version 13 (the interaction API) appended the authentication
//! parameters of the request (`max_age`, `acr_values`, `login_hint`,
//! `prompt`) to pushed requests; changed the interaction (the login's `acr`
//! and `amr` in its `Consent` stage, a `Decided` stage, the interaction app
//! that runs it, the hash of its browser-binding cookie, its start time);
//! and appended `acr` and `amr` to authorization codes. All three live
//! minutes at most, so its migration (`repo/schema.rs`
//! `drop_in_flight_flows`) drops the ones in flight with their index and
//! expiry entries: a customer mid-login starts again, a client with an
//! unredeemed code hears `invalid_grant`.
//! Version 14 (strong customer authentication) appended `totp` (the
//! enrolled TOTP factor) to customer accounts, `authentication` (the
//! original `auth_time`, `acr`, `amr` for a refresh's ID token) to refresh
//! tokens, `payment_link` (dynamic
//! linking) to the login's report in interactions and the interaction
//! stage `SecondFactor`; its migration (`repo/schema.rs`
//! `add_second_factor`) appends `None` (one zero byte) to every account
//! and refresh token and drops the flows in flight as version 13's did.
//!
//! Version 15 added the kind `config_section` (17): an operator's document
//! for a whole configuration section (`model/section_document.rs`, by
//! section name, managed through `oauth/live_sections/`: trusted
//! directories, resource servers), and the key `(0,
//! "config_section_generation")` bumped with each; a version-14 store has
//! neither, so the migration writes nothing, and the bump keeps older
//! builds (which would still trust a directory or resource server an
//! operator removed) from opening the store.
//!
//! Version 16 (CIBA through the interaction app) appended `app` (the
//! interaction app a request was handed to, an `Option`) to pending CIBA
//! requests (`BackchannelRequest`); its migration (`repo/schema.rs`
//! `add_ciba_app`) appends `None` (one zero byte) to each, so the requests
//! in flight stay the device channel's. The interaction gained the stage
//! `Abandoned` (the app gave up, with its reason) after the existing ones:
//! bincode writes a variant's index, so stored interactions read as
//! before; the bump keeps older builds, which could not read it, from
//! opening the store.
//!
//! Version 17 added the kind `revocation_notice` (18): the outbox of
//! revocation notices to the API gateways (`model/revocation_notice.rs`,
//! `repo/outbox.rs`): the SHA-256 of each access token a revocation
//! deleted and the revoked grant ids, written in the revocation's own
//! transaction and deleted once every gateway took them
//! (`oauth/revocation_notices/`). Ids are `<created_at, 16 hex digits>-
//! <random>`, so the kind reads oldest first; records carry an expiry
//! (twice the outbox's age bound) so that the sweeper clears what no
//! notifier drained. A version-16 store has none, so the migration writes
//! nothing; the bump keeps older builds, whose sweeper does not know the
//! kind and whose revocations would write no notice, from opening it.

use aws_lc_rs::digest;

/// Version of the layout above; recorded in the store at `(0,
/// "schema_version")`.
pub const SCHEMA_VERSION: u32 = 17;

/// First element of the schema version key.
const META: u64 = 0;
/// First element of expiry entries.
const EXPIRY: u64 = 64;
/// First element of index entries.
const INDEX: u64 = 65;
/// First element of the audit trail's keys.
const AUDIT: u64 = 66;
/// Second element of audit chain heads.
const AUDIT_HEAD: u64 = 0;
/// Second element of audit records.
const AUDIT_RECORD: u64 = 1;
/// Second element of audit checkpoints.
const AUDIT_CHECKPOINT: u64 = 2;
/// Second element of the audit trail's own markers.
const AUDIT_MARKER: u64 = 3;

/// How many hash chains the audit trail is striped over (part of the
/// on-disk schema: a record's chain is chosen by its target id modulo this).
pub const AUDIT_CHAINS: u16 = 64;

/// Width of an expiry bucket, in seconds.
pub const EXPIRY_BUCKET_SECONDS: u64 = 60;

/// Kinds of record: each is a subspace of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Access tokens (RFC 6749 §1.4), by hash.
    AccessToken,
    /// Refresh tokens (RFC 6749 §1.5), by hash.
    RefreshToken,
    /// Authorization codes (RFC 6749 §4.1.2), by hash; consumed once.
    AuthorizationCode,
    /// Pushed authorization requests (RFC 9126), by hash of the request_uri.
    PushedAuthorizationRequest,
    /// CIBA authentication requests (CIBA Core §7), by hash of auth_req_id.
    BackchannelAuthenticationRequest,
    /// Login sessions, by hash of the session id.
    Session,
    /// Authorization interactions (login and consent in progress), by hash.
    Interaction,
    /// Registration access tokens (RFC 7592 §3), by hash.
    RegistrationAccessToken,
    /// One-time marks kept until they expire, by hash: seen `jti`s of client
    /// assertions, request objects and DPoP proofs, and revoked-grant
    /// markers (`repo/revoked.rs`), all with the `SeenJti` value.
    ReplayDetection,
    /// Grants: what a user allowed a client, by grant id.
    Grant,
    /// Registered clients, by client_id.
    Client,
    /// Open-banking consents (payments, account access), by consent id.
    Consent,
    /// Users (customer accounts), by account id.
    User,
    /// Signing key metadata, by kid.
    SigningKey,
    /// The payment a consent or RAR grant was used for, by consent
    /// reference (UK OBIE: a consent authorises one payment).
    PaymentReservation,
    /// Client documents managed live (`[[clients]]` metadata, state,
    /// revision, or a tombstone), by client_id.
    ClientConfig,
    /// Configuration sections managed live (a section's effective value
    /// as JSON text, or its reset to the file), by section name.
    ConfigSection,
    /// The revocation outbox: what a revocation deleted, to be told to
    /// the API gateways (`repo/outbox.rs`), by a time-ordered id.
    RevocationNotice,
}

impl Kind {
    /// Every kind, in schema order.
    pub const ALL: &'static [Kind] = &[
        Kind::AccessToken,
        Kind::RefreshToken,
        Kind::AuthorizationCode,
        Kind::PushedAuthorizationRequest,
        Kind::BackchannelAuthenticationRequest,
        Kind::Session,
        Kind::Interaction,
        Kind::RegistrationAccessToken,
        Kind::ReplayDetection,
        Kind::Grant,
        Kind::Client,
        Kind::Consent,
        Kind::User,
        Kind::SigningKey,
        Kind::PaymentReservation,
        Kind::ClientConfig,
        Kind::ConfigSection,
        Kind::RevocationNotice,
    ];

    /// The subspace code; part of the on-disk schema.
    pub const fn code(self) -> u64 {
        match self {
            Kind::AccessToken => 1,
            Kind::RefreshToken => 2,
            Kind::AuthorizationCode => 3,
            Kind::PushedAuthorizationRequest => 4,
            Kind::BackchannelAuthenticationRequest => 5,
            Kind::Session => 6,
            Kind::Interaction => 7,
            Kind::RegistrationAccessToken => 8,
            Kind::ReplayDetection => 9,
            Kind::Grant => 10,
            Kind::Client => 11,
            Kind::Consent => 12,
            Kind::User => 13,
            Kind::SigningKey => 14,
            Kind::PaymentReservation => 15,
            Kind::ClientConfig => 16,
            Kind::ConfigSection => 17,
            Kind::RevocationNotice => 18,
        }
    }

    /// The kind with subspace code `code`.
    pub fn from_code(code: u64) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.code() == code)
    }

    /// A name for logs and documentation.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::AccessToken => "access_token",
            Kind::RefreshToken => "refresh_token",
            Kind::AuthorizationCode => "authorization_code",
            Kind::PushedAuthorizationRequest => "par",
            Kind::BackchannelAuthenticationRequest => "ciba_request",
            Kind::Session => "session",
            Kind::Interaction => "interaction",
            Kind::RegistrationAccessToken => "registration_access_token",
            Kind::ReplayDetection => "replay",
            Kind::Grant => "grant",
            Kind::Client => "client",
            Kind::Consent => "consent",
            Kind::User => "user",
            Kind::SigningKey => "signing_key",
            Kind::PaymentReservation => "payment_reservation",
            Kind::ClientConfig => "client_config",
            Kind::ConfigSection => "config_section",
            Kind::RevocationNotice => "revocation_notice",
        }
    }

    /// Whether the id is a bearer secret, stored only as its SHA-256.
    pub const fn stored_by_hash(self) -> bool {
        !matches!(
            self,
            Kind::Grant
                | Kind::Client
                | Kind::Consent
                | Kind::User
                | Kind::SigningKey
                | Kind::PaymentReservation
                | Kind::ClientConfig
                | Kind::ConfigSection
                | Kind::RevocationNotice
        )
    }

    /// Whether records of this kind get an entry in `index` for their link
    /// (part of the on-disk schema; see the module documentation). Access and
    /// refresh tokens are indexed by grant only: that is what revoke-by-grant
    /// needs, and their client and user are reached through the grant.
    pub const fn is_indexed_by(self, index: Index) -> bool {
        match self {
            Kind::AccessToken | Kind::RefreshToken => matches!(index, Index::Grant),
            _ => !self.is_found_by_scan(index),
        }
    }

    /// Whether records of this kind linked through `index` are found by
    /// reading the whole kind rather than through index entries (part of
    /// the on-disk schema). Pending CIBA requests: up to `[ciba]
    /// max_pending` of them are held at once and only a revocation (a
    /// client deleted or suspended, a customer disabled) looks them up by
    /// client or customer, so two entries fewer per request (128 bytes of
    /// memtable besides their keys) are worth a scan of the kind on that
    /// rare path. Their `RecordMeta` still holds both links.
    pub const fn is_found_by_scan(self, index: Index) -> bool {
        matches!(
            (self, index),
            (
                Kind::BackchannelAuthenticationRequest,
                Index::Client | Index::User
            )
        )
    }

    /// The key bytes that stand for `id` in this kind's subspace.
    pub fn id_key(self, id: &str) -> Vec<u8> {
        if self.stored_by_hash() {
            sha256(id.as_bytes()).to_vec()
        } else {
            id.as_bytes().to_vec()
        }
    }
}

/// Secondary indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Index {
    /// Records of a client.
    Client,
    /// Records of a grant (tokens, codes): what revoke-by-grant deletes.
    Grant,
    /// Records of a user (account id).
    User,
    /// Records of a login session (its uid).
    Uid,
    /// Records of a CIBA request, by SHA-256 of its auth_req_id.
    AuthReq,
}

impl Index {
    /// Every index, in schema order.
    pub const ALL: &'static [Index] = &[
        Index::Client,
        Index::Grant,
        Index::User,
        Index::Uid,
        Index::AuthReq,
    ];

    /// A name for logs and errors.
    pub const fn name(self) -> &'static str {
        match self {
            Index::Client => "client",
            Index::Grant => "grant",
            Index::User => "user",
            Index::Uid => "uid",
            Index::AuthReq => "auth_req_id",
        }
    }

    /// The index code; part of the on-disk schema.
    pub const fn code(self) -> u64 {
        match self {
            Index::Client => 1,
            Index::Grant => 2,
            Index::User => 3,
            Index::Uid => 4,
            Index::AuthReq => 5,
        }
    }
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = digest::digest(&digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// `(0, "schema_version")`.
pub fn schema_version_key() -> Vec<u8> {
    pack(&[Element::Int(META), Element::Str("schema_version")])
}

/// `(0, "client_config_generation")`: bumped in the transaction of every
/// client document change; nodes poll it to reload the documents.
pub fn client_config_generation_key() -> Vec<u8> {
    pack(&[Element::Int(META), Element::Str("client_config_generation")])
}

/// `(0, "config_section_generation")`: bumped in the transaction of every
/// section document change; nodes poll it (with the clients' generation,
/// in the same read) to reload the sections.
pub fn config_section_generation_key() -> Vec<u8> {
    pack(&[Element::Int(META), Element::Str("config_section_generation")])
}

/// `(<kind>, <id key>)`: where a record lives.
pub fn record_key(kind: Kind, id_key: &[u8]) -> Vec<u8> {
    pack(&[Element::Int(kind.code()), Element::Bytes(id_key)])
}

/// Every record of `kind`.
pub fn kind_subspace(kind: Kind) -> Vec<u8> {
    pack(&[Element::Int(kind.code())])
}

/// The expiry bucket of a record expiring at `expires_at` (Unix seconds).
pub fn expiry_bucket(expires_at: u64) -> u64 {
    expires_at / EXPIRY_BUCKET_SECONDS
}

/// `(64, <bucket>, <kind>, <id key>)`.
pub fn expiry_key(expires_at: u64, kind: Kind, id_key: &[u8]) -> Vec<u8> {
    pack(&[
        Element::Int(EXPIRY),
        Element::Int(expiry_bucket(expires_at)),
        Element::Int(kind.code()),
        Element::Bytes(id_key),
    ])
}

/// Expiry entries in buckets `[0, bucket)`: records that expired before the
/// start of `bucket`.
pub fn expiry_range_before(bucket: u64) -> super::kv::KeyRange {
    super::kv::KeyRange::new(
        pack(&[Element::Int(EXPIRY), Element::Int(0)]),
        pack(&[Element::Int(EXPIRY), Element::Int(bucket)]),
    )
}

/// `(65, <index>, <value>, <kind>, <id key>)`.
pub fn index_key(index: Index, value: &[u8], kind: Kind, id_key: &[u8]) -> Vec<u8> {
    pack(&[
        Element::Int(INDEX),
        Element::Int(index.code()),
        Element::Bytes(value),
        Element::Int(kind.code()),
        Element::Bytes(id_key),
    ])
}

/// Every entry of `index`: `(65, <index>)`.
pub fn index_code_subspace(index: Index) -> Vec<u8> {
    pack(&[Element::Int(INDEX), Element::Int(index.code())])
}

/// Every index entry for `value` in `index`, across kinds.
pub fn index_subspace(index: Index, value: &[u8]) -> Vec<u8> {
    pack(&[
        Element::Int(INDEX),
        Element::Int(index.code()),
        Element::Bytes(value),
    ])
}

/// `(66, 0, <chain>)`: the head (last sequence number and hash) of an audit chain.
pub fn audit_head_key(chain: u16) -> Vec<u8> {
    pack(&[
        Element::Int(AUDIT),
        Element::Int(AUDIT_HEAD),
        Element::Int(u64::from(chain)),
    ])
}

/// `(66, 1, <chain>, <seq>)`: audit record `seq` of `chain`.
pub fn audit_record_key(chain: u16, seq: u64) -> Vec<u8> {
    pack(&[
        Element::Int(AUDIT),
        Element::Int(AUDIT_RECORD),
        Element::Int(u64::from(chain)),
        Element::Int(seq),
    ])
}

/// Every record of audit chain `chain`: `(66, 1, <chain>)`.
pub fn audit_chain_subspace(chain: u16) -> Vec<u8> {
    pack(&[
        Element::Int(AUDIT),
        Element::Int(AUDIT_RECORD),
        Element::Int(u64::from(chain)),
    ])
}

/// `(66, 2, <seq>)`: audit checkpoint `seq`.
pub fn audit_checkpoint_key(seq: u64) -> Vec<u8> {
    pack(&[
        Element::Int(AUDIT),
        Element::Int(AUDIT_CHECKPOINT),
        Element::Int(seq),
    ])
}

/// Every audit checkpoint: `(66, 2)`.
pub fn audit_checkpoint_subspace() -> Vec<u8> {
    pack(&[Element::Int(AUDIT), Element::Int(AUDIT_CHECKPOINT)])
}

/// `(66, 3, <name>)`: a marker of the audit trail (e.g. the key set it last
/// recorded).
pub fn audit_marker_key(name: &str) -> Vec<u8> {
    pack(&[
        Element::Int(AUDIT),
        Element::Int(AUDIT_MARKER),
        Element::Str(name),
    ])
}

/// The whole audit subspace `(66)`: what the sweeper and migrations never touch.
pub fn audit_subspace() -> Vec<u8> {
    pack(&[Element::Int(AUDIT)])
}

/// The keys strictly inside a tuple subspace: `[prefix 0x00, prefix 0xff)`
/// (FoundationDB `Subspace::range`).
pub fn subspace_range(prefix: &[u8]) -> super::kv::KeyRange {
    let mut begin = prefix.to_vec();
    begin.push(0x00);
    let mut end = prefix.to_vec();
    end.push(0xff);
    super::kv::KeyRange::new(begin, end)
}

/// One element of a tuple.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element<'a> {
    /// A byte string (type code 0x01).
    Bytes(&'a [u8]),
    /// UTF-8 text (type code 0x02).
    Str(&'a str),
    /// A non-negative integer (type codes 0x14..=0x1c).
    Int(u64),
}

/// An element read back from a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedElement {
    /// A byte string.
    Bytes(Vec<u8>),
    /// UTF-8 text.
    Str(String),
    /// A non-negative integer.
    Int(u64),
}

/// Encodes a tuple (FoundationDB tuple layer, the subset above).
pub fn pack(elements: &[Element<'_>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    for element in elements {
        match element {
            Element::Bytes(bytes) => escaped(&mut out, 0x01, bytes),
            Element::Str(text) => escaped(&mut out, 0x02, text.as_bytes()),
            Element::Int(0) => out.push(0x14),
            Element::Int(n) => {
                let bytes = n.to_be_bytes();
                let skip = (n.leading_zeros() / 8) as usize;
                out.push(0x14 + (8 - skip) as u8);
                out.extend_from_slice(&bytes[skip..]);
            }
        }
    }
    out
}

/// Byte and text strings: type code, bytes with 0x00 escaped as 0x00 0xff,
/// terminated by 0x00.
fn escaped(out: &mut Vec<u8>, code: u8, bytes: &[u8]) {
    out.push(code);
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.push(0x00);
}

/// Why a key is not a tuple this schema wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed key at byte {at}: {what}")]
pub struct KeyError {
    /// Offset of the problem.
    pub at: usize,
    /// What is wrong.
    pub what: &'static str,
}

impl From<KeyError> for super::kv::KvError {
    fn from(error: KeyError) -> Self {
        Self::Corrupt(error.to_string())
    }
}

/// Decodes a tuple written by [`pack`].
pub fn unpack(key: &[u8]) -> Result<Vec<OwnedElement>, KeyError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < key.len() {
        let code = key[at];
        at += 1;
        match code {
            0x01 | 0x02 => {
                let mut bytes = Vec::new();
                loop {
                    match (key.get(at), key.get(at + 1)) {
                        (None, _) => {
                            return Err(KeyError {
                                at,
                                what: "unterminated string",
                            });
                        }
                        (Some(0x00), Some(0xff)) => {
                            bytes.push(0x00);
                            at += 2;
                        }
                        (Some(0x00), _) => {
                            at += 1;
                            break;
                        }
                        (Some(&b), _) => {
                            bytes.push(b);
                            at += 1;
                        }
                    }
                }
                out.push(if code == 0x01 {
                    OwnedElement::Bytes(bytes)
                } else {
                    OwnedElement::Str(String::from_utf8(bytes).map_err(|_| KeyError {
                        at,
                        what: "text is not UTF-8",
                    })?)
                });
            }
            0x14..=0x1c => {
                let len = (code - 0x14) as usize;
                let bytes = key.get(at..at + len).ok_or(KeyError {
                    at,
                    what: "truncated integer",
                })?;
                let mut buf = [0u8; 8];
                buf[8 - len..].copy_from_slice(bytes);
                out.push(OwnedElement::Int(u64::from_be_bytes(buf)));
                at += len;
            }
            _ => {
                return Err(KeyError {
                    at: at - 1,
                    what: "unsupported tuple type code",
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuple_encoding_matches_the_fdb_tuple_layer() {
        // Byte-for-byte examples from FoundationDB's design/tuple.md.
        assert_eq!(pack(&[Element::Bytes(b"foo\x00bar")]), b"\x01foo\x00\xffbar\x00");
        assert_eq!(
            pack(&[Element::Str("F\u{d4}O\x00bar")]),
            b"\x02F\xc3\x94O\x00\xffbar\x00"
        );
        assert_eq!(pack(&[Element::Int(0)]), b"\x14");
        assert_eq!(pack(&[Element::Int(1)]), b"\x15\x01");
        assert_eq!(pack(&[Element::Int(256)]), b"\x16\x01\x00");
        assert_eq!(
            pack(&[Element::Int(u64::MAX)]),
            b"\x1c\xff\xff\xff\xff\xff\xff\xff\xff"
        );
    }

    #[test]
    fn tuples_round_trip_and_sort_by_elements() {
        let a = pack(&[
            Element::Str("expiry"),
            Element::Int(255),
            Element::Bytes(b"\x00z"),
        ]);
        let b = pack(&[Element::Str("expiry"), Element::Int(256), Element::Bytes(b"")]);
        assert!(a < b, "integers sort numerically");
        assert_eq!(
            unpack(&a).unwrap(),
            vec![
                OwnedElement::Str("expiry".into()),
                OwnedElement::Int(255),
                OwnedElement::Bytes(b"\x00z".to_vec())
            ]
        );
        assert!(unpack(b"\x01abc").is_err());
        assert!(unpack(b"\x30").is_err());
    }

    #[test]
    fn secrets_are_keyed_by_sha256_only() {
        let token = "eyJhbGciOi.secret-access-token";
        let key = record_key(Kind::AccessToken, &Kind::AccessToken.id_key(token));
        assert!(!key.windows(token.len()).any(|w| w == token.as_bytes()));
        assert_eq!(Kind::AccessToken.id_key(token).len(), 32);
        assert_eq!(Kind::Client.id_key("client-1"), b"client-1");
    }

    #[test]
    fn kind_codes_are_unique_and_stay_below_the_other_subspaces() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_code(kind.code()), Some(*kind));
            assert!((1..EXPIRY).contains(&kind.code()));
        }
        let mut codes: Vec<_> = Kind::ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Kind::ALL.len());
    }

    #[test]
    fn tokens_are_indexed_by_grant_only_other_kinds_by_every_link() {
        for kind in [Kind::AccessToken, Kind::RefreshToken] {
            let indexed: Vec<_> = Index::ALL.iter().filter(|i| kind.is_indexed_by(**i)).collect();
            assert_eq!(indexed, [&Index::Grant], "{}", kind.name());
        }
        assert!(
            Index::ALL
                .iter()
                .all(|i| Kind::AuthorizationCode.is_indexed_by(*i))
        );
        assert!(Kind::Grant.is_indexed_by(Index::Client) && Kind::Grant.is_indexed_by(Index::User));
    }

    #[test]
    fn records_are_inside_their_kind_subspace_only() {
        let range = subspace_range(&kind_subspace(Kind::Grant));
        assert!(range.contains(&record_key(Kind::Grant, b"g-1")));
        assert!(!range.contains(&record_key(Kind::Client, b"g-1")));
        let expired = expiry_range_before(expiry_bucket(120));
        assert!(expired.contains(&expiry_key(119, Kind::Session, b"s")));
        assert!(!expired.contains(&expiry_key(120, Kind::Session, b"s")));
    }
}
