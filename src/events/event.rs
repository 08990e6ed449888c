//! What travels on the bus: ids only, and as text on PostgreSQL's channel.
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Notification {
        id: Uuid,
        user_id: Uuid,
    },
    UnreadChanged {
        user_id: Uuid,
    },
    ScoreChanged {
        lead_id: Uuid,
    },
    /// A user's sessions or role changed: their live streams re-check access.
    AccessChanged {
        user_id: Uuid,
    },
    /// A background job (an import) made progress or ended.
    JobProgressed {
        job_id: Uuid,
    },
}

impl Event {
    /// `n:<id>:<user>`, `u:<user>`, `s:<lead>`, `a:<user>`, `j:<job>`: at most 76 bytes.
    pub fn encode(&self) -> String {
        match self {
            Event::Notification { id, user_id } => format!("n:{id}:{user_id}"),
            Event::UnreadChanged { user_id } => format!("u:{user_id}"),
            Event::ScoreChanged { lead_id } => format!("s:{lead_id}"),
            Event::AccessChanged { user_id } => format!("a:{user_id}"),
            Event::JobProgressed { job_id } => format!("j:{job_id}"),
        }
    }

    pub fn decode(payload: &str) -> Option<Self> {
        let mut parts = payload.split(':');
        let kind = parts.next()?;
        let first = Uuid::parse_str(parts.next()?).ok()?;
        let event = match kind {
            "n" => Event::Notification {
                id: first,
                user_id: Uuid::parse_str(parts.next()?).ok()?,
            },
            "u" => Event::UnreadChanged { user_id: first },
            "s" => Event::ScoreChanged { lead_id: first },
            "a" => Event::AccessChanged { user_id: first },
            "j" => Event::JobProgressed { job_id: first },
            _ => return None,
        };
        parts.next().is_none().then_some(event)
    }
}
