//! The scopes a software role of a statement (`software_roles`) allows
//! by default, the UK Open Banking Directory's roles; a trusted directory's
//! `role_scopes` may name others.

use std::collections::BTreeMap;

/// The UK roles (OBIE Directory `software_roles`).
pub fn default_role_scopes() -> BTreeMap<String, Vec<String>> {
    let scopes = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    BTreeMap::from([
        (
            "AISP".to_string(),
            scopes(&["openid", "accounts", "offline_access"]),
        ),
        (
            "PISP".to_string(),
            scopes(&["openid", "payments", "offline_access"]),
        ),
        ("CBPII".to_string(), scopes(&["openid", "fundsconfirmations"])),
    ])
}

/// RFC 9396 types a role may ask for: account access for AISPs (UK) and
/// DADOS (Brazil), payments for PISPs and PAGTO.
pub fn role_detail_types(roles: &[String]) -> Vec<crate::protocol::rar::DetailType> {
    use crate::protocol::rar::DetailType;
    let mut types = Vec::new();
    for role in roles {
        let t = match role.as_str() {
            "AISP" | "DADOS" => DetailType::AccountInformation,
            "PISP" | "PAGTO" => DetailType::PaymentInitiation,
            _ => continue,
        };
        if !types.contains(&t) {
            types.push(t);
        }
    }
    types
}
