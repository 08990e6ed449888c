//! A TCP proxy between the server and its database that can fail on
//! command, as networks and databases fail:
//! - refuse: open connections reset, new ones closed at once (PostgreSQL
//!   stopped);
//! - black hole: no byte forwarded on open connections and new connections
//!   never accepted, their SYNs dropped once a one-place accept queue is
//!   full (a network that drops packets: what the seeds' outages looked
//!   like from the server);
//! - slow: everything forwarded, each answer held back [`SLOW_BY`] (a
//!   database on a machine whose cores another process saturates).
//!
//! Shared by the outage test and the outage benchmark.
#![allow(dead_code)] // each user takes what it needs

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{tcp::OwnedReadHalf, tcp::OwnedWriteHalf, TcpSocket, TcpStream},
    sync::watch,
    task::AbortHandle,
};

/// How long a slow database takes to answer, each time.
pub const SLOW_BY: Duration = Duration::from_millis(450);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Pass,
    Refuse,
    BlackHole,
    Slow,
}

#[derive(Default)]
struct Inner {
    /// Forwarding tasks: aborted on a refusal, which closes both sockets.
    links: Vec<AbortHandle>,
    /// Our own connections that fill the accept queue while black-holed.
    fillers: Vec<TcpStream>,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    fault: watch::Sender<Fault>,
    inner: Arc<Mutex<Inner>>,
    accept: AbortHandle,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let socket = TcpSocket::new_v4().expect("a socket");
        socket
            .bind("127.0.0.1:0".parse().unwrap())
            .expect("proxy binds");
        // The smallest accept queue: filled, it drops new SYNs.
        let listener = socket.listen(1).expect("proxy listens");
        let addr = listener.local_addr().expect("proxy address");
        let (fault, _) = watch::channel(Fault::Pass);
        let inner = Arc::new(Mutex::new(Inner::default()));
        let (shared, faults) = (inner.clone(), fault.clone());
        let accept = tokio::spawn(async move {
            let mut now = faults.subscribe();
            loop {
                // While black-holed nothing is accepted.
                let _ = now.wait_for(|f| *f != Fault::BlackHole).await;
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                if *faults.borrow() == Fault::Refuse {
                    drop(client);
                    continue;
                }
                let faults = faults.subscribe();
                let link = tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        forward(client, server, faults).await;
                    }
                });
                let mut inner = shared.lock().unwrap();
                inner.links.retain(|l| !l.is_finished());
                inner.links.push(link.abort_handle());
            }
        })
        .abort_handle();
        Self {
            addr,
            fault,
            inner,
            accept,
        }
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url_through(&self, url: &str) -> String {
        let mut parsed = url::Url::parse(url).expect("a database URL");
        parsed.set_host(Some("127.0.0.1")).expect("host");
        parsed.set_port(Some(self.addr.port())).expect("port");
        parsed.to_string()
    }

    /// Fails from now on, as `fault` says.
    pub async fn cut(&self, fault: Fault) {
        self.fault.send_replace(fault);
        match fault {
            Fault::Refuse => {
                for link in self.inner.lock().unwrap().links.drain(..) {
                    link.abort();
                }
            }
            Fault::BlackHole => {
                // Two connections of ours fill the queue of one place; a
                // third is the proof that SYNs are dropped now.
                let mut fillers = Vec::new();
                for _ in 0..3 {
                    let connect = TcpStream::connect(self.addr);
                    if let Ok(Ok(stream)) =
                        tokio::time::timeout(Duration::from_millis(200), connect).await
                    {
                        fillers.push(stream);
                    }
                }
                self.inner.lock().unwrap().fillers = fillers;
            }
            Fault::Pass | Fault::Slow => {}
        }
    }

    /// Forwards again (what a black hole held arrives, as TCP would
    /// retransmit it).
    pub fn restore(&self) {
        self.fault.send_replace(Fault::Pass);
        self.inner.lock().unwrap().fillers.clear();
    }
}

/// Both directions of one connection, until either side closes.
async fn forward(client: TcpStream, server: TcpStream, faults: watch::Receiver<Fault>) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::select! {
        () = pump(client_read, server_write, faults.clone(), Duration::ZERO) => {}
        () = pump(server_read, client_write, faults, SLOW_BY) => {}
    }
}

/// Copies `from` to `to`, holding bytes while black-holed and for `slow`
/// (when slow) before each write.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut faults: watch::Receiver<Fault>,
    slow: Duration,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if *faults.borrow() == Fault::Slow {
            tokio::time::sleep(slow).await;
        }
        let _ = faults.wait_for(|f| *f != Fault::BlackHole).await;
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        for link in self.inner.lock().unwrap().links.drain(..) {
            link.abort();
        }
    }
}
