//! The file names of a PKI directory (`fiducia pki init`).

/// CA certificate file name in a PKI directory.
pub const CA_CERT_FILE: &str = "ca.pem";
/// CA private key file name in a PKI directory.
pub const CA_KEY_FILE: &str = "ca.key";
/// Server certificate chain file name in a PKI directory.
pub const SERVER_CERT_FILE: &str = "server.pem";
/// Server private key file name in a PKI directory.
pub const SERVER_KEY_FILE: &str = "server.key";
/// Sub-directory of a PKI directory holding client certificates and keys.
pub const CLIENTS_DIR: &str = "clients";
