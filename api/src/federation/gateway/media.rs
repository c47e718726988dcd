//! The media types of the gateway contract, as EFGS negotiates them
//! (`ProtobufHttpMessageConverter`, `SemVerUtils`, `ProtobufConverter` in
//! efgs-federation-gateway): `application/protobuf` and `application/json`,
//! each with a `version` parameter that must be `1.0` (major and minor equal
//! to the gateway's). A batch as JSON is protobuf-java-format's
//! `JsonFormat` with the proto's field names, the key data as base64, the
//! report type by its enum name and default values left out.

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use proto::efgs::{DiagnosisKey, DiagnosisKeyBatch};
use serde_json::{Map, Value, json};

/// The two formats of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/protobuf; version=1.0`.
    Protobuf,
    /// `application/json; version=1.0`.
    Json,
}

impl Format {
    /// The content type the gateway answers with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Protobuf => "application/protobuf; version=1.0",
            Self::Json => "application/json; version=1.0",
        }
    }
}

/// Why a media type was refused, with the status EFGS answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// 400, 406 or 415.
    pub status: StatusCode,
    /// The error code of the one error shape (`{"error", "message"}`).
    pub error: &'static str,
    /// The sentence that says what is wrong.
    pub message: &'static str,
}

fn refused(status: StatusCode, error: &'static str, message: &'static str) -> Refused {
    Refused {
        status,
        error,
        message,
    }
}

/// A media type: `type/subtype` lower-cased and its `version` parameter.
fn parse(text: &str) -> (String, Option<String>) {
    let mut parts = text.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let version = parts.find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("version")
            .then(|| value.trim().trim_matches('"').to_owned())
    });
    (essence, version)
}

/// Whether `version` is compatible with the gateway's 1.0: exactly a major
/// and a minor number, both equal (`SemVerUtils.parseSemVerAndCheckCompatibility`);
/// `Err` when it does not parse.
fn compatible(version: &str) -> Result<bool, ()> {
    let mut numbers = version.split('.');
    let (Some(major), Some(minor), None) = (numbers.next(), numbers.next(), numbers.next()) else {
        return Err(());
    };
    let major: i32 = major.parse().map_err(|_| ())?;
    let minor: i32 = minor.parse().map_err(|_| ())?;
    Ok(major == 1 && minor == 0)
}

/// The format of an upload's body: 415 for another type (the controller
/// consumes only these two), 400 without a version or with one that does
/// not parse, 406 for an incompatible version.
pub fn request_format(headers: &HeaderMap) -> Result<Format, Refused> {
    let text = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let (essence, version) = parse(text);
    let format = match essence.as_str() {
        "application/protobuf" => Format::Protobuf,
        "application/json" => Format::Json,
        _ => {
            return Err(refused(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be application/protobuf; version=1.0 or application/json; version=1.0",
            ));
        }
    };
    let Some(version) = version else {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            "missing_version",
            "the Content-Type needs a version parameter (version=1.0)",
        ));
    };
    match compatible(&version) {
        Ok(true) => Ok(format),
        Ok(false) => Err(refused(
            StatusCode::NOT_ACCEPTABLE,
            "incompatible_version",
            "this gateway speaks version 1.0",
        )),
        Err(()) => Err(refused(
            StatusCode::BAD_REQUEST,
            "invalid_version",
            "the version must be MAJOR.MINOR",
        )),
    }
}

/// The format of a download's answer from `Accept`: the first entry that
/// names protobuf or JSON (a wildcard or no `Accept` picks protobuf) must
/// carry a compatible version, else 415 as EFGS's converter answers; 406
/// when no entry names either.
pub fn answer_format(headers: &HeaderMap) -> Result<Format, Refused> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("*/*");
    for entry in accept.split(',') {
        let (essence, version) = parse(entry);
        let format = match essence.as_str() {
            "application/protobuf" => Format::Protobuf,
            "application/json" => Format::Json,
            "*/*" | "application/*" | "" => Format::Protobuf,
            _ => continue,
        };
        return match version.as_deref().map(compatible) {
            Some(Ok(true)) => Ok(format),
            _ => Err(refused(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "ask for application/protobuf; version=1.0 or application/json; version=1.0",
            )),
        };
    }
    Err(refused(
        StatusCode::NOT_ACCEPTABLE,
        "not_acceptable",
        "this route answers application/protobuf or application/json (version=1.0)",
    ))
}

