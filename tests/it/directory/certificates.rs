//! The certificates the directory CA issues: subjects per ecosystem profile, chains to
//! the directory CA, keys written with mode 0600.

use super::{BR_ORG, BR_SOFTWARE, TestDirectory, UK_ORG, UK_SOFTWARE};
use fiducia::config::TlsConfig;
use fiducia::pki::{ORGANIZATION_IDENTIFIER_OID, USER_ID_OID};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::{
    OID_X509_COMMON_NAME, OID_X509_COUNTRY_NAME, OID_X509_ORGANIZATION_NAME, OID_X509_ORGANIZATIONAL_UNIT,
    Oid,
};

fn chain(path: &Path) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(path)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The values of `oid` in the subject.
fn subject_values(cert: &X509Certificate<'_>, oid: &Oid<'_>) -> Vec<String> {
    cert.subject()
        .iter_by_oid(oid)
        .map(|attr| attr.as_str().unwrap().to_owned())
        .collect()
}

fn verifies_against_directory_ca(directory: &TestDirectory, chain: &[CertificateDer<'static>]) -> bool {
    let verifier = fiducia::http::tls::client_chain_verifier(&TlsConfig {
        client_ca: vec![directory.ca()],
        ..TlsConfig::default()
    })
    .unwrap()
    .unwrap();
    verifier.verifies(chain)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Subject, chain and file modes of one software's transport and signing certificates.
fn check_software(
    directory: &TestDirectory,
    software_id: &str,
    expect: &[(Oid<'static>, &str)],
    absent: &[Oid<'static>],
) {
    for (cert_file, key_file) in [("transport.pem", "transport.key"), ("signing.pem", "signing.key")] {
        let chain = chain(&directory.software_file(software_id, cert_file));
        assert_eq!(chain.len(), 2, "{cert_file}: leaf + directory CA");
        // RFC 5280 §6 path validation (webpki), as the OP checks tls.client_ca.
        assert!(
            verifies_against_directory_ca(directory, &chain),
            "{cert_file} chains to the directory CA"
        );
        let (_, cert) = x509_parser::parse_x509_certificate(&chain[0]).unwrap();
        for (oid, value) in expect {
            assert_eq!(
                subject_values(&cert, oid),
                vec![value.to_string()],
                "{cert_file} {oid}"
            );
        }
        for oid in absent {
            assert!(subject_values(&cert, oid).is_empty(), "{cert_file} has no {oid}");
        }
        assert_eq!(
            mode(&directory.software_file(software_id, key_file)),
            0o600,
            "{key_file}"
        );
        assert_eq!(
            mode(&directory.software_file(software_id, cert_file)) & 0o022,
            0,
            "{cert_file}"
        );
        let eku = cert.iter_extensions().find_map(|e| match e.parsed_extension() {
            ParsedExtension::ExtendedKeyUsage(eku) => Some(eku.client_auth),
            _ => None,
        });
        match cert_file {
            "transport.pem" => assert_eq!(eku, Some(true), "transport: EKU clientAuth"),
            _ => {
                assert_eq!(eku, None, "signing: no EKU");
                let usage = cert.key_usage().unwrap().unwrap().value;
                assert!(usage.digital_signature() && usage.non_repudiation());
            }
        }
    }
}

fn oid(arcs: &[u64]) -> Oid<'static> {
    Oid::from(arcs).unwrap()
}

#[tokio::test]
async fn uk_certificates_carry_cn_software_id_and_ou_org_id() {
    let directory = TestDirectory::start().await;
    check_software(
        &directory,
        UK_SOFTWARE,
        &[
            (OID_X509_COMMON_NAME, UK_SOFTWARE),
            (OID_X509_ORGANIZATIONAL_UNIT, UK_ORG),
            (OID_X509_ORGANIZATION_NAME, "Acme Payments Ltd"),
            (OID_X509_COUNTRY_NAME, "GB"),
        ],
        &[oid(&USER_ID_OID), oid(&ORGANIZATION_IDENTIFIER_OID)],
    );
}

#[tokio::test]
async fn brazil_certificates_carry_uid_and_organization_identifier() {
    let directory = TestDirectory::start().await;
    let org_identifier = format!("OFBBR-{BR_ORG}");
    check_software(
        &directory,
        BR_SOFTWARE,
        &[
            (oid(&USER_ID_OID), BR_SOFTWARE),
            (oid(&ORGANIZATION_IDENTIFIER_OID), org_identifier.as_str()),
            (OID_X509_ORGANIZATION_NAME, "Banco Exemplo S.A."),
            (OID_X509_COUNTRY_NAME, "BR"),
        ],
        &[],
    );
}

#[tokio::test]
async fn certificates_from_another_ca_do_not_chain_to_the_directory() {
    let directory = TestDirectory::start().await;
    let other = crate::it::support::TestPki::new();
    assert!(!verifies_against_directory_ca(
        &directory,
        &chain(&other.client_cert())
    ));
}
