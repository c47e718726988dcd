//! A test's GUID as its QR code carries it, the date-of-birth key the apps
//! derive from it, and the ids a lab reports results under.
//!
//! Facts from the official sources:
//! - QR content of a PCR test: `https://localhost/?<GUID>`, the GUID six hex
//!   digits, `-`, eight, `-`, three groups of four, `-`, twelve; prefix and
//!   digits in either case (cwa-app-android `PcrQrCodeExtractor.kt`).
//! - The phone registers `key` = SHA-256 of the GUID as written, 64 hex
//!   (`VerificationServer.kt`: `HashHelper.hash256(request.key)`).
//! - With the tested person's date of birth (the apps ask for it when a test
//!   certificate is wanted) it also sends `keyDob`: SHA-256 of the GUID
//!   followed by the date as `ddMMyyyy`, its first hex digit replaced by `x`
//!   (cwa-app-android `DateOfBirthKey.kt`; the same value in cwa-app-ios'
//!   `CoronaTestServiceTests`).
//! - The test result service takes ids matching
//!   `^[XxA-Fa-f0-9]([A-Fa-f0-9]{63})$` (cwa-testresult-server
//!   `model/TestResult.java`): a lab that knows the date of birth reports the
//!   result under both ids.

use sha2::{Digest, Sha256};

use super::token::{HashedGuid, Secret};

/// The prefix of a PCR test's QR content.
pub const QR_PREFIX: &str = "https://localhost/?";
/// Longest GUID typed by hand (sample forms of other formats).
pub const MAX_GUID_LEN: usize = 128;

/// Why a text is not a test's GUID, date of birth or result id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuidError {
    /// No GUID.
    #[error("the GUID is missing")]
    Missing,
    /// QR content that is not `https://localhost/?` and a GUID of the official form.
    #[error(
        "QR content must be https://localhost/? followed by a GUID like 3D6D08-3567F3F2-4DCF-43A3-8737-4CD1F87D6FDA"
    )]
    QrContent,
    /// A typed GUID with spaces, control characters, or too long.
    #[error("the GUID has spaces or unprintable characters, or is longer than 128 characters")]
    Characters,
    /// Not a calendar date `YYYY-MM-DD` from 1900 up to 9999.
    #[error("the date of birth is not a date YYYY-MM-DD")]
    DateOfBirth,
    /// Not a result id (`x` or a hex digit, then 63 hex digits).
    #[error("an id is 64 hexadecimal characters; a date-of-birth id starts with x")]
    TestId,
}

/// A test's GUID in clear, as printed on the sample form or read from the
/// QR code. Only its hashes leave the device.
#[derive(Clone, PartialEq, Eq)]
pub struct TestGuid(String);

impl std::fmt::Debug for TestGuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestGuid(…)")
    }
}

impl TestGuid {
    /// Reads QR content (`https://localhost/?GUID`, checked as the Android
    /// app checks it) or a GUID typed by hand (any printable text of at most
    /// [`MAX_GUID_LEN`] characters, as labs' forms print them).
    pub fn parse(text: &str) -> Result<Self, GuidError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(GuidError::Missing);
        }
        let is_qr = text
            .get(..QR_PREFIX.len() - 2)
            .is_some_and(|head| head.eq_ignore_ascii_case("https://localhost"));
        if is_qr {
            let guid = text
                .get(..QR_PREFIX.len())
                .filter(|head| head.eq_ignore_ascii_case(QR_PREFIX))
                .and_then(|_| text.get(QR_PREFIX.len()..))
                .filter(|guid| is_official_guid(guid))
                .ok_or(GuidError::QrContent)?;
            return Ok(Self(guid.to_owned()));
        }
        if text.len() > MAX_GUID_LEN || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(GuidError::Characters);
        }
        Ok(Self(text.to_owned()))
    }

    /// The GUID as written (its case is part of what is hashed).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What a phone registers as `key` and a lab reports under.
    pub fn hashed(&self) -> HashedGuid {
        HashedGuid::from_guid(&self.0)
    }

    /// What a phone registers as `keyDob` and a lab that knows the date of
    /// birth also reports under: `x` and the last 63 hex digits of
    /// SHA-256(GUID ‖ ddMMyyyy).
    pub fn dob_id(&self, dob: DateOfBirth) -> TestId {
        let text = format!("{}{}", self.0, dob.dd_mm_yyyy());
        let hash = hex::encode(Sha256::digest(text.as_bytes()));
        TestId(format!("x{}", &hash[1..]))
    }
}