/// The proto's report type names, by number.
const REPORT_TYPES: [&str; 6] = [
    "UNKNOWN",
    "CONFIRMED_TEST",
    "CONFIRMED_CLINICAL_DIAGNOSIS",
    "SELF_REPORT",
    "RECURSIVE",
    "REVOKED",
];

/// A batch as JSON.
pub fn to_json(batch: &DiagnosisKeyBatch) -> Value {
    let keys: Vec<Value> = batch.keys.iter().map(key_to_json).collect();
    if keys.is_empty() {
        return json!({});
    }
    json!({ "keys": keys })
}

fn key_to_json(key: &DiagnosisKey) -> Value {
    let mut map = Map::new();
    if !key.key_data.is_empty() {
        map.insert("keyData".into(), STANDARD.encode(&key.key_data).into());
    }
    let mut number = |name: &str, value: i64| {
        if value != 0 {
            map.insert(name.into(), value.into());
        }
    };
    number(
        "rollingStartIntervalNumber",
        i64::from(key.rolling_start_interval_number),
    );
    number("rollingPeriod", i64::from(key.rolling_period));
    number(
        "transmissionRiskLevel",
        i64::from(key.transmission_risk_level),
    );
    if !key.visited_countries.is_empty() {
        map.insert(
            "visitedCountries".into(),
            key.visited_countries.clone().into(),
        );
    }
    if !key.origin.is_empty() {
        map.insert("origin".into(), key.origin.clone().into());
    }
    if key.report_type != 0 {
        let name = usize::try_from(key.report_type)
            .ok()
            .and_then(|index| REPORT_TYPES.get(index));
        map.insert(
            "reportType".into(),
            name.map_or_else(|| key.report_type.into(), |name| (*name).into()),
        );
    }
    if key.days_since_onset_of_symptoms != 0 {
        map.insert(
            "days_since_onset_of_symptoms".into(),
            key.days_since_onset_of_symptoms.into(),
        );
    }
    Value::Object(map)
}

/// A batch from JSON; the error says what is wrong. Unknown fields are
/// skipped; the report type may be its name or its number; the days since
/// onset may also be written `daysSinceOnsetOfSymptoms`.
pub fn from_json(bytes: &[u8]) -> Result<DiagnosisKeyBatch, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|error| error.to_string())?;
    let object = value.as_object().ok_or("the body is not a JSON object")?;
    let keys = match object.get("keys") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(keys)) => keys
            .iter()
            .enumerate()
            .map(|(index, key)| key_from_json(key).map_err(|error| format!("key {index}: {error}")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("keys is not an array".into()),
    };
    Ok(DiagnosisKeyBatch { keys })
}

