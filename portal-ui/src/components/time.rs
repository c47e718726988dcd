//! Dates from unix seconds, in UTC (civil-from-days, no calendar crate).

/// `(year, month, day, seconds of the day)` of unix seconds.
fn civil(seconds: i64) -> (i64, i64, i64, i64) {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rest)
}

/// `YYYY-MM-DD HH:MM` (UTC), as the audit log shows times.
pub fn utc_minute(seconds: i64) -> String {
    let (year, month, day, rest) = civil(seconds);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// `YYYY-MM-DD`.
pub fn utc_date(seconds: i64) -> String {
    let (year, month, day, _) = civil(seconds);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339).
pub fn utc_rfc3339(seconds: i64) -> String {
    let (year, month, day, rest) = civil(seconds);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// How [`when`] shows a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Date and time, e.g. "05.12.2026, 00:58" or "5 Dec 2026, 00:58".
    DateTime,
    /// The time of day, e.g. "00:58".
    Time,
    /// The date, e.g. "05.12.2026" or "5 Dec 2026".
    Date,
}

/// The one formatter for moments people read: unix `seconds` in the
/// language `lang` and the browser's time zone (`Intl.DateTimeFormat`),
/// never a raw ISO string. Machine-readable files (CSV) keep
/// [`utc_rfc3339`].
pub fn when(seconds: i64, lang: crate::i18n::Lang, shown: Shown) -> String {
    use wasm_bindgen::JsValue;
    let date = js_sys::Date::new(&JsValue::from_f64(seconds as f64 * 1000.0));
    let options = js_sys::Object::new();
    let set = |key: &str, value: &str| {
        let _ = js_sys::Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value));
    };
    match shown {
        Shown::DateTime => {
            set("dateStyle", "medium");
            set("timeStyle", "short");
        }
        Shown::Time => set("timeStyle", "short"),
        Shown::Date => set("dateStyle", "medium"),
    }
    let locale = match lang {
        crate::i18n::Lang::De => "de-DE",
        crate::i18n::Lang::En => "en-GB",
    };
    date.to_locale_string(locale, &options).into()
}
