//! `[ciba]`: client-initiated backchannel authentication (OpenID Connect
//! CIBA Core 1.0) and the bank's authentication device channel.
//!
//! ```toml
//! [ciba]
//! enabled = true
//! device_notification_url = "https://device.bank.internal/ciba/requests"
//! device_audience = "fiducia-device-channel"
//! device_subject_dn = "CN=device-channel,O=Example Bank"
//! default_expiry_secs = 300
//! max_expiry_secs = 600
//! interval_secs = 5
//! push_enabled = false
//! device_batch_max = 64
//! device_batch_max_bytes = 32768
//! device_queue_max = 4096
//! ```
//!
//! Every scalar takes `FIDUCIA_CIBA__<FIELD>`.

use super::Config;
use super::load::ConfigError;
use serde::{Deserialize, Serialize};

/// `[ciba]`: the backchannel authentication endpoint and its device
/// channel.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CibaConfig {
    /// Serve `/bc-authorize` (CIBA Core §7) and the device channel's
    /// `/ciba/decision`, accept the CIBA grant at `/token` and advertise
    /// them. Default `false`.
    pub enabled: bool,
    /// Where each authentication request is sent for the customer's
    /// device (the bank's notification service; the sandbox device in
    /// the sandbox): an https URL. POSTed a JWS signed with the OP's key
    /// (`application/jwt`). Required when enabled.
    pub device_notification_url: String,
    /// `aud` of those JWSs: the channel's name. Default
    /// `fiducia-device-channel`.
    pub device_audience: String,
    /// The RFC 4514 subject DN of the certificate the device channel
    /// presents (chaining to `tls.client_ca`) when it posts the
    /// customer's decision; no other caller may decide. Required when
    /// enabled.
    pub device_subject_dn: String,
    /// `expires_in` when the request has no `requested_expiry` (CIBA Core
    /// §7.3). Default `300`.
    pub default_expiry_secs: u64,
    /// The most a `requested_expiry` may ask for; more is `invalid_request`.
    /// Default `600`.
    pub max_expiry_secs: u64,
    /// The poll `interval` answered (CIBA Core §7.3); a client polling
    /// faster gets `slow_down` and 5 more seconds (§11). Default `5`.
    pub interval_secs: u64,
    /// Offer the push mode (CIBA Core §10.3) to clients outside the FAPI
    /// profile; FAPI CIBA §5.2.2 forbids it for FAPI clients. Default
    /// `false`.
    pub push_enabled: bool,
    /// Let ping and push endpoints resolve to private, loopback or
    /// reserved addresses (a sandbox on one machine). Default `false`:
    /// a client's endpoint must be public (`outbound::address`).
    pub danger_allow_private_notification_endpoints: bool,
    /// Attempts per delivery (device notification, ping, push), 1 to 10.
    /// Default `4`.
    pub delivery_attempts: u32,
    /// The wait before a second attempt, doubled before each later one.
    /// Default `500`.
    pub delivery_first_backoff_ms: u64,
    /// The time one delivery attempt may take. Default `5000`.
    pub delivery_timeout_ms: u64,
    /// Most requests pending at once on this node (each node counts the
    /// ones it admitted: N nodes hold up to N × this; the requests
    /// themselves are in the store); beyond it a new request is refused
    /// with 503 `temporarily_unavailable`. Default `100000`.
    pub max_pending: u64,
    /// Most requests sent to the device channel in one signed JWS: the
    /// requests that arrive while a delivery is under way wait and go out
    /// together (one HSM signature, one POST); a lone request goes at
    /// once. 1 to 128 (1: one request per JWS, still the batched form).
    /// Default `64`.
    pub device_batch_max: usize,
    /// Most bytes of request claims in one such JWS (before base64url, so
    /// the body is about 4/3 of it; keep it under the device's body
    /// limit); a request larger than this alone still goes, alone. 1024 to
    /// 1048576. Default `32768`.
    pub device_batch_max_bytes: usize,
    /// Most requests waiting for the device channel on this node; beyond
    /// it a new request is refused with 503 `temporarily_unavailable`
    /// (like a channel that cannot be reached). 1 to 1000000. Default
    /// `4096`.
    pub device_queue_max: usize,
}

impl Default for CibaConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            device_notification_url: String::new(),
            device_audience: "fiducia-device-channel".into(),
            device_subject_dn: String::new(),
            default_expiry_secs: 300,
            max_expiry_secs: 600,
            interval_secs: 5,
            push_enabled: false,
            danger_allow_private_notification_endpoints: false,
            delivery_attempts: 4,
            delivery_first_backoff_ms: 500,
            delivery_timeout_ms: 5000,
            max_pending: 100_000,
            device_batch_max: 64,
            device_batch_max_bytes: 32 * 1024,
            device_queue_max: 4096,
        }
    }
}

