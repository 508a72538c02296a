//! Whether the OP's answer to an attack is a refusal. A 4xx, a closed
//! connection, or a `503` with `Retry-After` (the documented overload
//! answer, RFC 9110 §15.6.4) is; any other 5xx is a breach ("5xx"), and so
//! is a success ("accepted"). The campaign (`scripts/hostile.sh`) fails on
//! either kind; "inconclusive" marks an attack whose set-up step failed.

use super::wire::Answer;
use crate::stats::Failure;
use bytes::Bytes;
use http::Response;

/// The verdict on an HTTP answer.
pub fn refused(step: &'static str, response: &Response<Bytes>) -> Result<(), Failure> {
    let code = response.status().as_u16();
    let retry_after = response.headers().contains_key("retry-after");
    answer(step, &Answer::Status { code, retry_after })
}

/// The verdict on what came back on the wire.
pub fn answer(step: &'static str, answer: &Answer) -> Result<(), Failure> {
    match *answer {
        Answer::Closed => Ok(()),
        Answer::Status { code: 400..=499, .. } => Ok(()),
        Answer::Status {
            code: 503,
            retry_after: true,
        } => Ok(()),
        Answer::Status { code: 500..=599, .. } => Err(Failure::new(
            step,
            format!("5xx {code}", code = status_of(answer)),
        )),
        Answer::Status { code, .. } => Err(Failure::new(step, format!("accepted {code}"))),
        Answer::Silent => Err(Failure::new(step, "silent: neither an answer nor a close")),
    }
}

fn status_of(answer: &Answer) -> u16 {
    match answer {
        Answer::Status { code, .. } => *code,
        _ => 0,
    }
}

/// A set-up step (the legitimate first use of what is then replayed) did
/// not give what the attack needs.
pub fn inconclusive(step: &'static str, what: &str, response: &Response<Bytes>) -> Failure {
    Failure::new(
        step,
        format!("inconclusive: {what} {}", response.status().as_u16()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_pass_and_server_errors_and_successes_do_not() {
        let status = |code, retry_after| Answer::Status { code, retry_after };
        assert!(answer("t", &status(400, false)).is_ok());
        assert!(answer("t", &status(431, false)).is_ok());
        assert!(answer("t", &Answer::Closed).is_ok());
        assert!(answer("t", &status(503, true)).is_ok());
        assert_eq!(answer("t", &status(503, false)).unwrap_err().kind, "5xx 503");
        assert_eq!(answer("t", &status(500, false)).unwrap_err().kind, "5xx 500");
        assert_eq!(answer("t", &status(200, false)).unwrap_err().kind, "accepted 200");
        assert!(answer("t", &Answer::Silent).is_err());
    }
}
