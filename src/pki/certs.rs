//! Key generation and certificate issuance with rcgen (aws-lc-rs backend).

use std::net::IpAddr;
use std::path::Path;

use base64::Engine as _;
use rcgen::string::{Ia5String, PrintableString};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use super::error::PkiError;
use super::files;
use super::spec::ClientCertSpec;

/// Common name of the generated CA.
pub const CA_COMMON_NAME: &str = "Fiducia Development CA";
/// Validity of server and client certificates, in days (the CA/Browser Forum's 398-day cap).
pub const LEAF_VALIDITY_DAYS: i64 = 397;
/// Validity of the CA certificate: ten years, in days.
pub const CA_VALIDITY_DAYS: i64 = 3653;
/// OID of organizationIdentifier (X.520, used by eIDAS/PSD2 and Brazil's Open Finance).
pub const ORGANIZATION_IDENTIFIER_OID: [u64; 4] = [2, 5, 4, 97];
/// How far `notBefore` is back-dated, to tolerate clock skew.
const BACKDATE: Duration = Duration::hours(1);

/// A CA able to issue certificates.
pub struct Ca {
    /// PEM of the CA certificate alone.
    pub cert_pem: String,
    pub issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }
}

/// A freshly issued end-entity certificate.
pub struct Leaf {
    /// The leaf certificate followed by the CA certificate.
    pub chain_pem: String,
    /// PKCS#8 PEM of the leaf's private key.
    pub key_pem: String,
}

fn new_key(what: &str) -> Result<KeyPair, PkiError> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| PkiError::generate(format!("{what} key"), e))
}

/// A positive 128-bit random serial (RFC 5280 §4.1.2.2: at most 20 octets, unpredictable
/// serials are CA/B Forum practice). The top bits are fixed so it always encodes in 16 octets.
fn random_serial() -> Result<SerialNumber, PkiError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| PkiError::Random {
        what: "certificate serial number",
    })?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

fn base_params(validity_days: i64) -> Result<CertificateParams, PkiError> {
    let now = OffsetDateTime::now_utc();
    let mut p = CertificateParams::default();
    p.distinguished_name = DistinguishedName::new();
    p.not_before = now - BACKDATE;
    p.not_after = now + Duration::days(validity_days);
    p.serial_number = Some(random_serial()?);
    Ok(p)
}

fn leaf_params(eku: ExtendedKeyUsagePurpose) -> Result<CertificateParams, PkiError> {
    let mut p = base_params(LEAF_VALIDITY_DAYS)?;
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![eku];
    p.use_authority_key_identifier_extension = true;
    Ok(p)
}

/// Generate a new self-signed CA: CA:true pathlen 0, keyCertSign + cRLSign, ten years.
pub fn new_ca() -> Result<Ca, PkiError> {
    let key = new_key("CA")?;
    let mut p = base_params(CA_VALIDITY_DAYS)?;
    p.distinguished_name.push(DnType::CommonName, CA_COMMON_NAME);
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = p
        .self_signed(&key)
        .map_err(|e| PkiError::generate("CA certificate", e))?;
    Ok(Ca {
        cert_pem: cert.pem(),
        issuer: Issuer::new(p, key),
    })
}

/// Load a CA from its certificate and PKCS#8 key, checking that they belong together.
pub fn load_ca(cert_path: &Path, key_path: &Path) -> Result<Ca, PkiError> {
    let cert_text = files::read_text(cert_path)?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(cert_text.as_bytes())
        .map_err(|e| PkiError::invalid_file(cert_path, format!("not a PEM certificate: {e}")))?;
    if pem.label != "CERTIFICATE" {
        return Err(PkiError::invalid_file(
            cert_path,
            format!("first PEM block is {:?}, not CERTIFICATE", pem.label),
        ));
    }
    let x509 = pem
        .parse_x509()
        .map_err(|e| PkiError::invalid_file(cert_path, format!("not an X.509 certificate: {e}")))?;
    if !x509.is_ca() {
        return Err(PkiError::invalid_file(
            cert_path,
            "is not a CA certificate (no basicConstraints CA:true)",
        ));
    }
    if !x509.validity().is_valid() {
        return Err(PkiError::invalid_file(
            cert_path,
            format!(
                "CA certificate is not valid now (valid from {} to {})",
                x509.validity().not_before,
                x509.validity().not_after
            ),
        ));
    }
    let key = KeyPair::from_pem(&files::read_text(key_path)?)
        .map_err(|e| PkiError::invalid_file(key_path, format!("not a PKCS#8 PEM private key: {e}")))?;
    if key.public_key_raw() != x509.public_key().subject_public_key.data.as_ref() {
        return Err(PkiError::invalid_file(
            key_path,
            format!("does not match the CA certificate {}", cert_path.display()),
        ));
    }
    let issuer = Issuer::from_ca_cert_der(&CertificateDer::from(pem.contents.as_slice()), key)
        .map_err(|e| PkiError::invalid_file(cert_path, format!("unusable as an issuer: {e}")))?;
    Ok(Ca {
        cert_pem: pem_encode_certificate(&pem.contents),
        issuer,
    })
}

