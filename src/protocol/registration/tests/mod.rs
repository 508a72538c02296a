//! Unit tests of the registration checks, each citing the rule it covers.

mod brazil;
mod certs;
mod generic;
mod metadata;
mod request;
mod ssa;

use crate::protocol::client_auth::{DistinguishedName, TokenEndpointAuthMethod};
use crate::protocol::jose::testing::{
    certificate, client_jwk_json, header, hs256, key, sign, unsigned, with_changes,
};
use crate::protocol::jose::{ClientJwk, ClientJwks, JoseError};
use crate::protocol::rar::DetailType;
use crate::protocol::registration::RegistrationError;
use crate::protocol::registration::cert_binding::{
    CertificateBinding, check_certificate_binding, subject_dn_rfc4514,
};
use crate::protocol::registration::metadata::{MetadataPolicy, check_client_metadata};
use crate::protocol::registration::profile::RegistrationProfile;
use crate::protocol::registration::request::{
    RegistrationBody, parse_body, software_statement, verify_signed_request,
};
use crate::protocol::registration::roles::default_role_scopes;
use crate::protocol::registration::ssa::{SsaError, peek_issuer, verify_software_statement};
use fiducia_hsm::{JoseAlg, SoftwareSigner};
use rcgen::{DnType, DnValue};
use serde_json::{Map, Value, json};

const NOW: u64 = 1_800_000_000;
const DIRECTORY: &str = "sandbox-directory";
const KID: &str = "directory-key-1";
const OP: &str = "https://op.example";

fn directory(alg: JoseAlg) -> (SoftwareSigner, Vec<ClientJwk>) {
    let signer = key(alg);
    let jwks = json!({"keys": [client_jwk_json(&signer, KID, json!({}))]});
    let keys = ClientJwks::from_value(&jwks).unwrap().keys;
    (signer, keys)
}

fn ssa_claims(changes: Value) -> Value {
    with_changes(
        json!({
            "iss": DIRECTORY, "iat": NOW - 10, "exp": NOW + 290, "jti": "5e0f3a2c-0000-4000-8000-000000000001",
            "software_id": "soft-1", "org_id": "org-1", "org_name": "Fintech Ltd",
            "software_client_name": "Fintech App",
            "software_redirect_uris": ["https://fintech.example/cb", "https://fintech.example/cb2", "https://localhost/cb"],
            "software_roles": ["AISP"],
            "software_jwks_endpoint": "https://directory.example/soft-1/jwks",
            "software_status": "Active", "org_status": "Active",
        }),
        changes,
    )
}

fn signed(signer: &SoftwareSigner, claims: &Value) -> String {
    sign(signer, &header(signer, Some(KID), json!({})), claims)
}

fn verify(
    compact: &str,
    keys: &[ClientJwk],
) -> Result<crate::protocol::registration::ssa::SoftwareStatement, SsaError> {
    verify_software_statement(compact, keys, DIRECTORY, RegistrationProfile::Uk, 300, NOW)
}
