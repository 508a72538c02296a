//! Real PostgreSQL servers for tests: `initdb` into a temporary directory and
//! `postgres` on a free loopback port with its Unix socket in that
//! directory. PostgreSQL refuses to run as root, so as root the server runs
//! as the `postgres` user (Debian's package creates it) or `nobody`.
//!
//! [`shared`] is one server per test binary run (tests make a database each
//! with [`PgServer::database`]); [`PgServer::start`] makes a private one
//! (the crash test kills its own). The binaries are found through
//! `FIDUCIA_PG_BINDIR`, `pg_config --bindir` or `/usr/lib/postgresql/*/bin`;
//! when they are missing the Postgres tests are skipped, unless
//! `FIDUCIA_REQUIRE_POSTGRES=1` (CI: `scripts/test.sh`), which makes that a
//! failure. A server dies with the thread that started it (Linux parent-death
//! signal, from a thread that lives as long as the test binary), and a run
//! removes the data directories of earlier runs that are gone.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

const DIR_PREFIX: &str = "fiducia-pg-";

/// A running PostgreSQL server.
pub struct PgServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    user: Option<(u32, u32)>,
    /// The password TCP connections need, if any.
    password: Option<String>,
    /// Extra `-c name=value` settings.
    settings: Vec<String>,
    child: Mutex<Option<Child>>,
}

/// The server shared by this test binary run, or `None` (skip) when
/// PostgreSQL is not installed and not required.
pub fn shared() -> Option<&'static PgServer> {
    static SERVER: OnceLock<Option<PgServer>> = OnceLock::new();
    SERVER
        .get_or_init(|| PgServer::start().map(|s| s.expect("start the shared PostgreSQL server")))
        .as_ref()
}

/// Whether a missing server is a failure (`FIDUCIA_REQUIRE_POSTGRES=1`).
fn required() -> bool {
    std::env::var("FIDUCIA_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// The directory holding `initdb`, `postgres` and `pg_ctl`.
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

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The unprivileged user to run the server as, when we are root.
fn server_user() -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the effective user.
    if std::fs::metadata("/proc/self").map_or(true, |m| m.uid() != 0) {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for name in ["postgres", "nobody"] {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() > 3
                && fields[0] == name
                && let (Ok(uid), Ok(gid)) = (fields[2].parse(), fields[3].parse())
            {
                return Some((uid, gid));
            }
        }
    }
    panic!("running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as");
}

/// Removes data directories of earlier runs whose test process is gone.
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

/// Runs `f` on a thread that lives as long as the process, so that a child
/// it spawns with a parent-death signal outlives the calling test thread.
fn on_keeper_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    type Job = Box<dyn FnOnce() + Send>;
    static KEEPER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let sender = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("pg-keeper".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
                // Every sender lives in a static: never reached.
                loop {
                    std::thread::park();
                }
            })
            .expect("spawn the pg-keeper thread");
        Mutex::new(tx)
    });
    let (tx, rx) = mpsc::channel();
    sender
        .lock()
        .unwrap()
        .send(Box::new(move || {
            let _ = tx.send(f());
        }))
        .unwrap();
    rx.recv().unwrap()
}

impl PgServer {
    /// Initializes and starts a private server: `None` when PostgreSQL is
    /// not installed (a panic instead with `FIDUCIA_REQUIRE_POSTGRES=1`).
    pub fn start() -> Option<Result<Self, String>> {
        Self::start_with(|_| Vec::new())
    }

    /// [`PgServer::start`] where TCP connections must authenticate with
    /// `password` (SCRAM-SHA-256); the Unix socket stays `trust` for the
    /// test's own connections ([`PgServer::socket_dsn`]).
    pub fn start_with_password(password: &str) -> Option<Result<Self, String>> {
        let password = password.to_string();
        Some(Self::start_with(|_| Vec::new())?.and_then(|mut server| {
            server.password = Some(password);
            server.restart_with_password().map(|()| server)
        }))
    }