fn key_from_json(value: &Value) -> Result<DiagnosisKey, String> {
    let object = value.as_object().ok_or("not an object")?;
    let integer = |name: &str, min: i64, max: i64| -> Result<i64, String> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(0),
            Some(value) => value
                .as_i64()
                .filter(|number| (min..=max).contains(number))
                .ok_or_else(|| format!("{name} is not an integer in {min}..={max}")),
        }
    };
    let text = |name: &str| -> Result<String, String> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(text)) => Ok(text.clone()),
            Some(_) => Err(format!("{name} is not a string")),
        }
    };
    let key_data = STANDARD
        .decode(text("keyData")?)
        .map_err(|_| "keyData is not base64")?;
    let visited = match object.get("visitedCountries") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|code| {
                code.as_str()
                    .map(str::to_owned)
                    .ok_or("visitedCountries holds a non-string")
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("visitedCountries is not an array".into()),
    };
    let report_type = match object.get("reportType") {
        None | Some(Value::Null) => 0,
        Some(Value::String(name)) => REPORT_TYPES
            .iter()
            .position(|known| known == name)
            .and_then(|index| i32::try_from(index).ok())
            .ok_or_else(|| format!("reportType {name:?} is not a report type"))?,
        Some(value) => value
            .as_i64()
            .and_then(|number| i32::try_from(number).ok())
            .ok_or("reportType is neither a name nor a number")?,
    };
    let onset_name = if object.contains_key("daysSinceOnsetOfSymptoms") {
        "daysSinceOnsetOfSymptoms"
    } else {
        "days_since_onset_of_symptoms"
    };
    let narrow = |value: i64| i32::try_from(value).unwrap_or_default();
    let unsigned = |value: i64| u32::try_from(value).unwrap_or_default();
    Ok(DiagnosisKey {
        key_data: key_data.into(),
        rolling_start_interval_number: unsigned(integer(
            "rollingStartIntervalNumber",
            0,
            i64::from(u32::MAX),
        )?),
        rolling_period: unsigned(integer("rollingPeriod", 0, i64::from(u32::MAX))?),
        transmission_risk_level: narrow(integer(
            "transmissionRiskLevel",
            i64::from(i32::MIN),
            i64::from(i32::MAX),
        )?),
        visited_countries: visited,
        origin: text("origin")?,
        report_type,
        days_since_onset_of_symptoms: narrow(integer(
            onset_name,
            i64::from(i32::MIN),
            i64::from(i32::MAX),
        )?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, value.parse().expect("a header value"));
        headers
    }

    #[test]
    fn upload_media_types_are_judged_as_efgs_judges_them() {
        let cases: [(&str, Result<Format, u16>); 9] = [
            ("application/protobuf; version=1.0", Ok(Format::Protobuf)),
            ("application/json; version=1.0", Ok(Format::Json)),
            ("Application/JSON;Version=\"1.0\"", Ok(Format::Json)),
            ("application/protobuf", Err(400)),
            ("application/protobuf; version=1", Err(400)),
            ("application/protobuf; version=x.0", Err(400)),
            ("application/protobuf; version=1.1", Err(406)),
            ("application/protobuf; version=2.0", Err(406)),
            ("text/plain; version=1.0", Err(415)),
        ];
        for (content_type, expected) in cases {
            let got = request_format(&headers(header::CONTENT_TYPE, content_type))
                .map_err(|refused| refused.status.as_u16());
            assert_eq!(got, expected, "{content_type}");
        }
    }

    #[test]
    fn download_answers_follow_accept() {
        let cases: [(&str, Result<Format, u16>); 6] = [
            ("application/protobuf; version=1.0", Ok(Format::Protobuf)),
            ("application/json; version=1.0", Ok(Format::Json)),
            ("text/html, application/json; version=1.0", Ok(Format::Json)),
            ("application/protobuf", Err(415)),
            ("*/*", Err(415)),
            ("text/html", Err(406)),
        ];
        for (accept, expected) in cases {
            let got = answer_format(&headers(header::ACCEPT, accept))
                .map_err(|refused| refused.status.as_u16());
            assert_eq!(got, expected, "{accept}");
        }
    }

    #[test]
    fn json_batches_round_trip_every_field() {
        let batch = DiagnosisKeyBatch {
            keys: vec![DiagnosisKey {
                key_data: vec![7; 16].into(),
                rolling_start_interval_number: 2_900_000,
                rolling_period: 144,
                transmission_risk_level: 0x7fff_ffff,
                visited_countries: vec!["NL".into(), "FR".into(), "NL".into()],
                origin: "DE".into(),
                report_type: 2,
                days_since_onset_of_symptoms: -3,
            }],
        };
        let value = to_json(&batch);
        assert_eq!(
            value["keys"][0]["reportType"],
            "CONFIRMED_CLINICAL_DIAGNOSIS"
        );
        assert_eq!(value["keys"][0]["days_since_onset_of_symptoms"], -3);
        assert_eq!(value["keys"][0]["keyData"], "BwcHBwcHBwcHBwcHBwcHBw==");
        let bytes = serde_json::to_vec(&value).expect("JSON");
        assert_eq!(from_json(&bytes), Ok(batch));
        assert!(from_json(b"{\"keys\": [{\"keyData\": \"!!\"}]}").is_err());
        assert!(from_json(b"[]").is_err());
    }
}
