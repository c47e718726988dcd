//! The lab upload's CSV file, read in the browser: one test per line, the
//! clear GUID hashed at once (only the hash leaves the page), every line
//! checked before anything is sent.
//!
//! Columns: `guid`, `result`, `sample time` (optional), `date of birth`
//! (optional, `YYYY-MM-DD`). A first line whose first field is `guid` is a
//! header. The GUID may be the QR code's content (`https://localhost/?GUID`).
//! With a date of birth the result is sent twice, under the hashed GUID and
//! under the date-of-birth id the apps derive (cwa-testresult-server takes
//! both; a phone that registered with its date of birth gets the result
//! only when both match). Separator `,` or `;` (whichever the
//! first line uses). `result` is `1`/`2`/`3` or `negative`/`positive`/
//! `invalid` (also German: `negativ`, `positiv`, `ungültig`). The sample
//! time is empty, unix seconds, or RFC 3339 (`2026-11-28T09:30:00Z`).

use std::collections::HashMap;

use crate::verification::wire::{LabTestResult, TestResult};
use crate::verification::{DateOfBirth, GuidError, HashedGuid, TestGuid};

/// Most lines one file may hold.
pub const MAX_ROWS: usize = 100_000;
/// Longest GUID accepted.
pub const MAX_GUID_LEN: usize = crate::verification::guid::MAX_GUID_LEN;
/// Characters of the GUID the preview shows, so rows can be matched to samples.
pub const GUID_START: usize = 8;

/// Why a line cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// The line is not CSV.
    #[error("not readable as CSV: {0}")]
    Malformed(String),
    /// No GUID.
    #[error("the GUID is missing")]
    MissingGuid,
    /// The GUID has spaces, control characters or is too long.
    #[error("the GUID has spaces or unprintable characters, or is longer than 128 characters")]
    InvalidGuid,
    /// QR content that is not `https://localhost/?` and a GUID.
    #[error("the QR content is not https://localhost/? followed by a GUID")]
    InvalidQrContent,
    /// The date of birth is not a date.
    #[error("date of birth {0:?} is not a date YYYY-MM-DD")]
    InvalidDateOfBirth(String),
    /// The same GUID appeared on an earlier line.
    #[error("the same GUID as line {0}")]
    DuplicateGuid(u64),
    /// The result is not one of the three.
    #[error("result {0:?} is not 1/negative, 2/positive or 3/invalid")]
    InvalidResult(String),
    /// The sample time is neither unix seconds nor RFC 3339.
    #[error("sample time {0:?} is neither unix seconds nor RFC 3339 (2026-11-28T09:30:00Z)")]
    InvalidSampleTime(String),
    /// More fields than the four columns.
    #[error("more than four columns")]
    TooManyColumns,
}

/// One line of the file: its number (1-based, as an editor shows it) and
/// the result to send, or why it cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Line number in the file.
    pub line: u64,
    /// The result with the hashed GUID, or the error.
    pub outcome: Result<RowResult, RowError>,
}

/// What one valid line sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowResult {
    /// The first [`GUID_START`] characters of the clear GUID, for the
    /// preview only (never sent).
    pub guid_start: String,
    /// The result under the hashed GUID.
    pub result: LabTestResult,
    /// With a date of birth: the same result under the date-of-birth id.
    pub dob_result: Option<LabTestResult>,
}

impl RowResult {
    /// The one or two results this line sends.
    pub fn results(&self) -> impl Iterator<Item = &LabTestResult> {
        std::iter::once(&self.result).chain(self.dob_result.as_ref())
    }
}

/// The first characters of a clear GUID, with `…` when there are more.
pub fn guid_start(guid: &str) -> String {
    let start: String = guid.chars().take(GUID_START).collect();
    if guid.chars().count() > GUID_START {
        format!("{start}…")
    } else {
        start
    }
}

/// Why the file as a whole cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// No line with a result.
    #[error("the file holds no results")]
    Empty,
    /// Too many lines.
    #[error("the file holds more than {MAX_ROWS} results")]
    TooLarge,
}

