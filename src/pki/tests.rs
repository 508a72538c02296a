#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use x509_parser::certificate::X509Certificate;
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{
    OID_X509_COMMON_NAME, OID_X509_COUNTRY_NAME, OID_X509_ORGANIZATION_NAME, OID_X509_ORGANIZATIONAL_UNIT,
    Oid,
};
use x509_parser::pem::Pem;

use super::*;

fn read_pems(path: &Path) -> Vec<Pem> {
    let data = std::fs::read(path).unwrap();
    Pem::iter_from_buffer(&data).map(Result::unwrap).collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn org_identifier_oid() -> Oid<'static> {
    Oid::from(&ORGANIZATION_IDENTIFIER_OID).unwrap()
}

fn spec(software_id: &str, org_identifier: Option<&str>) -> ClientCertSpec {
    ClientCertSpec {
        software_id: software_id.into(),
        org_id: "0015800001041RHAAY".into(),
        org_name: "Acme Fintech Ltd".into(),
        country: "GB".into(),
        organization_identifier: org_identifier.map(Into::into),
        uid: None,
    }
}

/// Asserts `leaf` is issued and signed by `ca`, with AKI = CA's SKI.
fn assert_issued_by(leaf: &X509Certificate<'_>, ca: &X509Certificate<'_>) {
    assert_eq!(leaf.issuer(), ca.subject());
    leaf.verify_signature(Some(ca.public_key())).unwrap();
    let aki = leaf
        .iter_extensions()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.clone(),
            _ => None,
        })
        .expect("AKI present");
    let ski = ca
        .iter_extensions()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => Some(k.clone()),
            _ => None,
        })
        .expect("CA SKI present");
    assert_eq!(aki.0, ski.0);
    assert!(!leaf.is_ca());
}

/// Asserts the key file holds the private key of the certificate, with mode 0600.
fn assert_key_matches(key_path: &Path, cert: &X509Certificate<'_>) {
    assert_eq!(mode(key_path), 0o600, "{}", key_path.display());
    let text = std::fs::read_to_string(key_path).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"));
    let key = rcgen::KeyPair::from_pem(&text).unwrap();
    assert_eq!(key.algorithm(), &rcgen::PKCS_ECDSA_P256_SHA256);
    assert_eq!(
        key.public_key_raw(),
        cert.public_key().subject_public_key.data.as_ref()
    );
}

fn validity_days(cert: &X509Certificate<'_>) -> i64 {
    let v = cert.validity();
    (v.not_after.timestamp() - v.not_before.timestamp()) / 86_400
}

