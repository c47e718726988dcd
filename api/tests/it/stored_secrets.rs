//! Stored secrets under the server's key (SPEC section 2, issue 15 point
//! 11): what is stored, where the key comes from, how processes on one
//! database agree on it, and the re-keying of rows written the old way
//! (unkeyed SHA-256). On SQLite and on PostgreSQL.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};
use shared::portal::Role;
use shared::verification::{HashKey, TeleTan, Uuid4};
use sqlx::Row;

use api::config::{ServerConfig, StorageConfig};

use crate::app::{TestApp, new_guid};
use crate::portal_client::{PASSWORD, create_user, logged_in, password_step};
use crate::support::{PostgresDatabase, TestServer};

on_both_databases!(no_secret_is_stored_in_clear_or_as_its_plain_sha256);

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn column(app: &TestApp, sql: &str) -> Vec<String> {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(app.server.db.pool())
        .await
        .expect("rows")
        .iter()
        .map(|row| row.get::<String, _>(0))
        .collect()
}

/// A leaked database must not give back a teleTAN (44 bits) by hashing
/// every candidate: the stored value is keyed, not SHA-256 of the text. Nor
/// any other secret: registration tokens, hashed GUIDs, TANs, lab keys and
/// portal session ids are keyed hashes too, and a portal user's TOTP secret
/// (which must be read back) is sealed, confirmed or offered.
async fn no_secret_is_stored_in_clear_or_as_its_plain_sha256(app: &TestApp) {
    let teletan = app.issue_teletan().await;
    let (_, guid) = new_guid();
    let token = app.register_guid(&guid).await;
    let lab_key = app.add_lab("keyed lab").await;
    let (status, body) = app
        .upload(
            &lab_key,
            json!({"testResults": [{"id": guid.expose(), "result": 2}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app.tan(&token).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let tan = body["tan"].as_str().expect("a TAN").to_owned();
    let user = logged_in(app, Role::Hotline).await;
    let session_id = user.cookie.split_once('=').expect("name=id").1.to_owned();
    let (enrolling, _) = create_user(app, "enrolling", Role::Hotline).await;
    let first = password_step(app, &enrolling, PASSWORD).await;
    let offered = first.body["enrolment"]["secret"]
        .as_str()
        .expect("a secret offered")
        .to_owned();

    let teletans = column(app, "SELECT hash FROM teletans").await;
    assert_eq!(teletans, vec![app.server.db.hash(&teletan).to_hex()]);
    assert_ne!(teletans[0], sha256_hex(teletan.expose()));

    let row = sqlx::query("SELECT token_hash, guid_hash FROM registrations")
        .fetch_one(app.server.db.pool())
        .await
        .expect("a registration");
    let token_hash: String = row.get("token_hash");
    let guid_hash: String = row.get("guid_hash");
    assert_ne!(token_hash, sha256_hex(&token));
    assert_eq!(
        token_hash,
        app.server.db.hash(&Uuid4::parse(&token).unwrap()).to_hex()
    );
    assert_ne!(guid_hash, sha256_hex(guid.expose()));
    assert_eq!(
        column(app, "SELECT id_hash FROM test_results").await,
        vec![guid_hash]
    );
    let labs = column(app, "SELECT key_hash FROM labs").await;
    assert_ne!(labs[0], sha256_hex(&lab_key));
    assert_eq!(labs[0], app.server.db.hash(&lab_key).to_hex());

    let tans = column(app, "SELECT hash FROM tans").await;
    assert_eq!(
        tans,
        vec![app.server.db.hash(&Uuid4::parse(&tan).unwrap()).to_hex()]
    );
    assert_ne!(tans[0], sha256_hex(&tan));
    // The pending session of each log-in, the active one of the enrolled user.
    let sessions = column(app, "SELECT id_hash FROM portal_sessions").await;
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert!(sessions.contains(&app.server.db.hash(&session_id).to_hex()));
    assert!(!sessions.contains(&session_id) && !sessions.contains(&sha256_hex(&session_id)));

    let totp = column(
        app,
        "SELECT COALESCE(totp_secret, '') || ' ' || COALESCE(totp_pending, '') \
         FROM portal_users ORDER BY id",
    )
    .await;
    assert_eq!(totp.len(), 2);
    let (confirmed, offer) = (&totp[0], &totp[1]);
    assert!(
        confirmed.starts_with("v1:") && confirmed.ends_with(' '),
        "{confirmed}"
    );
    assert!(offer.starts_with(" v1:"), "{offer}");
    for (stored, secret) in [(confirmed, &user.totp_secret), (offer, &offered)] {
        assert!(!stored.contains(secret.as_str()), "{stored} holds {secret}");
        assert!(!stored.contains(&sha256_hex(secret)), "{stored}");
    }
}

fn storage(data_dir: &Path, url: Option<&str>, key_file: Option<&Path>) -> StorageConfig {
    StorageConfig {
        data_dir: data_dir.to_path_buf(),
        database_url: url.map(str::to_owned),
        hash_key_file: key_file.map(Path::to_path_buf),
    }
}

#[tokio::test]
async fn the_key_is_made_once_in_the_data_folder_readable_only_by_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = api::db::Db::open(&storage(&data, None, None))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let key_file = data.join("secrets/hash.key");
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&key_file), 0o600);
    assert_eq!(mode(&data.join("secrets")), 0o700);
    let text = std::fs::read_to_string(&key_file).unwrap();
    let key_hex = text.trim();
    assert_eq!(key_hex.len(), 64);
    let teletan = TeleTan::generate();
    let first = db.hash(&teletan);
    db.close().await;

    // The next start reads the same key.
    let again = api::db::Db::open(&storage(&data, None, None))
        .await
        .unwrap();
    again.migrate().await.unwrap();
    assert_eq!(again.hash(&teletan), first);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), text);
    // Neither the key nor its bytes are in the database, and Debug shows none.
    assert!(!format!("{again:?}").contains(&key_hex[..16]));
    again.close().await;
    let raw = hex::decode(key_hex).unwrap();
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            let found = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
            assert!(
                !found(key_hex.as_bytes()),
                "{} holds the key",
                path.display()
            );
            assert!(!found(&raw), "{} holds the key", path.display());
        }
    }
}

