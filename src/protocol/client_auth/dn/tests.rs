use fiducia_hsm::JoseAlg;
use rcgen::string::{BmpString, PrintableString, TeletexString};
use rcgen::{DnType, DnValue};
use x509_parser::prelude::FromDer;

use super::*;
use crate::protocol::jose::testing::{certificate, key};

const UID: [u64; 7] = [0, 9, 2342, 19200300, 100, 1, 1];
const ORG_ID: [u64; 4] = [2, 5, 4, 97];

/// `CN=software-1,OU=org-1,O=Acme Ltd,C=GB` (UK OBIE transport certificate shape).
fn uk_certificate() -> Vec<u8> {
    let subject = [
        (
            DnType::CountryName,
            DnValue::PrintableString(PrintableString::try_from("GB").unwrap()),
        ),
        (DnType::OrganizationName, "Acme Ltd".into()),
        (DnType::OrganizationalUnitName, "org-1".into()),
        (DnType::CommonName, "software-1".into()),
    ];
    certificate(&key(JoseAlg::Es256), &subject, vec![])
}

/// Brazil's shape: UID = software id, organizationIdentifier = OFBBR-<org id>.
fn brazil_certificate() -> Vec<u8> {
    let subject = [
        (DnType::CountryName, "BR".into()),
        (DnType::OrganizationName, "Banco Exemplo S.A.".into()),
        (
            DnType::CustomDnType(ORG_ID.to_vec()),
            "OFBBR-74e929d9-33b6-4d85-8ba7-c146c867a817".into(),
        ),
        (
            DnType::CustomDnType(UID.to_vec()),
            "a5e5b2e3-9d3b-4f8c-8e2a-1f0c3d2b4a11".into(),
        ),
        (
            DnType::CommonName,
            DnValue::BmpString(BmpString::try_from("tpp.exemplo.com.br").unwrap()),
        ),
    ];
    certificate(&key(JoseAlg::Ps256), &subject, vec![])
}

#[test]
fn same_dn_matches_rfc8705_s2_1_2_rfc4517_s4_2_15() {
    let cert = uk_certificate();
    for registered in [
        "CN=software-1,OU=org-1,O=Acme Ltd,C=GB",
        "cn=Software-1, ou=org-1,o=Acme  Ltd,c=gb",
        "commonName = software-1 , OU=ORG-1 ; O=  acme ltd,countryName=GB",
        "2.5.4.3=software-1,OID.2.5.4.11=org-1,O=Acme\\20Ltd,C=\\47B",
        "CN=#0C0A736F6674776172652D31,OU=org-1,O=Acme Ltd,C=GB",
    ] {
        assert_eq!(subject_dn_matches(registered, &cert), Ok(true), "{registered}");
    }
}

#[test]
fn order_extra_missing_or_merged_rdns_do_not_match_rfc4517_s4_2_15() {
    let cert = uk_certificate();
    for registered in [
        "OU=org-1,CN=software-1,O=Acme Ltd,C=GB",
        "CN=software-1,OU=org-1,O=Acme Ltd,L=London,C=GB",
        "CN=software-1,OU=org-1,O=Acme Ltd",
        "CN=software-1+OU=org-1,O=Acme Ltd,C=GB",
        "CN=software-2,OU=org-1,O=Acme Ltd,C=GB",
        "CN=software-1,OU=org-1,O=AcmeLtd,C=GB",
        "UID=software-1,OU=org-1,O=Acme Ltd,C=GB",
        "",
    ] {
        assert_eq!(subject_dn_matches(registered, &cert), Ok(false), "{registered}");
    }
}

#[test]
fn organization_identifier_and_uid_by_name_or_oid_brazil_rfc4514_s3() {
    let cert = brazil_certificate();
    let registered = "CN=TPP.Exemplo.com.br,UID=a5e5b2e3-9d3b-4f8c-8e2a-1f0c3d2b4a11,\
                      organizationIdentifier=OFBBR-74e929d9-33b6-4d85-8ba7-c146c867a817,\
                      O=Banco Exemplo S.A.,C=BR";
    assert_eq!(subject_dn_matches(registered, &cert), Ok(true));
    let by_oid = "CN=tpp.exemplo.com.br,0.9.2342.19200300.100.1.1=A5E5B2E3-9D3B-4F8C-8E2A-1F0C3D2B4A11,\
                  2.5.4.97=ofbbr-74e929d9-33b6-4d85-8ba7-c146c867a817,O=Banco Exemplo S.A.,C=BR";
    assert_eq!(subject_dn_matches(by_oid, &cert), Ok(true));
    let other_org = registered.replace("OFBBR-74e9", "OFBBR-0000");
    assert_eq!(subject_dn_matches(&other_org, &cert), Ok(false));
}

