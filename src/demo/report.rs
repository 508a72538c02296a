//! What the demo prints: one numbered line per step (ids, amounts,
//! balances), a few indented details, and with `--json` a summary object
//! on stdout (the lines then go to stderr; a failure adds its `error`). Secrets (tokens, keys,
//! passwords, the registration access token) only with `--verbose`.

use serde_json::{Map, Value};
use std::fmt::Display;

/// The demo's output.
pub struct Report {
    json: bool,
    verbose: bool,
    step: usize,
    summary: Map<String, Value>,
}

impl Report {
    /// Lines to stdout, or to stderr when `json` (stdout then gets the summary).
    pub fn new(json: bool, verbose: bool) -> Self {
        Self {
            json,
            verbose,
            step: 0,
            summary: Map::new(),
        }
    }

    /// Starts the next step: `n. title  text`.
    pub fn step(&mut self, title: &str, text: impl Display) {
        self.step += 1;
        self.line(&format!("{:>2}. {title:<18} {text}", self.step));
    }

    /// The number of the current step (0 before the first).
    pub fn current(&self) -> usize {
        self.step
    }

    /// A detail of the current step.
    pub fn detail(&self, text: impl Display) {
        self.line(&format!("    {:<18} {text}", ""));
    }

    /// A plain line.
    pub fn say(&self, text: impl Display) {
        self.line(&text.to_string());
    }

    /// A secret, shown only with `--verbose`.
    pub fn secret(&self, label: &str, value: &str) {
        if self.verbose {
            self.detail(format!("{label}: {value}"));
        }
    }

    /// A member of the `--json` summary.
    pub fn record(&mut self, key: &str, value: impl Into<Value>) {
        self.summary.insert(key.into(), value.into());
    }

    /// Prints the `--json` summary (nothing otherwise).
    pub fn finish(&self) {
        if self.json {
            println!("{}", Value::Object(self.summary.clone()));
        }
    }

    fn line(&self, line: &str) {
        match self.json {
            true => eprintln!("{line}"),
            false => println!("{line}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_count_and_the_summary_collects() {
        let mut report = Report::new(true, false);
        report.step("first", "a");
        report.step("second", "b");
        assert_eq!(report.step, 2);
        report.record("consent_id", "pdc-1");
        assert_eq!(report.summary["consent_id"], "pdc-1");
    }
}