/// PEM-encode one DER certificate.
fn pem_encode_certificate(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Parse server SANs: IP addresses (optionally `[v6]`) become IP SANs, the rest DNS names.
pub fn parse_sans(sans: &[String]) -> Result<Vec<SanType>, PkiError> {
    if sans.is_empty() {
        return Err(PkiError::invalid_field(
            "server SAN",
            "",
            "at least one subject alternative name is required",
        ));
    }
    sans.iter().map(|s| parse_san(s)).collect()
}

fn parse_san(raw: &str) -> Result<SanType, PkiError> {
    let s = raw.trim();
    let unbracketed = s.strip_prefix('[').and_then(|v| v.strip_suffix(']')).unwrap_or(s);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let bad = |reason: &str| PkiError::invalid_field("server SAN", raw, reason);
    if s.is_empty() || s.len() > 253 {
        return Err(bad("a DNS name must have 1 to 253 characters"));
    }
    for (i, label) in s.split('.').enumerate() {
        let wildcard = i == 0 && label == "*" && s.len() > 2;
        let ok = wildcard
            || (!label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        if !ok {
            return Err(bad(
                "not an IP address nor a valid DNS name (letters, digits, '-', '_', dots; \
                 a leading '*.' wildcard is allowed)",
            ));
        }
    }
    let name = Ia5String::try_from(s.to_ascii_lowercase())
        .map_err(|e| PkiError::invalid_field("server SAN", raw, e.to_string()))?;
    Ok(SanType::DnsName(name))
}

/// Issue a TLS server certificate: CN = first SAN, EKU serverAuth, 397 days.
pub fn server_leaf(ca: &Ca, sans: &[String]) -> Result<Leaf, PkiError> {
    let san_types = parse_sans(sans)?;
    let mut p = leaf_params(ExtendedKeyUsagePurpose::ServerAuth)?;
    let cn = sans
        .first()
        .map(|s| s.trim().trim_start_matches('[').trim_end_matches(']'))
        .unwrap_or_default()
        .to_ascii_lowercase();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.subject_alt_names = san_types;
    sign(ca, &p, "server certificate")
}

/// OID of userId (`UID`, RFC 4519 §2.39): Brazil's transport certificates carry the software
/// statement id there.
pub const USER_ID_OID: [u64; 7] = [0, 9, 2342, 19200300, 100, 1, 1];

/// The subject of a client's certificates: C, O, OU, CN (+ organizationIdentifier, UID).
fn client_subject(spec: &ClientCertSpec) -> Result<DistinguishedName, PkiError> {
    spec.validate()?;
    let country = PrintableString::try_from(spec.country.as_str())
        .map_err(|e| PkiError::invalid_field("c", &spec.country, e.to_string()))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, DnValue::PrintableString(country));
    dn.push(DnType::OrganizationName, spec.org_name.as_str());
    dn.push(DnType::OrganizationalUnitName, spec.org_id.as_str());
    dn.push(DnType::CommonName, spec.software_id.as_str());
    if let Some(oi) = &spec.organization_identifier {
        dn.push(
            DnType::CustomDnType(ORGANIZATION_IDENTIFIER_OID.to_vec()),
            DnValue::Utf8String(oi.clone()),
        );
    }
    if let Some(uid) = &spec.uid {
        dn.push(
            DnType::CustomDnType(USER_ID_OID.to_vec()),
            DnValue::Utf8String(uid.clone()),
        );
    }
    Ok(dn)
}

/// Issue a TLS client certificate with subject C, O, OU, CN (+ organizationIdentifier, UID),
/// EKU clientAuth, 397 days.
pub fn client_leaf(ca: &Ca, spec: &ClientCertSpec) -> Result<Leaf, PkiError> {
    let mut p = leaf_params(ExtendedKeyUsagePurpose::ClientAuth)?;
    p.distinguished_name = client_subject(spec)?;
    sign(ca, &p, &format!("client certificate {}", spec.software_id))
}

/// Issue a signing certificate for an existing key (PKCS#8 PEM: RSA, P-256 or Ed25519): the
/// client's subject, keyUsage digitalSignature + nonRepudiation and no extended key usage,
/// as open banking signing (seal) certificates have. Returns the certificate followed by the
/// CA certificate.
pub fn signing_cert_for_key(ca: &Ca, spec: &ClientCertSpec, key_pem: &str) -> Result<String, PkiError> {
    let what = format!("signing certificate {}", spec.software_id);
    let key = KeyPair::from_pem(key_pem).map_err(|e| PkiError::generate(what.clone(), e))?;
    let mut p = base_params(LEAF_VALIDITY_DAYS)?;
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    p.use_authority_key_identifier_extension = true;
    p.distinguished_name = client_subject(spec)?;
    let cert = p
        .signed_by(&key, &ca.issuer)
        .map_err(|e| PkiError::generate(what, e))?;
    Ok(format!("{}{}", cert.pem(), ca.cert_pem))
}

fn sign(ca: &Ca, params: &CertificateParams, what: &str) -> Result<Leaf, PkiError> {
    let key = new_key(what)?;
    let cert = params
        .signed_by(&key, &ca.issuer)
        .map_err(|e| PkiError::generate(what, e))?;
    Ok(Leaf {
        chain_pem: format!("{}{}", cert.pem(), ca.cert_pem),
        key_pem: key.serialize_pem(),
    })
}
