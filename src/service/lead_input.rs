//! Validation of lead input: every rule names the field it guards.
use serde_json::Value;

use crate::{
    error::{AppError, AppResult},
    validate::{self, Email},
};

/// Active ISO 4217 codes.
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL";

/// Custom fields stay small: they travel with every lead.
pub const MAX_ATTRIBUTES_BYTES: usize = 16 * 1024;
/// Budgets above a trillion are typos, not deals.
const MAX_MONEY: f64 = 1e12;

pub fn name(field: &str, raw: &str) -> AppResult<String> {
    validate::text(field, raw, 100)
}

/// Optional free text: blank means none.
pub fn optional_text(
    field: &str,
    raw: Option<&str>,
    max_chars: usize,
) -> AppResult<Option<String>> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => validate::text(field, value, max_chars).map(Some),
        None => Ok(None),
    }
}

pub fn email(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => Email::parse(field, value).map(|e| Some(e.into_inner())),
        None => Ok(None),
    }
}

/// E.164 (`+` and 8 to 15 digits) when the number says its country; otherwise
/// the number as written, trimmed, since guessing a country would corrupt it.
pub fn phone(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > 40 {
        return Err(AppError::bad_input(
            field,
            "phone must be at most 40 characters",
        ));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().ext".contains(c))
    {
        return Err(AppError::bad_input(
            field,
            "phone may hold only digits, spaces, + - ( ) .",
        ));
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 5 {
        return Err(AppError::bad_input(field, "phone has too few digits"));
    }
    let international = value.starts_with('+') || value.starts_with("00");
    let digits = if value.starts_with("00") {
        &digits[2..]
    } else {
        &digits[..]
    };
    if international && (8..=15).contains(&digits.len()) && !value.contains('x') {
        Ok(Some(format!("+{digits}")))
    } else {
        Ok(Some(value.to_string()))
    }
}

pub fn currency(field: &str, raw: &str) -> AppResult<String> {
    let code = raw.trim().to_uppercase();
    if code.len() == 3 && CURRENCIES.split(' ').any(|c| c == code) {
        Ok(code)
    } else {
        Err(AppError::bad_input(
            field,
            format!("'{}' is not an ISO 4217 currency code", raw.trim()),
        ))
    }
}

/// Major units (as clients send them) to exact minor units (cents).
pub fn money(field: &str, amount: Option<f64>) -> AppResult<Option<i64>> {
    match amount {
        None => Ok(None),
        Some(v) if !v.is_finite() || v < 0.0 => {
            Err(AppError::bad_input(field, "must be a non-negative amount"))
        }
        Some(v) if v > MAX_MONEY => Err(AppError::bad_input(field, "is implausibly large")),
        Some(v) => Ok(Some((v * 100.0).round() as i64)),
    }
}

pub fn budget_range(min: Option<i64>, max: Option<i64>, field: &str) -> AppResult<()> {
    match (min, max) {
        (Some(min), Some(max)) if min > max => Err(AppError::bad_input(
            field,
            "budgetMin must not exceed budgetMax",
        )),
        _ => Ok(()),
    }
}

pub fn attributes(field: &str, value: Value) -> AppResult<Value> {
    if !value.is_object() {
        return Err(AppError::bad_input(
            field,
            "attributes must be a JSON object",
        ));
    }
    if value.to_string().len() > MAX_ATTRIBUTES_BYTES {
        return Err(AppError::bad_input(
            field,
            format!("attributes must be at most {MAX_ATTRIBUTES_BYTES} bytes of JSON"),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn phones_with_a_country_become_e164_and_others_are_kept_as_written() {
        assert_eq!(
            phone("p", Some("+44 20 7946 0958")).unwrap().unwrap(),
            "+442079460958"
        );
        assert_eq!(
            phone("p", Some("0049 30 123456")).unwrap().unwrap(),
            "+4930123456"
        );
        assert_eq!(
            phone("p", Some("(555) 010-2030")).unwrap().unwrap(),
            "(555) 010-2030"
        );
        assert!(phone("p", Some("call me maybe")).is_err());
        assert!(phone("p", Some("12")).is_err());
        assert_eq!(phone("p", Some("   ")).unwrap(), None);
    }

    #[test]
    fn money_is_exact_non_negative_and_ranges_are_ordered() {
        assert_eq!(money("m", Some(45_000.5)).unwrap(), Some(4_500_050));
        assert!(money("m", Some(-1.0)).is_err());
        assert!(money("m", Some(f64::NAN)).is_err());
        assert!(budget_range(Some(10), Some(5), "input.budgetMin").is_err());
        assert!(budget_range(Some(5), None, "input.budgetMin").is_ok());
    }

    #[test]
    fn currencies_must_be_iso_codes_and_attributes_a_bounded_object() {
        assert_eq!(currency("c", " eur ").unwrap(), "EUR");
        assert!(currency("c", "EURO").is_err());
        assert!(currency("c", "XYZ").is_err());
        assert!(attributes("a", json!([1, 2])).is_err());
        assert!(attributes("a", json!({ "big": "x".repeat(MAX_ATTRIBUTES_BYTES) })).is_err());
        assert!(attributes("a", json!({ "fleetSize": 3 })).is_ok());
    }
}
