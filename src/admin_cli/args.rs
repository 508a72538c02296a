//! The arguments of `fiducia admin`.

use clap::{Args, Subcommand};
use std::path::PathBuf;

/// How to reach and authenticate to the Config API.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The Config API's URL (its `config_api.public_url`), e.g. https://10.0.0.5:9443.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// PEM root(s) the API's and the token endpoint's certificates chain to
    /// (besides the system roots).
    #[arg(long, value_name = "FILE")]
    pub ca: Vec<PathBuf>,
    /// An access token in this file (first line), sent as `Bearer`.
    #[arg(long, value_name = "FILE", conflicts_with = "client_id")]
    pub token_file: Option<PathBuf>,
    /// Or: take a token by client_credentials as this client.
    #[arg(long, value_name = "ID", requires = "token_endpoint")]
    pub client_id: Option<String>,
    /// The OP's token endpoint, e.g. https://op.bank.example/token.
    #[arg(long, value_name = "URL")]
    pub token_endpoint: Option<String>,
    /// The OP's issuer, the client assertion's `aud` (FAPI 2.0 §5.3.2.1
    /// item 8). Default: the token endpoint without its last path segment.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// private_key_jwt: the client's PKCS#8 PEM key (the token is then DPoP-bound).
    #[arg(long, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
    /// The client key's algorithm.
    #[arg(long, value_name = "ALG", default_value = "ES256")]
    pub client_key_alg: fiducia_hsm::JoseAlg,
    /// A client certificate (PEM chain) presented on every connection:
    /// tls_client_auth at the token endpoint without `--client-key`, and a
    /// certificate-bound token's certificate at the API (RFC 8705).
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The certificate's PEM private key.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// HOST:PORT:TO_HOST:TO_PORT: connect to TO_HOST:TO_PORT whenever a URL
    /// names HOST:PORT, keeping HOST as the TLS name and in the request (a
    /// DPoP proof's `htu` stays the OP's public URL): to reach one node
    /// behind a balancer, or through a port forward. Repeatable.
    #[arg(long, value_name = "HOST:PORT:TO_HOST:TO_PORT")]
    pub connect_to: Vec<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// The operations.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Signing keys.
    Keys {
        /// The key operation.
        #[command(subcommand)]
        command: KeysOperation,
    },
    /// Clients: the file's, stored and registered ones.
    Clients {
        /// The client operation.
        #[command(subcommand)]
        command: ClientsOperation,
    },
    /// Customer accounts.
    Customers {
        /// The customer operation.
        #[command(subcommand)]
        command: CustomersOperation,
    },
    /// Trusted directories (`[[registration.trusted_directories]]`), by issuer.
    Directories {
        /// The directory operation.
        #[command(subcommand)]
        command: SectionOperation,
    },
    /// Resource servers (`[[resource_servers]]`), by id.
    ResourceServers {
        /// The resource server operation.
        #[command(subcommand)]
        command: SectionOperation,
    },
    /// Policies managed live: tokens, fapi, registration.
    Policies {
        #[command(subcommand)]
        command: super::policies_args::PoliciesOperation,
    },
    /// The configuration the node runs (secrets redacted).
    EffectiveConfig,
    /// Audit records, oldest first, every page.
    Audit {
        /// RFC 3339 time, e.g. 2026-12-01T00:00:00Z.
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Stop after this many records.
        #[arg(long, default_value_t = 10_000)]
        max: usize,
    },
}

/// Key operations.
#[derive(Debug, Subcommand)]
pub enum KeysOperation {
    /// List the keys.
    List,
    /// Generate a key (state next).
    Generate {
        /// ES256, PS256 or EdDSA.
        #[arg(long)]
        alg: String,
        /// RSA modulus size for PS256.
        #[arg(long)]
        bits: Option<u64>,
    },
    /// Activate a next key.
    Activate {
        /// The key id.
        kid: String,
    },
    /// Retire a key.
    Retire {
        /// The key id.
        kid: String,
    },
}

