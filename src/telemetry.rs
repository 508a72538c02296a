//! Structured logs through `tracing`, as text or JSON (`[log]`). Secrets
//! (PINs, keys, tokens, passwords) are never passed to a log macro.

use crate::config::{LogConfig, LogFormat};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a second call is a no-op.
pub fn init(log: &LogConfig) {
    let filter = EnvFilter::try_new(&log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = colours_wanted(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Text logs are coloured only for a person at a terminal: a log file or
/// collector gets plain lines (no escape codes to strip, and fewer bytes
/// written per audit line), and `NO_COLOR` set to anything non-empty turns
/// colours off everywhere (no-color.org).
fn colours_wanted(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::colours_wanted;
    use std::ffi::OsStr;

    #[test]
    fn colours_only_at_a_terminal_without_no_color() {
        assert!(colours_wanted(true, None));
        assert!(colours_wanted(true, Some(OsStr::new(""))));
        assert!(!colours_wanted(true, Some(OsStr::new("1"))));
        assert!(!colours_wanted(false, None));
        assert!(!colours_wanted(false, Some(OsStr::new(""))));
    }
}