#[test]
fn teletex_values_are_transcoded_rfc4518_s2_1() {
    let subject = [(
        DnType::CommonName,
        DnValue::TeletexString(TeletexString::try_from("Software 1").unwrap()),
    )];
    let cert = certificate(&key(JoseAlg::EdDsa), &subject, vec![]);
    assert_eq!(subject_dn_matches("CN=software  1", &cert), Ok(true));
}

/// DER with short lengths only: tag, length, content.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    assert!(content.len() < 128);
    [&[tag, content.len() as u8][..], content].concat()
}

fn atv(oid_der: &[u8], value: &str) -> Vec<u8> {
    tlv(0x30, &[tlv(0x06, oid_der), tlv(0x0C, value.as_bytes())].concat())
}

#[test]
fn multi_valued_rdns_are_sets_rfc4517_s4_2_15() {
    const CN: &[u8] = &[0x55, 0x04, 0x03];
    const O: &[u8] = &[0x55, 0x04, 0x0A];
    const UID_DER: &[u8] = &[0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x01];
    // Name: { O=x }, { CN=a + UID=1 } in ASN.1 order.
    let name = tlv(
        0x30,
        &[
            tlv(0x31, &atv(O, "x")),
            tlv(0x31, &[atv(CN, "a"), atv(UID_DER, "1")].concat()),
        ]
        .concat(),
    );
    let (_, x509) = X509Name::from_der(&name).unwrap();
    let from_der = DistinguishedName::from_x509_name(&x509).unwrap();
    for same in ["CN=a+UID=1,O=x", "UID=1+cn=A,O=x", "uid = 1 + CN = a , o = X"] {
        assert!(
            DistinguishedName::parse_rfc4514(same).unwrap().matches(&from_der),
            "{same}"
        );
    }
    for different in [
        "CN=a,UID=1,O=x",
        "CN=a,O=x",
        "CN=a+UID=2,O=x",
        "CN=a+UID=1+OU=y,O=x",
        "CN=a+CN=a,O=x",
    ] {
        assert!(
            !DistinguishedName::parse_rfc4514(different)
                .unwrap()
                .matches(&from_der),
            "{different}"
        );
    }
}

#[test]
fn escapes_and_prohibited_characters_rfc4514_s2_4_rfc4518_s2_4() {
    let comma = DistinguishedName::parse_rfc4514("O=Acme\\, Ltd").unwrap();
    assert!(comma.matches(&DistinguishedName::parse_rfc4514("o=ACME\\2C LTD").unwrap()));
    assert!(!comma.matches(&DistinguishedName::parse_rfc4514("O=Acme Ltd").unwrap()));
    let utf8 = DistinguishedName::parse_rfc4514("CN=Lu\\C4\\8Di\\C4\\87").unwrap();
    assert!(utf8.matches(&DistinguishedName::parse_rfc4514("CN=LUČIĆ").unwrap()));
    // A private-use character: the value matches nothing, not even itself.
    let private = DistinguishedName::parse_rfc4514("CN=a\\EE\\80\\80").unwrap();
    assert!(!private.matches(&private));
}

#[test]
fn malformed_strings_and_certificates_are_errors_rfc4514_s3() {
    for bad in [
        "CN", "XX=1", "CN=a,", "CN=a\\", "CN=#zz", "CN=#0C05", "CN=a\"b", "CN=\\FF", "1=x", "2.05.4=x",
    ] {
        assert!(
            matches!(DistinguishedName::parse_rfc4514(bad), Err(DnError::Syntax(_))),
            "{bad}"
        );
    }
    assert_eq!(
        subject_dn_matches("CN=a", b"not a certificate"),
        Err(DnError::Certificate)
    );
}
