//! A real SMTP server for the email tests and benchmark: Debian's aiosmtpd
//! (`python3 -m aiosmtpd`), delivering to a Maildir we read back, with a
//! handler (`sink_handlers.py`) that refuses addresses starting with
//! "refused". `SMTP_SINK` names the Python that has aiosmtpd (.ci/run sets
//! it after installing python3-aiosmtpd).
#![allow(dead_code)]
use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub struct Sink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port()
}

impl Sink {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("maildir");
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("maildir folders");
        }
        let mut sink = Self {
            port: free_port(),
            dir,
            child: None,
        };
        sink.resume().await;
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port and Maildir.
    pub async fn resume(&mut self) {
        let python = std::env::var("SMTP_SINK").unwrap_or_else(|_| "/usr/bin/python3".into());
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "sink_handlers.Refusing"])
            .arg(self.dir.path())
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts (install python3-aiosmtpd)");
        self.child = Some(child);
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "aiosmtpd did not listen"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server (connections to its port are then refused).
    pub fn pause(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn files(&self) -> Vec<PathBuf> {
        ["new", "cur"]
            .iter()
            .flat_map(|sub| {
                std::fs::read_dir(self.dir.path().join(sub))
                    .into_iter()
                    .flatten()
            })
            .flatten()
            .map(|entry| entry.path())
            .collect()
    }

    /// Every message received so far, as raw text.
    pub fn messages(&self) -> Vec<String> {
        self.files()
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .collect()
    }

    /// Every message with the time it was written (the server's accept).
    pub fn received(&self) -> Vec<(String, std::time::SystemTime)> {
        self.files()
            .iter()
            .filter_map(|path| {
                let at = std::fs::metadata(path).ok()?.modified().ok()?;
                Some((std::fs::read_to_string(path).ok()?, at))
            })
            .collect()
    }

    /// Waits until `n` messages arrived (or panics after `within`).
    pub async fn until(&self, n: usize, within: Duration) -> Vec<String> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                started.elapsed() < within,
                "{} of {n} messages arrived within {within:?}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.pause();
    }
}

/// A header's value in a raw message (unfolded).
pub fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next().unwrap_or(message);
    let head = head.replace("\r\n ", " ").replace("\n ", " ");
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}
