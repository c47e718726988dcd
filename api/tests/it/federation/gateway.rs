//! The gateway's contract over mTLS, in-process, on SQLite and PostgreSQL.

use std::collections::BTreeSet;
use std::path::Path;

use api::config::{GatewayTls, ServerConfig, StorageConfig};
use api::server::Application;
use prost::Message;
use proto::efgs::DiagnosisKeyBatch;
use reqwest::StatusCode;

use api::federation::batch::Dsos;
use api::federation::client::FederationClient;
use axum::http::StatusCode as Status;

use super::{certificates, client, get, keys, signed, upload};

/// A gateway running in this test, with a pool on its database.
pub struct Gateway {
    /// `https://localhost:PORT`.
    pub base: String,
    /// A pool on the gateway's database.
    pub db: api::db::Db,
    certs: tempfile::TempDir,
    _data: tempfile::TempDir,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Gateway {
    /// Starts a gateway (SQLite without `database_url`) with certificates
    /// for DE, FR and NL.
    pub async fn start(database_url: Option<String>) -> Self {
        Self::start_with(database_url, false).await
    }

    /// Starts a gateway; `allow_local_callbacks` as the operator's option.
    pub async fn start_with(database_url: Option<String>, allow_local_callbacks: bool) -> Self {
        let certs = certificates(&["DE", "FR", "NL"]);
        let data = tempfile::tempdir().expect("temporary folder");
        let storage = StorageConfig {
            data_dir: data.path().join("data"),
            database_url,
            hash_key_file: None,
        };
        let mut config =
            ServerConfig::new("127.0.0.1:0".parse().expect("address"), storage.clone());
        config.services = "gateway".parse().expect("a service");
        config.cleanup_interval = None;
        config.distribution_interval = None;
        config.gateway_tls = Some(GatewayTls {
            cert: certs.path().join("gateway.pem"),
            key: certs.path().join("gateway.key"),
            ca: certs.path().join("ca.pem"),
            allow_local_callbacks,
        });
        let app = Application::build(config)
            .await
            .expect("the gateway starts");
        assert!(app.is_tls());
        let base = format!("https://localhost:{}", app.address().port());
        let db = api::db::Db::connect(&storage.data_dir, storage.database_url.as_deref())
            .await
            .expect("a second pool");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Self {
            base,
            db,
            certs,
            _data: data,
            stop,
            task,
        }
    }

    /// The folder of the CA's and the countries' certificates.
    pub fn dir(&self) -> &Path {
        self.certs.path()
    }

    /// Rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(self.db.pool())
        .await
        .expect("count")
        .get::<i64, _>("n")
    }

    /// Stops the gateway and closes the pool.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("task").expect("stopped cleanly");
        self.db.close().await;
    }
}

macro_rules! on_both_gateways {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    let gateway = super::Gateway::start(None).await;
                    super::$name(&gateway).await;
                    gateway.stop().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    let Some(database) = crate::support::PostgresDatabase::create().await else {
                        return crate::support::skip(stringify!($name), "no PostgreSQL server at 127.0.0.1:5432");
                    };
                    let gateway = super::Gateway::start(Some(database.url.clone())).await;
                    super::$name(&gateway).await;
                    gateway.stop().await;
                    database.drop_database().await;
                }
            )*
        }
    };
}

on_both_gateways!(
    refused_batches_store_nothing,
    paging_returns_every_batch_once_and_never_own_keys,
    known_keys_answer_207,
    batches_past_the_retention_are_deleted,
    five_thousand_keys_are_accepted_and_served,
    days_since_onset_travel_as_encoded,
    callbacks_belong_to_their_country,
    concurrent_registrations_stop_at_ten_callbacks,
);

fn today() -> String {
    api::federation::batch::date_of(api::clock::now())
}

