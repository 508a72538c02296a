//! The notifier's metrics:
//! `fiducia_revocation_notices_sent_total{gateway}` (notices a gateway
//! took), `fiducia_revocation_notices_failed_total{gateway}` (attempts
//! that failed; retried with backoff),
//! `fiducia_revocation_notices_dropped_total{reason="aged"|"overflow"}`
//! (outbox records dropped undelivered, `store/repo/outbox.rs`),
//! `fiducia_revocation_notices_pending` (records read in the last round,
//! at most one batch) and `fiducia_revocation_notices_delay_seconds` (from
//! the revocation to a gateway taking it).

/// A gateway took a notice `delay` seconds after its oldest revocation.
pub fn sent(gateway: &str, delay_secs: u64) {
    metrics::counter!("fiducia_revocation_notices_sent_total", "gateway" => gateway.to_string()).increment(1);
    metrics::histogram!("fiducia_revocation_notices_delay_seconds").record(delay_secs as f64);
}

/// An attempt to a gateway failed.
pub fn failed(gateway: &str) {
    metrics::counter!("fiducia_revocation_notices_failed_total", "gateway" => gateway.to_string())
        .increment(1);
}

/// Outbox records dropped undelivered.
pub fn dropped(reason: &'static str, records: usize) {
    metrics::counter!("fiducia_revocation_notices_dropped_total", "reason" => reason)
        .increment(records as u64);
}

/// Records read in the last round.
pub fn pending(records: usize) {
    metrics::gauge!("fiducia_revocation_notices_pending").set(records as f64);
}
