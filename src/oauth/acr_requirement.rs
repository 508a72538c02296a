//! An `acr` asked for as an essential claim (OIDC Core §5.5.1.1: in the
//! `claims` parameter's `id_token` member, itself in a request object or
//! the form): the authentication must reach one of its `value` / `values`
//! (or, with neither, some `acr` at all), else the request fails as a
//! failed authentication would. Voluntary `acr_values` (§3.1.2.1) are
//! passed to the login and never fail a request.

use serde_json::Value;

/// Whether the reported `acr` meets what the stored `claims` request
/// demands as essential; true when it demands nothing.
pub fn met(claims: Option<&str>, acr: Option<&str>) -> bool {
    match essential(claims) {
        None => true,
        Some(values) if values.is_empty() => acr.is_some(),
        Some(values) => acr.is_some_and(|acr| values.iter().any(|v| v == acr)),
    }
}

/// The `acr` values the `claims` request demands as essential: `None`
/// when it does not (absent, or `essential` not `true`); an empty list
/// when it names none.
pub fn essential(claims: Option<&str>) -> Option<Vec<String>> {
    let claims: Value = serde_json::from_str(claims?).ok()?;
    let acr = claims.get("id_token")?.get("acr")?;
    if acr.get("essential") != Some(&Value::Bool(true)) {
        return None;
    }
    let mut values: Vec<String> = Vec::new();
    if let Some(value) = acr.get("value").and_then(Value::as_str) {
        values.push(value.to_string());
    }
    if let Some(list) = acr.get("values").and_then(Value::as_array) {
        values.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
    }
    Some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCA: &str = r#"{"id_token":{"acr":{"essential":true,"values":["urn:openbanking:psd2:sca"]}}}"#;

    /// OIDC Core §5.5.1.1: an essential acr must be met; a voluntary one
    /// never fails the request.
    #[test]
    fn an_essential_acr_must_be_met_oidc_core_5_5_1_1() {
        assert!(met(Some(SCA), Some("urn:openbanking:psd2:sca")));
        assert!(!met(Some(SCA), Some("urn:openbanking:psd2:ca")));
        assert!(!met(Some(SCA), None));
        let voluntary = r#"{"id_token":{"acr":{"values":["urn:openbanking:psd2:sca"]}}}"#;
        assert!(met(Some(voluntary), Some("urn:openbanking:psd2:ca")));
        assert!(met(None, None));
        let any = r#"{"id_token":{"acr":{"essential":true}}}"#;
        assert!(!met(Some(any), None));
        assert!(met(Some(any), Some("x")));
        let one = r#"{"id_token":{"acr":{"essential":true,"value":"a"}}}"#;
        assert!(met(Some(one), Some("a")) && !met(Some(one), Some("b")));
    }
}
