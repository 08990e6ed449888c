//! Opaque cursors. A cursor names the last item seen (by its UUID v7 key,
//! or a lead's sort value and id), so it stays valid when rows are
//! inserted; a tampered one is BAD_USER_INPUT.
//!
//! What a cursor holds is its own versioned wire shape ([`LeadCursorV1`]),
//! not a service type: renaming a field of the service's keyset type cannot
//! break the cursors clients hold.
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    service::leads::{LeadKey, LeadOrderField},
};

const PREFIX: &str = "v1:";

fn encode_json<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(format!("{PREFIX}{json}"))
}

fn decode_json<T: serde::de::DeserializeOwned>(field: &str, cursor: &str) -> AppResult<T> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            text.strip_prefix(PREFIX)
                .and_then(|json| serde_json::from_str(json).ok())
        })
        .ok_or_else(|| AppError::bad_input(field, "not a cursor this API issued"))
}

pub fn encode(id: Uuid) -> String {
    encode_json(&id)
}

pub fn decode(field: &str, cursor: &str) -> AppResult<Uuid> {
    decode_json(field, cursor)
}

/// The order a lead cursor belongs to, as version 1 spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum OrderV1 {
    Score,
    CreatedAt,
    UpdatedAt,
    LastActivityAt,
    Name,
}

/// A lead cursor, version 1: the order, the sort value and the id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LeadCursorV1 {
    field: OrderV1,
    score: Option<i32>,
    at: Option<DateTime<Utc>>,
    name: Option<(String, String)>,
    id: Uuid,
}

pub fn encode_lead(key: &LeadKey) -> String {
    let field = match key.field {
        LeadOrderField::Score => OrderV1::Score,
        LeadOrderField::CreatedAt => OrderV1::CreatedAt,
        LeadOrderField::UpdatedAt => OrderV1::UpdatedAt,
        LeadOrderField::LastActivityAt => OrderV1::LastActivityAt,
        LeadOrderField::Name => OrderV1::Name,
    };
    encode_json(&LeadCursorV1 {
        field,
        score: key.score,
        at: key.at,
        name: key.name.clone(),
        id: key.id,
    })
}

pub fn decode_lead(field: &str, cursor: &str) -> AppResult<LeadKey> {
    let wire: LeadCursorV1 = decode_json(field, cursor)?;
    Ok(LeadKey {
        field: match wire.field {
            OrderV1::Score => LeadOrderField::Score,
            OrderV1::CreatedAt => LeadOrderField::CreatedAt,
            OrderV1::UpdatedAt => LeadOrderField::UpdatedAt,
            OrderV1::LastActivityAt => LeadOrderField::LastActivityAt,
            OrderV1::Name => LeadOrderField::Name,
        },
        score: wire.score,
        at: wire.at,
        name: wire.name,
        id: wire.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_a_tampered_one_is_refused() {
        let id = Uuid::now_v7();
        assert_eq!(decode("after", &encode(id)).unwrap(), id);
        assert!(decode("after", "bm90LWEtY3Vyc29y").is_err());
        assert!(decode("after", "%%%").is_err());
    }

    #[test]
    fn a_lead_cursor_issued_before_the_wire_type_still_reads() {
        // What the first release issued for a page ordered by score.
        let id = Uuid::now_v7();
        let old = URL_SAFE_NO_PAD.encode(format!(
            r#"v1:{{"field":"Score","score":42,"at":null,"name":null,"id":"{id}"}}"#
        ));
        let key = decode_lead("after", &old).unwrap();
        assert_eq!(key.field, LeadOrderField::Score);
        assert_eq!(key.score, Some(42));
        assert_eq!(decode_lead("after", &encode_lead(&key)).unwrap(), key);
    }
}
