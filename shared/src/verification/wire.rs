//! JSON bodies of the verification and test-result services (SPEC sections
//! 2 and 3), with the field names the Corona-Warn-App uses. The server and
//! the portal both use these, so they cannot drift apart.

use serde::{Deserialize, Serialize};

/// A test result code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum TestResult {
    /// No result yet.
    Pending,
    /// Negative.
    Negative,
    /// Positive.
    Positive,
    /// The sample could not be evaluated.
    Invalid,
    /// Too old: results become redeemed after 21 days.
    Redeemed,
}

impl TestResult {
    /// The wire code, 0 to 4.
    pub fn code(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Negative => 1,
            Self::Positive => 2,
            Self::Invalid => 3,
            Self::Redeemed => 4,
        }
    }

    /// Whether a lab may report it (1 to 3).
    pub fn is_lab_result(self) -> bool {
        matches!(self, Self::Negative | Self::Positive | Self::Invalid)
    }
}

impl TryFrom<u8> for TestResult {
    type Error = String;

    fn try_from(code: u8) -> Result<Self, Self::Error> {
        Ok(match code {
            0 => Self::Pending,
            1 => Self::Negative,
            2 => Self::Positive,
            3 => Self::Invalid,
            4 => Self::Redeemed,
            other => return Err(format!("test result must be 0 to 4, got {other}")),
        })
    }
}

/// In the OpenAPI document: an integer 0 to 4.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for TestResult {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Integer))
            .minimum(Some(0))
            .maximum(Some(4))
            .description(Some(
                "0 pending, 1 negative, 2 positive, 3 invalid, 4 redeemed",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for TestResult {}

impl From<TestResult> for u8 {
    fn from(result: TestResult) -> Self {
        result.code()
    }
}

/// What a registration key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum KeyType {
    /// A hashed GUID from a test's QR code.
    Guid,
    /// A teleTAN read out by a hotline agent.
    Teletan,
}

/// `POST /version/v1/registrationToken`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RegistrationTokenRequest {
    /// The hashed GUID or the teleTAN.
    pub key: String,
    /// Which of the two `key` is.
    pub key_type: KeyType,
    /// With a GUID: the date-of-birth id (`x` and 63 hex digits, see
    /// [`super::TestGuid::dob_id`]); the result is then given only when the
    /// lab reported the same result under both. iOS sends `keyDob` (as
    /// cwa-verification-server's `RegistrationTokenRequest` names it); the
    /// last Android releases serialize the field as `dateOfBirthKey`
    /// (cwa-app-android `VerificationApiV1.kt`), so both names are read.
    #[serde(
        default,
        alias = "dateOfBirthKey",
        skip_serializing_if = "Option::is_none"
    )]
    pub key_dob: Option<String>,
}

/// Answer to [`RegistrationTokenRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RegistrationTokenResponse {
    /// The registration token (UUID v4).
    pub registration_token: String,
}

/// `POST /version/v1/testresult` and `POST /version/v1/tan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RegistrationTokenBody {
    /// The registration token.
    pub registration_token: String,
}

/// Answer to `POST /version/v1/testresult`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TestResultResponse {
    /// The result code.
    pub test_result: TestResult,
    /// Sample collection time, unix seconds, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sc: Option<i64>,
}

/// Answer to `POST /version/v1/tan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TanResponse {
    /// The TAN (UUID v4).
    pub tan: String,
}

/// `POST /version/v1/tan/verify` (internal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TanVerifyRequest {
    /// The TAN to confirm and burn.
    pub tan: String,
}

/// Answer to `POST /version/v1/tan/teletan` (internal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TeleTanResponse {
    /// The teleTAN.
    pub value: String,
}

/// One result in a lab's upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LabTestResult {
    /// The hashed GUID.
    pub id: String,
    /// 1 negative, 2 positive, 3 invalid.
    pub result: u8,
    /// Sample collection time, unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sc: Option<i64>,
}

/// `POST /api/v1/lab/results`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LabResultsRequest {
    /// The lab's own identifier (informational; the API key identifies the lab).
    #[serde(default)]
    pub lab_id: Option<String>,
    /// Up to 1,000 results.
    pub test_results: Vec<LabTestResult>,
}

/// Most results in one lab upload.
pub const MAX_LAB_RESULTS_PER_REQUEST: usize = 1_000;

/// `POST /api/v1/app/result` (internal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppResultRequest {
    /// The hashed GUID.
    pub id: String,
}

/// Answer to [`AppResultRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppResultResponse {
    /// The result code.
    pub test_result: TestResult,
    /// Sample collection time, unix seconds, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sc: Option<i64>,
    /// The lab that reported it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab_id: Option<String>,
}

/// The one shape of every error answer: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Machine-readable, stable (e.g. `teletan_check_character`).
    pub error: String,
    /// For people.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_the_app() {
        let request: RegistrationTokenRequest =
            serde_json::from_str(r#"{"key":"ABC","keyType":"TELETAN"}"#).unwrap();
        assert_eq!(request.key_type, KeyType::Teletan);
        let response = TestResultResponse {
            test_result: TestResult::Positive,
            sc: Some(1),
        };
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"testResult":2,"sc":1}"#
        );
        assert!(serde_json::from_str::<TestResultResponse>(r#"{"testResult":5}"#).is_err());
    }

    #[test]
    fn registration_reads_the_date_of_birth_id_under_both_app_names() {
        let dob = "xfa760e171f000ef5a7f863ab180f6f6e8185c4890224550395281d839d85458";
        // iOS (`KeyModel`) and cwa-verification-server: `keyDob`; Android's
        // last releases (Jackson): `dateOfBirthKey`, null when absent; both
        // add `requestPadding`.
        let ios: RegistrationTokenRequest = serde_json::from_str(&format!(
            r#"{{"key":"ab","keyType":"GUID","keyDob":"{dob}","requestPadding":"000"}}"#
        ))
        .unwrap();
        let android: RegistrationTokenRequest = serde_json::from_str(&format!(
            r#"{{"keyType":"GUID","key":"ab","dateOfBirthKey":"{dob}","requestPadding":"0"}}"#
        ))
        .unwrap();
        assert_eq!(ios, android);
        assert_eq!(ios.key_dob.as_deref(), Some(dob));
        let none: RegistrationTokenRequest = serde_json::from_str(
            r#"{"keyType":"GUID","key":"ab","dateOfBirthKey":null,"requestPadding":""}"#,
        )
        .unwrap();
        assert_eq!(none.key_dob, None);
        assert_eq!(
            serde_json::to_string(&ios).unwrap(),
            format!(r#"{{"key":"ab","keyType":"GUID","keyDob":"{dob}"}}"#)
        );
    }
}