#[test]
fn init_produces_a_consistent_pki() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pki");
    let mut opts = PkiInitOptions::new(&out);
    opts.server_sans = vec!["op.example.test".into(), "127.0.0.1".into(), "::1".into()];
    opts.clients = vec![spec("sw-uk-1", None), spec("sw-br-1", Some("OFBBR-123"))];
    let paths = init(&opts).unwrap();
    assert_eq!(paths.ca_cert, out.join("ca.pem"));
    assert_eq!(paths.server_key, out.join("server.key"));
    assert_eq!(paths.clients[1].cert, out.join("clients/sw-br-1.pem"));
    assert_eq!(mode(&out), 0o755);
    assert_eq!(mode(&out.join("clients")), 0o755);

    // CA
    let ca_pems = read_pems(&paths.ca_cert);
    assert_eq!(ca_pems.len(), 1);
    assert_eq!(mode(&paths.ca_cert), 0o644);
    let ca = ca_pems[0].parse_x509().unwrap();
    assert!(ca.is_ca());
    let bc = ca.basic_constraints().unwrap().unwrap().value;
    assert_eq!(bc.path_len_constraint, Some(0));
    let ku = ca.key_usage().unwrap().unwrap().value;
    assert!(ku.key_cert_sign() && ku.crl_sign());
    let cn = ca.subject().iter_common_name().next().unwrap();
    assert_eq!(cn.as_str().unwrap(), CA_COMMON_NAME);
    ca.verify_signature(None).unwrap();
    assert!(ca.validity().is_valid());
    assert!((3652..=3654).contains(&validity_days(&ca)));
    assert_key_matches(&paths.ca_key, &ca);

    // Server: leaf + CA chain.
    let server_pems = read_pems(&paths.server_cert);
    assert_eq!(server_pems.len(), 2);
    assert_eq!(server_pems[1].contents, ca_pems[0].contents);
    let server = server_pems[0].parse_x509().unwrap();
    assert_issued_by(&server, &ca);
    let cn = server.subject().iter_common_name().next().unwrap();
    assert_eq!(cn.as_str().unwrap(), "op.example.test");
    let san = server.subject_alternative_name().unwrap().unwrap().value;
    let dns: Vec<_> = san
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(*d),
            _ => None,
        })
        .collect();
    assert_eq!(dns, ["op.example.test"]);
    let ips: Vec<IpAddr> = san
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::IPAddress(b) => match b.len() {
                4 => Some(IpAddr::from(<[u8; 4]>::try_from(*b).unwrap())),
                16 => Some(IpAddr::from(<[u8; 16]>::try_from(*b).unwrap())),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(
        ips,
        ["127.0.0.1".parse::<IpAddr>().unwrap(), "::1".parse().unwrap()]
    );
    let eku = server.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.server_auth && !eku.client_auth);
    assert!(server.key_usage().unwrap().unwrap().value.digital_signature());
    assert!((396..=398).contains(&validity_days(&server)));
    assert_ne!(server.raw_serial(), ca.raw_serial());
    assert_key_matches(&paths.server_key, &server);

    // Clients.
    for (cp, with_oi) in paths.clients.iter().zip([false, true]) {
        let pems = read_pems(&cp.cert);
        assert_eq!(pems.len(), 2);
        assert_eq!(mode(&cp.cert), 0o644);
        let cert = pems[0].parse_x509().unwrap();
        assert_issued_by(&cert, &ca);
        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && !eku.server_auth);
        assert!(cert.key_usage().unwrap().unwrap().value.digital_signature());
        assert!((396..=398).contains(&validity_days(&cert)));
        assert_key_matches(&cp.key, &cert);

        let attrs: Vec<_> = cert.subject().iter_attributes().collect();
        let oids: Vec<_> = attrs.iter().map(|a| a.attr_type().clone()).collect();
        let mut expected = vec![
            OID_X509_COUNTRY_NAME,
            OID_X509_ORGANIZATION_NAME,
            OID_X509_ORGANIZATIONAL_UNIT,
            OID_X509_COMMON_NAME,
        ];
        if with_oi {
            expected.push(org_identifier_oid());
        }
        assert_eq!(oids, expected);
        let values: Vec<_> = attrs.iter().map(|a| a.as_str().unwrap()).collect();
        assert_eq!(
            values[..4],
            ["GB", "Acme Fintech Ltd", "0015800001041RHAAY", &*cp.software_id]
        );
        assert_eq!(attrs[0].attr_value().tag(), Tag::PrintableString);
        if with_oi {
            assert_eq!(values[4], "OFBBR-123");
            assert_eq!(attrs[4].attr_value().tag(), Tag::Utf8String);
        }
    }
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = PkiInitOptions::new(tmp.path());
    let first = init(&opts).unwrap();
    let ca_before = std::fs::read(&first.ca_cert).unwrap();

    let err = init(&opts).unwrap_err();
    assert!(matches!(&err, PkiError::AlreadyExists { path } if *path == first.ca_cert));
    assert!(err.to_string().contains("ca.pem"), "{err}");
    assert_eq!(std::fs::read(&first.ca_cert).unwrap(), ca_before);

    // A single pre-existing client key is enough to refuse, before anything is written.
    let tmp2 = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp2.path().join("clients")).unwrap();
    std::fs::write(tmp2.path().join("clients/sw1.key"), "keep me").unwrap();
    let mut opts2 = PkiInitOptions::new(tmp2.path());
    opts2.clients = vec![spec("sw1", None)];
    let err = init(&opts2).unwrap_err();
    assert!(err.to_string().contains("sw1.key"), "{err}");
    assert!(!tmp2.path().join("ca.pem").exists());

    opts.force = true;
    let second = init(&opts).unwrap();
    assert_ne!(std::fs::read(&second.ca_cert).unwrap(), ca_before);
    assert_eq!(mode(&second.ca_key), 0o600);
    assert_eq!(mode(&second.server_cert), 0o644);
    // No temporary files left behind.
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
}

