//! A TCP relay on 127.0.0.1 that tests switch on and off: while it points
//! at a listener it copies each connection both ways; while it points
//! nowhere it closes each connection it accepts, as a gateway that is down
//! behind its address would. Its address stays the same, so an OP can be
//! configured with it before the listener behind it exists.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};

/// The relay.
pub struct Relay {
    /// Where it listens.
    pub addr: SocketAddr,
    target: Arc<Mutex<Option<SocketAddr>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// A relay pointing nowhere yet.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target: Arc<Mutex<Option<SocketAddr>>> = Arc::default();
        let current = target.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let Some(to) = *current.lock().unwrap() else {
                    drop(inbound);
                    continue;
                };
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { addr, target, task }
    }

    /// Points it at `target` (`None`: connections are closed at once).
    pub fn point_at(&self, target: Option<SocketAddr>) {
        *self.target.lock().unwrap() = target;
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}