    /// Sets the superuser's password and requires it over TCP.
    fn restart_with_password(&self) -> Result<(), String> {
        let password = self.password.clone().unwrap_or_default();
        let hba = "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
        let hba_file = self.dir.join("data").join("pg_hba.conf");
        std::fs::write(&hba_file, hba).map_err(|e| e.to_string())?;
        let sql = format!("ALTER ROLE fiducia PASSWORD '{}'", password.replace('\'', "''"));
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-h"])
            .arg(&self.dir)
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "fiducia",
                "-d",
                "postgres",
                "-c",
                &sql,
                "-c",
                "SELECT pg_reload_conf()",
            ])
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        if !out.status.success() {
            return Err(format!("psql: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(())
    }

    /// [`PgServer::start`] that also accepts TLS, with the certificate
    /// chain and key given (PEM).
    pub fn start_with_tls(chain_pem: &str, key_pem: &str) -> Option<Result<Self, String>> {
        let (chain_pem, key_pem) = (chain_pem.to_string(), key_pem.to_string());
        Self::start_with(move |dir| {
            let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
            std::fs::write(&cert, chain_pem).unwrap();
            std::fs::write(&key, key_pem).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
            if let Some((uid, gid)) = server_user() {
                for file in [&cert, &key] {
                    std::os::unix::fs::chown(file, Some(uid), Some(gid)).unwrap();
                }
            }
            vec![
                "ssl=on".into(),
                format!("ssl_cert_file={}", cert.display()),
                format!("ssl_key_file={}", key.display()),
            ]
        })
    }

    /// Initializes and starts a server; `settings` writes what it needs
    /// into the directory and returns extra `name=value` settings.
    fn start_with(settings: impl FnOnce(&Path) -> Vec<String>) -> Option<Result<Self, String>> {
        let Some(bin) = bin_dir() else {
            assert!(
                !required(),
                "FIDUCIA_REQUIRE_POSTGRES=1 but no PostgreSQL server binaries were found (Debian package `postgresql`)"
            );
            eprintln!("skipped: no PostgreSQL server binaries (install Debian `postgresql`)");
            return None;
        };
        remove_stale_dirs();
        let dir = std::env::temp_dir().join(format!(
            "{DIR_PREFIX}{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        Some(Self::init(bin, dir, settings))
    }

    fn init(bin: PathBuf, dir: PathBuf, settings: impl FnOnce(&Path) -> Vec<String>) -> Result<Self, String> {
        let user = server_user();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
        }
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .args([
                "-U",
                "fiducia",
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
        let out = initdb.output().map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let settings = settings(&dir);
        let server = Self {
            bin,
            dir,
            port: crate::it::support::free_port(),
            user,
            password: None,
            settings,
            child: Mutex::new(None),
        };
        server.run()?;
        Ok(server)
    }

    /// Starts `postgres` (again) and waits until it accepts connections.
    pub fn run(&self) -> Result<(), String> {
        // The server gets its own process group (so that `crash` kills all
        // of it) and, through setpriv(1), SIGKILL when the thread that
        // started it ends.
        let mut command = match which("setpriv") {
            Some(setpriv) => {
                let mut c = Command::new(setpriv);
                c.args(["--pdeathsig", "KILL", "--"])
                    .arg(self.bin.join("postgres"));
                c
            }
            None => Command::new(self.bin.join("postgres")),
        };
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
            .stderr(std::fs::File::create(self.dir.join("server.log")).map_err(|e| e.to_string())?)
            .process_group(0);
        if let Some((uid, gid)) = self.user {
            command.uid(uid).gid(gid);
        }
        let child = on_keeper_thread(move || command.spawn()).map_err(|e| format!("postgres: {e}"))?;
        *self.child.lock().unwrap() = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args([
                    "-q",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "fiducia",
                    "-d",
                    "postgres",
                ])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "PostgreSQL did not start: {}",
            std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
        ))
    }

    /// Kills the server and every backend process with SIGKILL (a crash:
    /// no shutdown checkpoint; what was fsynced is all that survives).
    pub fn crash(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            let group = nix::unistd::Pid::from_raw(-(child.id() as i32));
            let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGKILL);
            let _ = child.wait();
            // Backends see the postmaster die and exit; wait for the group.
            let started = Instant::now();
            while nix::sys::signal::kill(group, None).is_ok() && started.elapsed() < Duration::from_secs(10) {
                let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGKILL);
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// The TCP URL of database `name`, without a password (trust, unless
    /// started [`PgServer::start_with_password`]).
    pub fn url(&self, name: &str) -> String {
        format!("postgresql://fiducia@127.0.0.1:{}/{name}", self.port)
    }

    /// Database `name` over the Unix socket in the server's directory,
    /// where authentication is always `trust`: the test's own view.
    pub fn socket_dsn(&self, name: &str) -> String {
        format!(
            "host={} port={} user=fiducia dbname={name}",
            self.dir.display(),
            self.port
        )
    }

    /// A fresh, empty database; returns its URL.
    pub async fn database(&self) -> String {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let (client, connection) =
            tokio_postgres::connect(&self.socket_dsn("postgres"), tokio_postgres::NoTls)
                .await
                .expect("connect to the test PostgreSQL server");
        let task = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a test database");
        drop(client);
        let _ = task.await;
        self.url(&name)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.crash();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
