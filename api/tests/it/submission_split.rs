//! Submission and verification as separate processes (the HTTP verifier):
//! the TAN is reserved, the keys stored, then the TAN burned, so a storage
//! failure after the TAN check does not lose the TAN. On SQLite (one shared
//! data folder) and on PostgreSQL.

use reqwest::StatusCode;

use api::config::{ServerConfig, StorageConfig};

use crate::app::TestApp;
use crate::submission::{
    break_key_inserts, fourteen_keys, key, payload, repair_key_inserts, submit, today_interval,
};
use crate::support::TestServer;

const TOKEN: &str = "a-service-token-of-at-least-32-characters";

/// The verification service (with test results) and the submission service
/// in two servers on one database and one key.
struct Split {
    verification: TestApp,
    submission: TestApp,
}

impl Split {
    async fn start(shared: &tempfile::TempDir, database_url: Option<String>) -> Self {
        let config = |services: &str| {
            let mut config = ServerConfig::new(
                "127.0.0.1:0".parse().unwrap(),
                StorageConfig {
                    data_dir: shared.path().join("data"),
                    database_url: database_url.clone(),
                    hash_key_file: None,
                },
            );
            config.services = services.parse().unwrap();
            config.service_token = Some(TOKEN.parse().expect("a long token"));
            config
        };
        let mut verification_config = config("verification,testresult");
        verification_config.internal_listen = Some("127.0.0.1:0".parse().unwrap());
        let keep = tempfile::TempDir::new_in(shared.path()).unwrap();
        let verification = TestServer::start_in(verification_config, keep).await;
        let mut submission_config = config("submission");
        submission_config.verification_url = verification.internal.clone();
        let keep = tempfile::TempDir::new_in(shared.path()).unwrap();
        let submission = TestServer::start_in(submission_config, keep).await;
        let app = |server| TestApp {
            server,
            client: reqwest::Client::new(),
        };
        Self {
            verification: app(verification),
            submission: app(submission),
        }
    }

    async fn stop(self) {
        self.submission.server.stop().await;
        self.verification.server.stop().await;
    }
}

macro_rules! split_on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let shared = tempfile::tempdir().unwrap();
                    let split = super::Split::start(&shared, None).await;
                    super::$name(&split).await;
                    split.stop().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(database) = crate::support::PostgresDatabase::create().await else {
                        return crate::support::skip(stringify!($name), "no PostgreSQL server at 127.0.0.1:5432");
                    };
                    let shared = tempfile::tempdir().unwrap();
                    let split = super::Split::start(&shared, Some(database.url.clone())).await;
                    super::$name(&split).await;
                    split.stop().await;
                    database.drop_database().await;
                }
            )*
        }
    };
}

split_on_both_databases!(
    a_storage_failure_after_the_tan_check_keeps_the_tan,
    a_payload_with_no_key_in_the_window_keeps_the_tan,
    concurrent_submissions_with_one_tan_store_one_set,
);

async fn a_storage_failure_after_the_tan_check_keeps_the_tan(split: &Split) {
    let tan = split.verification.new_tan().await;
    let app = &split.submission;
    break_key_inserts(&app.server.db).await;
    let (status, body) = submit(app, &tan, &payload(fourteen_keys())).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(app.count("diagnosis_keys").await, 0);
    // Not spent, and released at once (not left held until it ends).
    let held: Option<i64> = sqlx::query_scalar("SELECT reserved_until FROM tans")
        .fetch_one(app.server.db.pool())
        .await
        .expect("the TAN is still there");
    assert_eq!(held, None, "released");

    repair_key_inserts(&app.server.db).await;
    let (status, body) = submit(app, &tan, &payload(fourteen_keys())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.count("diagnosis_keys").await, 14);
    assert_eq!(
        app.count("tans").await,
        0,
        "burned once the keys are stored"
    );
    let (status, _) = submit(app, &tan, &payload(fourteen_keys())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn a_payload_with_no_key_in_the_window_keeps_the_tan(split: &Split) {
    let tan = split.verification.new_tan().await;
    let app = &split.submission;
    let future = vec![key(today_interval() + 144, 5)];
    let refused = submit(app, &tan, &payload(future)).await;
    crate::app::assert_error(&refused, StatusCode::BAD_REQUEST, "no_key_in_window");
    assert_eq!(app.count("tans").await, 1);
    let (status, body) = submit(app, &tan, &payload(fourteen_keys())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn concurrent_submissions_with_one_tan_store_one_set(split: &Split) {
    let tan = split.verification.new_tan().await;
    let app = &split.submission;
    let attempts = (0..20).map(|_| {
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
    assert_eq!((accepted, refused), (1, 19), "{statuses:?}");
    assert_eq!(app.count("diagnosis_keys").await, 14);
    assert_eq!(app.count("tans").await, 0);
}

/// A reservation that is neither confirmed nor released (the submission
/// process died) ends by itself: the TAN is never lost, and the stale
/// reservation can no longer burn it once another holds it.
#[tokio::test]
async fn an_abandoned_reservation_ends_by_itself() {
    use api::verification::store;
    let dir = tempfile::tempdir().unwrap();
    let db = api::db::Db::connect(dir.path(), None).await.unwrap();
    db.migrate().await.unwrap();
    let now = api::clock::now();
    let hash = |digit: char| {
        shared::verification::SecretHash::from_hex(&digit.to_string().repeat(64))
            .expect("64 hex digits")
    };
    let (tan, first, second) = (&hash('1'), &hash('2'), &hash('3'));
    sqlx::query("INSERT INTO tans (hash, created_at, expires_at) VALUES ($1, $2, $3)")
        .bind(tan.to_hex())
        .bind(now)
        .bind(now + 3600)
        .execute(db.pool())
        .await
        .unwrap();
    assert!(
        store::reserve_tan(&db, tan, first, now, now + 60)
            .await
            .unwrap()
    );
    assert!(
        !store::reserve_tan(&db, tan, second, now + 1, now + 61)
            .await
            .unwrap(),
        "held"
    );
    assert!(!store::burn_tan(&db, tan, now + 1).await.unwrap(), "held");
    // The first submission never comes back; after 60 s another may take it.
    assert!(
        store::reserve_tan(&db, tan, second, now + 60, now + 120)
            .await
            .unwrap()
    );
    assert!(!store::confirm_tan(&db, tan, first).await.unwrap(), "stale");
    assert!(!store::release_tan(&db, tan, first).await.unwrap(), "stale");
    assert!(store::confirm_tan(&db, tan, second).await.unwrap());
    assert!(
        !store::reserve_tan(&db, tan, first, now + 200, now + 260)
            .await
            .unwrap(),
        "burned"
    );
    db.close().await;
}
