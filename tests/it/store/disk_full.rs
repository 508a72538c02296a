//! The store's disk filling up, on a real tmpfs: writes answer 503 with
//! `Retry-After` (RFC 6749 §5.2 `temporarily_unavailable`), reads are
//! served, service resumes by itself when space returns, and nothing
//! acknowledged is lost across a restart (docs/RELIABILITY.md, "Disk
//! full"; the guard is `store/embedded/disk_space.rs`, `[store]
//! min_free_mib`).
//!
//! Mounting a tmpfs needs root (CI runs as root): elsewhere the test says
//! so and does nothing.

use super::super::flow::consents::cc_token;
use super::super::flow::gateway::gateway_introspection_of;
use super::super::flow::harness::*;
use super::super::support::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const MIB: u64 = 1024 * 1024;

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(mib: u64) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(Self { path, _dir: dir })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn available(path: &Path) -> u64 {
    let stats = nix::sys::statvfs::statvfs(path).unwrap();
    #[allow(clippy::useless_conversion)]
    let (blocks, size) = (
        u64::from(stats.blocks_available()),
        u64::from(stats.fragment_size()),
    );
    blocks * size
}

/// Writes a file of zeros into `disk` until at most `free` bytes are left.
fn fill_until(disk: &Path, free: u64) -> PathBuf {
    let filler = disk.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; MIB as usize];
    while available(disk) > free {
        file.write_all(&chunk).unwrap();
    }
    file.sync_all().unwrap();
    filler
}

fn cc_request() -> http::Request<http_body_util::Full<bytes::Bytes>> {
    form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", MTLS),
            ("scope", "accounts"),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_writes_503_serves_reads_and_resumes_by_itself() {
    let Some(disk) = Tmpfs::mount(160) else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let store = disk.path.join("store");
    let store = store.to_str().unwrap();
    let env = [
        ("FIDUCIA_STORE__PATH", store),
        ("FIDUCIA_STORE__MIN_FREE_MIB", "64"),
        ("FIDUCIA_STORE__MEMTABLE_MIB", "8"),
        ("FIDUCIA_STORE__CACHE_MIB", "8"),
    ];
    let sections = Sections {
        env: &env,
        ..Sections::default()
    };
    let op = Op::start_with_sections(TestPki::new(), sections, |_| String::new()).await;
    let before = cc_token(&op, "accounts").await;
    // A customer on the consent page when the disk fills.
    let (_, challenge) = pkce();
    let pushed = op.send(true, cert_par(MTLS, &challenge, "openid accounts")).await;
    assert_status(&pushed, 201);
    let mut browser = Browser::new();
    let (consent, page) = browser
        .consent_page(&op, MTLS, &pushed_request_uri(&pushed))
        .await;
    let csrf = hidden_field(&page, "csrf");
    let approve = [("decision", "approve"), ("csrf", csrf.as_str())];

    // 32 MiB left: under the 64 the store keeps.
    let filler = fill_until(&disk.path, 32 * MIB);
    for _ in 0..3 {
        let refused = op.send(true, cc_request()).await;
        assert_status(&refused, 503);
        assert!(refused.headers().contains_key(http::header::RETRY_AFTER));
        assert_eq!(json(refused.body())["error"], "temporarily_unavailable");
    }
    // The consent cannot be written: 503 with Retry-After (RFC 9110
    // §10.2.3), not a 400 that would tell the customer the request is dead.
    // The chaos campaign (scripts/chaos-disk.sh) found it answered 400.
    let refused = browser.post(&op, &consent, &approve).await;
    assert_status(&refused, 503);
    assert!(refused.headers().contains_key(http::header::RETRY_AFTER));
    // Reads are served: the token issued before is found, and active.
    assert_eq!(gateway_introspection_of(&op, &before).await["active"], true);

    // Space returns: the next write goes through, no restart; the consent
    // refused above was not decided, and the same step now gives a code.
    std::fs::remove_file(&filler).unwrap();
    let after = cc_token(&op, "accounts").await;
    let decided = browser.post(&op, &consent, &approve).await;
    assert_status(&decided, 303);
    assert!(query_param(&location(&decided), "code").is_some());

    // Nothing acknowledged was lost or damaged: both tokens are there
    // after the OP restarts on the same store.
    let op = op.restart_after(|| {}).await;
    for token in [&before, &after] {
        assert_eq!(gateway_introspection_of(&op, token).await["active"], true);
    }
    op.handle.shutdown().await;
}
