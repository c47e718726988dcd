//! JSON bodies of the portal API (`/api/v1/portal/...`), used by the server
//! and by the Leptos portal so the two cannot drift apart. Serde only, no I/O.

use serde::{Deserialize, Serialize};

/// The header that carries the CSRF token on every state-changing request.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Most teleTANs one batch issues.
pub const MAX_TELETAN_BATCH: u32 = 50;

/// What a portal user may do (SPEC section 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Issues teleTANs on the phone.
    Hotline,
    /// Issues teleTANs, also in batches.
    HealthOfficer,
    /// Uploads test results.
    Lab,
    /// Users, roles, audit log, statistics.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Hotline, Role::HealthOfficer, Role::Lab, Role::Admin];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hotline => "hotline",
            Self::HealthOfficer => "health-officer",
            Self::Lab => "lab",
            Self::Admin => "admin",
        }
    }

    /// The role named `name` (as [`Role::as_str`] writes it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `POST /api/v1/portal/login`: the first factor.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    /// The user name.
    pub name: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("name", &self.name)
            .field("password", &"…")
            .finish()
    }
}

/// What the second step of the log-in is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum LoginNext {
    /// Type the code of the authenticator app.
    Totp,
    /// No second factor yet: add the secret to an app, then type its code.
    Enrol,
}

/// Answer to a correct password: a half-open session that only
/// `POST /api/v1/portal/login/totp` accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    /// The second step.
    pub next: LoginNext,
    /// The CSRF token of the half-open session.
    pub csrf_token: String,
    /// Present when `next` is [`LoginNext::Enrol`].
    pub enrolment: Option<TotpEnrolment>,
}

/// A new TOTP secret to add to an authenticator app (RFC 6238: SHA-1,
/// 6 digits, 30 seconds).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TotpEnrolment {
    /// The secret in base32, for typing in.
    pub secret: String,
    /// The `otpauth://totp/...` URI the QR code holds.
    pub uri: String,
    /// The QR code as SVG markup.
    pub qr_svg: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrolment(…)")
    }
}

/// `POST /api/v1/portal/login/totp`: the second factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TotpRequest {
    /// The six digits the app shows.
    pub code: String,
}

/// The logged-in user (`GET /api/v1/portal/session`, and the answer to a
/// completed log-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// The user name.
    pub name: String,
    /// The user's role.
    pub role: Role,
    /// Send in [`CSRF_HEADER`] on every POST, PUT and DELETE.
    pub csrf_token: String,
    /// Seconds without a request after which the session ends.
    pub idle_timeout: i64,
    /// The password was given by an administrator: until the user chose a
    /// new one (`POST /api/v1/portal/password`), every other route answers 403.
    #[serde(default)]
    pub password_change_required: bool,
    /// Unix seconds at which the session ends regardless of activity.
    pub expires_at: i64,
}

/// A teleTAN just issued (`POST /api/v1/portal/teletans`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TeleTanIssued {
    /// The teleTAN, 10 characters.
    pub value: String,
    /// Unix seconds after which it can no longer be redeemed.
    pub expires_at: i64,
}

impl std::fmt::Debug for TeleTanIssued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeleTanIssued")
            .field("value", &"…")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A portal user as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    /// Database id.
    pub id: i64,
    /// The user name.
    pub name: String,
    /// The role.
    pub role: Role,
    /// A disabled user cannot log in.
    pub disabled: bool,
    /// Whether a second factor is set up.
    pub totp_enrolled: bool,
    /// The user still has to replace an initial or reset password.
    #[serde(default)]
    pub password_change_required: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// `POST /api/v1/portal/users`: a new user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateUserRequest {
    /// The user name (1 to 64 characters: letters, digits, `.`, `-`, `_`, `@`).
    pub name: String,
    /// The role.
    pub role: Role,
}

/// The created user and the initial password, shown only in this answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreatedUser {
    /// The user.
    pub user: UserSummary,
    /// The password to hand over; the user sets up the second factor at the first log-in.
    pub initial_password: String,
}

impl std::fmt::Debug for CreatedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedUser")
            .field("user", &self.user)
            .field("initial_password", &"…")
            .finish()
    }
}

/// Fewest characters of a password.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Most characters of a password (the hash input stays small).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Why a new password is refused. The rule follows NIST SP 800-63B: length
/// counts, composition rules do not; a password must not contain the user
/// name nor be one character repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    TooLong,
    /// It contains the user name.
    ContainsName,
    /// Fewer than 5 different characters.
    TooFewDistinct,
}

