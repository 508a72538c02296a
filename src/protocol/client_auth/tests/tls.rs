use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use fiducia_hsm::JoseAlg;
use rcgen::{DnType, SanType};
use serde_json::json;

use crate::protocol::client_auth::*;
use crate::protocol::jose::testing::{certificate, key};

fn certificate_with_sans() -> Vec<u8> {
    let sans = vec![
        SanType::DnsName("tpp.example.com".try_into().unwrap()),
        SanType::URI("https://tpp.example.com/software/1".try_into().unwrap()),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))),
        SanType::Rfc822Name("Ops@TPP.example.com".try_into().unwrap()),
    ];
    let subject = [
        (DnType::OrganizationName, "Acme Ltd".into()),
        (DnType::CommonName, "software-1".into()),
    ];
    certificate(&key(JoseAlg::Es256), &subject, sans)
}

fn subject(member: &str, value: &str) -> TlsClientAuthSubject {
    let metadata = json!({ member: value });
    TlsClientAuthSubject::from_metadata(metadata.as_object().unwrap()).unwrap()
}

#[test]
fn subject_dn_is_compared_as_a_dn_rfc8705_s2_1_2() {
    let cert = certificate_with_sans();
    let registered = subject("tls_client_auth_subject_dn", "cn=SOFTWARE-1,  o=acme ltd");
    assert_eq!(check_tls_client_auth(&registered, &cert), Ok(()));
    let other = subject("tls_client_auth_subject_dn", "CN=software-2,O=Acme Ltd");
    assert_eq!(
        check_tls_client_auth(&other, &cert),
        Err(ClientAuthReason::SubjectMismatch)
    );
    assert_eq!(
        check_tls_client_auth(&registered, b"garbage"),
        Err(ClientAuthReason::CertificateUnreadable)
    );
}

#[test]
fn san_entries_match_by_type_rfc8705_s2_1_2() {
    let cert = certificate_with_sans();
    for (member, value, expected) in [
        ("tls_client_auth_san_dns", "TPP.example.com", true),
        ("tls_client_auth_san_dns", "other.example.com", false),
        (
            "tls_client_auth_san_uri",
            "https://tpp.example.com/software/1",
            true,
        ),
        (
            "tls_client_auth_san_uri",
            "https://tpp.example.com/software/2",
            false,
        ),
        ("tls_client_auth_san_ip", "192.0.2.7", true),
        ("tls_client_auth_san_ip", "2001:db8::1", true),
        ("tls_client_auth_san_ip", "2001:0db8:0:0::0001", true),
        ("tls_client_auth_san_ip", "192.0.2.8", false),
        ("tls_client_auth_san_email", "Ops@tpp.EXAMPLE.com", true),
        ("tls_client_auth_san_email", "ops@tpp.example.com", false),
        // The DNS name is not a URI, nor the other way round.
        ("tls_client_auth_san_uri", "tpp.example.com", false),
    ] {
        let registered = subject(member, value);
        assert_eq!(registered.matches(&cert), Ok(expected), "{member}={value}");
    }
}

#[test]
fn metadata_must_name_exactly_one_subject_rfc8705_s2_1_2() {
    for metadata in [
        json!({}),
        json!({"tls_client_auth_san_dns": "a.example", "tls_client_auth_san_uri": "https://a.example"}),
        json!({"tls_client_auth_subject_dn": 7}),
    ] {
        let result = TlsClientAuthSubject::from_metadata(metadata.as_object().unwrap());
        assert_eq!(result.unwrap_err(), TlsSubjectError::NotExactlyOne, "{metadata}");
    }
    let ip = json!({"tls_client_auth_san_ip": "999.1.1.1"});
    assert_eq!(
        TlsClientAuthSubject::from_metadata(ip.as_object().unwrap()).unwrap_err(),
        TlsSubjectError::Ip
    );
    let dn = json!({"tls_client_auth_subject_dn": "CN=a,"});
    assert!(matches!(
        TlsClientAuthSubject::from_metadata(dn.as_object().unwrap()),
        Err(TlsSubjectError::Dn(_))
    ));
}
