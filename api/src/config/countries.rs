//! This server's country and the countries it knows, as ISO 3166 alpha-2
//! codes checked where the configuration is read.

use std::collections::BTreeSet;

/// The countries of the reference federation (EU and EEA members that took
/// part): the default set a submission may name as visited.
pub const DEFAULT_SUPPORTED_COUNTRIES: [&str; 30] = [
    "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI",
];

/// This server's country (the origin of its users' keys, the region of its
/// bundles) and the countries it accepts as visited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Countries {
    home: CountryCode,
    supported: BTreeSet<CountryCode>,
}

impl Default for Countries {
    /// Germany, with the reference federation's countries.
    fn default() -> Self {
        Self::new("DE", DEFAULT_SUPPORTED_COUNTRIES).expect("the defaults are valid codes")
    }
}

impl Countries {
    /// Validates the codes (two upper-case ASCII letters each); the home
    /// country always counts as supported.
    pub fn new<I, S>(home: &str, supported: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let home = CountryCode::parse(home)?;
        let mut set = BTreeSet::new();
        for code in supported {
            set.insert(CountryCode::parse(code.as_ref())?);
        }
        set.insert(home);
        Ok(Self {
            home,
            supported: set,
        })
    }

    /// This server's country.
    pub fn home(&self) -> CountryCode {
        self.home
    }

    /// Whether `code` is a supported country, exactly as written (upper case).
    pub fn supports(&self, code: &str) -> bool {
        <[u8; 2]>::try_from(code.as_bytes())
            .is_ok_and(|bytes| self.supported.contains(&CountryCode(bytes)))
    }

    /// Every supported country, sorted.
    pub fn supported(&self) -> impl Iterator<Item = &str> {
        self.supported.iter().map(CountryCode::as_str)
    }
}

/// An ISO 3166 alpha-2 code: two upper-case ASCII letters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Two letters, upper-cased on the way in.
    pub fn parse(code: &str) -> Result<Self, String> {
        let trimmed = code.trim();
        match <[u8; 2]>::try_from(trimmed.as_bytes()) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_alphabetic) => {
                Ok(Self(bytes.map(|byte| byte.to_ascii_uppercase())))
            }
            _ => Err(format!(
                "{trimmed:?} is not an ISO 3166 alpha-2 country code (two letters)"
            )),
        }
    }

    /// The code as text (`DE`).
    pub fn as_str(&self) -> &str {
        // Two ASCII letters are always UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The code's two bytes, as keys carry their origin.
    pub fn as_bytes(&self) -> [u8; 2] {
        self.0
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl PartialEq<str> for CountryCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_two_letters_in_upper_case() {
        assert_eq!(
            CountryCode::parse(" de ").map(|code| code.to_string()),
            Ok("DE".to_owned())
        );
        for bad in ["", "D", "DEU", "D1", "É1"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad:?}");
        }
        let countries = Countries::new("at", ["DE", "fr"]).expect("valid");
        assert_eq!(countries.home().as_str(), "AT");
        assert!(countries.supports("AT") && countries.supports("FR"));
        assert!(
            !countries.supports("fr"),
            "codes on the wire are upper case"
        );
        assert!(!countries.supports("IT"));
    }
}