/// An enabled `[ciba]` names its device channel and sane bounds.
pub(super) fn check_ciba(config: &Config) -> Result<(), ConfigError> {
    const CHECK: &str = "ciba";
    let c = &config.ciba;
    if !c.enabled {
        return Ok(());
    }
    let refuse =
        |field: &str, why: &str| Err(ConfigError::new(format!("ciba.{field}"), CHECK, why.to_string()));
    match c.device_notification_url.parse::<http::Uri>() {
        Ok(uri) if uri.scheme_str() == Some("https") && uri.host().is_some_and(|h| !h.is_empty()) => {}
        _ => return refuse("device_notification_url", "must be an https URL"),
    }
    if c.device_audience.is_empty() {
        return refuse("device_audience", "must not be empty");
    }
    if c.device_subject_dn.trim().is_empty()
        || crate::protocol::client_auth::DistinguishedName::parse_rfc4514(&c.device_subject_dn).is_err()
    {
        return refuse("device_subject_dn", "must be an RFC 4514 distinguished name");
    }
    if c.default_expiry_secs == 0 || c.default_expiry_secs > c.max_expiry_secs {
        return refuse(
            "default_expiry_secs",
            "must be at least 1 and at most max_expiry_secs",
        );
    }
    if c.max_expiry_secs > 3600 {
        return refuse("max_expiry_secs", "must be at most 3600");
    }
    if !(1..=60).contains(&c.interval_secs) {
        return refuse("interval_secs", "must be 1 to 60");
    }
    if !(1..=10).contains(&c.delivery_attempts) {
        return refuse("delivery_attempts", "must be 1 to 10");
    }
    if !(100..=60_000).contains(&c.delivery_timeout_ms) {
        return refuse("delivery_timeout_ms", "must be 100 to 60000");
    }
    if c.delivery_first_backoff_ms > 60_000 {
        return refuse("delivery_first_backoff_ms", "must be at most 60000");
    }
    if !(1..=10_000_000).contains(&c.max_pending) {
        return refuse("max_pending", "must be 1 to 10000000");
    }
    let batch_max = crate::protocol::ciba::device_batch::MAX_BATCH_REQUESTS;
    if !(1..=batch_max).contains(&c.device_batch_max) {
        return refuse("device_batch_max", "must be 1 to 128");
    }
    if !(1024..=1024 * 1024).contains(&c.device_batch_max_bytes) {
        return refuse("device_batch_max_bytes", "must be 1024 to 1048576");
    }
    if !(1..=1_000_000).contains(&c.device_queue_max) {
        return refuse("device_queue_max", "must be 1 to 1000000");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Edit = fn(&mut CibaConfig);

    fn enabled() -> Config {
        Config {
            ciba: CibaConfig {
                enabled: true,
                device_notification_url: "https://device.bank.example/ciba/requests".into(),
                device_subject_dn: "CN=device-channel,O=Bank".into(),
                ..CibaConfig::default()
            },
            ..Config::default()
        }
    }

    /// Disabled, nothing is required; enabled, the channel is.
    #[test]
    fn an_enabled_section_names_its_channel_and_bounds() {
        assert!(check_ciba(&Config::default()).is_ok());
        assert!(check_ciba(&enabled()).is_ok());
        let cases: [(&str, Edit); 10] = [
            ("ciba.device_notification_url", |c| {
                c.device_notification_url = "http://device/x".into()
            }),
            ("ciba.device_subject_dn", |c| c.device_subject_dn = String::new()),
            ("ciba.default_expiry_secs", |c| c.default_expiry_secs = 601),
            ("ciba.max_expiry_secs", |c| {
                c.max_expiry_secs = 7200;
            }),
            ("ciba.interval_secs", |c| c.interval_secs = 0),
            ("ciba.delivery_attempts", |c| c.delivery_attempts = 11),
            ("ciba.max_pending", |c| c.max_pending = 0),
            ("ciba.device_batch_max", |c| c.device_batch_max = 129),
            ("ciba.device_batch_max_bytes", |c| c.device_batch_max_bytes = 100),
            ("ciba.device_queue_max", |c| c.device_queue_max = 0),
        ];
        for (field, edit) in cases {
            let mut config = enabled();
            edit(&mut config.ciba);
            let error = check_ciba(&config).unwrap_err();
            assert_eq!(error.field, field, "{error}");
        }
    }
}