/// Client operations. A change sends `If-Match` with `--if-match`, or
/// else with the ETag of a read of the client just before (RFC 9110
/// §13.1.1).
#[derive(Debug, Subcommand)]
pub enum ClientsOperation {
    /// List every client with its source, state and ETag.
    List,
    /// Show one client.
    Get {
        /// The client id.
        client_id: String,
    },
    /// Create a stored client from a JSON file: a `[[clients]]` entry's members.
    Create {
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Replace a client's metadata (override a file entry's) from a JSON file.
    Update {
        /// The client id.
        client_id: String,
        /// The JSON file: a `[[clients]]` entry's members.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// The ETag the change is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
    /// Disable a client: refused at once, what was issued to it revoked.
    Disable {
        /// The client id.
        client_id: String,
        /// The ETag the change is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
    /// Enable a disabled client.
    Enable {
        /// The client id.
        client_id: String,
        /// The ETag the change is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
    /// Delete a client.
    Delete {
        /// The client id.
        client_id: String,
        /// The ETag the change is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
}

/// Customer operations. A change sends `If-Match` with `--if-match`, or
/// else with the ETag of a read of the customer just before (RFC 9110
/// §13.1.1).
#[derive(Debug, Subcommand)]
pub enum CustomersOperation {
    /// One page of customers: username, sub, name, disabled, verified sets.
    List {
        /// Start after this username (a previous page's `next`).
        #[arg(long, value_name = "USERNAME")]
        after: Option<String>,
        /// Most customers on the page (1 to 1000).
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Show one customer (never the password hash).
    Get {
        /// The username.
        username: String,
    },
    /// Create a customer from a JSON file: an import line's members, a
    /// password only as `password_hash` (argon2id PHC) or none.
    Create {
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Replace a customer's profile, claims, verified claims and accounts
    /// from a JSON file (members left out are cleared).
    Update {
        /// The username.
        username: String,
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// The ETag the change is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
    /// Disable a customer: no sign-in, and everything the account holds
    /// revoked.
    Disable {
        /// The username.
        username: String,
        /// The ETag the change is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
    /// Enable a disabled customer.
    Enable {
        /// The username.
        username: String,
        /// The ETag the change is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
    /// Delete a customer (disabled and revoked first).
    Delete {
        /// The username.
        username: String,
        /// The ETag the change is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
}

/// Operations on a section managed live (trusted directories, resource
/// servers). A change sends `If-Match` with `--if-match`, or else with the
/// ETag of a read just before (RFC 9110 §13.1.1): the item's, or the
/// list's for a reset.
#[derive(Debug, Subcommand)]
pub enum SectionOperation {
    /// List the items in force, each with its source and ETag.
    List,
    /// Show one item.
    Get {
        /// Its key (a directory's issuer, a resource server's id).
        key: String,
    },
    /// Add an item from a JSON file: the entry's members.
    Create {
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Replace an item from a JSON file.
    Update {
        /// Its key.
        key: String,
        /// The JSON file: the entry's members.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// The ETag the change is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
    /// Remove an item.
    Delete {
        /// Its key.
        key: String,
        /// The ETag the change is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
    /// Reset the section to the configuration file's.
    Reset {
        /// The list's ETag the reset is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
}

impl AdminCommand {
    /// The scopes the command needs (writes read the ETag first).
    pub(super) fn scope(&self) -> &'static str {
        match self {
            AdminCommand::Keys {
                command: KeysOperation::List,
            }
            | AdminCommand::EffectiveConfig => "fiducia.config.read",
            AdminCommand::Keys { .. } => "fiducia.config.read fiducia.keys.write",
            AdminCommand::Clients {
                command: ClientsOperation::List | ClientsOperation::Get { .. },
            } => "fiducia.config.read",
            AdminCommand::Clients { .. } => "fiducia.config.read fiducia.config.write",
            AdminCommand::Customers {
                command: CustomersOperation::List { .. } | CustomersOperation::Get { .. },
            } => "fiducia.config.read",
            AdminCommand::Customers { .. } => "fiducia.config.read fiducia.users.write",
            AdminCommand::Directories {
                command: SectionOperation::List | SectionOperation::Get { .. },
            }
            | AdminCommand::ResourceServers {
                command: SectionOperation::List | SectionOperation::Get { .. },
            } => "fiducia.config.read",
            AdminCommand::Directories { .. } | AdminCommand::ResourceServers { .. } => {
                "fiducia.config.read fiducia.config.write"
            }
            AdminCommand::Audit { .. } => "fiducia.audit.read",
            AdminCommand::Policies { command } => command.scope(),
        }
    }
}
