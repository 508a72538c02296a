//! A child test process that reports each commit it saw acknowledged as an
//! `ack ...` line on stdout, killed with SIGKILL when the test says: the
//! crash tests' way of knowing what a crashed process had promised.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The running child and what it acknowledged so far.
pub struct AckingChild<T> {
    child: Child,
    acknowledged: Arc<Mutex<BTreeSet<T>>>,
    reader: JoinHandle<()>,
}

impl<T: Ord + Clone + Send + 'static> AckingChild<T> {
    /// Runs the test `test` of this binary alone, with `var` set to
    /// `value`, reading each `ack <rest>` line through `parse`.
    pub fn spawn(test: &str, var: &str, value: impl AsRef<OsStr>, parse: fn(&str) -> T) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads", "1"])
            .env(var, value)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
        let seen = acknowledged.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if let Some(rest) = line.unwrap().strip_prefix("ack ") {
                    seen.lock().unwrap().insert(parse(rest));
                }
            }
        });
        Self {
            child,
            acknowledged,
            reader,
        }
    }

    /// How many commits were acknowledged so far.
    pub fn acknowledged(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    /// Whether the child has already exited (it must not before the kill).
    pub fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// SIGKILL, then every acknowledged commit.
    pub fn kill(mut self) -> BTreeSet<T> {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL).unwrap();
        self.child.wait().unwrap();
        self.reader.join().unwrap();
        self.acknowledged.lock().unwrap().clone()
    }
}