#[tokio::test]
async fn an_operators_key_file_is_used_as_given_and_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = HashKey::generate();
    let key_file = dir.path().join("operator.key");
    std::fs::write(&key_file, format!("{}\n", key.to_hex())).unwrap();
    let db = api::db::Db::open(&storage(&data, None, Some(&key_file)))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let tan = Uuid4::generate();
    assert_eq!(db.hash(&tan), key.hash(&tan));
    assert!(!data.join("secrets").exists(), "no key of its own");
    db.close().await;

    let missing = dir.path().join("missing.key");
    let error = api::db::Db::open(&storage(&data, None, Some(&missing)))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("missing.key"), "{error}");
    std::fs::write(&missing, "not a key").unwrap();
    let error = api::db::Db::open(&storage(&data, None, Some(&missing)))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("64 hexadecimal digits"), "{error}");
}

/// Processes sharing one database must share the key: one with another key
/// would store hashes nobody else finds. It refuses to start, and says why.
async fn another_key_is_refused(url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = ServerConfig::new("127.0.0.1:0".parse().unwrap(), storage(&data, url, None));
    let keep = tempfile::TempDir::new_in(dir.path()).unwrap();
    let server = TestServer::start_in(first, keep).await;

    let other = dir.path().join("other.key");
    std::fs::write(&other, HashKey::generate().to_hex()).unwrap();
    let second_dir = dir.path().join("second");
    let data_dir = if url.is_some() { &second_dir } else { &data };
    let second = ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        storage(data_dir, url, Some(&other)),
    );
    let error = api::server::Application::build(second)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("--hash-key-file"), "{error}");
    assert!(error.contains("other.key"), "{error}");
    assert!(error.contains("another key"), "{error}");

    // The first key's file, given explicitly, is accepted.
    let same = data.join("secrets/hash.key");
    let third = ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        storage(data_dir, url, Some(&same)),
    );
    let keep = tempfile::TempDir::new_in(dir.path()).unwrap();
    TestServer::start_in(third, keep).await.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn a_process_with_another_key_refuses_to_start_sqlite() {
    another_key_is_refused(None).await;
}

#[tokio::test]
async fn a_process_with_another_key_refuses_to_start_postgres() {
    let Some(database) = PostgresDatabase::create().await else {
        return crate::support::skip(
            "a_process_with_another_key_refuses_to_start_postgres",
            "no PostgreSQL server at 127.0.0.1:5432",
        );
    };
    another_key_is_refused(Some(&database.url)).await;
    database.drop_database().await;
}

/// The secrets of a database written by an earlier version, stored the old
/// way (hex SHA-256 of the text).
struct OldRows {
    teletan: TeleTan,
    token: Uuid4,
    tan: Uuid4,
    lab_key: String,
}

