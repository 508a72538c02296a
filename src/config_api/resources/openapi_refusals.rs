//! The refusal responses the clients and customers OpenAPI parts share,
//! apart from the document builder (`openapi.rs`) so that the parts and the
//! builder do not import each other.

use serde_json::{Value, json};

/// `ok` (an operation's `responses`) with the shared refusal responses
/// for the status `codes` given (the clients and customers operations).
pub fn with_refusals(mut ok: Value, codes: &[&str]) -> Value {
    let refusals = json!({
        "400": { "$ref": "#/components/responses/InvalidRequest" },
        "401": { "$ref": "#/components/responses/Unauthorized" },
        "403": { "$ref": "#/components/responses/Forbidden" },
        "404": { "$ref": "#/components/responses/NotFound" },
        "409": { "$ref": "#/components/responses/Conflict" },
        "412": { "$ref": "#/components/responses/PreconditionFailed" },
        "415": { "$ref": "#/components/responses/UnsupportedMediaType" },
        "428": { "$ref": "#/components/responses/PreconditionRequired" },
        "503": { "$ref": "#/components/responses/Unavailable" }
    });
    if let (Some(ok), Some(all)) = (ok.as_object_mut(), refusals.as_object()) {
        for code in codes {
            if let Some(response) = all.get(*code) {
                ok.insert((*code).to_string(), response.clone());
            }
        }
    }
    ok
}