impl PasswordProblem {
    /// The sentence in English (the API's message).
    pub fn message(self) -> &'static str {
        match self {
            Self::TooShort => "a password has at least 12 characters",
            Self::TooLong => "a password has at most 128 characters",
            Self::ContainsName => "a password must not contain the user name",
            Self::TooFewDistinct => "a password needs at least 5 different characters",
        }
    }

    /// The sentence in German (the portal's default language).
    pub fn german(self) -> &'static str {
        match self {
            Self::TooShort => "Ein Passwort hat mindestens 12 Zeichen.",
            Self::TooLong => "Ein Passwort hat höchstens 128 Zeichen.",
            Self::ContainsName => "Das Passwort darf den Benutzernamen nicht enthalten.",
            Self::TooFewDistinct => "Das Passwort braucht mindestens 5 verschiedene Zeichen.",
        }
    }
}

/// What is wrong with `password` as the new password of user `name`
/// (`None`: it keeps the rule). The server and the portal check the same.
pub fn password_problem(name: &str, password: &str) -> Option<PasswordProblem> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Some(PasswordProblem::TooShort);
    }
    if length > MAX_PASSWORD_CHARS {
        return Some(PasswordProblem::TooLong);
    }
    let name = name.trim().to_lowercase();
    if name.chars().count() >= 3 && password.to_lowercase().contains(&name) {
        return Some(PasswordProblem::ContainsName);
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Some(PasswordProblem::TooFewDistinct);
    }
    None
}

/// `POST /api/v1/portal/password`: the user's own password change.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    /// The password now (the initial one at the first log-in).
    pub current_password: String,
    /// The new password (see [`password_problem`]).
    pub new_password: String,
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePasswordRequest(…)")
    }
}

/// `POST /api/v1/portal/users/{id}/reset-password`: the user and a new
/// one-time password, shown only in this answer; the user must change it
/// at the next log-in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PasswordReset {
    /// The user (their sessions ended).
    pub user: UserSummary,
    /// The one-time password to hand over.
    pub one_time_password: String,
}

impl std::fmt::Debug for PasswordReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordReset")
            .field("user", &self.user)
            .field("one_time_password", &"…")
            .finish()
    }
}

/// One line of the audit log: who did what when, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Database id (increasing).
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// The acting user's name (or `warn` for the command line).
    pub actor: String,
    /// What happened, e.g. `teletan.issued`.
    pub action: String,
    /// Details that are not secret (a user name, a role).
    pub detail: String,
    /// How many (teleTANs of a batch, results of an upload).
    pub count: i64,
}

/// What the audit log records ([`AuditEntry::action`] holds its
/// [`AuditAction::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A user logged in (password and second factor).
    Login,
    /// A user ended every session of theirs.
    LogoutEverywhere,
    /// A user changed their password.
    PasswordChanged,
    /// A teleTAN was issued.
    TeleTanIssued,
    /// A batch of teleTANs was issued (the count says how many).
    TeleTanBatchIssued,
    /// A lab worker uploaded results (the count says how many).
    LabResultsUploaded,
    /// An administrator (or `warn user add`) created a user.
    UserCreated,
    /// An administrator disabled a user.
    UserDisabled,
    /// An administrator enabled a user.
    UserEnabled,
    /// An administrator reset a user's second factor.
    UserTotpReset,
    /// An administrator (or `warn user reset-password`) reset a password.
    UserPasswordReset,
    /// An administrator created a lab API key.
    LabKeyCreated,
    /// An administrator disabled a lab API key.
    LabKeyDisabled,
}

impl AuditAction {
    /// Every action, in the order the administration's filter offers them.
    pub const ALL: [AuditAction; 13] = [
        Self::Login,
        Self::LogoutEverywhere,
        Self::PasswordChanged,
        Self::TeleTanIssued,
        Self::TeleTanBatchIssued,
        Self::LabResultsUploaded,
        Self::UserCreated,
        Self::UserDisabled,
        Self::UserEnabled,
        Self::UserTotpReset,
        Self::UserPasswordReset,
        Self::LabKeyCreated,
        Self::LabKeyDisabled,
    ];

    /// The stored and wire name (`user.totp-reset`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::LogoutEverywhere => "logout.everywhere",
            Self::PasswordChanged => "password.changed",
            Self::TeleTanIssued => "teletan.issued",
            Self::TeleTanBatchIssued => "teletan.batch-issued",
            Self::LabResultsUploaded => "lab.results-uploaded",
            Self::UserCreated => "user.created",
            Self::UserDisabled => "user.disabled",
            Self::UserEnabled => "user.enabled",
            Self::UserTotpReset => "user.totp-reset",
            Self::UserPasswordReset => "user.password-reset",
            Self::LabKeyCreated => "lab-key.created",
            Self::LabKeyDisabled => "lab-key.disabled",
        }
    }

    /// The action of a stored or wire name; `None` for any other text.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == name)
    }
}

