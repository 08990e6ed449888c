//! Money: exact minor units (cents) from the major units clients send, and
//! ISO 4217 currency codes.
use super::{Fallback, Invalid, Parse};

/// Budgets above a trillion are typos, not deals.
const MAX_MONEY: f64 = 1e12;

/// Active ISO 4217 codes.
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL";

/// A non-negative amount in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(i64);

impl Money {
    pub fn minor_units(self) -> i64 {
        self.0
    }
}

impl Parse for Money {
    type Raw = f64;

    fn parse(raw: f64) -> Result<Self, Invalid> {
        if !raw.is_finite() || raw < 0.0 {
            return Err(Invalid::new("must be a non-negative amount"));
        }
        if raw > MAX_MONEY {
            return Err(Invalid::new("is implausibly large"));
        }
        Ok(Self((raw * 100.0).round() as i64))
    }
}

super::stored_as_is!(Money: i64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyCode(String);

impl Parse for CurrencyCode {
    type Raw = String;

    fn parse(raw: String) -> Result<Self, Invalid> {
        let code = raw.trim().to_uppercase();
        if code.len() == 3 && CURRENCIES.split(' ').any(|c| c == code) {
            Ok(Self(code))
        } else {
            Err(Invalid(format!(
                "'{}' is not an ISO 4217 currency code",
                raw.trim()
            )))
        }
    }
}

super::stored_as_is!(CurrencyCode: String);

impl Fallback for CurrencyCode {
    fn fallback() -> Self {
        Self("USD".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_exact_and_non_negative() {
        assert_eq!(Money::parse(45_000.5).unwrap().minor_units(), 4_500_050);
        assert!(Money::parse(-1.0).is_err());
        assert!(Money::parse(f64::NAN).is_err());
        assert!(Money::parse(2e12).is_err());
    }

    #[test]
    fn currencies_must_be_iso_codes() {
        assert_eq!(CurrencyCode::parse(" eur ".into()).unwrap().0, "EUR");
        assert!(CurrencyCode::parse("EURO".into()).is_err());
        assert!(CurrencyCode::parse("XYZ".into()).is_err());
    }
}
