//! Talking to the mail server: lettre over rustls (no native TLS), its
//! connections pooled, with each failure told apart as worth retrying
//! (4xx, refused, timed out) or not (5xx). A leaf: the outbox and its
//! worker (`service::email`) decide what to send and when.
use std::time::Duration;

use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
    transport::smtp::{Error as SmtpError, PoolConfig},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::config::Settings;

/// Connections kept open to the mail server, and so messages sent at once:
/// the pool closes a connection it has no room for after one message.
pub const CONNECTIONS: usize = 16;

/// The mail settings of one instance.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    pub from: Mailbox,
    /// Where links in messages point, without a trailing slash.
    pub public_url: String,
    /// Local hour of the daily digest.
    pub digest_hour: u8,
    /// Where mail goes, with its password redacted (logs, /health.json).
    pub target: String,
    /// The `@domain` of Message-IDs.
    pub domain: String,
}

/// A message ready to go.
pub struct Outgoing {
    /// Becomes `<id@domain>`: the same for every attempt at one outbox row.
    pub id: uuid::Uuid,
    pub to: Mailbox,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `List-Unsubscribe` (RFC 2369), one click in mail clients.
    pub unsubscribe: Option<String>,
}

/// Why a send failed.
#[derive(Debug)]
pub enum SendError {
    /// Try again later: the server answered 4xx.
    Transient(String),
    /// Try again later: no answer (refused, timed out, the connection broke);
    /// other messages would fare no better just now.
    Unreachable(String),
    /// The server refused for good (5xx) or the message cannot be built.
    Permanent(String),
}

impl Mailer {
    /// None when SMTP_URL is unset; an error when it or EMAIL_FROM is unusable.
    pub fn from_settings(settings: &Settings) -> Result<Option<Self>, String> {
        let Some(url) = settings.smtp_url.as_ref() else {
            return Ok(None);
        };
        let target = format!("{url:?}");
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|err| format!("SMTP_URL ({target}) is not usable: {err}"))?
            .timeout(Some(Duration::from_secs(20)))
            .pool_config(PoolConfig::new().max_size(CONNECTIONS as u32))
            .build();
        let from: Mailbox = settings.email_from.parse().map_err(|err| {
            format!(
                "EMAIL_FROM ({}) is not an address: {err}",
                settings.email_from
            )
        })?;
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", settings.bind))
            .trim_end_matches('/')
            .to_string();
        Ok(Some(Self {
            transport,
            domain: from.email.domain().to_string(),
            from,
            public_url,
            digest_hour: settings.digest_hour,
            target,
        }))
    }

    /// Whether the server answers (a pooled connection's NOOP, or a new
    /// connection's greeting): how the worker learns that an unreachable
    /// server is back without spending a message's attempt on it.
    pub async fn reachable(&self) -> bool {
        matches!(self.transport.test_connection().await, Ok(true))
    }

    /// Sends one message (text and HTML parts).
    pub async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(message.to.clone())
            .subject(message.subject.clone())
            .message_id(Some(format!("<{}@{}>", message.id, self.domain)));
        if let Some(link) = &message.unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{link}>")))
                .header(ListUnsubscribePost);
        }
        let email = builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(message.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(message.html.clone()),
                    ),
            )
            .map_err(|err| SendError::Permanent(format!("the message cannot be built: {err}")))?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(err) => Err(classify(&err)),
        }
    }
}

/// Text made safe inside HTML (element content and quoted attributes).
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn classify(err: &SmtpError) -> SendError {
    // Display of lettre's error holds the server's reply, never our URL.
    let words = err.to_string();
    if err.is_permanent() {
        SendError::Permanent(words)
    } else if err.is_response() {
        SendError::Transient(words)
    } else {
        SendError::Unreachable(words)
    }
}

/// The `List-Unsubscribe` header.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl lettre::message::header::Header for ListUnsubscribe {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post` (RFC 8058): the link takes a one-click POST.
#[derive(Clone)]
struct ListUnsubscribePost;

impl lettre::message::header::Header for ListUnsubscribePost {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}