/// The names of [`AuditAction::ALL`], in its order (what the
/// administration's filter offers and sends).
pub const AUDIT_ACTIONS: [&str; 13] = {
    let mut names = [""; 13];
    let mut index = 0;
    while index < names.len() {
        names[index] = AuditAction::ALL[index].as_str();
        index += 1;
    }
    names
};

/// Filters of `GET /api/v1/portal/audit` (query parameters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    /// Only this user (the whole name, in any case).
    pub actor: Option<String>,
    /// Only this action (one of [`AUDIT_ACTIONS`]).
    pub action: Option<String>,
    /// From this unix second on.
    pub since: Option<i64>,
    /// Before this unix second.
    pub until: Option<i64>,
    /// Only entries older than this id (paging backwards).
    pub before_id: Option<i64>,
}

/// `POST /api/v1/portal/teletans/batch` (health officers): up to
/// [`MAX_TELETAN_BATCH`] teleTANs at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TeleTanBatchRequest {
    /// How many, 1 to [`MAX_TELETAN_BATCH`].
    pub count: u32,
}

/// A batch of teleTANs. When the global hourly limit runs out during the
/// batch, fewer than requested are issued and `retryAfter` says in how many
/// seconds the next teleTAN is possible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TeleTanBatch {
    /// The teleTANs issued, at most as many as requested.
    pub teletans: Vec<TeleTanIssued>,
    /// How many were requested.
    pub requested: u32,
    /// Set when a rate limit cut the batch short: seconds until the next
    /// teleTAN is possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// What the portal's lab upload (`POST /api/v1/portal/lab/results`)
/// answers: how many results were stored. The body is the lab API's
/// `LabResultsRequest` (hashed GUIDs; the clear GUID never leaves the page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LabUploadReceipt {
    /// Results accepted and stored (a redeemed result is left unchanged).
    pub stored: u64,
    /// Unix seconds of the upload.
    pub received_at: i64,
}

/// A lab and its API key's state, as administrators see it (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LabKeySummary {
    /// Database id.
    pub id: i64,
    /// The lab's name (reported as `labId` with its results).
    pub name: String,
    /// A disabled key is refused.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// `POST /api/v1/portal/labs`: a new lab with an API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateLabKeyRequest {
    /// The lab's name, 1 to 100 characters.
    pub name: String,
}

/// The new lab and its API key, shown only in this answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreatedLabKey {
    /// The lab.
    pub lab: LabKeySummary,
    /// The API key (`Authorization: Bearer ...`); only its hash is stored.
    pub key: String,
}

impl std::fmt::Debug for CreatedLabKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedLabKey")
            .field("lab", &self.lab)
            .field("key", &"…")
            .finish()
    }
}

/// Most days `GET /api/v1/portal/stats` returns.
pub const MAX_STATS_DAYS: i64 = 366;

/// Query of `GET /api/v1/portal/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct StatsQuery {
    /// How many days up to today (default 30, at most [`MAX_STATS_DAYS`]).
    pub days: Option<i64>,
}

/// The counts of one UTC day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DayStats {
    /// Unix seconds of 00:00 UTC.
    pub day: i64,
    /// teleTANs issued.
    pub teletans: i64,
    /// Registration tokens handed out.
    pub registrations: i64,
    /// Positive results stored.
    pub positive_results: i64,
    /// Diagnosis keys stored.
    pub keys_submitted: i64,
    /// Bundle files published.
    pub bundles_published: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_action_names_are_unique_and_parse_back() {
        let names: std::collections::BTreeSet<&str> = AUDIT_ACTIONS.into_iter().collect();
        assert_eq!(names.len(), AuditAction::ALL.len());
        for (action, name) in AuditAction::ALL.into_iter().zip(AUDIT_ACTIONS) {
            assert_eq!(action.as_str(), name);
            assert_eq!(AuditAction::parse(name), Some(action));
        }
        assert_eq!(AuditAction::parse("user.deleted"), None);
    }

    #[test]
    fn the_password_rule_counts_length_name_and_variety() {
        let cases = [
            ("anna", "short pass", Some(PasswordProblem::TooShort)),
            ("anna", &"x1y2z".repeat(26), Some(PasswordProblem::TooLong)),
            (
                "anna",
                "my name is ANNA ok",
                Some(PasswordProblem::ContainsName),
            ),
            (
                "anna",
                "abababababababab",
                Some(PasswordProblem::TooFewDistinct),
            ),
            ("anna", "correct horse battery staple", None),
            ("anna", "zwölf Zeichen", None),
            ("li", "li is my name here", None),
        ];
        for (name, password, expected) in cases {
            assert_eq!(password_problem(name, password), expected, "{password:?}");
        }
    }
}