async fn refused_batches_store_nothing(gateway: &Gateway) {
    let de = client(gateway.dir(), "DE");
    let good = keys(20, "DE", &["DE", "FR"]);

    // A signature over other keys.
    let (body, _) = signed(&good, gateway.dir(), "DE");
    let (_, other_signature) = signed(&keys(20, "DE", &["FR"]), gateway.dir(), "DE");
    let (status, text) = upload(
        &de,
        &gateway.base,
        "bad-signature",
        body.clone(),
        &other_signature,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("invalid_signature"), "{text}");

    // Not base64 / not CMS.
    let (status, _) = upload(&de, &gateway.base, "garbage", body.clone(), "bm90IGNtcw==").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Signed by FR's certificate while DE uploads.
    let (body_fr_signed, fr_signature) = signed(&good, gateway.dir(), "FR");
    let (status, text) = upload(
        &de,
        &gateway.base,
        "fr-signed",
        body_fr_signed,
        &fr_signature,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");

    // Signed by a certificate of another CA (for DE too).
    let other_ca = certificates(&["DE"]);
    let (body_other, other_ca_signature) = signed(&good, other_ca.path(), "DE");
    let (status, text) = upload(
        &de,
        &gateway.base,
        "other-ca",
        body_other,
        &other_ca_signature,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(
        text.contains("not trusted") || text.contains("invalid_signature"),
        "{text}"
    );

    // A forged origin: DE uploads (and signs) keys that claim FR.
    let forged = keys(5, "FR", &["FR"]);
    let (forged_body, forged_signature) = signed(&forged, gateway.dir(), "DE");
    let (status, text) = upload(&de, &gateway.base, "forged", forged_body, &forged_signature).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("invalid_origin"), "{text}");

    // 5,001 keys.
    let many = keys(5_001, "DE", &["FR"]);
    let (many_body, many_signature) = signed(&many, gateway.dir(), "DE");
    let (status, text) = upload(&de, &gateway.base, "too-many", many_body, &many_signature).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");

    // Not protobuf.
    let (status, _) = upload(&de, &gateway.base, "not-protobuf", vec![0xff; 7], "x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A transmission risk level EFGS's validator refuses (9), signed
    // correctly.
    let mut batch = DiagnosisKeyBatch {
        keys: keys(3, "DE", &["FR"])
            .iter()
            .map(|key| key.to_efgs())
            .collect(),
    };
    batch.keys[1].transmission_risk_level = 9;
    let identity = api::federation::certs::Identity::in_dir(gateway.dir(), "DE").expect("DE");
    let signature_range = api::federation::signature::sign(
        &api::federation::signature::canonical_bytes(&batch),
        &identity,
    )
    .expect("signed");
    let (status, text) = upload(
        &de,
        &gateway.base,
        "trl",
        batch.encode_to_vec(),
        &signature_range,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(
        text.contains("key 1") && text.contains("transmission risk level"),
        "{text}"
    );

    assert_eq!(
        gateway.count("gateway_keys").await,
        0,
        "a refused batch stored keys"
    );
    assert_eq!(
        gateway.count("gateway_batches").await,
        0,
        "a refused batch was recorded"
    );

    // The good batch, then the same tag again (with other keys).
    let (status, text) = upload(
        &de,
        &gateway.base,
        "batch-1",
        body,
        &signed(&good, gateway.dir(), "DE").1,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let again = keys(3, "DE", &["FR"]);
    let (again_body, again_signature) = signed(&again, gateway.dir(), "DE");
    let (status, text) = upload(&de, &gateway.base, "batch-1", again_body, &again_signature).await;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");
    assert_eq!(gateway.count("gateway_keys").await, 20);
    assert_eq!(gateway.count("gateway_batches").await, 1);

    // A batch tag is unique across all countries (EFGS counts the uploads
    // of a tag, whoever made them).
    let fr = client(gateway.dir(), "FR");
    let fr_keys = keys(2, "FR", &["DE"]);
    let (fr_body, fr_signature) = signed(&fr_keys, gateway.dir(), "FR");
    let (status, text) = upload(
        &fr,
        &gateway.base,
        "batch-1",
        fr_body.clone(),
        &fr_signature,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");
    let (status, text) = upload(&fr, &gateway.base, "batch-fr", fr_body, &fr_signature).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");

    // A client certificate from another CA does not get past the handshake.
    let stranger = api::federation::certs::http_client(
        &api::federation::certs::Identity::in_dir(other_ca.path(), "DE").expect("identity"),
        &api::federation::certs::load_ca(&gateway.dir().join("ca.pem")).expect("CA"),
    )
    .expect("client");
    let url = format!("{}/diagnosiskeys/download/{}", gateway.base, today());
    assert!(
        get(&stranger, &url, &[]).await.is_none(),
        "a certificate of another CA was accepted"
    );
    // Neither does a client without a certificate.
    let ca = api::federation::certs::load_ca(&gateway.dir().join("ca.pem")).expect("CA");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).expect("root");
    let anonymous = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let anonymous = FederationClient::new(anonymous);
    assert!(
        get(&anonymous, &url, &[]).await.is_none(),
        "a client without certificate was served"
    );
}

/// Downloads every batch of `date` for `client` by paging; the tags in order
/// and the keys' key data and origins.
async fn download_all(
    client: &FederationClient,
    base: &str,
    date: &str,
) -> (Vec<String>, Vec<(Vec<u8>, String)>) {
    let (mut tags, mut keys) = (Vec::new(), Vec::new());
    let mut next: Option<String> = None;
    let url = format!("{base}/diagnosiskeys/download/{date}");
    loop {
        let mut headers: Vec<(&str, &str)> = vec![("accept", "application/protobuf; version=1.0")];
        if let Some(tag) = &next {
            headers.push(("batchTag", tag.as_str()));
        }
        let answer = get(client, &url, &headers)
            .await
            .expect("the gateway answers");
        if next.is_none() && answer.status == Status::NOT_FOUND {
            return (tags, keys);
        }
        assert_eq!(answer.status, Status::OK);
        let header = |name: &str| {
            answer
                .header(name)
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("header {name}"))
        };
        let (tag, following) = (header("batchTag"), header("nextBatchTag"));
        let batch = DiagnosisKeyBatch::decode(answer.body.clone()).expect("a batch");
        keys.extend(
            batch
                .keys
                .into_iter()
                .map(|key| (key.key_data.to_vec(), key.origin)),
        );
        tags.push(tag);
        assert!(tags.len() < 100, "paging does not end");
        if following == "null" {
            return (tags, keys);
        }
        next = Some(following);
    }
}

async fn paging_returns_every_batch_once_and_never_own_keys(gateway: &Gateway) {
    let (de, fr, nl) = (
        client(gateway.dir(), "DE"),
        client(gateway.dir(), "FR"),
        client(gateway.dir(), "NL"),
    );
    let mut uploaded_by = std::collections::BTreeMap::new();
    for (index, (country, client)) in [
        ("DE", &de),
        ("FR", &fr),
        ("DE", &de),
        ("NL", &nl),
        ("DE", &de),
    ]
    .into_iter()
    .enumerate()
    {
        let batch = keys(7 + index, country, &["DE", "FR", "NL"]);
        let (body, signature) = signed(&batch, gateway.dir(), country);
        let (status, text) = upload(
            client,
            &gateway.base,
            &format!("tag-{index}"),
            body,
            &signature,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{text}");
        for key in batch {
            uploaded_by.insert(key.key.key_data.to_vec(), country);
        }
    }
    for (country, client) in [("DE", &de), ("FR", &fr), ("NL", &nl)] {
        let (tags, keys) = download_all(client, &gateway.base, &today()).await;
        let unique: BTreeSet<&String> = tags.iter().collect();
        assert_eq!(
            unique.len(),
            tags.len(),
            "{country} got a batch twice: {tags:?}"
        );
        let expected: BTreeSet<Vec<u8>> = uploaded_by
            .iter()
            .filter(|(_, origin)| **origin != country)
            .map(|(data, _)| data.clone())
            .collect();
        let got: BTreeSet<Vec<u8>> = keys.iter().map(|(data, _)| data.clone()).collect();
        assert_eq!(got.len(), keys.len(), "{country} got a key twice");
        assert_eq!(got, expected, "{country} got other keys than the others'");
        assert!(
            keys.iter().all(|(_, origin)| origin != country),
            "{country} got its own keys"
        );
        // Every batch of the date, the caller's own ones without keys.
        assert_eq!(tags.len(), 5, "{country}: {tags:?}");
    }

    // An unknown tag is 404; a date past the retention 410; a bad date 400.
    let download = |date: String| format!("{}/diagnosiskeys/download/{date}", gateway.base);
    let answer = get(&fr, &download(today()), &[("batchTag", "no-such-tag")])
        .await
        .expect("answer");
    assert_eq!(answer.status, Status::NOT_FOUND);
    let old = api::federation::batch::date_of(api::clock::now() - 20 * 86_400);
    let answer = get(&fr, &download(old), &[]).await.expect("answer");
    assert_eq!(answer.status, Status::GONE);
    let answer = get(&fr, &download("yesterday".into()), &[])
        .await
        .expect("answer");
    assert_eq!(answer.status, Status::BAD_REQUEST);
    let tomorrow = api::federation::batch::date_of(api::clock::now() + 86_400);
    let answer = get(&fr, &download(tomorrow), &[]).await.expect("answer");
    assert_eq!(answer.status, Status::NOT_FOUND);
}

async fn known_keys_answer_207(gateway: &Gateway) {
    let de = client(gateway.dir(), "DE");
    let first = keys(4, "DE", &["FR"]);
    let (body, signature) = signed(&first, gateway.dir(), "DE");
    let (status, _) = upload(&de, &gateway.base, "first", body, &signature).await;
    assert_eq!(status, StatusCode::CREATED);
    // Two known keys and two new ones.
    let mut second = first[..2].to_vec();
    second.extend(keys(2, "DE", &["FR"]));
    let (body, signature) = signed(&second, gateway.dir(), "DE");
    let (status, text) = upload(&de, &gateway.base, "second", body.clone(), &signature).await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{text}");
    let answer: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    // EFGS rolls the batch back: nothing stored, 201 empty, and the tag
    // stays free.
    assert_eq!(answer["201"], serde_json::json!([]));
    assert_eq!(answer["409"], serde_json::json!([0, 1]));
    assert_eq!(answer["500"], serde_json::json!([]));
    assert_eq!(gateway.count("gateway_keys").await, 4);
    assert_eq!(gateway.count("gateway_batches").await, 1);
    let fresh: Vec<_> = second[2..].to_vec();
    let (fresh_body, fresh_signature) = signed(&fresh, gateway.dir(), "DE");
    let (status, text) = upload(&de, &gateway.base, "second", fresh_body, &fresh_signature).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert_eq!(gateway.count("gateway_keys").await, 6);
}

async fn batches_past_the_retention_are_deleted(gateway: &Gateway) {
    let de = client(gateway.dir(), "DE");
    let old = keys(3, "DE", &["FR"]);
    let (body, signature) = signed(&old, gateway.dir(), "DE");
    let (status, _) = upload(&de, &gateway.base, "old", body, &signature).await;
    assert_eq!(status, StatusCode::CREATED);
    // Age it past the retention.
    sqlx::query("UPDATE gateway_batches SET created_at = created_at - $1")
        .bind(16 * 86_400_i64)
        .execute(gateway.db.pool())
        .await
        .expect("aged");
    let fresh = keys(2, "DE", &["FR"]);
    let (body, signature) = signed(&fresh, gateway.dir(), "DE");
    let (status, _) = upload(&de, &gateway.base, "fresh", body, &signature).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(gateway.count("gateway_batches").await, 1);
    assert_eq!(gateway.count("gateway_keys").await, 2);
}

/// The largest batch the contract allows: accepted, and served whole to
/// another country (timed, for BENCHMARKS.md).
async fn five_thousand_keys_are_accepted_and_served(gateway: &Gateway) {
    let de = client(gateway.dir(), "DE");
    let fr = client(gateway.dir(), "FR");
    let batch = keys(5_000, "DE", &["FR"]);
    let started = std::time::Instant::now();
    let (body, signature) = signed(&batch, gateway.dir(), "DE");
    let signed_in = started.elapsed();
    let (status, text) = upload(&de, &gateway.base, "full", body, &signature).await;
    let uploaded_in = started.elapsed();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let (tags, keys) = download_all(&fr, &gateway.base, &today()).await;
    let downloaded_in = started.elapsed();
    assert_eq!(tags.len(), 1);
    assert_eq!(keys.len(), 5_000);
    eprintln!(
        "5,000 keys: signed in {signed_in:?}, uploaded (checked, verified, stored) after \
         {uploaded_in:?}, downloaded after {downloaded_in:?}"
    );
}

/// Days since onset travel in the EFGS encoding, exactly as uploaded: an
/// unknown onset as "symptom status unknown" counted from the submission
/// (never 0, "onset on the key's day"), the other ranges unchanged.
async fn days_since_onset_travel_as_encoded(gateway: &Gateway) {
    let (de, fr) = (client(gateway.dir(), "DE"), client(gateway.dir(), "FR"));
    let today_day = api::clock::now().div_euclid(86_400);
    let mut batch = keys(8, "DE", &["FR"]);
    // Five keys as this server stores them, three with an unknown onset.
    let stored = [
        Some(-3),
        Some(700),
        Some(1995),
        Some(3000),
        None,
        None,
        None,
    ];
    let mut expected = std::collections::BTreeMap::new();
    for (key, onset) in batch.iter_mut().zip(stored) {
        key.key.days_since_onset_of_symptoms = onset;
        *key = api::federation::batch::FederatedKey::local(
            key.key.clone(),
            key.origin.clone(),
            key.visited.clone(),
            today_day,
        );
        let key_day = i64::from(key.key.rolling_start_interval_number) / 144;
        let wire = match onset {
            Some(value) => value,
            None => 4000 + i32::try_from(key_day - today_day).expect("days"),
        };
        expected.insert(key.key.key_data.to_vec(), wire);
    }
    // One straight off another country's wire: asymptomatic, 2 days after.
    batch[7].dsos = Dsos::Asymptomatic(2);
    expected.insert(batch[7].key.key_data.to_vec(), 3002);
    let (body, signature) = signed(&batch, gateway.dir(), "DE");
    let (status, text) = upload(&de, &gateway.base, "dsos", body, &signature).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");

    let url = format!("{}/diagnosiskeys/download/{}", gateway.base, today());
    let answer = get(
        &fr,
        &url,
        &[("accept", "application/protobuf; version=1.0")],
    )
    .await
    .expect("the gateway answers");
    assert_eq!(answer.status, Status::OK);
    let served = DiagnosisKeyBatch::decode(answer.body).expect("a batch");
    let got: std::collections::BTreeMap<Vec<u8>, i32> = served
        .keys
        .iter()
        .map(|key| (key.key_data.to_vec(), key.days_since_onset_of_symptoms))
        .collect();
    assert_eq!(got, expected);
    // And FR reads them back into what its storage holds.
    for key in &served.keys {
        let read = api::federation::batch::FederatedKey::from_efgs(key).expect("valid");
        let stored = read.key.days_since_onset_of_symptoms;
        match key.days_since_onset_of_symptoms {
            3986..=4014 => assert_eq!(stored, None),
            wire => assert_eq!(stored, Some(wire)),
        }
    }
}

/// A country registers, lists and deletes only its own callbacks; a bad id
/// or URL is refused in the one error shape.
async fn callbacks_belong_to_their_country(gateway: &Gateway) {
    use axum::http::Method;
    let (de, fr) = (client(gateway.dir(), "DE"), client(gateway.dir(), "FR"));
    let callback =
        |id: &str, query: &str| format!("{}/diagnosiskeys/callback/{id}{query}", gateway.base);
    let send = |client: &FederationClient, method: Method, url: String| {
        let client = client.clone();
        async move {
            client
                .send(method, &url, &[], Vec::new())
                .await
                .expect("the gateway answers")
        }
    };
    let list = |client: &FederationClient| {
        let client = client.clone();
        let url = format!("{}/diagnosiskeys/callback", gateway.base);
        async move {
            let answer = client.get(&url, &[]).await.expect("the gateway answers");
            assert_eq!(answer.status, Status::OK);
            serde_json::from_slice::<serde_json::Value>(&answer.body).expect("JSON")
        }
    };
    let url = "https://1.1.1.1/federation/v1/callback";
    let answer = send(&de, Method::PUT, callback("de-1", &format!("?url={url}"))).await;
    assert_eq!(answer.status, Status::OK, "{}", answer.text());
    assert_eq!(
        list(&de).await,
        serde_json::json!([{"callbackId": "de-1", "url": url}])
    );
    assert_eq!(list(&fr).await, serde_json::json!([]));

    for (id, query, code) in [
        ("de-2", "?url=ftp://1.1.1.1/x", "invalid_url"),
        ("de-2", "?url=not%20a%20url", "invalid_url"),
        ("de-2", "", "invalid_url"),
        ("de%202", "?url=https://1.1.1.1/", "invalid_callback_id"),
    ] {
        let answer = send(&de, Method::PUT, callback(id, query)).await;
        assert_eq!(answer.status, Status::BAD_REQUEST, "{id}{query}");
        let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON error");
        assert_eq!(body["error"], code, "{id}{query}");
    }

    // FR cannot delete DE's callback; DE can, once.
    let answer = send(&fr, Method::DELETE, callback("de-1", "")).await;
    assert_eq!(answer.status, Status::NOT_FOUND);
    let answer = send(&de, Method::DELETE, callback("de-1", "")).await;
    assert_eq!(answer.status, Status::OK);
    let answer = send(&de, Method::DELETE, callback("de-1", "")).await;
    assert_eq!(answer.status, Status::NOT_FOUND);
    assert_eq!(list(&de).await, serde_json::json!([]));
}

/// Thirty registrations with different ids at once: exactly ten are
/// stored, the others refused as too many (none fails), and another
/// country's bound is its own.
async fn concurrent_registrations_stop_at_ten_callbacks(gateway: &Gateway) {
    use axum::http::Method;
    let de = client(gateway.dir(), "DE");
    let register = |client: &FederationClient, id: String| {
        let client = client.clone();
        let url = format!(
            "{}/diagnosiskeys/callback/{id}?url=https://1.1.1.1/federation/v1/callback",
            gateway.base
        );
        async move {
            let answer = client
                .send(Method::PUT, &url, &[], Vec::new())
                .await
                .expect("the gateway answers");
            (answer.status, answer.text())
        }
    };
    let answers = futures_util::future::join_all(
        (0..30).map(|index| tokio::spawn(register(&de, format!("de-{index}")))),
    )
    .await;
    let mut stored = 0;
    for answer in answers {
        let (status, text) = answer.expect("the request ran");
        match status {
            Status::OK => stored += 1,
            Status::BAD_REQUEST => assert!(text.contains("too_many_callbacks"), "{text}"),
            other => panic!("{other}: {text}"),
        }
    }
    assert_eq!(stored, 10);
    assert_eq!(gateway.count("gateway_callbacks").await, 10);
    let (status, text) = register(&client(gateway.dir(), "FR"), "fr-1".into()).await;
    assert_eq!(status, Status::OK, "{text}");
}

/// `warn federation sync` as a subprocess; the output.
async fn sync(args: Vec<String>, env: Vec<(&'static str, String)>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_warn"))
            .args(&args)
            .env_remove("WARN_CONFIG")
            .env_remove("WARN_DATA_DIR")
            .env_remove("WARN_DATABASE_URL")
            .envs(env)
            .output()
            .expect("the warn binary runs")
    })
    .await
    .expect("the command ran")
}

/// Every federation option can come from the configuration file
/// (`--config`); an option's environment variable beats the file; a
/// misspelt key is refused.
#[tokio::test(flavor = "multi_thread")]
async fn federation_sync_reads_its_options_from_the_config_file() {
    use crate::support::{stderr, stdout};
    let gateway = Gateway::start(None).await;
    let fr = client(gateway.dir(), "FR");
    let batch = keys(3, "FR", &["DE"]);
    let (body, signature) = signed(&batch, gateway.dir(), "FR");
    let (status, text) = upload(&fr, &gateway.base, "for-de", body, &signature).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");

    let dir = tempfile::tempdir().expect("temporary folder");
    let file = |name: &str| gateway.dir().join(name).display().to_string();
    let toml = |gateway_url: &str, data: &str| {
        format!(
            "country = \"DE\"\ndata-dir = {data:?}\nfederation-gateway = {gateway_url:?}\n\
             federation-cert = {:?}\nfederation-key = {:?}\nfederation-ca = {:?}\n\
             federation-min-batch = 1\n",
            file("DE.pem"),
            file("DE.key"),
            file("ca.pem"),
        )
    };
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("written");
        path.display().to_string()
    };
    let data = |name: &str| dir.path().join(name).display().to_string();
    let command = |config: String| {
        vec![
            "--config".into(),
            config,
            "federation".into(),
            "sync".into(),
        ]
    };

    // Everything from the file.
    let config = write("de.toml", toml(&gateway.base, &data("de")));
    let output = sync(command(config), Vec::new()).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("3 keys downloaded from 1 batches"),
        "{}",
        stdout(&output)
    );

    // A file naming a gateway that does not answer fails; the environment
    // variable beats it.
    let closed = write("closed.toml", toml("https://localhost:1", &data("other")));
    let output = sync(command(closed.clone()), Vec::new()).await;
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("localhost:1"),
        "{}",
        stderr(&output)
    );
    let output = sync(
        command(closed),
        vec![("WARN_FEDERATION_GATEWAY", gateway.base.clone())],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("3 keys downloaded"),
        "{}",
        stdout(&output)
    );

    // A misspelt key.
    let typo = write(
        "typo.toml",
        toml(&gateway.base, &data("typo")).replace("federation-ca", "federation-cacert"),
    );
    let output = sync(command(typo), Vec::new()).await;
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("federation-cacert"),
        "{}",
        stderr(&output)
    );
    gateway.stop().await;
}