#[test]
fn init_rejects_bad_input_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = PkiInitOptions::new(tmp.path().join("out"));
    opts.server_sans = vec!["not a host".into()];
    let err = init(&opts).unwrap_err();
    assert!(err.to_string().contains("not a host"), "{err}");

    opts.server_sans = Vec::new(); // means default
    opts.clients = vec![spec("dup", None), spec("dup", None)];
    let err = init(&opts).unwrap_err();
    assert!(err.to_string().contains("software_id"), "{err}");

    opts.clients = vec![spec("../escape", None)];
    assert!(init(&opts).is_err());
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn issue_client_uses_existing_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = init(&PkiInitOptions::new(tmp.path())).unwrap();
    let cp = issue_client(tmp.path(), &spec("late-client", Some("OFBBR-9"))).unwrap();
    assert_eq!(cp.cert, tmp.path().join("clients/late-client.pem"));
    let ca_pem = read_pems(&paths.ca_cert);
    let ca = ca_pem[0].parse_x509().unwrap();
    let pems = read_pems(&cp.cert);
    assert_eq!(pems[1].contents, ca_pem[0].contents);
    let cert = pems[0].parse_x509().unwrap();
    assert_issued_by(&cert, &ca);
    assert_key_matches(&cp.key, &cert);

    let err = issue_client(tmp.path(), &spec("late-client", None)).unwrap_err();
    assert!(err.to_string().contains("late-client.pem"), "{err}");

    let empty = tempfile::tempdir().unwrap();
    let err = issue_client(empty.path(), &spec("x", None)).unwrap_err();
    assert!(err.to_string().contains("ca.pem"), "{err}");

    // A key that does not belong to the CA is detected.
    std::fs::copy(&paths.server_key, tmp.path().join("ca.key")).unwrap();
    let err = issue_client(tmp.path(), &spec("other", None)).unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
}

#[test]
fn ensure_dev_pki_generates_once() {
    let tmp = tempfile::tempdir().unwrap();
    let cert = tmp.path().join("tls/server.pem");
    let key = tmp.path().join("tls/private/server.key");
    let ca = tmp.path().join("ca/dev-ca.pem");
    let sans = vec!["fiducia.local".to_owned()];
    assert!(ensure_dev_pki(&cert, &key, &ca, &sans).unwrap());
    assert_eq!(ca_key_path(&ca), tmp.path().join("ca/dev-ca.key"));
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&ca_key_path(&ca)), 0o600);
    let ca_pem = read_pems(&ca);
    let ca_x509 = ca_pem[0].parse_x509().unwrap();
    let server_pems = read_pems(&cert);
    let server = server_pems[0].parse_x509().unwrap();
    assert_issued_by(&server, &ca_x509);
    assert_key_matches(&key, &server);
    let cn = server.subject().iter_common_name().next().unwrap();
    assert_eq!(cn.as_str().unwrap(), "fiducia.local");

    let before = std::fs::read(&cert).unwrap();
    assert!(!ensure_dev_pki(&cert, &key, &ca, &sans).unwrap());
    assert_eq!(std::fs::read(&cert).unwrap(), before);

    // Losing the server key re-issues the server certificate from the same CA.
    std::fs::remove_file(&key).unwrap();
    assert!(ensure_dev_pki(&cert, &key, &ca, &[]).unwrap());
    assert_eq!(read_pems(&ca)[0].contents, ca_pem[0].contents);
    let server_pems = read_pems(&cert);
    let server = server_pems[0].parse_x509().unwrap();
    assert_issued_by(&server, &ca_x509);
    assert_key_matches(&key, &server);
    let cn = server.subject().iter_common_name().next().unwrap();
    assert_eq!(cn.as_str().unwrap(), "localhost");

    // A CA certificate without its key is not clobbered.
    std::fs::remove_file(ca_key_path(&ca)).unwrap();
    std::fs::remove_file(&key).unwrap();
    let err = ensure_dev_pki(&cert, &key, &ca, &[]).unwrap_err();
    assert!(err.to_string().contains("dev-ca.key"), "{err}");
    assert!(!key.exists());
}

