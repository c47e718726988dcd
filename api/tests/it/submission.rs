//! The submission service over HTTP, on SQLite and on PostgreSQL: every
//! rule of SPEC section 4, the TAN handshake, fake requests.

use prost::Message;
use proto::exposurenotification::TemporaryExposureKey;
use proto::submission::SubmissionPayload;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row;

use crate::app::TestApp;

on_both_databases!(
    fourteen_keys_are_stored_with_what_travels_with_them,
    a_tan_submits_once,
    an_unknown_or_missing_tan_is_refused,
    every_rule_is_checked_before_the_tan_is_spent,
    future_and_old_keys_are_dropped_silently,
    fake_submissions_look_like_real_ones_and_store_nothing,
    concurrent_submissions_with_one_tan_store_one_set,
    a_payload_with_no_key_in_the_window_is_refused_and_keeps_the_tan,
    a_storage_failure_keeps_the_tan,
);

const PROTOBUF: &str = "application/x-protobuf";

pub(crate) fn today_interval() -> i32 {
    let now = api::clock::now();
    i32::try_from(now / 86_400 * 144).expect("fits")
}

pub(crate) fn random_key_data() -> Vec<u8> {
    shared::random::bytes::<16>().to_vec()
}

pub(crate) fn key(start: i32, level: i32) -> TemporaryExposureKey {
    TemporaryExposureKey {
        key_data: Some(random_key_data().into()),
        transmission_risk_level: Some(level),
        rolling_start_interval_number: Some(start),
        rolling_period: Some(144),
        report_type: None,
        days_since_onset_of_symptoms: None,
    }
}

/// The keys of the last 14 days, today's first, with the app's TRL profile.
pub(crate) fn fourteen_keys() -> Vec<TemporaryExposureKey> {
    let today = today_interval();
    (0..14)
        .map(|day| {
            key(
                today - day * 144,
                [6, 8, 8, 8, 5, 3, 1, 1, 1, 1, 1, 1, 1, 1][day as usize],
            )
        })
        .collect()
}

pub(crate) fn payload(keys: Vec<TemporaryExposureKey>) -> SubmissionPayload {
    SubmissionPayload {
        keys,
        request_padding: vec![0u8; 100].into(),
        visited_countries: vec!["FR".into(), "NL".into()],
        origin: "DE".into(),
        consent_to_federation: true,
        submission_type: 0,
    }
}

