//! Transport certificate binding (RFC 8705 §2.1).

use super::*;

fn uk_cert(cn: &str, ou: &str) -> Vec<u8> {
    certificate(
        &key(JoseAlg::Es256),
        &[
            (
                DnType::CountryName,
                DnValue::PrintableString("GB".try_into().unwrap()),
            ),
            (
                DnType::OrganizationName,
                DnValue::Utf8String("Fintech, Ltd".into()),
            ),
            (DnType::OrganizationalUnitName, DnValue::Utf8String(ou.into())),
            (DnType::CommonName, DnValue::Utf8String(cn.into())),
        ],
        vec![],
    )
}

#[test]
fn uk_certificate_binds_cn_and_ou_obie_certificate_profile() {
    let cert = uk_cert("soft-1", "org-1");
    assert!(check_certificate_binding(CertificateBinding::Uk, &cert, "soft-1", "org-1").is_ok());
    for (software, org) in [("soft-2", "org-1"), ("soft-1", "org-2")] {
        assert!(matches!(
            check_certificate_binding(CertificateBinding::Uk, &cert, software, org),
            Err(RegistrationError::Unapproved(_))
        ));
    }
    // Under the Brazil profile the same certificate names nothing.
    assert!(check_certificate_binding(CertificateBinding::Brazil, &cert, "soft-1", "org-1").is_err());
    // RFC 4514: last RDN first, the comma escaped, matching the certificate.
    assert_eq!(
        subject_dn_rfc4514(&cert).unwrap(),
        "CN=soft-1,OU=org-1,O=Fintech\\, Ltd,C=GB"
    );
}

#[test]
fn brazil_certificate_binds_uid_and_organization_identifier() {
    let uid = DnType::CustomDnType(vec![0, 9, 2342, 19_200_300, 100, 1, 1]);
    let org_identifier = DnType::CustomDnType(vec![2, 5, 4, 97]);
    let cert = certificate(
        &key(JoseAlg::Es256),
        &[
            (
                DnType::CountryName,
                DnValue::PrintableString("BR".try_into().unwrap()),
            ),
            (DnType::OrganizationName, DnValue::Utf8String("Fintech SA".into())),
            (org_identifier, DnValue::Utf8String("OFBBR-org-1".into())),
            (uid, DnValue::Utf8String("soft-1".into())),
            (
                DnType::CommonName,
                DnValue::Utf8String("fintech.example.br".into()),
            ),
        ],
        vec![],
    );
    assert!(check_certificate_binding(CertificateBinding::Brazil, &cert, "soft-1", "org-1").is_ok());
    assert!(check_certificate_binding(CertificateBinding::Brazil, &cert, "soft-1", "org-2").is_err());
    let dn = subject_dn_rfc4514(&cert).unwrap();
    assert!(
        dn.starts_with("CN=fintech.example.br,UID=soft-1,2.5.4.97=OFBBR-org-1"),
        "{dn}"
    );
}
