//! Child processes tied to this one, for the programs that run others (the
//! local PostgreSQL server, the cluster sandbox's OP nodes and HAProxy): a
//! free loopback port to give them, a program on `PATH`, and spawning with a
//! Linux parent-death signal so that nothing outlives this process.

use anyhow::{Context, anyhow, bail};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::{Mutex, OnceLock, mpsc};

/// `program` on `PATH`, if any.
pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// A loopback TCP port nothing listens on right now (nor on UDP, for a
/// listener that also serves HTTP/3). Another process may take it before
/// the caller binds it.
pub fn free_port() -> anyhow::Result<u16> {
    for _ in 0..100 {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
        let port = tcp.local_addr()?.port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    bail!("no free loopback port")
}

/// `program args…` run through setpriv(1) with `--pdeathsig KILL` when it
/// is installed (util-linux), so the kernel kills it when the thread that
/// spawned it ends; spawn it with [`spawn_tied`].
pub fn tied_command(program: &std::path::Path) -> Command {
    match which("setpriv") {
        Some(setpriv) => {
            let mut c = Command::new(setpriv);
            c.args(["--pdeathsig", "KILL", "--"]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// Spawns `command` from a thread that lives as long as the process, so a
/// parent-death signal ([`tied_command`]) fires when the process ends, not
/// when the calling thread does.
pub fn spawn_tied(mut command: Command) -> anyhow::Result<Child> {
    on_keeper_thread(move || command.spawn())?.context("spawn a child process")
}

fn on_keeper_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    type Job = Box<dyn FnOnce() + Send>;
    static KEEPER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let sender = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("child-keeper".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
                // Every sender lives in a static: never reached.
                loop {
                    std::thread::park();
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot spawn the child-keeper thread");
        }
        Mutex::new(tx)
    });
    let (tx, rx) = mpsc::channel();
    sender
        .lock()
        .map_err(|_| anyhow!("child-keeper lock poisoned"))?
        .send(Box::new(move || {
            let _ = tx.send(f());
        }))
        .map_err(|_| anyhow!("the child-keeper thread is gone"))?;
    rx.recv().map_err(|_| anyhow!("the child-keeper thread is gone"))
}
