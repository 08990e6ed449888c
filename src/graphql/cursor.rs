//! Opaque cursors. A cursor names the last item seen (by its UUID v7 key),
//! so it stays valid when rows are inserted; a tampered one is BAD_USER_INPUT.
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

const PREFIX: &str = "v1:";

/// A cursor holding a key: an id, or a sort value with its id for keyset pages.
pub fn encode_key<T: serde::Serialize>(key: &T) -> String {
    let json = serde_json::to_string(key).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(format!("{PREFIX}{json}"))
}

pub fn decode_key<T: serde::de::DeserializeOwned>(field: &str, cursor: &str) -> AppResult<T> {
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
    encode_key(&id)
}

pub fn decode(field: &str, cursor: &str) -> AppResult<Uuid> {
    decode_key(field, cursor)
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
}
