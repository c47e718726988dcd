//! The lab upload's CSV file, read in the browser: one test per line, the
//! clear GUID hashed at once (only the hash leaves the page), every line
//! checked before anything is sent.
//!
//! Columns: `guid`, `result`, `sample time` (optional). A first line whose
//! first field is `guid` is a header. Separator `,` or `;` (whichever the
//! first line uses). `result` is `1`/`2`/`3` or `negative`/`positive`/
//! `invalid` (also German: `negativ`, `positiv`, `ungültig`). The sample
//! time is empty, unix seconds, or RFC 3339 (`2026-11-28T09:30:00Z`).

use std::collections::HashMap;

use crate::verification::HashedGuid;
use crate::verification::wire::{LabTestResult, TestResult};

/// Most lines one file may hold.
pub const MAX_ROWS: usize = 100_000;
/// Longest GUID accepted.
pub const MAX_GUID_LEN: usize = 128;

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
    /// The same GUID appeared on an earlier line.
    #[error("the same GUID as line {0}")]
    DuplicateGuid(u64),
    /// The result is not one of the three.
    #[error("result {0:?} is not 1/negative, 2/positive or 3/invalid")]
    InvalidResult(String),
    /// The sample time is neither unix seconds nor RFC 3339.
    #[error("sample time {0:?} is neither unix seconds nor RFC 3339 (2026-11-28T09:30:00Z)")]
    InvalidSampleTime(String),
    /// More fields than the three columns.
    #[error("more than three columns")]
    TooManyColumns,
}

/// One line of the file: its number (1-based, as an editor shows it) and
/// the result to send, or why it cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Line number in the file.
    pub line: u64,
    /// The result with the hashed GUID, or the error.
    pub outcome: Result<LabTestResult, RowError>,
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
) -> Result<LabTestResult, RowError> {
    if record.len() > 3 {
        return Err(RowError::TooManyColumns);
    }
    let guid = record.get(0).unwrap_or("");
    let hashed = hash_guid(guid)?;
    let result = parse_result(record.get(1).unwrap_or(""))?;
    let sc = parse_sample_time(record.get(2).unwrap_or(""))?;
    if let Some(earlier) = seen.get(hashed.expose()) {
        return Err(RowError::DuplicateGuid(*earlier));
    }
    seen.insert(hashed.expose().to_owned(), line);
    Ok(LabTestResult {
        id: hashed.expose().to_owned(),
        result: result.code(),
        sc,
    })
}

/// Checks a clear GUID and hashes it as a phone does.
pub fn hash_guid(guid: &str) -> Result<HashedGuid, RowError> {
    let guid = guid.trim();
    if guid.is_empty() {
        return Err(RowError::MissingGuid);
    }
    if guid.len() > MAX_GUID_LEN || !guid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(RowError::InvalidGuid);
    }
    Ok(HashedGuid::from_guid(guid))
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
        assert_eq!(first.id, hashed("AAA-1"));
        assert_eq!(first.result, 2);
        assert_eq!(first.sc, Some(1_795_858_200));
        assert_eq!(rows[1].outcome.clone().unwrap().sc, None);
        assert_eq!(rows[2].line, 5);
        assert_eq!(rows[2].outcome.clone().unwrap().result, 3);
    }

    #[test]
    fn semicolons_and_no_header() {
        let rows = parse("X-1;negativ\r\nX-2;2;\r\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].outcome.clone().unwrap().result, 1);
        assert_eq!(rows[1].outcome.clone().unwrap().id, hashed("X-2"));
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
             B-4,2,,extra\n\
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
    fn empty_and_header_only_files_are_refused() {
        assert_eq!(parse(""), Err(FileError::Empty));
        assert_eq!(parse("guid,result,sc\n\n"), Err(FileError::Empty));
    }
}