/// `6-8-4-4-4-12` hex digits with dashes (either case).
fn is_official_guid(guid: &str) -> bool {
    let groups: Vec<&str> = guid.split('-').collect();
    let lengths = [6, 8, 4, 4, 4, 12];
    groups.len() == lengths.len()
        && groups.iter().zip(lengths).all(|(group, length)| {
            group.len() == length && group.bytes().all(|b| b.is_ascii_hexdigit())
        })
}

/// A date of birth: a real calendar date from 1900-01-01 to 9999-12-31.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DateOfBirth(time::Date);

impl std::fmt::Debug for DateOfBirth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DateOfBirth(…)")
    }
}

impl DateOfBirth {
    /// Reads `YYYY-MM-DD` (the value of an HTML date input; ISO 8601).
    pub fn parse(text: &str) -> Result<Self, GuidError> {
        let text = text.trim();
        let bytes = text.as_bytes();
        let shape = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(index, b)| index == 4 || index == 7 || b.is_ascii_digit());
        if !shape {
            return Err(GuidError::DateOfBirth);
        }
        let number = |range: std::ops::Range<usize>| text[range].parse::<i32>().ok();
        let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10))
        else {
            return Err(GuidError::DateOfBirth);
        };
        let month = u8::try_from(month)
            .ok()
            .and_then(|month| time::Month::try_from(month).ok())
            .ok_or(GuidError::DateOfBirth)?;
        let day = u8::try_from(day).map_err(|_| GuidError::DateOfBirth)?;
        let date =
            time::Date::from_calendar_date(year, month, day).map_err(|_| GuidError::DateOfBirth)?;
        if year < 1900 {
            return Err(GuidError::DateOfBirth);
        }
        Ok(Self(date))
    }

    /// The form the apps hash: `ddMMyyyy`.
    pub fn dd_mm_yyyy(&self) -> String {
        format!(
            "{:02}{:02}{:04}",
            self.0.day(),
            u8::from(self.0.month()),
            self.0.year()
        )
    }
}

/// An id a test result is reported and looked up under: a hashed GUID (64
/// hex digits) or a date-of-birth id (`x` and 63 hex digits). Kept
/// lower-case (`X` becomes `x`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TestId(String);

impl std::fmt::Debug for TestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestId(…)")
    }
}

impl TestId {
    /// Reads an id matching `^[XxA-Fa-f0-9][A-Fa-f0-9]{63}$`.
    pub fn parse(text: &str) -> Result<Self, GuidError> {
        let bytes = text.as_bytes();
        let valid = bytes.len() == 64
            && (bytes[0].is_ascii_hexdigit() || bytes[0].eq_ignore_ascii_case(&b'x'))
            && bytes[1..].iter().all(u8::is_ascii_hexdigit);
        if valid {
            Ok(Self(text.to_ascii_lowercase()))
        } else {
            Err(GuidError::TestId)
        }
    }

    /// Whether this is a date-of-birth id (starts with `x`).
    pub fn is_dob_id(&self) -> bool {
        self.0.starts_with('x')
    }

    /// The 64 characters.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<HashedGuid> for TestId {
    fn from(guid: HashedGuid) -> Self {
        Self(guid.expose().to_owned())
    }
}

