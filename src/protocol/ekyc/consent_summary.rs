//! What the consent page shows for a `claims` request, in plain words: the
//! verified claims asked for, under which trust frameworks, backed by which
//! evidence, how recent, and why (`purpose`); then the plain claims. Pure:
//! the page renders it and must escape every string (ID4 §8: the purpose is
//! shown as sent, characters are not removed).

use super::element::ElementRequest;
use super::record::EvidenceType;
use super::request::{ClaimsRequest, MemberRequest};
use super::standard_claims;
use super::verification_request::Node;
use serde_json::Value;

/// The summary of a whole `claims` request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConsentSummary {
    /// One entry per `verified_claims` request object, `id_token` first.
    pub verified: Vec<VerifiedAsk>,
    /// Plain claims asked, each once.
    pub plain: Vec<ClaimAsk>,
}

impl ConsentSummary {
    /// Every distinct purpose given, in order of appearance.
    pub fn purposes(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let all = self
            .verified
            .iter()
            .flat_map(|v| v.claims.iter())
            .chain(self.plain.iter());
        for p in all.filter_map(|c| c.purpose.as_deref()) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }
}

/// One requested verified claim set.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedAsk {
    /// `"ID token"` or `"userinfo"`.
    pub delivered_in: &'static str,
    /// The claims, labelled.
    pub claims: Vec<ClaimAsk>,
    /// Trust frameworks required, labelled; empty: any this bank uses.
    pub trust_frameworks: Vec<String>,
    /// Assurance levels required; empty: any.
    pub assurance_levels: Vec<String>,
    /// Evidence types required, labelled; empty: none asked.
    pub evidence: Vec<&'static str>,
    /// "Verified within the last N days", when `verification.time` has a `max_age`.
    pub max_age_days: Option<u64>,
}

/// One requested claim.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimAsk {
    /// The claim name.
    pub name: String,
    /// Its label (the name itself when this OP does not know it).
    pub label: String,
    /// OIDC Core §5.5.1 `essential`.
    pub essential: bool,
    /// ID4 §5.1 `purpose`, as sent.
    pub purpose: Option<String>,
}

/// Summarises `request` for the consent page.
pub fn summarize(request: &ClaimsRequest) -> ConsentSummary {
    let mut summary = ConsentSummary::default();
    for (member, delivered_in) in [(&request.id_token, "ID token"), (&request.userinfo, "userinfo")] {
        add_member(member, delivered_in, &mut summary);
    }
    summary
}

fn add_member(member: &MemberRequest, delivered_in: &'static str, summary: &mut ConsentSummary) {
    for (name, element) in &member.plain {
        if standard_claims::info(name).is_some() && !summary.plain.iter().any(|c| &c.name == name) {
            summary.plain.push(ask(name, element));
        }
    }
    let Some(verified) = &member.verified else { return };
    for set in &verified.sets {
        let leaf = |name: &str| {
            set.verification.iter().find_map(|(n, node)| match node {
                Node::Leaf(e) if *n == name => Some(e),
                _ => None,
            })
        };
        let evidence = set
            .verification
            .iter()
            .find_map(|(n, node)| match node {
                Node::Evidence(filters) if *n == "evidence" => {
                    Some(filters.iter().map(|f| evidence_label(f.kind)).collect())
                }
                _ => None,
            })
            .unwrap_or_default();
        summary.verified.push(VerifiedAsk {
            delivered_in,
            claims: set.claims.iter().flatten().map(|(n, e)| ask(n, e)).collect(),
            trust_frameworks: strings(leaf("trust_framework"))
                .iter()
                .map(|t| trust_framework_label(t))
                .collect(),
            assurance_levels: strings(leaf("assurance_level")),
            evidence,
            max_age_days: leaf("time").and_then(|e| e.max_age).map(|s| s.div_ceil(86_400)),
        });
    }
}

fn ask(name: &str, element: &ElementRequest) -> ClaimAsk {
    ClaimAsk {
        name: name.to_string(),
        label: standard_claims::info(name).map_or_else(|| name.to_string(), |c| c.label.to_string()),
        essential: element.essential,
        purpose: element.purpose.as_ref().map(|p| p.as_str().to_string()),
    }
}

fn strings(element: Option<&ElementRequest>) -> Vec<String> {
    let Some(element) = element else { return Vec::new() };
    element
        .value
        .iter()
        .chain(element.values.iter().flatten())
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// A trust framework in words.
pub fn trust_framework_label(id: &str) -> String {
    match id {
        "uk_tfida" | "uk_diatf" => "UK digital identity and attributes trust framework".into(),
        "eidas" => "eIDAS (EU electronic identification)".into(),
        "de_aml" => "German anti-money laundering law".into(),
        other => other.to_string(),
    }
}

fn evidence_label(kind: EvidenceType) -> &'static str {
    match kind {
        EvidenceType::Document => "an identity document",
        EvidenceType::ElectronicRecord => "an electronic record (such as a bank account)",
        EvidenceType::Vouch => "a vouch by a recognised person",
        EvidenceType::ElectronicSignature => "an electronic signature",
    }
}

/// A claim's value in words for the consent page: text as is, `true` /
/// `false` as Yes / No, an address or place of birth (OIDC Core §5.1.1,
/// IDA Claims §3.1) as its parts joined, an array (`nationalities`) joined.
pub fn display_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "Yes".into(),
        Value::Bool(false) => "No".into(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().map(display_value).collect::<Vec<_>>().join(", "),
        Value::Object(map) => {
            if let Some(Value::String(formatted)) = map.get("formatted") {
                return formatted.clone();
            }
            const PARTS: &[&str] = &["street_address", "locality", "region", "postal_code", "country"];
            PARTS
                .iter()
                .filter_map(|part| map.get(*part))
                .map(display_value)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        }
        Value::Null => String::new(),
    }
}

#[cfg(test)]
mod display_tests {
    use super::display_value;
    use serde_json::json;

    #[test]
    fn values_read_as_words() {
        assert_eq!(display_value(&json!("Alice")), "Alice");
        assert_eq!(display_value(&json!(true)), "Yes");
        assert_eq!(display_value(&json!(["GB", "IE"])), "GB, IE");
        assert_eq!(
            display_value(&json!({"street_address": "1 High St", "locality": "London", "country": "GB"})),
            "1 High St, London, GB"
        );
        assert_eq!(
            display_value(&json!({"formatted": "1 High St\nLondon", "country": "GB"})),
            "1 High St\nLondon"
        );
        assert_eq!(
            display_value(&json!({"locality": "Bath", "country": "GB"})),
            "Bath, GB"
        );
    }
}
