//! The consent page's identity section, for a request with a `claims`
//! parameter (OIDC Core §5.5) and Identity Assurance `verified_claims`:
//! the values the client will receive, verified ones marked; for each
//! verified claim set asked, how it must have been verified (trust
//! framework, assurance level, evidence, how recently) and where it goes;
//! and the client's `purpose`, shown as sent (escaped, never trimmed: IDA
//! ID4 §8 — the customer judges the text itself). Every value is escaped
//! ([`Text`]).

use super::detail_line::DetailLine;
use super::html::Text;
use crate::protocol::ekyc::ConsentSummary;
use crate::protocol::ekyc::consent_summary::VerifiedAsk;

/// What the identity section shows.
#[derive(Debug, Clone, Copy)]
pub struct IdentityView<'a> {
    /// The request in words (`protocol::ekyc::summarize`).
    pub summary: &'a ConsentSummary,
    /// The values approving would share (`oauth::released_claims::shared_lines`).
    pub shared: &'a [DetailLine<'a>],
}

/// The section's HTML, for `client` (its name, escaped here).
pub fn identity_section(client: &str, view: &IdentityView<'_>) -> String {
    let client = Text(client);
    let mut out = format!("<h2>Identity data shared with {client}</h2>\n");
    if view.shared.is_empty() {
        out.push_str(
            "<p class=\"sub\">Your bank holds nothing that matches this request: no identity data will be shared.</p>\n",
        );
    } else {
        out.push_str("<dl>\n");
        for line in view.shared {
            out.push_str(&format!(
                "<dt>{}</dt><dd>{}</dd>\n",
                Text(line.label),
                Text(line.value)
            ));
        }
        out.push_str("</dl>\n");
    }
    if !view.summary.verified.is_empty() {
        out.push_str("<ul class=\"scopes\">\n");
        for ask in &view.summary.verified {
            out.push_str(&format!("<li>{}</li>\n", verified_ask(ask)));
        }
        out.push_str("</ul>\n");
    }
    let purposes = view.summary.purposes();
    if !purposes.is_empty() {
        out.push_str(&format!("<h2>Why {client} asks</h2>\n"));
        for purpose in purposes {
            out.push_str(&format!("<p class=\"who\">{}</p>\n", Text(purpose)));
        }
    }
    out
}

/// One requested verified set in a sentence.
fn verified_ask(ask: &VerifiedAsk) -> String {
    let claims: Vec<String> = ask
        .claims
        .iter()
        .map(|c| match c.essential {
            true => format!("{} (required)", c.label),
            false => c.label.clone(),
        })
        .collect();
    let what = if claims.is_empty() {
        "That your identity was verified".to_string()
    } else {
        format!("Verified {}", claims.join(", "))
    };
    let mut how = Vec::new();
    if !ask.trust_frameworks.is_empty() {
        how.push(format!("under {}", ask.trust_frameworks.join(" or ")));
    }
    if !ask.assurance_levels.is_empty() {
        how.push(format!(
            "at assurance level {}",
            ask.assurance_levels.join(" or ")
        ));
    }
    if !ask.evidence.is_empty() {
        how.push(format!("checked against {}", ask.evidence.join(" or ")));
    }
    if let Some(days) = ask.max_age_days {
        how.push(format!("within the last {days} days"));
    }
    let how = if how.is_empty() {
        String::new()
    } else {
        format!(", {}", how.join(", "))
    };
    format!(
        "<strong>{}</strong><span>{}. Sent in the {}.</span>",
        Text(&what),
        Text(how.trim_start_matches(", ")),
        Text(ask.delivered_in)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ekyc::request::parse_text;
    use crate::protocol::ekyc::summarize;

    fn summary(text: &str) -> ConsentSummary {
        summarize(&parse_text(text).unwrap())
    }

    /// The page shows the values, how they were verified and the purpose,
    /// escaped as sent.
    #[test]
    fn shows_values_verification_and_purpose_escaped() {
        let summary = summary(
            r#"{"userinfo":{"verified_claims":{"verification":{"trust_framework":{"value":"uk_tfida"},"evidence":[{"type":{"value":"document"}}]},
                "claims":{"given_name":{"essential":true,"purpose":"To open <your> account"},"birthdate":null}}}}"#,
        );
        let shared = [DetailLine {
            label: "Given name (verified)",
            value: "Alice",
        }];
        let html = identity_section(
            "Fin & Co",
            &IdentityView {
                summary: &summary,
                shared: &shared,
            },
        );
        assert!(html.contains("Identity data shared with Fin &amp; Co"));
        assert!(html.contains("<dt>Given name (verified)</dt><dd>Alice</dd>"));
        assert!(
            html.contains("Verified Date of birth, Given name (required)"),
            "{html}"
        );
        assert!(html.contains("UK digital identity and attributes trust framework"));
        assert!(html.contains("an identity document"));
        assert!(html.contains("Sent in the userinfo"));
        assert!(html.contains("To open &lt;your&gt; account"));
        assert!(!html.contains("<your>"));
    }

    /// Nothing matched: the customer is told nothing will be shared.
    #[test]
    fn says_when_nothing_matches() {
        let summary = summary(
            r#"{"id_token":{"verified_claims":{"verification":{"trust_framework":null},"claims":null}}}"#,
        );
        let html = identity_section(
            "Fintech",
            &IdentityView {
                summary: &summary,
                shared: &[],
            },
        );
        assert!(html.contains("no identity data will be shared"));
        assert!(html.contains("That your identity was verified"));
        assert!(html.contains("Sent in the ID token"));
    }
}