impl Secret for TestId {
    fn secret_text(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dob(text: &str) -> DateOfBirth {
        DateOfBirth::parse(text).expect("a date")
    }

    #[test]
    fn dob_ids_match_the_apps_known_answers() {
        // cwa-app-android DateOfBirthKeyTest, test cases 1 and 2; case 1 is
        // also the keyDob cwa-app-ios' CoronaTestServiceTests expects.
        let cases = [
            (
                "E1277F-E1277F24-4AD2-40BC-AFF8-CBCCCD893E4B",
                "2000-01-01",
                "xfa760e171f000ef5a7f863ab180f6f6e8185c4890224550395281d839d85458",
            ),
            (
                "F1EE0D-F1EE0D4D-4346-4B63-B9CF-1522D9200915",
                "1995-06-07",
                "x4a7788ef394bc7d52112014b127fe2bf142c51fe1bbb385214280e9db670193",
            ),
        ];
        for (guid, date, expected) in cases {
            let guid = TestGuid::parse(guid).expect("a GUID");
            let id = guid.dob_id(dob(date));
            assert_eq!(id.expose(), expected, "{date}");
            assert!(id.is_dob_id());
            assert_eq!(TestId::parse(expected), Ok(id));
        }
    }

    #[test]
    fn qr_content_is_read_as_the_android_app_reads_it() {
        let guid = "3D6D08-3567F3F2-4DCF-43A3-8737-4CD1F87D6FDA";
        for text in [
            format!("https://localhost/?{guid}"),
            format!("HTTPS://LOCALHOST/?{guid}"),
            format!("https://localhost/?{}", guid.to_lowercase()),
            format!("  https://localhost/?{guid}\n"),
        ] {
            let parsed = TestGuid::parse(&text).expect(&text);
            assert!(parsed.expose().eq_ignore_ascii_case(guid), "{text}");
        }
        // The case of the GUID is hashed as written, as the app does.
        assert_eq!(
            TestGuid::parse(&format!("https://localhost/?{guid}"))
                .unwrap()
                .hashed()
                .expose(),
            "49cadef62bc9cdd16c73a044d1ff85e229cfc7a308ef4413d42af8276c9e4e98"
        );
        for bad in [
            "https://localhost/?",
            "https://localhost?3D6D08-3567F3F2-4DCF-43A3-8737-4CD1F87D6FDA",
            "https://localhost/?3D6D08-3567F3F2-4DCF-43A3-8737-4CD1F87D6FD",
            "https://localhost/?3D6D08-3567F3F2-4DCF-43A3-8737-4CD1F87D6FDAB",
            "https://localhost/?3D6D08-3567F3F2-4DCF-43A3-8737-4CD1F87D6FDG",
            "https://localhost/?3D6D083567F3F24DCF43A387374CD1F87D6FDA",
            "https://localhost/?3D6D08-3567F3F2-4DCF-43A3-8737-4CD1F87D6FDA&x=1",
        ] {
            assert_eq!(TestGuid::parse(bad), Err(GuidError::QrContent), "{bad}");
        }
        assert_eq!(TestGuid::parse("  "), Err(GuidError::Missing));
        assert_eq!(TestGuid::parse("has space"), Err(GuidError::Characters));
        assert_eq!(
            TestGuid::parse("LAB-FORM-1").unwrap().expose(),
            "LAB-FORM-1"
        );
    }

    #[test]
    fn dates_of_birth_are_real_dates() {
        assert_eq!(dob("2000-01-01").dd_mm_yyyy(), "01012000");
        assert_eq!(dob("1995-06-07").dd_mm_yyyy(), "07061995");
        assert_eq!(dob("2024-02-29").dd_mm_yyyy(), "29022024");
        for bad in [
            "2023-02-29",
            "2000-13-01",
            "2000-00-10",
            "01.01.2000",
            "2000-1-1",
            "1899-12-31",
            "",
        ] {
            assert_eq!(
                DateOfBirth::parse(bad),
                Err(GuidError::DateOfBirth),
                "{bad}"
            );
        }
    }

    #[test]
    fn result_ids_follow_the_test_result_services_pattern() {
        let hex = "a".repeat(64);
        assert!(!TestId::parse(&hex).unwrap().is_dob_id());
        let upper = format!("X{}", "B".repeat(63));
        assert_eq!(
            TestId::parse(&upper).unwrap().expose(),
            format!("x{}", "b".repeat(63))
        );
        for bad in [
            format!("y{}", "a".repeat(63)),
            format!("x{}", "a".repeat(62)),
            format!("xx{}", "a".repeat(62)),
            "g".repeat(64),
        ] {
            assert_eq!(TestId::parse(&bad), Err(GuidError::TestId), "{bad}");
        }
        assert!(!format!("{:?}", TestId::parse(&hex).unwrap()).contains(&hex));
    }
}