/// Reads the whole file; each data line becomes a [`Row`].
pub fn parse(text: &str) -> Result<Vec<Row>, FileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_line = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    let delimiter = if first_line.contains(';') && !first_line.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    // The reader's own line count skips blank lines; an editor does not.
    let mut lines = LineCounter::new(text);
    for (index, record) in reader.records().enumerate() {
        let (line, outcome) = match record {
            Err(error) => {
                let line = error
                    .position()
                    .map_or(index as u64 + 1, |p| lines.line_at(p.byte()));
                (line, Err(RowError::Malformed(error.to_string())))
            }
            Ok(record) => {
                let line = record
                    .position()
                    .map_or(index as u64 + 1, |p| lines.line_at(p.byte()));
                if record.iter().all(str::is_empty) {
                    continue;
                }
                let header = index == 0
                    && record
                        .get(0)
                        .is_some_and(|field| field.eq_ignore_ascii_case("guid"));
                if header {
                    continue;
                }
                (line, row(&record, line, &mut seen))
            }
        };
        if rows.len() == MAX_ROWS {
            return Err(FileError::TooLarge);
        }
        rows.push(Row { line, outcome });
    }
    if rows.is_empty() {
        return Err(FileError::Empty);
    }
    Ok(rows)
}

/// Line numbers of byte offsets, for offsets that only grow.
struct LineCounter<'a> {
    text: &'a str,
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            byte: 0,
            line: 1,
        }
    }

    /// The 1-based line of byte offset `byte`.
    fn line_at(&mut self, byte: u64) -> u64 {
        let byte = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // The reader places a record right after the one before it, so
        // blank lines in between come first.
        let bytes = self.text.as_bytes();
        let mut start = byte;
        while matches!(bytes.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        if start > self.byte {
            let skipped = bytes.get(self.byte..start).unwrap_or_default();
            self.line += skipped.iter().filter(|b| **b == b'\n').count() as u64;
            self.byte = start;
        }
        self.line
    }
}

fn row(
    record: &csv::StringRecord,
    line: u64,
    seen: &mut HashMap<String, u64>,
) -> Result<RowResult, RowError> {
    if record.len() > 4 {
        return Err(RowError::TooManyColumns);
    }
    let guid = parse_guid(record.get(0).unwrap_or(""))?;
    let hashed = guid.hashed();
    let result = parse_result(record.get(1).unwrap_or(""))?;
    let sc = parse_sample_time(record.get(2).unwrap_or(""))?;
    let dob = parse_date_of_birth(record.get(3).unwrap_or(""))?;
    if let Some(earlier) = seen.get(hashed.expose()) {
        return Err(RowError::DuplicateGuid(*earlier));
    }
    seen.insert(hashed.expose().to_owned(), line);
    let result_under = |id: &str| LabTestResult {
        id: id.to_owned(),
        result: result.code(),
        sc,
    };
    Ok(RowResult {
        guid_start: guid_start(guid.expose()),
        result: result_under(hashed.expose()),
        dob_result: dob.map(|dob| result_under(guid.dob_id(dob).expose())),
    })
}

/// Checks a clear GUID (or QR content) as [`TestGuid::parse`] does.
pub fn parse_guid(text: &str) -> Result<TestGuid, RowError> {
    TestGuid::parse(text).map_err(|error| match error {
        GuidError::Missing => RowError::MissingGuid,
        GuidError::QrContent => RowError::InvalidQrContent,
        _ => RowError::InvalidGuid,
    })
}

/// Checks a clear GUID and hashes it as a phone does.
pub fn hash_guid(guid: &str) -> Result<HashedGuid, RowError> {
    parse_guid(guid).map(|guid| guid.hashed())
}

/// Empty (none) or `YYYY-MM-DD`.
pub fn parse_date_of_birth(text: &str) -> Result<Option<DateOfBirth>, RowError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    DateOfBirth::parse(text)
        .map(Some)
        .map_err(|_| RowError::InvalidDateOfBirth(text.to_owned()))
}

/// `1`/`2`/`3` or the result's name in English or German.
pub fn parse_result(text: &str) -> Result<TestResult, RowError> {
    match text.trim().to_lowercase().as_str() {
        "1" | "negative" | "negativ" => Ok(TestResult::Negative),
        "2" | "positive" | "positiv" => Ok(TestResult::Positive),
        "3" | "invalid" | "ungültig" | "ungueltig" => Ok(TestResult::Invalid),
        _ => Err(RowError::InvalidResult(text.to_owned())),
    }
}

