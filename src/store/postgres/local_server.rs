//! A PostgreSQL server this process runs itself, for the tests and the
//! cluster sandbox (`fiducia sandbox --nodes N`): `initdb` into a directory
//! and `postgres` on a free loopback port with its Unix socket in that
//! directory. PostgreSQL refuses to run as root, so as root the server runs
//! as the `postgres` user (Debian's package creates it) or `nobody`.
//!
//! The binaries are found through `FIDUCIA_PG_BINDIR`, `pg_config --bindir`
//! or `/usr/lib/postgresql/*/bin` ([`bin_dir`]). A server dies with this
//! process: it is started from a thread that lives as long as the process,
//! with a Linux parent-death signal (setpriv(1)). A [`LocalServer::temporary`]
//! server lives in a directory under the system's temporary directory that
//! is removed when it is dropped (and by a later run, when the process that
//! made it is gone); a [`LocalServer::persistent`] one keeps its data
//! between runs and is shut down cleanly when dropped.

use crate::child::{free_port, spawn_tied, tied_command};
use anyhow::{Context, anyhow, bail};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Temporary server directories are named `<prefix><pid>-<uuid>`.
const DIR_PREFIX: &str = "fiducia-pg-";

/// The role `initdb` makes the superuser; every URL names it.
pub const SUPERUSER: &str = "fiducia";

/// A running PostgreSQL server.
pub struct LocalServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    user: Option<(u32, u32)>,
    /// Extra `-c name=value` settings.
    settings: Vec<String>,
    /// Temporary: removed (after a crash) on drop; else shut down cleanly.
    temporary: bool,
    child: Mutex<Option<Child>>,
}

/// The directory holding `initdb`, `postgres` and `pg_isready`, or `None`
/// when PostgreSQL's server is not installed (Debian package `postgresql`).
pub fn bin_dir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("FIDUCIA_PG_BINDIR").map(PathBuf::from) {
        return has_server(&dir).then_some(dir);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return Some(dir);
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, dir)| has_server(dir))
        .collect();
    found.sort();
    found.pop().map(|(_, dir)| dir)
}

/// The unprivileged user (uid, gid) to run the server as when we are root;
/// `None` when we are not.
pub fn server_user() -> anyhow::Result<Option<(u32, u32)>> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the effective user.
    if std::fs::metadata("/proc/self").map_or(true, |m| m.uid() != 0) {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for name in ["postgres", "nobody"] {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() > 3
                && fields[0] == name
                && let (Ok(uid), Ok(gid)) = (fields[2].parse(), fields[3].parse())
            {
                return Ok(Some((uid, gid)));
            }
        }
    }
    bail!("running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as")
}

