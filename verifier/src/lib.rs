//! The browser verifier's core: what the public pages of the portal check,
//! with `shared` (the server's own code), kept free of any browser API so
//! that it is tested natively as well as in Chromium.
//!
//! - [`keys`]: the server's published keys and pasted PEM keys → a
//!   [`KeyRing`](shared::bundle::KeyRing).
//! - [`check`]: one key bundle → valid (and by which key) or why not, with
//!   its contents in numbers; reasons in German and English.
//! - [`job`]: the phone's work on new bundles: verify them, match their keys
//!   against the observation log and score the exposure windows, reporting
//!   progress as it goes.
//! - [`task`]: the Web Worker's protocol. The worker (`src/main.rs`) does
//!   all of the above off the page's thread, so that signature checks,
//!   inflate and protobuf never reach the page's own WebAssembly.
//!
//! Dependencies go one way: `task` uses `check`, `job` and `keys`; `job`
//! uses `check` and `keys`; none of them uses `task`. A failure is worded
//! as a [`Reason`] (both languages) where it happens, and `task` carries
//! it to the page.
//! - [`phone`]: the simulated phone's memory and rules (keys per day,
//!   beacons, padded submissions, when to check for bundles, risk card).

pub mod check;
pub mod job;
pub mod keys;
pub mod phone;
pub mod task;

use serde::{Deserialize, Serialize};

/// The language of a sentence for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Deutsch.
    German,
    /// English.
    English,
}

/// A reason for a person, in both languages of the portal: how [`check`]
/// and [`job`] word a failure, and what the worker sends a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// In German.
    pub german: String,
    /// In English.
    pub english: String,
}

impl Reason {
    /// The reason as `describe` words it in each language.
    pub fn of(describe: impl Fn(Language) -> String) -> Self {
        Self {
            german: describe(Language::German),
            english: describe(Language::English),
        }
    }

    /// The reason in `language`.
    pub fn describe(&self, language: Language) -> &str {
        match language {
            Language::German => &self.german,
            Language::English => &self.english,
        }
    }
}

/// `2026-11-20 13:00 UTC` for unix seconds.
pub fn utc(seconds: u64) -> String {
    let minute_of_day = (seconds % 86_400) / 60;
    format!(
        "{} {:02}:{:02} UTC",
        shared::en::matching::date_of_day(seconds / 86_400),
        minute_of_day / 60,
        minute_of_day % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formats_date_and_time() {
        assert_eq!(super::utc(1_763_643_600), "2025-11-20 13:00 UTC");
        assert_eq!(super::utc(0), "1970-01-01 00:00 UTC");
    }
}
