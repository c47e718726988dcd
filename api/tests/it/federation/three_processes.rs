//! Three `warn serve` processes on loopback: a gateway, DE and FR, each
//! with its own database and certificate. Eight DE users who visited FR
//! submit keys with consent (112 keys), another without; DE's federation
//! run signs one batch over EFGS's canonical bytes, the gateway verifies
//! it and calls FR back, FR downloads, verifies DE's signature through the
//! audit interface, and FR's distribution publishes the consenting keys in
//! its FR and EUR bundles, signed with FR's key. The test verifies DE's
//! signature itself too, over canonical bytes computed by hand.
//! The other keys never leave DE. The keys' unknown days since onset
//! travel as EFGS "symptom status unknown" and come back as unknown. The
//! gateway reads its options from a configuration file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use prost::Message;
use proto::exposurenotification::TemporaryExposureKey;
use proto::submission::SubmissionPayload;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::support::{self, WarnProcess};

const TOKEN: &str = "federation-test-service-token-0123456789";

fn path(path: &Path) -> String {
    path.display().to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The federation options of a country.
fn federation_args(certs: &Path, country: &str, gateway: &str) -> Vec<String> {
    vec![
        "--country".into(),
        country.into(),
        "--federation-gateway".into(),
        gateway.into(),
        "--federation-cert".into(),
        path(&certs.join(format!("{country}.pem"))),
        "--federation-key".into(),
        path(&certs.join(format!("{country}.key"))),
        "--federation-ca".into(),
        path(&certs.join("ca.pem")),
        "--federation-min-batch".into(),
        "1".into(),
    ]
}

fn warn_ok(args: &[String]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = support::warn(&args);
    assert!(
        output.status.success(),
        "warn {args:?} failed:\n{}{}",
        support::stdout(&output),
        support::stderr(&output)
    );
    support::stdout(&output)
}

async fn post(url: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.expect("JSON")
}

/// Fourteen keys of the last 14 days.
fn fourteen_keys() -> Vec<TemporaryExposureKey> {
    let today = i32::try_from(api::clock::now() / 86_400 * 144).expect("fits");
    (0..14)
        .map(|day| {
            let data = shared::random::bytes::<16>().to_vec();
            TemporaryExposureKey {
                key_data: Some(data.into()),
                transmission_risk_level: Some(5),
                rolling_start_interval_number: Some(today - day * 144),
                rolling_period: Some(144),
                report_type: None,
                days_since_onset_of_symptoms: None,
            }
        })
        .collect()
}

/// A national server with the federation service describes its callback
/// route in its OpenAPI document (one without does not have the route).
async fn assert_callback_described(de: &WarnProcess) {
    let document: serde_json::Value = reqwest::get(format!("{}/openapi.json", de.base))
        .await
        .expect("the document")
        .json()
        .await
        .expect("JSON");
    let callback = &document["paths"]["/federation/v1/callback"]["get"];
    assert!(callback["responses"]["202"].is_object(), "{callback}");
    assert_eq!(
        callback["responses"]["400"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    // A call without its parameters gets the JSON error the document names.
    let answer = reqwest::get(format!("{}/federation/v1/callback", de.base))
        .await
        .expect("an answer");
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.expect("a JSON error");
    assert_eq!(body["error"], "invalid_query");
}

/// A DE user: teleTAN, registration token, TAN, submission.
async fn submit(de: &WarnProcess, issuer: &str, consent: bool) -> BTreeSet<Vec<u8>> {
    let internal = de.internal.as_deref().expect("internal listener");
    let teletan = post(
        &format!("{internal}/version/v1/tan/teletan"),
        json!({"issuer": issuer}),
    )
    .await;
    let registered = post(
        &format!("{}/version/v1/registrationToken", de.base),
        json!({"key": teletan["value"], "keyType": "TELETAN"}),
    )
    .await;
    let tan = post(
        &format!("{}/version/v1/tan", de.base),
        json!({"registrationToken": registered["registrationToken"]}),
    )
    .await;
    let keys = fourteen_keys();
    let data = keys
        .iter()
        .map(|key| key.key_data.clone().unwrap_or_default().to_vec())
        .collect();
    let payload = SubmissionPayload {
        keys,
        request_padding: vec![0u8; 100].into(),
        visited_countries: vec!["FR".into()],
        origin: "DE".into(),
        consent_to_federation: consent,
        submission_type: 0,
    };
    let response = reqwest::Client::new()
        .post(format!("{}/version/v1/diagnosis-keys", de.base))
        .header("content-type", "application/x-protobuf")
        .header("cwa-fake", "0")
        .header("cwa-authorization", tan["tan"].as_str().expect("a TAN"))
        .body(payload.encode_to_vec())
        .send()
        .await
        .expect("the submission answers");
    assert_eq!(response.status(), StatusCode::OK);
    data
}

async fn key_data(data_dir: &Path, sql: &str) -> BTreeSet<Vec<u8>> {
    let db = api::db::Db::connect(data_dir, None)
        .await
        .expect("the database opens");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(db.pool())
        .await
        .expect("query");
    db.close().await;
    rows.iter().map(|row| row.get::<Vec<u8>, _>(0)).collect()
}

fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .expect("a time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formatted")
}

/// Every key (data) of the verified hourly bundles of `region` in a public tree.
fn region_keys(public: &Path, region: &str, ring: &shared::bundle::KeyRing) -> BTreeSet<Vec<u8>> {
    use crate::distribution::{index, read};
    let root = format!("version/v1/diagnosis-keys/country/{region}/date");
    let mut keys = BTreeSet::new();
    let dates: Vec<String> = index(public, &root);
    let today = api::federation::batch::date_of(api::clock::now() + 2 * 86_400);
    for date in dates.iter().map(String::as_str).chain([today.as_str()]) {
        let hours: Vec<u32> = match read(public, &format!("{root}/{date}/hour")) {
            Some(bytes) => serde_json::from_slice(&bytes).expect("an hour index"),
            None => continue,
        };
        for hour in hours {
            let bytes = read(public, &format!("{root}/{date}/hour/{hour}")).expect("a bundle");
            let export =
                shared::bundle::verify_export(&bytes, ring).expect("verifies with FR's key");
            assert_eq!(export.export.region(), region);
            for key in &export.export.keys {
                keys.insert(key.key_data.clone().unwrap_or_default().to_vec());
            }
        }
    }
    keys
}

/// The service token in a file of `dir` (never on the command line).
fn token_file(dir: &Path) -> PathBuf {
    let file = dir.join("service-token");
    std::fs::write(&file, TOKEN).expect("the token file is written");
    file
}

/// Downloads today's batch as FR, reads its audit entry and verifies DE's
/// signature over the EFGS canonical bytes of the keys, computed by hand.
async fn verify_de_signature(
    fr: &api::federation::client::FederationClient,
    gateway: &str,
    certs: &Path,
    consenting: &BTreeSet<Vec<u8>>,
) {
    let date = api::federation::batch::date_of(api::clock::now());
    let answer = super::get(
        fr,
        &format!("{gateway}/diagnosiskeys/download/{date}"),
        &[("accept", "application/protobuf; version=1.0")],
    )
    .await
    .expect("the gateway answers");
    assert_eq!(answer.status, 200);
    let keys = super::wire::decode(&answer.body);
    assert_eq!(keys.len(), consenting.len());
    let tag = answer.header("batchTag").expect("a tag").to_owned();
    let audit = super::get(
        fr,
        &format!("{gateway}/diagnosiskeys/audit/download/{date}/{tag}"),
        &[("accept", "application/json")],
    )
    .await
    .expect("the gateway answers");
    assert_eq!(audit.status, 200, "{}", audit.text());
    let entries: Value = serde_json::from_slice(&audit.body).expect("JSON");
    assert_eq!(entries[0]["country"], "DE");
    assert_eq!(entries[0]["amount"], 112);
    let ca = {
        use der::Decode;
        let der = api::federation::certs::load_ca(&certs.join("ca.pem")).expect("CA");
        x509_cert::Certificate::from_der(der.as_ref()).expect("CA parses")
    };
    let signer = api::federation::signature::verify(
        &super::wire::canonical(&keys),
        entries[0]["batchSignature"].as_str().expect("a signature"),
        &ca,
        api::clock::now(),
    )
    .expect("DE's signature verifies over EFGS's canonical bytes");
    assert_eq!(signer.country, "DE");
}

#[tokio::test(flavor = "multi_thread")]
async fn consenting_keys_travel_from_de_to_fr_bundles_and_others_stay() {
    let certs = tempfile::tempdir().expect("temporary folder");
    let dirs: Vec<PathBuf> = (0..3)
        .map(|_| tempfile::tempdir().expect("temporary folder").keep())
        .collect();
    let (gateway_dir, de_dir, fr_dir) = (&dirs[0], &dirs[1], &dirs[2]);
    let written = warn_ok(&[
        "federation".into(),
        "cert".into(),
        "--dir".into(),
        path(certs.path()),
        "DE".into(),
        "FR".into(),
    ]);
    assert!(
        written.contains("DE.pem") && written.contains("ca.pem"),
        "{written}"
    );

    // The gateway takes its options from a configuration file.
    let gateway_toml = certs.path().join("gateway.toml");
    std::fs::write(
        &gateway_toml,
        format!(
            "services = \"gateway\"\ndata-dir = {:?}\nfederation-cert = {:?}\n\
             federation-key = {:?}\nfederation-ca = {:?}\n",
            path(gateway_dir),
            path(&certs.path().join("gateway.pem")),
            path(&certs.path().join("gateway.key")),
            path(&certs.path().join("ca.pem")),
        ),
    )
    .expect("the configuration file is written");
    // FR's callback is http on loopback: the operator allows it for this
    // local set-up.
    let gateway = WarnProcess::start(
        &[
            "--config".into(),
            path(&gateway_toml),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--federation-allow-local-callbacks".into(),
        ],
        false,
    );
    assert!(gateway.base.starts_with("https://"), "{}", gateway.base);
    let gateway_url = gateway.base.replace("127.0.0.1", "localhost");

    let fr_port = free_port();
    let mut fr_args = vec![
        "--listen".into(),
        format!("127.0.0.1:{fr_port}"),
        "--data-dir".into(),
        path(fr_dir),
        "--federation-callback".into(),
        format!("http://127.0.0.1:{fr_port}/federation/v1/callback"),
    ];
    fr_args.extend(federation_args(certs.path(), "FR", &gateway_url));
    let _fr = WarnProcess::start(&fr_args, false);
    let mut de_args = vec![
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--internal-listen".into(),
        "127.0.0.1:0".into(),
        "--service-token-file".into(),
        path(&token_file(de_dir)),
        "--data-dir".into(),
        path(de_dir),
    ];
    de_args.extend(federation_args(certs.path(), "DE", &gateway_url));
    let de = WarnProcess::start(&de_args, true);
    assert_callback_described(&de).await;

    // FR registers its callback when it starts; wait until the gateway has it.
    let fr_client = super::client(certs.path(), "FR");
    let mut registered = false;
    for _ in 0..100 {
        let answer = super::get(
            &fr_client,
            &format!("{gateway_url}/diagnosiskeys/callback"),
            &[],
        )
        .await
        .expect("the gateway answers");
        let list: Value = serde_json::from_slice(&answer.body).expect("JSON");
        if list.as_array().is_some_and(|list| !list.is_empty()) {
            registered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(registered, "FR did not register its callback");

    let mut consenting = BTreeSet::new();
    for user in 0..8 {
        consenting.extend(submit(&de, &format!("agent-consent-{user}"), true).await);
    }
    assert_eq!(consenting.len(), 112);
    let private = submit(&de, "agent-private", false).await;

    // DE's federation run, past the embargo of today's keys.
    let later = api::clock::now() + 2 * 86_400;
    let mut sync = vec![
        "federation".into(),
        "sync".into(),
        "--now".into(),
        rfc3339(later),
        "--data-dir".into(),
        path(de_dir),
    ];
    sync.extend(federation_args(certs.path(), "DE", &gateway_url));
    let report = warn_ok(&sync);
    assert!(
        report.contains("112 keys uploaded in 1 batches"),
        "{report}"
    );
    // A second run uploads nothing again, and DE never gets its own keys back.
    let report = warn_ok(&sync);
    assert!(report.contains("0 keys uploaded"), "{report}");
    assert!(report.contains("0 keys downloaded"), "{report}");

    // The gateway holds exactly the consenting keys.
    let at_gateway = key_data(gateway_dir, "SELECT key_data FROM gateway_keys").await;
    assert_eq!(at_gateway, consenting);

    // The gateway called FR back; FR downloaded them.
    let mut at_fr = BTreeSet::new();
    for _ in 0..100 {
        at_fr = key_data(
            fr_dir,
            "SELECT key_data FROM diagnosis_keys WHERE origin_country = 'DE'",
        )
        .await;
        if at_fr.len() >= consenting.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(at_fr, consenting, "FR's stored foreign keys (by callback)");
    assert!(at_fr.is_disjoint(&private));
    verify_de_signature(&fr_client, &gateway_url, certs.path(), &consenting).await;

    // The phones sent no days since onset: they travel as "symptom status
    // unknown" counted from the submission day (EFGS 4000 + d, d = the
    // key's day minus the submission's), never as 0, and FR stores them as
    // unknown.
    let rows = |data_dir: PathBuf, sql: &'static str| async move {
        let db = api::db::Db::connect(&data_dir, None)
            .await
            .expect("the database opens");
        let rows = sqlx::query(sql).fetch_all(db.pool()).await.expect("query");
        db.close().await;
        rows.iter()
            .map(|row| (row.get::<Vec<u8>, _>(0), row.get::<Option<i64>, _>(1)))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let expected = rows(
        de_dir.clone(),
        "SELECT key_data, 4000 + rolling_start_interval_number / 144 - submitted_hour / 24 \
         FROM diagnosis_keys WHERE consent_to_federation = 1",
    )
    .await;
    let at_gateway_onsets = rows(
        gateway_dir.clone(),
        "SELECT key_data, days_since_onset_of_symptoms FROM gateway_keys",
    )
    .await;
    assert_eq!(at_gateway_onsets, expected);
    assert!(
        expected
            .values()
            .all(|wire| (3986..=4000).contains(&wire.unwrap_or(0))),
        "{expected:?}"
    );
    let at_fr_onsets = rows(
        fr_dir.clone(),
        "SELECT key_data, days_since_onset_of_symptoms FROM diagnosis_keys \
         WHERE origin_country = 'DE'",
    )
    .await;
    assert!(
        at_fr_onsets.iter().all(|(_, onset)| onset.is_none()),
        "{at_fr_onsets:?}"
    );

    // Callbacks coalesce (a burst costs one download per date, not a task
    // each); dates outside the gateway's retention and malformed ones are
    // refused; nothing changes.
    let callback = format!("http://127.0.0.1:{fr_port}/federation/v1/callback");
    let client = reqwest::Client::new();
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let burst = (0..100).map(|_| {
        client
            .get(format!("{callback}?batchTag=burst&date={today}"))
            .send()
    });
    for response in futures_util::future::join_all(burst).await {
        assert_eq!(response.expect("an answer").status(), 202);
    }
    for date in ["2020-01-01", "2999-01-01", "yesterday"] {
        let response = client
            .get(format!("{callback}?batchTag=old&date={date}"))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), 400, "{date}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = key_data(
        fr_dir,
        "SELECT key_data FROM diagnosis_keys WHERE origin_country = 'DE'",
    )
    .await;
    assert_eq!(after, consenting);

    // FR's distribution publishes them, signed with FR's key. The run that
    // `warn serve` starts with must be over first: it would delete what a
    // run as of a later time writes.
    let mut finished = false;
    for _ in 0..300 {
        let db = api::db::Db::connect(fr_dir, None)
            .await
            .expect("FR's database");
        let runs: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM distribution_runs WHERE finished_at IS NOT NULL",
        )
        .fetch_one(db.pool())
        .await
        .expect("count")
        .get("n");
        db.close().await;
        if runs > 0 {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(finished, "FR's first distribution run did not finish");
    let fr_storage = ["--data-dir".to_owned(), path(fr_dir)];
    let mut distribute = vec![
        "distribute".into(),
        "--now".into(),
        rfc3339(later),
        "--country".into(),
        "FR".into(),
        "--min-keys".into(),
        "1".into(),
    ];
    distribute.extend(fr_storage.iter().cloned());
    warn_ok(&distribute);
    let ring_text = warn_ok(&[
        "key".into(),
        "show".into(),
        "--data-dir".into(),
        path(fr_dir),
    ]);
    let mut ring = shared::bundle::KeyRing::new();
    for block in ring_text.split_inclusive("-----END PUBLIC KEY-----\n") {
        if block.contains("BEGIN PUBLIC KEY") {
            ring.add_pem(block).expect("FR's public key");
        }
    }
    let public = fr_dir.join("public");
    let regions: Vec<String> =
        crate::distribution::index(&public, "version/v1/diagnosis-keys/country");
    assert_eq!(regions, ["FR", "EUR"]);
    let in_fr = region_keys(&public, "FR", &ring);
    let in_eur = region_keys(&public, "EUR", &ring);
    assert_eq!(in_fr, consenting, "FR's FR bundles");
    assert_eq!(in_eur, consenting, "FR's EUR bundles");
    assert!(in_fr.is_disjoint(&private) && in_eur.is_disjoint(&private));

    drop(de);
    drop(gateway);
    for dir in &dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}