/// Removes temporary server directories whose process is gone.
fn remove_stale_dirs() {
    for entry in std::fs::read_dir(std::env::temp_dir())
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(DIR_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether another user can reach `dir`: every ancestor searchable by
/// others (the server's user is neither owner nor group of a root-made path).
fn reachable_by_other(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    dir.ancestors()
        .skip(1)
        .all(|a| std::fs::metadata(a).map_or(true, |m| m.permissions().mode() & 0o001 != 0))
}

impl LocalServer {
    /// Initializes and starts a server in a fresh temporary directory;
    /// `settings` writes what it needs into the directory (given the
    /// server's user, to own those files) and returns extra `name=value`
    /// settings.
    pub fn temporary(
        bin: PathBuf,
        settings: impl FnOnce(&Path, Option<(u32, u32)>) -> anyhow::Result<Vec<String>>,
    ) -> anyhow::Result<Self> {
        remove_stale_dirs();
        let dir = std::env::temp_dir().join(format!(
            "{DIR_PREFIX}{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        let user = server_user()?;
        init(&bin, &dir, user)?;
        let settings = settings(&dir, user)?;
        let server = Self {
            bin,
            dir,
            port: free_port()?,
            user,
            settings,
            temporary: true,
            child: Mutex::new(None),
        };
        server.run()?;
        Ok(server)
    }

    /// Starts the server whose data lives in `dir` (initialized on first
    /// use) on `port` (a free one when `None`).
    pub fn persistent(bin: PathBuf, dir: &Path, port: Option<u16>) -> anyhow::Result<Self> {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let user = server_user()?;
        if user.is_some() && !reachable_by_other(&dir) {
            bail!(
                "{} is not reachable by the unprivileged user PostgreSQL runs as (a parent directory is not searchable by others); choose a data directory under /tmp or /srv",
                dir.display()
            );
        }
        if !dir.join("data").join("PG_VERSION").is_file() {
            init(&bin, &dir, user)?;
        }
        let server = Self {
            bin,
            dir,
            port: match port {
                Some(port) => port,
                None => free_port()?,
            },
            user,
            settings: Vec::new(),
            temporary: false,
            child: Mutex::new(None),
        };
        server.run()?;
        Ok(server)
    }

    /// The server's directory (its data in `data/`, its socket, its log
    /// `server.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts `postgres` (again) and waits until it accepts connections.
    pub fn run(&self) -> anyhow::Result<()> {
        // The server gets its own process group (so that `crash` kills all
        // of it) and, through setpriv(1), SIGKILL when the thread that
        // started it ends.
        let mut command = tied_command(&self.bin.join("postgres"));
        let log = self.dir.join("server.log");
        command
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(&self.dir)
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"])
            .args([
                "-c",
                "shared_buffers=128MB",
                "-c",
                "fsync=on",
                "-c",
                "synchronous_commit=on",
            ])
            .args(self.settings.iter().flat_map(|s| ["-c", s.as_str()]))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).with_context(|| format!("create {}", log.display()))?)
            .process_group(0);
        if let Some((uid, gid)) = self.user {
            command.uid(uid).gid(gid);
        }
        let child = spawn_tied(command).context("start postgres")?;
        *self.child.lock().map_err(|_| anyhow!("lock poisoned"))? = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if self.ready() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "PostgreSQL did not start: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    }

    /// Whether the server accepts connections (pg_isready).
    fn ready(&self) -> bool {
        Command::new(self.bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", SUPERUSER, "-d", "postgres"])
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Kills the server and every backend process with SIGKILL (a crash:
    /// no shutdown checkpoint; what was fsynced is all that survives).
    pub fn crash(&self) {
        self.signal_and_wait(nix::sys::signal::Signal::SIGKILL, Duration::from_secs(10));
    }

    /// PostgreSQL's fast shutdown (SIGINT): sessions are ended, a
    /// checkpoint is written; SIGKILL after 30 s.
    pub fn stop(&self) {
        self.signal_and_wait(nix::sys::signal::Signal::SIGINT, Duration::from_secs(30));
        self.crash();
    }

    fn signal_and_wait(&self, signal: nix::sys::signal::Signal, within: Duration) {
        use nix::sys::signal::kill;
        let Ok(mut slot) = self.child.lock() else { return };
        let Some(child) = slot.as_mut() else { return };
        let Ok(pid) = i32::try_from(child.id()) else {
            return;
        };
        let group = nix::unistd::Pid::from_raw(-pid);
        let _ = kill(group, signal);
        let started = Instant::now();
        while started.elapsed() < within {
            if kill(group, None).is_err() {
                let _ = child.wait();
                *slot = None;
                return;
            }
            if signal == nix::sys::signal::Signal::SIGKILL {
                let _ = kill(group, signal);
            }
            let _ = child.try_wait();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The TCP URL of database `name`, without a password.
    pub fn url(&self, name: &str) -> String {
        format!("postgresql://{SUPERUSER}@127.0.0.1:{}/{name}", self.port)
    }

    /// Database `name` over the Unix socket in the server's directory,
    /// where authentication is always `trust`: the operator's own view.
    pub fn socket_dsn(&self, name: &str) -> String {
        format!(
            "host={} port={} user={SUPERUSER} dbname={name}",
            self.dir.display(),
            self.port
        )
    }

    /// Runs `sql` as the superuser over the Unix socket.
    async fn execute(&self, sql: &str) -> anyhow::Result<()> {
        let (client, connection) =
            tokio_postgres::connect(&self.socket_dsn("postgres"), tokio_postgres::NoTls)
                .await
                .context("connect to the local PostgreSQL server")?;
        let task = tokio::spawn(connection);
        let result = client.batch_execute(sql).await;
        drop(client);
        let _ = task.await;
        result.with_context(|| format!("{sql}: failed"))
    }

    /// A fresh, empty database; returns its URL.
    pub async fn database(&self) -> anyhow::Result<String> {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        self.execute(&format!("CREATE DATABASE {name}")).await?;
        Ok(self.url(&name))
    }

    /// Database `name` (letters, digits and `_`), created when missing;
    /// returns its URL.
    pub async fn ensure_database(&self, name: &str) -> anyhow::Result<String> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!("database name {name:?}: letters, digits and _ only");
        }
        let (client, connection) =
            tokio_postgres::connect(&self.socket_dsn("postgres"), tokio_postgres::NoTls)
                .await
                .context("connect to the local PostgreSQL server")?;
        let task = tokio::spawn(connection);
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .await
            .context("look up the database")?
            .is_some();
        drop(client);
        let _ = task.await;
        if !exists {
            self.execute(&format!("CREATE DATABASE {name}")).await?;
        }
        Ok(self.url(name))
    }

    /// TCP connections must authenticate with `password` (SCRAM-SHA-256)
    /// from now on; the Unix socket stays `trust` ([`Self::socket_dsn`]).
    pub fn require_password(&self, password: &str) -> anyhow::Result<()> {
        let hba = "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
        let hba_file = self.dir.join("data").join("pg_hba.conf");
        std::fs::write(&hba_file, hba).with_context(|| format!("write {}", hba_file.display()))?;
        let sql = format!(
            "ALTER ROLE {SUPERUSER} PASSWORD '{}'",
            password.replace('\'', "''")
        );
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-h"])
            .arg(&self.dir)
            .args(["-p", &self.port.to_string(), "-U", SUPERUSER, "-d", "postgres"])
            .args(["-c", &sql, "-c", "SELECT pg_reload_conf()"])
            .output()
            .context("psql")?;
        if !out.status.success() {
            bail!("psql: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }
}

/// `initdb` into `dir/data` (as `user` when given), superuser
/// [`SUPERUSER`], `trust` authentication (loopback and the socket only:
/// `listen_addresses` is 127.0.0.1).
fn init(bin: &Path, dir: &Path, user: Option<(u32, u32)>) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(dir, Some(uid), Some(gid))
            .with_context(|| format!("chown {}", dir.display()))?;
    }
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-instructions",
            "-D",
        ])
        .arg(dir.join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some((uid, gid)) = user {
        initdb.uid(uid).gid(gid);
    }
    let out = initdb.output().context("initdb")?;
    if !out.status.success() {
        bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        match self.temporary {
            true => {
                self.crash();
                let _ = std::fs::remove_dir_all(&self.dir);
            }
            false => self.stop(),
        }
    }
}