#[test]
fn ca_key_path_is_beside_the_ca() {
    assert_eq!(ca_key_path(Path::new("d/ca.pem")), Path::new("d/ca.key"));
    assert_eq!(ca_key_path(Path::new("ca.crt")), Path::new("ca.key"));
    assert_eq!(ca_key_path(Path::new("ca")), Path::new("ca.key"));
    assert_eq!(ca_key_path(Path::new("ca.key")), Path::new("ca.key.key"));
}

#[test]
fn parse_client_spec() {
    let s = ClientCertSpec::parse("software_id=abc123,org_id=0015800001041RHAAY").unwrap();
    assert_eq!(
        s,
        ClientCertSpec {
            software_id: "abc123".into(),
            org_id: "0015800001041RHAAY".into(),
            org_name: "0015800001041RHAAY".into(),
            country: "GB".into(),
            organization_identifier: None,
            uid: None,
        }
    );
    let s = ClientCertSpec::parse(
        " software_id = 7f3c-uuid , org_id=org-1, org=Banco Exemplo S.A., c=br, \
         org_identifier=OFBBR-org-1 ",
    )
    .unwrap();
    assert_eq!(s.org_name, "Banco Exemplo S.A.");
    assert_eq!(s.country, "BR");
    assert_eq!(s.software_id, "7f3c-uuid");
    assert_eq!(s.organization_identifier.as_deref(), Some("OFBBR-org-1"));

    for (input, needle) in [
        ("org_id=o", "missing software_id"),
        ("software_id=s", "missing org_id"),
        ("software_id=s,org_id=o,colour=red", "unknown key `colour`"),
        ("software_id=s,org_id=o,software_id=t", "more than once"),
        ("software_id=s,org_id=o,c=", "empty value"),
        ("software_id=s,org_id=o,nonsense", "key=value"),
        ("software_id=s,org_id=o,c=GBR", "country code"),
        ("software_id=a/b,org_id=o", "software_id"),
        ("", "missing software_id"),
    ] {
        let err = ClientCertSpec::parse(input).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(needle), "{input:?}: {msg}");
    }
}

#[test]
fn written_key_is_created_private() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("k.key");
    files::write(&p, b"secret", files::KEY_MODE, false).unwrap();
    assert_eq!(mode(&p), 0o600);
    let err = files::write(&p, b"other", files::KEY_MODE, false).unwrap_err();
    assert!(matches!(err, PkiError::AlreadyExists { .. }));
    // Replacing a looser file still yields 0600.
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    files::write(&p, b"new", files::KEY_MODE, true).unwrap();
    assert_eq!(mode(&p), 0o600);
    assert_eq!(std::fs::read(&p).unwrap(), b"new");
}

#[test]
fn write_private_file_creates_parents_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("keys/signing.key");
    write_private_file(&p, b"k1").unwrap();
    assert_eq!(mode(&p), 0o600);
    let err = write_private_file(&p, b"k2").unwrap_err();
    assert!(err.to_string().contains("signing.key"), "{err}");
    assert_eq!(std::fs::read(&p).unwrap(), b"k1");
}

#[test]
fn uid_is_parsed_and_put_in_the_subject_for_brazil() {
    let spec =
        ClientCertSpec::parse("software_id=sw-1,org_id=org-1,c=BR,org_identifier=OFBBR-org-1,uid=sw-1")
            .unwrap();
    assert_eq!(spec.uid.as_deref(), Some("sw-1"));
    let dir = tempfile::tempdir().unwrap();
    let paths = init(&PkiInitOptions {
        clients: vec![spec],
        ..PkiInitOptions::new(dir.path())
    })
    .unwrap();
    let pems = read_pems(&paths.clients[0].cert);
    let cert = pems[0].parse_x509().unwrap();
    let uid: Vec<_> = cert
        .subject()
        .iter_by_oid(&Oid::from(&USER_ID_OID).unwrap())
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(uid, vec!["sw-1".to_owned()]);
    assert!(ClientCertSpec::parse("software_id=a,org_id=b,uid=").is_err());
}
