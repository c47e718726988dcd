//! The gateway against the EFGS contract as a member uses it: requests
//! encoded and answers decoded by hand from the official field numbers
//! ([`super::wire`]), signatures over EFGS's canonical bytes, every status
//! and header of `UploadController`, `DownloadController`,
//! `AuditController` and `CallbackAdminController`.

use axum::http::{Method, StatusCode};
use base64::Engine;

use super::client;
use super::gateway::Gateway;
use super::wire::{self, Key};
use api::federation::client::{Answer, FederationClient};

fn today() -> String {
    api::federation::batch::date_of(api::clock::now())
}

/// Sends a request with headers; the answer.
async fn send(
    client: &FederationClient,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Answer {
    client
        .send(method, url, headers, body)
        .await
        .expect("the gateway answers")
}

/// Uploads as cwa-server's `FederationGatewayClient.postBatchUpload` does.
async fn upload(gateway: &Gateway, country: &str, tag: &str, keys: &[Key]) -> Answer {
    let (body, signature) = wire::signed(keys, gateway.dir(), country);
    send(
        &client(gateway.dir(), country),
        Method::POST,
        &format!("{}/diagnosiskeys/upload", gateway.base),
        &[
            ("content-type", "application/protobuf; version=1.0"),
            ("accept", "application/json; version=1.0"),
            ("batchTag", tag),
            ("batchSignature", &signature),
        ],
        body,
    )
    .await
}

/// Downloads the first batch of today as cwa-server does.
async fn download(gateway: &Gateway, country: &str, tag: Option<&str>) -> Answer {
    let mut headers = vec![("accept", "application/protobuf; version=1.0")];
    if let Some(tag) = tag {
        headers.push(("batchTag", tag));
    }
    send(
        &client(gateway.dir(), country),
        Method::GET,
        &format!("{}/diagnosiskeys/download/{}", gateway.base, today()),
        &headers,
        Vec::new(),
    )
    .await
}

/// 150 keys signed over EFGS's canonical bytes (computed here, by hand)
/// are accepted; 201 names the batch tag; another country downloads every
/// key exactly as uploaded: visited countries in their order with their
/// repetitions, "not set" and 0 transmission risk levels, every report
/// type and days since onset, field by field.
#[tokio::test(flavor = "multi_thread")]
async fn efgs_signed_batches_come_back_exactly_as_uploaded() {
    let gateway = Gateway::start(None).await;
    let mut keys = wire::keys(150, "DE", &["NL", "FR", "NL", "BE"]);
    keys[0].transmission_risk_level = 0x7fff_ffff;
    keys[1].transmission_risk_level = 0;
    keys[2].visited_countries = Vec::new();
    keys[3].report_type = 4;
    keys[4].days_since_onset_of_symptoms = 3002;
    keys[5].visited_countries = vec!["ZZ".into(), "AA".into()];
    let answer = upload(&gateway, "DE", "de-2026-1", &keys).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.header("batchTag"), Some("de-2026-1"));

    let answer = download(&gateway, "FR", None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.header("content-type"),
        Some("application/protobuf; version=1.0")
    );
    assert_eq!(answer.header("X-Protobuf-Schema"), Some("Efgs.proto"));
    assert_eq!(
        answer.header("X-Protobuf-Message"),
        Some("eu.interop.DiagnosisKeyBatch")
    );
    assert_eq!(answer.header("nextBatchTag"), Some("null"));
    let got = wire::decode(&answer.body);
    assert_eq!(got, keys, "the keys, in upload order, every field as sent");
    // DE gets its own batch without keys.
    let answer = download(&gateway, "DE", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(wire::decode(&answer.body).is_empty());
    gateway.stop().await;
}

/// A tag used before, by any country, is 409 before the signature is
/// looked at; a refused batch leaves the tag free.
#[tokio::test(flavor = "multi_thread")]
async fn a_used_batch_tag_is_409_before_the_signature_is_checked() {
    let gateway = Gateway::start(None).await;
    let keys = wire::keys(3, "DE", &["FR"]);
    let answer = upload(&gateway, "DE", "shared-tag", &keys).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    for country in ["DE", "FR"] {
        let answer = send(
            &client(gateway.dir(), country),
            Method::POST,
            &format!("{}/diagnosiskeys/upload", gateway.base),
            &[
                ("content-type", "application/protobuf; version=1.0"),
                ("batchTag", "shared-tag"),
                ("batchSignature", "bm90IGEgc2lnbmF0dXJl"),
            ],
            wire::encode(&wire::keys(2, country, &["NL"])),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::CONFLICT,
            "{country}: {}",
            answer.text()
        );
    }
    assert_eq!(gateway.count("gateway_batches").await, 1);
    gateway.stop().await;
}

/// `application/json; version=1.0` uploads are accepted (EFGS's upload
/// consumes JSON too); versions and types are judged as EFGS judges them.
#[tokio::test(flavor = "multi_thread")]
async fn json_uploads_and_media_versions() {
    let gateway = Gateway::start(None).await;
    let de = client(gateway.dir(), "DE");
    let keys = wire::keys(4, "DE", &["FR", "NL"]);
    let (_, signature) = wire::signed(&keys, gateway.dir(), "DE");
    let json = serde_json::json!({"keys": keys.iter().map(|key| serde_json::json!({
        "keyData": base64::engine::general_purpose::STANDARD.encode(&key.key_data),
        "rollingStartIntervalNumber": key.rolling_start_interval_number,
        "rollingPeriod": key.rolling_period,
        "transmissionRiskLevel": key.transmission_risk_level,
        "visitedCountries": key.visited_countries,
        "origin": key.origin,
        "reportType": "CONFIRMED_TEST",
        "days_since_onset_of_symptoms": key.days_since_onset_of_symptoms,
    })).collect::<Vec<_>>()});
    let url = format!("{}/diagnosiskeys/upload", gateway.base);
    for (content_type, tag, expected) in [
        ("application/json", "j0", StatusCode::BAD_REQUEST),
        (
            "application/json; version=2.0",
            "j1",
            StatusCode::NOT_ACCEPTABLE,
        ),
        (
            "text/plain; version=1.0",
            "j2",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        ("application/json; version=1.0", "j3", StatusCode::CREATED),
    ] {
        let answer = send(
            &de,
            Method::POST,
            &url,
            &[
                ("content-type", content_type),
                ("batchTag", tag),
                ("batchSignature", &signature),
            ],
            serde_json::to_vec(&json).expect("JSON"),
        )
        .await;
        assert_eq!(answer.status, expected, "{content_type}: {}", answer.text());
    }
    // Downloaded as JSON, with the proto's field names.
    let answer = send(
        &client(gateway.dir(), "FR"),
        Method::GET,
        &format!("{}/diagnosiskeys/download/{}", gateway.base, today()),
        &[("accept", "application/json; version=1.0")],
        Vec::new(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; version=1.0")
    );
    let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
    assert_eq!(
        body["keys"][1]["visitedCountries"],
        serde_json::json!(["FR", "NL"])
    );
    assert_eq!(body["keys"][1]["reportType"], "CONFIRMED_TEST");
    // Accept without a version: 415, as EFGS's converter answers.
    let answer = send(
        &client(gateway.dir(), "FR"),
        Method::GET,
        &format!("{}/diagnosiskeys/download/{}", gateway.base, today()),
        &[("accept", "application/protobuf")],
        Vec::new(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    gateway.stop().await;
}

/// The audit interface answers who uploaded a batch, with the signature
/// and certificates stored at upload; a member verifies the signature over
/// the keys it downloaded with EFGS's canonical bytes.
#[tokio::test(flavor = "multi_thread")]
async fn the_audit_names_the_upload_and_its_signature_verifies() {
    let gateway = Gateway::start(None).await;
    let keys = wire::keys(120, "NL", &["DE"]);
    let (_, signature) = wire::signed(&keys, gateway.dir(), "NL");
    let answer = upload(&gateway, "NL", "nl-1", &keys).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let answer = download(&gateway, "DE", None).await;
    let tag = answer.header("batchTag").expect("batchTag").to_owned();
    let downloaded = wire::decode(&answer.body);

    let de = client(gateway.dir(), "DE");
    let audit = |date: String, tag: String| {
        let de = de.clone();
        let url = format!("{}/diagnosiskeys/audit/download/{date}/{tag}", gateway.base);
        async move {
            send(
                &de,
                Method::GET,
                &url,
                &[("accept", "application/json")],
                Vec::new(),
            )
            .await
        }
    };
    let answer = audit(today(), tag.clone()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let entries: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
    let entry = &entries[0];
    assert_eq!(entries.as_array().map(Vec::len), Some(1));
    assert_eq!(entry["country"], "NL");
    assert_eq!(entry["amount"], 120);
    // The certificate travels with the signature; the signature is the
    // header as sent.
    assert_eq!(entry["batchSignature"], signature);
    let nl = api::federation::certs::Identity::in_dir(gateway.dir(), "NL").expect("NL");
    let thumbprint = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(nl.cert.as_ref()))
    };
    assert_eq!(entry["uploaderThumbprint"], thumbprint);
    assert_eq!(entry["uploaderSigningThumbprint"], thumbprint);
    assert!(
        entry["uploaderCertificate"]
            .as_str()
            .is_some_and(|pem| pem.starts_with("-----BEGIN CERTIFICATE-----")),
        "{entry}"
    );
    assert!(
        entry["uploadedTime"]
            .as_str()
            .is_some_and(|time| time.ends_with('Z'))
    );
    let ca = {
        use der::Decode;
        let der = api::federation::certs::load_ca(&gateway.dir().join("ca.pem")).expect("CA");
        x509_cert::Certificate::from_der(der.as_ref()).expect("CA parses")
    };
    let signer = api::federation::signature::verify(
        &wire::canonical(&downloaded),
        entry["batchSignature"].as_str().expect("a signature"),
        &ca,
        api::clock::now(),
    )
    .expect("the uploader's signature verifies over the downloaded keys");
    assert_eq!(signer.country, "NL");

    // Unknown tag, another date: 404; too old: 410; not a date: 400.
    assert_eq!(
        audit(today(), "no-such".into()).await.status,
        StatusCode::NOT_FOUND
    );
    let yesterday = api::federation::batch::date_of(api::clock::now() - 86_400);
    assert_eq!(
        audit(yesterday, tag.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    let old = api::federation::batch::date_of(api::clock::now() - 30 * 86_400);
    assert_eq!(audit(old, tag.clone()).await.status, StatusCode::GONE);
    assert_eq!(
        audit("soon".into(), tag).await.status,
        StatusCode::BAD_REQUEST
    );
    gateway.stop().await;
}

/// Download's other answers: a tag of another date is 400; `OPTIONS`
/// names the methods and formats.
#[tokio::test(flavor = "multi_thread")]
async fn download_statuses_and_options() {
    let gateway = Gateway::start(None).await;
    let answer = upload(&gateway, "DE", "d-1", &wire::keys(2, "DE", &["FR"])).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let tag = download(&gateway, "FR", None)
        .await
        .header("batchTag")
        .expect("a tag")
        .to_owned();
    let yesterday = api::federation::batch::date_of(api::clock::now() - 86_400);
    let fr = client(gateway.dir(), "FR");
    let answer = send(
        &fr,
        Method::GET,
        &format!("{}/diagnosiskeys/download/{yesterday}", gateway.base),
        &[
            ("accept", "application/protobuf; version=1.0"),
            ("batchTag", &tag),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
    let answer = send(
        &fr,
        Method::OPTIONS,
        &format!("{}/diagnosiskeys/download/{}", gateway.base, today()),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("allow"), Some("GET,OPTIONS"));
    assert_eq!(
        answer.header("accept"),
        Some("application/json; version=1.0, application/protobuf; version=1.0")
    );
    gateway.stop().await;
}

/// A certificate that names no country is refused (403) before the body
/// is read: a body far over any limit gets the same 403.
#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_without_country_is_refused_before_the_body_is_read() {
    let gateway = Gateway::start(None).await;
    let nameless = client(gateway.dir(), "gateway");
    for size in [10, 12 * 1024 * 1024] {
        let answer = send(
            &nameless,
            Method::POST,
            &format!("{}/diagnosiskeys/upload", gateway.base),
            &[
                ("content-type", "application/protobuf; version=1.0"),
                ("batchTag", "x"),
                ("batchSignature", "x"),
            ],
            vec![0u8; size],
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{size} bytes");
    }
    gateway.stop().await;
}

/// Callback URLs: https, no query, on public addresses only (the cloud
/// metadata address, loopback, private ranges refused), at most 10 per
/// country; an operator's local set-up allows http on loopback.
#[tokio::test(flavor = "multi_thread")]
async fn callback_urls_must_be_public_https_and_bounded() {
    let gateway = Gateway::start(None).await;
    let de = client(gateway.dir(), "DE");
    let put = |id: String, url: &str| {
        let de = de.clone();
        let target = format!(
            "{}/diagnosiskeys/callback/{id}?url={}",
            gateway.base,
            url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>()
        );
        async move { send(&de, Method::PUT, &target, &[], Vec::new()).await }
    };
    for url in [
        "http://1.1.1.1/callback",
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.1:8443/callback",
        "https://localhost/callback",
        "https://10.1.2.3/callback",
        "https://192.168.0.1/callback",
        "https://[::1]/callback",
        "https://[::ffff:169.254.169.254]/callback",
        "https://1.1.1.1/callback?x=1",
    ] {
        let answer = put("c".into(), url).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{url}");
        let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
        assert_eq!(body["error"], "invalid_url", "{url}");
    }
    for index in 0..10 {
        let answer = put(format!("c{index}"), "https://1.1.1.1/callback").await;
        assert_eq!(answer.status, StatusCode::OK, "{index}");
    }
    let answer = put("c10".into(), "https://1.1.1.1/callback").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    // Replacing one of the ten is fine.
    let answer = put("c3".into(), "https://8.8.8.8/callback").await;
    assert_eq!(answer.status, StatusCode::OK);
    gateway.stop().await;

    let local = Gateway::start_with(None, true).await;
    let de = client(local.dir(), "DE");
    let answer = send(
        &de,
        Method::PUT,
        &format!(
            "{}/diagnosiskeys/callback/local?url=http://127.0.0.1:9/federation/v1/callback",
            local.base
        ),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    local.stop().await;
}

/// A downloaded batch made of several uploads, as EFGS assembles them
/// (whole uploads one after the other, the audit naming them in no stated
/// order): each upload's run of keys must verify under its own entry's
/// signature. Keys moved between uploads, a wrong count or a signature by
/// another country's certificate fail the audit.
#[test]
fn an_audit_of_several_uploads_matches_each_run_of_keys_to_its_signature() {
    use api::federation::national::{AuditEntry, check_audit};
    use der::Decode;
    use prost::Message;

    let dir = super::certificates(&["DE", "FR", "NL"]);
    let ca = api::federation::certs::load_ca(&dir.path().join(api::federation::certs::CA_CERT))
        .expect("CA");
    let ca = x509_cert::Certificate::from_der(ca.as_ref()).expect("CA certificate");
    let now = api::clock::now();
    let uploads = [
        wire::keys(3, "DE", &["FR"]),
        wire::keys(5, "DE", &["FR", "NL"]),
        wire::keys(4, "NL", &["FR"]),
    ];
    let entry = |keys: &[Key], signer: &str| AuditEntry {
        country: keys[0].origin.clone(),
        amount: keys.len() as i64,
        batch_signature: wire::signed(keys, dir.path(), signer).1,
    };
    let batch_of = |keys: &[Key]| {
        proto::efgs::DiagnosisKeyBatch::decode(wire::encode(keys).as_slice()).expect("a batch")
    };
    let all: Vec<Key> = uploads.concat();
    let entries = vec![
        entry(&uploads[1], "DE"),
        entry(&uploads[2], "NL"),
        entry(&uploads[0], "DE"),
    ];
    check_audit(&batch_of(&all), &entries, &ca, now).expect("every upload verifies");

    // The first key of the second upload moved into the first.
    let mut moved = all.clone();
    moved.swap(2, 3);
    let error = check_audit(&batch_of(&moved), &entries, &ca, now).expect_err("refused");
    assert!(error.contains("signed by no upload"), "{error}");

    // A count that does not add up.
    let mut short = entries.clone();
    short[0].amount = 4;
    let error = check_audit(&batch_of(&all), &short, &ca, now).expect_err("refused");
    assert!(error.contains("the audit counts"), "{error}");

    // DE's keys signed with FR's certificate.
    let mut forged = entries.clone();
    forged[2] = entry(&uploads[0], "FR");
    let error = check_audit(&batch_of(&all), &forged, &ca, now).expect_err("refused");
    assert!(error.contains("signed by no upload"), "{error}");

    // An origin the audit does not name.
    let without_nl = [entries[0].clone(), entries[2].clone()];
    let error = check_audit(&batch_of(&all), &without_nl, &ca, now).expect_err("refused");
    assert!(error.contains("no upload of NL"), "{error}");
}
