//! A lead's custom fields: a JSON object of bounded size, with no control
//! characters in its keys or strings.
use serde_json::Value;

use super::{has_control_characters, Fallback, Invalid, Parse};

/// Custom fields stay small: they travel with every lead.
pub const MAX_ATTRIBUTES_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct Attributes(Value);

impl Parse for Attributes {
    type Raw = Value;

    fn parse(raw: Value) -> Result<Self, Invalid> {
        if !raw.is_object() {
            return Err(Invalid::new("must be a JSON object"));
        }
        if raw.to_string().len() > MAX_ATTRIBUTES_BYTES {
            return Err(Invalid(format!(
                "must be at most {MAX_ATTRIBUTES_BYTES} bytes of JSON"
            )));
        }
        let mut stack = vec![&raw];
        while let Some(value) = stack.pop() {
            match value {
                Value::String(text) if has_control_characters(text) => {
                    return Err(Invalid::new("contains control characters"))
                }
                Value::Array(items) => stack.extend(items),
                Value::Object(fields) => {
                    if fields.keys().any(|k| has_control_characters(k)) {
                        return Err(Invalid::new("has a key with control characters"));
                    }
                    stack.extend(fields.values());
                }
                _ => {}
            }
        }
        Ok(Self(raw))
    }
}

super::stored_as_is!(Attributes: Value);

impl Fallback for Attributes {
    fn fallback() -> Self {
        Self(Value::Object(Default::default()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn attributes_are_a_bounded_object() {
        assert!(Attributes::parse(json!([1, 2])).is_err());
        assert!(Attributes::parse(json!({ "big": "x".repeat(MAX_ATTRIBUTES_BYTES) })).is_err());
        assert!(Attributes::parse(json!({ "k": ["ok", "bad\u{0}"] })).is_err());
        assert!(Attributes::parse(json!({ "fleetSize": 3 })).is_ok());
    }
}