/// Empty (none), unix seconds, or RFC 3339.
pub fn parse_sample_time(text: &str) -> Result<Option<i64>, RowError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(seconds) = text.parse::<i64>() {
        return if seconds >= 0 {
            Ok(Some(seconds))
        } else {
            Err(RowError::InvalidSampleTime(text.to_owned()))
        };
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|time| time.unix_timestamp())
        .filter(|seconds| *seconds >= 0)
        .map(Some)
        .ok_or_else(|| RowError::InvalidSampleTime(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed(guid: &str) -> String {
        HashedGuid::from_guid(guid).expose().to_owned()
    }

    #[test]
    fn reads_header_results_and_times() {
        let rows = parse(
            "guid,result,sample time\n\
             AAA-1,positive,2026-11-28T09:30:00Z\n\
             AAA-2,1,\n\
             \n\
             AAA-3,ungültig,1764322200\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].line, 2);
        let first = rows[0].outcome.clone().unwrap();
        assert_eq!(first.result.id, hashed("AAA-1"));
        assert_eq!(first.result.result, 2);
        assert_eq!(first.result.sc, Some(1_795_858_200));
        assert_eq!(first.guid_start, "AAA-1");
        assert_eq!(first.dob_result, None);
        assert_eq!(rows[1].outcome.clone().unwrap().result.sc, None);
        assert_eq!(rows[2].line, 5);
        assert_eq!(rows[2].outcome.clone().unwrap().result.result, 3);
    }

    #[test]
    fn semicolons_and_no_header() {
        let rows = parse("X-1;negativ\r\nX-2;2;\r\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].outcome.clone().unwrap().result.result, 1);
        assert_eq!(rows[1].outcome.clone().unwrap().result.id, hashed("X-2"));
    }

    #[test]
    fn every_broken_line_says_why() {
        let rows = parse(
            "guid,result\n\
             ,positive\n\
             has space,positive\n\
             B-1,maybe\n\
             B-2,2,yesterday\n\
             B-3,2,-5\n\
             B-4,2,,,extra\n\
             B-5,2\n\
             B-5,1\n",
        )
        .unwrap();
        let errors: Vec<_> = rows.iter().map(|row| row.outcome.clone().err()).collect();
        assert_eq!(errors[0], Some(RowError::MissingGuid));
        assert_eq!(errors[1], Some(RowError::InvalidGuid));
        assert_eq!(errors[2], Some(RowError::InvalidResult("maybe".into())));
        assert_eq!(
            errors[3],
            Some(RowError::InvalidSampleTime("yesterday".into()))
        );
        assert_eq!(errors[4], Some(RowError::InvalidSampleTime("-5".into())));
        assert_eq!(errors[5], Some(RowError::TooManyColumns));
        assert_eq!(errors[6], None);
        assert_eq!(errors[7], Some(RowError::DuplicateGuid(8)));
        assert_eq!(rows[7].line, 9);
    }

    #[test]
    fn a_date_of_birth_sends_the_result_under_both_ids() {
        // cwa-app-android DateOfBirthKeyTest, case 2, as QR content.
        let rows = parse(
            "guid,result,sample time,date of birth\n\
             https://localhost/?F1EE0D-F1EE0D4D-4346-4B63-B9CF-1522D9200915,positiv,,1995-06-07\n\
             C-1,2,,07.06.1995\n\
             https://localhost/?C-2,2\n",
        )
        .unwrap();
        let first = rows[0].outcome.clone().unwrap();
        assert_eq!(first.guid_start, "F1EE0D-F…");
        assert_eq!(
            first.result.id,
            hashed("F1EE0D-F1EE0D4D-4346-4B63-B9CF-1522D9200915")
        );
        let dob = first.dob_result.clone().expect("the date-of-birth result");
        assert_eq!(
            dob.id,
            "x4a7788ef394bc7d52112014b127fe2bf142c51fe1bbb385214280e9db670193"
        );
        assert_eq!(dob.result, 2);
        assert_eq!(first.results().count(), 2);
        assert_eq!(
            rows[1].outcome,
            Err(RowError::InvalidDateOfBirth("07.06.1995".into()))
        );
        assert_eq!(rows[2].outcome, Err(RowError::InvalidQrContent));
    }

    #[test]
    fn empty_and_header_only_files_are_refused() {
        assert_eq!(parse(""), Err(FileError::Empty));
        assert_eq!(parse("guid,result,sc\n\n"), Err(FileError::Empty));
    }
}
