//! Gateway metrics (besides `fiducia_http_requests_total{route,method,status}`
//! and `fiducia_http_request_duration_seconds{route}`, which the shared
//! request wrapper records with the gateway's route names):
//! `fiducia_gateway_upstream_duration_seconds{route}`,
//! `fiducia_gateway_introspection_cache_total{result="hit"|"miss"}`,
//! `fiducia_gateway_refusals_total{reason}`,
//! `fiducia_gateway_payment_reservations_total{result="ok"|<refusal reason>}`,
//! `fiducia_gateway_payment_reports_total{result="ok"|"failed"}`.

use std::time::Duration;

/// Times one call to the bank API.
pub fn upstream_call(route: &'static str, elapsed: Duration) {
    metrics::histogram!("fiducia_gateway_upstream_duration_seconds", "route" => route)
        .record(elapsed.as_secs_f64());
}

/// Counts an introspection cache lookup.
pub fn introspection_cache(hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    metrics::counter!("fiducia_gateway_introspection_cache_total", "result" => result).increment(1);
}

/// Counts a refusal by its reason.
pub fn refused(reason: &'static str) {
    metrics::counter!("fiducia_gateway_refusals_total", "reason" => reason).increment(1);
}

/// Counts a reservation of a payment's consent at the OP
/// (`payment_grant`): `None` when reserved, else the refusal's reason.
pub fn payment_reserved(refused: Option<&'static str>) {
    let result = refused.unwrap_or("ok");
    metrics::counter!("fiducia_gateway_payment_reservations_total", "result" => result).increment(1);
}

/// Counts a payment reported to the OP (`payment_grant`).
pub fn payment_reported(ok: bool) {
    let result = if ok { "ok" } else { "failed" };
    metrics::counter!("fiducia_gateway_payment_reports_total", "result" => result).increment(1);
}
