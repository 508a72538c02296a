//! `[audit]`: the tamper-evident audit trail (`store::audit`).
//!
//! ```toml
//! [audit]
//! checkpoint_interval_secs = 300
//! node_name = "op-1"
//! ```
//!
//! Every scalar takes `FIDUCIA_AUDIT__<FIELD>`.

use super::Config;
use super::load::ConfigError;
use serde::{Deserialize, Serialize};

/// `[audit]`: signed checkpoints and the name this node writes into the
/// records.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// How often a checkpoint of every chain's head is signed with the
    /// OP's key (one node of those sharing the store writes it), 10 to
    /// 86400 seconds; records written since the last checkpoint are
    /// protected by their hash links only. Default `300`.
    /// Env `FIDUCIA_AUDIT__CHECKPOINT_INTERVAL_SECS`.
    pub checkpoint_interval_secs: u64,
    /// The name of this node in the records it writes (`node`, and the
    /// actor of what the OP does on its own), 1 to 64 printable ASCII
    /// characters. Default: the `HOSTNAME` environment variable, else
    /// `fiducia`. Env `FIDUCIA_AUDIT__NODE_NAME`.
    pub node_name: String,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            checkpoint_interval_secs: 300,
            node_name: std::env::var("HOSTNAME")
                .ok()
                .filter(|h| valid_node_name(h))
                .unwrap_or_else(|| "fiducia".into()),
        }
    }
}

fn valid_node_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_graphic())
}

/// The interval is bounded and the node name printable.
pub(super) fn check_audit(config: &Config) -> Result<(), ConfigError> {
    const CHECK: &str = "audit";
    let c = &config.audit;
    if !(10..=86_400).contains(&c.checkpoint_interval_secs) {
        return Err(ConfigError::new(
            "audit.checkpoint_interval_secs",
            CHECK,
            "must be 10 to 86400 seconds",
        ));
    }
    if !valid_node_name(&c.node_name) {
        return Err(ConfigError::new(
            "audit.node_name",
            CHECK,
            "must be 1 to 64 printable ASCII characters without spaces",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked() {
        let mut config = Config::default();
        assert!(check_audit(&config).is_ok());
        config.audit.checkpoint_interval_secs = 5;
        assert!(check_audit(&config).is_err());
        config.audit.checkpoint_interval_secs = 60;
        config.audit.node_name = "op 1".into();
        assert!(check_audit(&config).is_err());
    }

    #[test]
    fn defaults_and_environment_overrides() {
        let config = super::super::load::load_from_str("", Vec::new()).unwrap();
        assert_eq!(config.audit.checkpoint_interval_secs, 300);
        let env = vec![
            (
                "FIDUCIA_AUDIT__CHECKPOINT_INTERVAL_SECS".to_string(),
                "60".to_string(),
            ),
            ("FIDUCIA_AUDIT__NODE_NAME".to_string(), "op-2".to_string()),
        ];
        let config = super::super::load::load_from_str("", env).unwrap();
        assert_eq!(config.audit.checkpoint_interval_secs, 60);
        assert_eq!(config.audit.node_name, "op-2");
    }
}
