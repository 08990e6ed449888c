//! A TCP proxy between the server and its database that can fail on
//! command: refuse (connections reset, new ones closed at once, as when
//! PostgreSQL is stopped) or black-hole (connections accepted and held, no
//! byte forwarded, as when a network drops packets). Shared by the outage
//! test and the outage benchmark.
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{
    net::{TcpListener, TcpStream},
    task::AbortHandle,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Pass,
    Refuse,
    BlackHole,
}

#[derive(Default)]
struct Inner {
    fault: Option<Fault>,
    /// Forwarding tasks: aborted on a cut, which closes both sockets.
    links: Vec<AbortHandle>,
    /// Sockets held unanswered while black-holed.
    held: Vec<TcpStream>,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    accept: AbortHandle,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let addr = listener.local_addr().expect("proxy address");
        let inner = Arc::new(Mutex::new(Inner {
            fault: Some(Fault::Pass),
            ..Inner::default()
        }));
        let shared = inner.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let fault = shared.lock().unwrap().fault.unwrap_or(Fault::Pass);
                match fault {
                    Fault::Refuse => drop(client),
                    Fault::BlackHole => shared.lock().unwrap().held.push(client),
                    Fault::Pass => {
                        let link = tokio::spawn(async move {
                            let mut client = client;
                            if let Ok(mut server) = TcpStream::connect(upstream).await {
                                let _ =
                                    tokio::io::copy_bidirectional(&mut client, &mut server).await;
                            }
                        });
                        let mut inner = shared.lock().unwrap();
                        inner.links.retain(|l| !l.is_finished());
                        inner.links.push(link.abort_handle());
                    }
                }
            }
        })
        .abort_handle();
        Self {
            addr,
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

    /// Fails from now on: every open connection is cut at once.
    pub fn cut(&self, fault: Fault) {
        let mut inner = self.inner.lock().unwrap();
        inner.fault = Some(fault);
        for link in inner.links.drain(..) {
            link.abort();
        }
    }

    /// Forwards again; held sockets are closed (their clients reconnect).
    pub fn restore(&self) {
        let mut inner = self.inner.lock().unwrap();
        inner.fault = Some(Fault::Pass);
        inner.held.clear();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        let mut inner = self.inner.lock().unwrap();
        for link in inner.links.drain(..) {
            link.abort();
        }
    }
}