/// Brings a database to the schema before this change (the migrations
/// numbered below 20261205000001) and writes rows the old way.
async fn write_old_rows(data_dir: &Path, url: Option<&str>) -> OldRows {
    sqlx::any::install_default_drivers();
    let (folder, url) = match url {
        Some(url) => ("postgres", url.to_owned()),
        None => {
            std::fs::create_dir_all(data_dir).unwrap();
            let path = data_dir.join("warn.db");
            ("sqlite", format!("sqlite://{}?mode=rwc", path.display()))
        }
    };
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let old = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < "20261205000001" {
            std::fs::copy(&path, old.path().join(&name)).unwrap();
        }
    }
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(old.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();

    let now = api::clock::now();
    let rows = OldRows {
        teletan: TeleTan::generate(),
        token: Uuid4::generate(),
        tan: Uuid4::generate(),
        lab_key: format!("warnlab_{}", hex::encode([9u8; 32])),
    };
    let (_, guid) = new_guid();
    let statements = [
        (
            "INSERT INTO teletans (hash, created_at, expires_at) VALUES ($1, $2, $2 + 3600)",
            sha256_hex(rows.teletan.expose()),
        ),
        (
            "INSERT INTO test_results (id_hash, result, created_at, updated_at) VALUES ($1, 2, $2, $2)",
            sha256_hex(guid.expose()),
        ),
        (
            "INSERT INTO tans (hash, created_at, expires_at) VALUES ($1, $2, $2 + 86400)",
            sha256_hex(rows.tan.expose()),
        ),
        (
            "INSERT INTO labs (name, key_hash, created_at) VALUES ('old lab', $1, $2)",
            sha256_hex(&rows.lab_key),
        ),
    ];
    sqlx::query(
        "INSERT INTO registrations (token_hash, guid_hash, tans_issued, created_at) \
         VALUES ($1, $2, 1, $3)",
    )
    .bind(sha256_hex(rows.token.expose()))
    .bind(sha256_hex(guid.expose()))
    .bind(now)
    .execute(&pool)
    .await
    .unwrap();
    for (sql, value) in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .bind(now)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    rows
}

/// After the upgrade every old secret still works: the teleTAN registers,
/// the registration token polls its positive result, the TAN submits, the
/// lab key uploads; and a second start re-keys nothing twice.
async fn old_rows_are_rekeyed_once(url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let old = write_old_rows(&data, url).await;
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), storage(&data, url, None));
    let keep = tempfile::TempDir::new_in(dir.path()).unwrap();
    let app = TestApp {
        server: TestServer::start_in(config, keep).await,
        client: reqwest::Client::new(),
    };
    let db = &app.server.db;
    let stored = column(&app, "SELECT hash FROM tans").await;
    assert_eq!(stored, vec![db.hash(&old.tan).to_hex()]);

    let (status, body) = app.register(old.teletan.expose(), "TELETAN").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app.poll(old.token.expose()).await;
    assert_eq!((status, &body["testResult"]), (StatusCode::OK, &json!(2)));
    let (status, body) = app.tan(old.token.expose()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, guid) = new_guid();
    let (status, body) = app
        .upload(
            &old.lab_key,
            json!({"testResults": [{"id": guid.expose(), "result": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let payload = crate::submission::payload(crate::submission::fourteen_keys());
    let (status, body) = crate::submission::submit(&app, old.tan.expose(), &payload).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A second start (or a second process) leaves the rows as they are.
    let before = column(&app, "SELECT token_hash FROM registrations ORDER BY id").await;
    db.migrate().await.unwrap();
    assert_eq!(
        column(&app, "SELECT token_hash FROM registrations ORDER BY id").await,
        before
    );
    assert_eq!(app.count("secret_hash_key").await, 1);
    app.server.stop().await;
}

#[tokio::test]
async fn rows_written_the_old_way_are_rekeyed_once_sqlite() {
    old_rows_are_rekeyed_once(None).await;
}

#[tokio::test]
async fn rows_written_the_old_way_are_rekeyed_once_postgres() {
    let Some(database) = PostgresDatabase::create().await else {
        return crate::support::skip(
            "rows_written_the_old_way_are_rekeyed_once_postgres",
            "no PostgreSQL server at 127.0.0.1:5432",
        );
    };
    old_rows_are_rekeyed_once(Some(&database.url)).await;
    database.drop_database().await;
}

/// `warn lab add` against a database adopted under another key refuses too
/// (the CLI reads `--hash-key-file` like `warn serve`).
#[test]
fn the_cli_refuses_another_key_and_accepts_the_right_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let added = crate::support::warn(&["lab", "add", "first lab", "--data-dir", data]);
    assert!(added.status.success(), "{}", crate::support::stderr(&added));
    let other = dir.path().join("other.key");
    std::fs::write(&other, HashKey::generate().to_hex()).unwrap();
    let refused = crate::support::warn(&[
        "lab",
        "add",
        "second lab",
        "--data-dir",
        data,
        "--hash-key-file",
        other.to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    let message = crate::support::stderr(&refused);
    assert!(message.contains("--hash-key-file"), "{message}");

    let first_key = dir.path().join("data/secrets/hash.key");
    let accepted = crate::support::warn(&[
        "lab",
        "add",
        "second lab",
        "--data-dir",
        data,
        "--hash-key-file",
        first_key.to_str().unwrap(),
    ]);
    assert!(
        accepted.status.success(),
        "{}",
        crate::support::stderr(&accepted)
    );
}