pub(crate) async fn submit(
    app: &TestApp,
    tan: &str,
    payload: &SubmissionPayload,
) -> (StatusCode, Value) {
    let (status, _, body) = app
        .submit_raw(Some(tan), false, PROTOBUF, payload.encode_to_vec())
        .await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn keys_stored(app: &TestApp) -> i64 {
    app.count("diagnosis_keys").await
}

async fn fourteen_keys_are_stored_with_what_travels_with_them(app: &TestApp) {
    let tan = app.new_tan().await;
    let keys = fourteen_keys();
    let (status, body) = submit(app, &tan, &payload(keys.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(keys_stored(app).await, 14);

    let rows = sqlx::query(
        "SELECT key_data, transmission_risk_level, rolling_start_interval_number, rolling_period, \
         report_type, days_since_onset_of_symptoms, origin_country, visited_countries, \
         consent_to_federation, submission_type, submitted_hour, distributable_hour \
         FROM diagnosis_keys",
    )
    .fetch_all(app.server.db.pool())
    .await
    .expect("keys");
    let now_hour = api::clock::now() / 3600;
    for key in &keys {
        let data = key.key_data.clone().expect("data").to_vec();
        let row = rows
            .iter()
            .find(|row| row.get::<Vec<u8>, _>("key_data") == data)
            .expect("every key is stored");
        let level: i64 = row.get("transmission_risk_level");
        let start: i64 = row.get("rolling_start_interval_number");
        assert_eq!(level, i64::from(key.transmission_risk_level.unwrap()));
        assert_eq!(start, i64::from(key.rolling_start_interval_number.unwrap()));
        assert_eq!(row.get::<i64, _>("rolling_period"), 144);
        assert_eq!(row.get::<i64, _>("report_type"), 1, "confirmed test");
        assert_eq!(
            row.get::<Option<i64>, _>("days_since_onset_of_symptoms"),
            None
        );
        assert_eq!(row.get::<String, _>("origin_country"), "DE");
        assert_eq!(row.get::<String, _>("visited_countries"), "DE,FR,NL");
        assert_eq!(row.get::<i64, _>("consent_to_federation"), 1);
        assert_eq!(row.get::<i64, _>("submission_type"), 0);
        let submitted: i64 = row.get("submitted_hour");
        assert!((now_hour - 1..=now_hour).contains(&submitted));
        let embargo_end = (start + 144) * 600 + 7200;
        let embargo_hour = (embargo_end + 3599) / 3600;
        assert_eq!(
            row.get::<i64, _>("distributable_hour"),
            embargo_hour.max(submitted + 1)
        );
    }
}

async fn a_tan_submits_once(app: &TestApp) {
    let tan = app.new_tan().await;
    assert_eq!(
        submit(app, &tan, &payload(fourteen_keys())).await.0,
        StatusCode::OK
    );
    let (status, body) = submit(app, &tan, &payload(fourteen_keys())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "forbidden");
    assert_eq!(keys_stored(app).await, 14);
}

async fn an_unknown_or_missing_tan_is_refused(app: &TestApp) {
    let unknown = shared::verification::Uuid4::generate();
    let body = payload(fourteen_keys()).encode_to_vec();
    for (tan, expected) in [
        (Some(unknown.expose()), StatusCode::FORBIDDEN),
        (Some("not-a-uuid"), StatusCode::FORBIDDEN),
        (None, StatusCode::BAD_REQUEST),
        (Some(""), StatusCode::BAD_REQUEST),
    ] {
        let (status, _, answer) = app.submit_raw(tan, false, PROTOBUF, body.clone()).await;
        assert_eq!(
            status,
            expected,
            "TAN {tan:?}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    assert_eq!(keys_stored(app).await, 0);
}

/// One broken rule per case: 400 (or 413/415) with its code, nothing
/// stored, and the TAN still usable afterwards.
async fn every_rule_is_checked_before_the_tan_is_spent(app: &TestApp) {
    let today = today_interval();
    let with = |change: &dyn Fn(&mut SubmissionPayload)| {
        let mut payload = payload(fourteen_keys());
        change(&mut payload);
        payload.encode_to_vec()
    };
    let duplicate = {
        let mut keys = fourteen_keys();
        keys[3].key_data = keys[2].key_data.clone();
        payload(keys).encode_to_vec()
    };
    let cases: Vec<(&str, Vec<u8>, &str, StatusCode, &str)> = vec![
        (
            "no keys",
            with(&|p| p.keys.clear()),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "key_count",
        ),
        (
            "15 keys",
            with(&|p| p.keys.push(key(today - 14 * 144, 1))),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "key_count",
        ),
        (
            "15-byte key",
            with(&|p| p.keys[0].key_data = Some(vec![1u8; 15].into())),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "key_length",
        ),
        (
            "17-byte key",
            with(&|p| p.keys[0].key_data = Some(vec![1u8; 17].into())),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "key_length",
        ),
        (
            "no key data",
            with(&|p| p.keys[0].key_data = None),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "key_length",
        ),
        (
            "same key twice",
            duplicate,
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "duplicate_key",
        ),
        (
            "start not at midnight",
            with(&|p| p.keys[1].rolling_start_interval_number = Some(today - 143)),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "rolling_start",
        ),
        (
            "negative start",
            with(&|p| p.keys[1].rolling_start_interval_number = Some(-144)),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "rolling_start",
        ),
        (
            "rolling period 0",
            with(&|p| p.keys[1].rolling_period = Some(0)),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "rolling_period",
        ),
        (
            "rolling period 145",
            with(&|p| p.keys[1].rolling_period = Some(145)),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "rolling_period",
        ),
        (
            "risk level 0",
            with(&|p| p.keys[1].transmission_risk_level = Some(0)),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "transmission_risk_level",
        ),
        (
            "risk level 9",
            with(&|p| p.keys[1].transmission_risk_level = Some(9)),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "transmission_risk_level",
        ),
        (
            "no risk level",
            with(&|p| p.keys[1].transmission_risk_level = None),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "transmission_risk_level",
        ),
        (
            "onset -15 days",
            with(&|p| p.keys[1].days_since_onset_of_symptoms = Some(-15)),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "days_since_onset",
        ),
        (
            "onset 4001 days",
            with(&|p| p.keys[1].days_since_onset_of_symptoms = Some(4001)),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "days_since_onset",
        ),
        (
            "unsupported visited country",
            with(&|p| p.visited_countries.push("US".into())),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "country",
        ),
        (
            "lower-case country",
            with(&|p| p.visited_countries.push("fr".into())),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "country",
        ),
        (
            "unsupported origin",
            with(&|p| p.origin = "XX".into()),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "country",
        ),
        (
            "unknown submission type",
            with(&|p| p.submission_type = 7),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "submission_type",
        ),
        (
            "not protobuf",
            b"\xff\xff\xff\xff".to_vec(),
            PROTOBUF,
            StatusCode::BAD_REQUEST,
            "malformed_protobuf",
        ),
        (
            "JSON content type",
            with(&|_| {}),
            "application/json",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "over 100 KB",
            with(&|p| p.request_padding = vec![0u8; 100_001].into()),
            PROTOBUF,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    let tan = app.new_tan().await;
    for (name, body, content_type, status, code) in cases {
        let (got, _, answer) = app.submit_raw(Some(&tan), false, content_type, body).await;
        let answer: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
        assert_eq!(got, status, "{name}: {answer}");
        assert_eq!(answer["error"], code, "{name}: {answer}");
        assert_eq!(keys_stored(app).await, 0, "{name} stored keys");
    }
    // The boundaries themselves are accepted, and the TAN was never spent.
    let mut edge = payload(fourteen_keys());
    edge.keys[0].days_since_onset_of_symptoms = Some(-14);
    edge.keys[1].days_since_onset_of_symptoms = Some(4000);
    edge.keys[2].transmission_risk_level = Some(1);
    edge.keys[3].transmission_risk_level = Some(8);
    edge.keys[4].rolling_period = Some(1);
    edge.submission_type = 1;
    edge.origin = String::new();
    let (status, body) = submit(app, &tan, &edge).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(keys_stored(app).await, 14);
}

async fn future_and_old_keys_are_dropped_silently(app: &TestApp) {
    let today = today_interval();
    let tan = app.new_tan().await;
    let keys = vec![key(today, 5), key(today + 144, 5), key(today - 15 * 144, 5)];
    let (status, body) = submit(app, &tan, &payload(keys)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let starts: Vec<i64> = sqlx::query("SELECT rolling_start_interval_number FROM diagnosis_keys")
        .fetch_all(app.server.db.pool())
        .await
        .expect("keys")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(starts, vec![i64::from(today)]);
}

async fn fake_submissions_look_like_real_ones_and_store_nothing(app: &TestApp) {
    let tan = app.new_tan().await;
    let body = payload(fourteen_keys()).encode_to_vec();
    let tans_before = app.count("tans").await;
    let fake = app
        .submit_raw(Some(&tan), true, PROTOBUF, body.clone())
        .await;
    assert_eq!(app.count("tans").await, tans_before, "a fake burns no TAN");
    assert_eq!(keys_stored(app).await, 0);
    // A fake without a TAN or with garbage answers just the same.
    let fake_garbage = app
        .submit_raw(None, true, PROTOBUF, vec![0xff; body.len()])
        .await;
    let real = app.submit_raw(Some(&tan), false, PROTOBUF, body).await;
    assert_eq!(real.0, StatusCode::OK);
    for other in [&fake, &fake_garbage] {
        assert_eq!(other.0, real.0);
        assert_eq!(other.1, real.1, "same header names");
        assert_eq!(other.2.len(), real.2.len(), "same body size");
    }
    assert_eq!(keys_stored(app).await, 14);
}

async fn concurrent_submissions_with_one_tan_store_one_set(app: &TestApp) {
    let tan = app.new_tan().await;
    let attempts = (0..100).map(|_| {
        let payload = payload(fourteen_keys());
        let tan = tan.clone();
        async move { submit(app, &tan, &payload).await.0 }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let accepted = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::FORBIDDEN)
        .count();
    assert_eq!((accepted, refused), (1, 99), "{statuses:?}");
    assert_eq!(keys_stored(app).await, 14);
}

async fn a_payload_with_no_key_in_the_window_is_refused_and_keeps_the_tan(app: &TestApp) {
    let today = today_interval();
    let tan = app.new_tan().await;
    let outside = vec![key(today + 144, 5), key(today - 15 * 144, 5)];
    let refused = submit(app, &tan, &payload(outside)).await;
    crate::app::assert_error(&refused, StatusCode::BAD_REQUEST, "no_key_in_window");
    assert_eq!(keys_stored(app).await, 0);
    assert_eq!(app.count("tans").await, 1, "the TAN is not spent");
    let (status, body) = submit(app, &tan, &payload(fourteen_keys())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.count("tans").await, 0);
}

/// Makes every insert into `diagnosis_keys` fail (a full disk, a lost
/// connection, a broken constraint: storage failing after the TAN check).
pub(crate) async fn break_key_inserts(db: &api::db::Db) {
    let statements: &[&str] = match db.backend() {
        api::db::Backend::Sqlite => &[
            "CREATE TRIGGER break_inserts BEFORE INSERT ON diagnosis_keys \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        ],
        api::db::Backend::Postgres => &[
            "CREATE FUNCTION break_inserts() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER break_inserts BEFORE INSERT ON diagnosis_keys \
             FOR EACH ROW EXECUTE FUNCTION break_inserts()",
        ],
    };
    for statement in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*statement))
            .execute(db.pool())
            .await
            .expect("failure injected");
    }
}

/// Undoes [`break_key_inserts`].
pub(crate) async fn repair_key_inserts(db: &api::db::Db) {
    let statement = match db.backend() {
        api::db::Backend::Sqlite => "DROP TRIGGER break_inserts",
        api::db::Backend::Postgres => "DROP TRIGGER break_inserts ON diagnosis_keys",
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
        .execute(db.pool())
        .await
        .expect("failure removed");
}

async fn a_storage_failure_keeps_the_tan(app: &TestApp) {
    let tan = app.new_tan().await;
    break_key_inserts(&app.server.db).await;
    let (status, body) = submit(app, &tan, &payload(fourteen_keys())).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(keys_stored(app).await, 0);
    assert_eq!(app.count("tans").await, 1, "the TAN is not spent");

    repair_key_inserts(&app.server.db).await;
    let (status, body) = submit(app, &tan, &payload(fourteen_keys())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(keys_stored(app).await, 14);
    let (status, _) = submit(app, &tan, &payload(fourteen_keys())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "spent now");
}
