//! Publishing to a real S3-compatible server. `s3s-fs` (an S3 server over a
//! folder, built on `s3s`) runs in this process on 127.0.0.1:0 with
//! signature V4 authentication; `warn distribute` and `warn serve` reach it
//! over HTTP as they would reach AWS S3 or MinIO, configured by the `AWS_*`
//! variables an operator sets.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use hyper_util::rt::{TokioExecutor, TokioIo};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::{Attribute, ObjectStore, ObjectStoreExt};

use super::{Storage, key_ring};
use crate::support;

const ACCESS_KEY: &str = "warn-test-publisher";
/// Distinctive, so that a test can look for it in every line a run logs.
const SECRET_KEY: &str = "s3cret-7f2c9e1a-must-never-be-logged";
const WRONG_SECRET_KEY: &str = "wr0ng-4b8d2f60-must-never-be-logged";
const BUCKET: &str = "bundles";
/// The publish URL's prefix: objects are `cdn/version/v1/...`.
const PREFIX: &str = "cdn";
const SEEDED_AT: &str = "2026-11-20T12:00:00Z";
const RUN_AT: &str = "2026-11-21T00:30:00Z";
/// A day later: the oldest day leaves the window, a new one enters.
const NEXT_DAY: &str = "2026-11-22T00:30:00Z";
const DAY: &str = "version/v1/diagnosis-keys/country/DE/date/2026-11-20";

/// An S3 server over a temporary folder, with one bucket, that records the
/// method and path of every request.
struct S3Server {
    endpoint: String,
    /// `METHOD PATH?QUERY` of each request.
    requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
    _root: tempfile::TempDir,
}

impl S3Server {
    async fn start() -> Self {
        let root = tempfile::tempdir().expect("temporary folder");
        std::fs::create_dir(root.path().join(BUCKET)).expect("the bucket's folder");
        let store = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs over the folder");
        let mut builder = s3s::service::S3ServiceBuilder::new(store);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                let log = Arc::clone(&log);
                let recorded = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        if let Ok(mut log) = log.lock() {
                            log.push(format!("{} {}", request.method(), request.uri()));
                        }
                        hyper::service::Service::call(&service, request)
                    },
                );
                tokio::spawn(async move {
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), recorded)
                        .await;
                });
            }
        });
        Self {
            endpoint,
            requests,
            task,
            _root: root,
        }
    }

    /// The requests so far, emptying the record.
    fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.requests.lock().expect("request log"))
    }

    /// A client of the bucket, for reading what was published.
    fn client(&self) -> AmazonS3 {
        AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_bucket_name(BUCKET)
            .with_access_key_id(ACCESS_KEY)
            .with_secret_access_key(SECRET_KEY)
            .build()
            .expect("an S3 client")
    }

    /// Every published object: path below the prefix, bytes, and its
    /// `Content-Type` and `Cache-Control`.
    async fn objects(&self) -> BTreeMap<String, Published> {
        let client = self.client();
        let metas: Vec<_> = client
            .list(Some(&object_store::path::Path::from(PREFIX)))
            .try_collect()
            .await
            .expect("the bucket lists");
        let mut objects = BTreeMap::new();
        for meta in metas {
            let found = client.get(&meta.location).await.expect("the object reads");
            let header = |key: &Attribute| {
                found
                    .attributes
                    .get(key)
                    .map(|value| value.to_string())
                    .unwrap_or_default()
            };
            let content_type = header(&Attribute::ContentType);
            let cache_control = header(&Attribute::CacheControl);
            let bytes = found.bytes().await.expect("the object's bytes").to_vec();
            let path = meta.location.as_ref().to_owned();
            let path = path
                .strip_prefix(&format!("{PREFIX}/"))
                .unwrap_or(&path)
                .to_owned();
            objects.insert(
                path,
                Published {
                    bytes,
                    content_type,
                    cache_control,
                },
            );
        }
        objects
    }

    /// `warn ARGS` with the storage's options, publishing to this server's
    /// bucket (`s3://BUCKET/PREFIX`, or `url`) with `secret`.
    fn warn(&self, storage: &Storage, args: &[&str], url: Option<&str>, secret: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_warn"));
        command
            .args(args)
            .args(storage.args())
            .arg("--publish-url")
            .arg(url.unwrap_or(&format!("s3://{BUCKET}/{PREFIX}")))
            .env_remove("WARN_CONFIG")
            .env_remove("WARN_DATA_DIR")
            .env_remove("WARN_DATABASE_URL")
            .env_remove("WARN_PUBLISH_URL");
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("AWS_") {
                command.env_remove(name);
            }
        }
        command
            .env("AWS_ENDPOINT", &self.endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("NO_COLOR", "1");
        command
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An object as a client reads it.
#[derive(Debug, PartialEq, Eq)]
struct Published {
    bytes: Vec<u8>,
    content_type: String,
    cache_control: String,
}

/// Runs `command` off the runtime's threads (the S3 server runs on them).
async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("warn runs"))
        .await
        .expect("the waiting thread")
}

/// Runs `command` and asserts that it succeeded.
async fn succeed(command: Command) -> Output {
    let output = output(command).await;
    assert!(
        output.status.success(),
        "warn failed:\n{}{}",
        support::stdout(&output),
        support::stderr(&output)
    );
    output
}

/// Every file of a local publication: path below the folder, bytes.
fn folder_files(public: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut folders = vec![public.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.file_name().is_some_and(|name| name != ".publish.lock") {
                let relative = path.strip_prefix(public).expect("below the folder");
                let bytes = std::fs::read(&path).expect("readable file");
                files.insert(relative.display().to_string(), bytes);
            }
        }
    }
    files
}

/// Asserts that the bucket holds exactly the folder's files, byte for byte.
fn assert_same_tree(
    objects: &BTreeMap<String, Published>,
    files: &BTreeMap<String, Vec<u8>>,
    when: &str,
) {
    let object_names: Vec<&String> = objects.keys().collect();
    let file_names: Vec<&String> = files.keys().collect();
    assert_eq!(object_names, file_names, "{when}: the same object keys");
    for (name, object) in objects {
        assert!(object.bytes == files[name], "{when}: {name} differs");
    }
}

fn seed(storage: &Storage, cases: &str) {
    storage.warn(&[
        "demo", "seed", "--cases", cases, "--days", "3", "--now", SEEDED_AT, "--seed", "5",
    ]);
}

/// The requests that change the bucket: PUT, DELETE, and POST (the bulk
/// `DeleteObjects` through which `object_store` deletes).
fn writes(requests: &[String]) -> Vec<&String> {
    requests
        .iter()
        .filter(|request| {
            ["PUT ", "DELETE ", "POST "]
                .iter()
                .any(|m| request.starts_with(m))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_run_publishes_the_objects_of_a_folder_run_and_a_rerun_writes_nothing() {
    let storage = Storage::sqlite();
    seed(&storage, "40");
    let server = S3Server::start().await;
    let distribute = |now: &'static str| ["distribute", "--now", now, "--min-keys", "1"];

    storage.warn(&distribute(RUN_AT));
    succeed(server.warn(&storage, &distribute(RUN_AT), None, SECRET_KEY)).await;
    let objects = server.objects().await;
    assert_same_tree(&objects, &folder_files(&storage.public()), "first run");
    // 14 days of 24 hourly and one daily bundle, their indexes, the
    // country index, the keys and the configuration.
    assert!(objects.len() > 14 * 25, "{} objects", objects.len());
    let ring = key_ring(&storage, false);
    let day = &objects[&format!("{DAY}/index")];
    shared::bundle::verify_export(&day.bytes, &ring).expect("the daily bundle verifies");

    // What a CDN in front of the bucket sends along.
    let headers = |path: &str| {
        let object = &objects[&format!("{path}/index")];
        (object.content_type.as_str(), object.cache_control.as_str())
    };
    let bundle = ("application/zip", "public, max-age=86400");
    let index = ("application/json", "public, max-age=300");
    assert_eq!(headers(DAY), bundle);
    assert_eq!(headers(&format!("{DAY}/hour/13")), bundle);
    assert_eq!(headers(&format!("{DAY}/hour")), index);
    assert_eq!(headers("version/v1/diagnosis-keys/country/DE/date"), index);
    assert_eq!(headers("version/v1/diagnosis-keys/country"), index);
    assert_eq!(headers("version/v1/keys"), index);
    assert_eq!(
        headers("version/v1/configuration/country/DE/app_config"),
        ("application/zip", "public, max-age=300")
    );

    // The same run again: everything is compared, nothing written or deleted.
    server.take_requests();
    let output = succeed(server.warn(&storage, &distribute(RUN_AT), None, SECRET_KEY)).await;
    let summary = support::stdout(&output);
    assert!(summary.contains("(0 written"), "{summary}");
    let requests = server.take_requests();
    assert!(
        requests.iter().filter(|r| r.starts_with("GET ")).count() >= objects.len(),
        "the rerun read every object: {} requests",
        requests.len()
    );
    assert_eq!(writes(&requests), Vec::<&String>::new(), "the rerun wrote");
    assert_eq!(server.objects().await, objects);

    // A day later: a new day enters, the oldest leaves; the bucket follows
    // the folder, deletions included.
    storage.warn(&distribute(NEXT_DAY));
    succeed(server.warn(&storage, &distribute(NEXT_DAY), None, SECRET_KEY)).await;
    let requests = server.take_requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("DELETE ") || (r.starts_with("POST ") && r.ends_with("?delete"))),
        "the day that left the window was deleted: {requests:?}"
    );
    assert_same_tree(
        &server.objects().await,
        &folder_files(&storage.public()),
        "a day later",
    );
}

/// `(finished, unfinished)` runs recorded.
async fn runs(storage: &Storage) -> (i64, i64) {
    let db = storage.db().await;
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(db.pool())
                .await
                .expect("runs")
        }
    };
    let finished =
        count("SELECT COUNT(*) FROM distribution_runs WHERE finished_at IS NOT NULL").await;
    let unfinished =
        count("SELECT COUNT(*) FROM distribution_runs WHERE finished_at IS NULL").await;
    db.close().await;
    (finished, unfinished)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusing_store_fails_the_run_clearly_and_the_next_run_completes() {
    let storage = Storage::sqlite();
    seed(&storage, "10");
    let server = S3Server::start().await;
    let distribute = ["distribute", "--now", RUN_AT, "--min-keys", "1"];
    let cases = [
        (
            "a wrong secret key",
            None,
            WRONG_SECRET_KEY,
            "the store refused the credentials",
        ),
        (
            "a missing bucket",
            Some("s3://no-such-bucket/cdn"),
            SECRET_KEY,
            "the bucket does not exist",
        ),
    ];
    for (number, (case, url, secret, reason)) in cases.into_iter().enumerate() {
        let mut command = server.warn(&storage, &distribute, url, secret);
        command.env("RUST_LOG", "trace");
        let output = output(command).await;
        let log = format!("{}{}", support::stdout(&output), support::stderr(&output));
        assert!(
            !output.status.success(),
            "{case}: the run succeeded:\n{log}"
        );
        assert!(
            log.contains("distribution failed") && log.contains(reason),
            "{case}: no clear error:\n{log}"
        );
        for secret in [SECRET_KEY, WRONG_SECRET_KEY] {
            assert!(!log.contains(secret), "{case}: the log holds a secret key");
        }
        assert_eq!(
            runs(&storage).await,
            (0, number as i64 + 1),
            "{case}: the run is recorded as not completed"
        );
    }
    assert!(
        server.objects().await.is_empty(),
        "nothing was published by refused runs"
    );

    // The next run with the right settings completes the work.
    succeed(server.warn(&storage, &distribute, None, SECRET_KEY)).await;
    assert_eq!(runs(&storage).await, (1, 2));
    let objects = server.objects().await;
    assert!(objects.contains_key("version/v1/diagnosis-keys/country/index"));
    assert!(objects.contains_key(&format!("{DAY}/index")));
}

#[tokio::test(flavor = "multi_thread")]
async fn warn_serve_publishes_to_s3_and_serves_from_it_without_logging_the_secret() {
    let storage = Storage::sqlite();
    // Keys of the last two days: `warn serve` runs the distribution at
    // start, as of the real clock.
    storage.warn(&["demo", "seed", "--cases", "20", "--days", "2"]);
    let server = S3Server::start().await;
    let mut command = server.warn(
        &storage,
        &["serve", "--listen", "127.0.0.1:0"],
        None,
        SECRET_KEY,
    );
    command
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("warn serve starts");
    let log = Arc::new(Mutex::new(String::new()));
    let (base_sender, base) = std::sync::mpsc::channel::<String>();
    let mut readers = Vec::new();
    for (stream, is_stdout) in [
        (
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            true,
        ),
        (Box::new(child.stderr.take().expect("stderr")), false),
    ] {
        let log = Arc::clone(&log);
        let base_sender = base_sender.clone();
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if is_stdout && let Some((_, rest)) = line.split_once("serving on ") {
                    let address = rest.split_whitespace().next().unwrap_or_default();
                    let _ = base_sender.send(address.to_owned());
                }
                if let Ok(mut log) = log.lock() {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        }));
    }
    drop(base_sender);
    let base =
        tokio::task::spawn_blocking(move || base.recv_timeout(std::time::Duration::from_secs(60)))
            .await
            .expect("the waiting thread");
    let Ok(base) = base else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("warn serve did not start:\n{}", log.lock().expect("log"));
    };

    // The hourly run starts at once; wait until its files are served.
    let client = reqwest::Client::new();
    let countries = format!("{base}/version/v1/diagnosis-keys/country");
    let mut served = false;
    for _ in 0..120 {
        let response = client.get(&countries).send().await.expect("request");
        if response.status() == reqwest::StatusCode::OK {
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let objects = server.objects().await;
    let mut checked = 0;
    for (path, object) in &objects {
        let Some(public) = path.strip_suffix("/index") else {
            continue;
        };
        let response = client
            .get(format!("{base}/{public}"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{public}");
        let content_type = response.headers()[reqwest::header::CONTENT_TYPE].clone();
        assert_eq!(content_type, object.content_type.as_str(), "{public}");
        let body = response.bytes().await.expect("body");
        assert!(body.as_ref() == object.bytes.as_slice(), "{public} differs");
        checked += 1;
    }
    let _ = child.kill();
    let _ = child.wait();
    for reader in readers {
        let _ = reader.join();
    }
    let log = log.lock().expect("log").clone();
    assert!(served, "the published files were never served:\n{log}");
    // 14 days of bundles and hour indexes, at least.
    assert!(checked > 14 * 25, "only {checked} files served:\n{log}");
    assert!(log.contains("distribution: "), "the run was logged:\n{log}");
    assert!(!log.contains(SECRET_KEY), "the log holds the secret key");
}

/// S3 has no lock of its own: while one process runs the distribution
/// (here: this test, holding the lock), a `warn distribute` of another
/// waits, touching neither the bucket nor the record of runs, and runs
/// once the lock is free.
async fn a_run_waits_while_another_process_publishes(storage: &Storage) {
    seed(storage, "10");
    let server = S3Server::start().await;
    let db = storage.db().await;
    let lock = api::distribution::store::lock_runs(&db, &storage.data_dir())
        .await
        .expect("the run lock");
    let distribute = ["distribute", "--now", RUN_AT, "--min-keys", "1"];
    let mut child = server
        .warn(storage, &distribute, None, SECRET_KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("warn starts");
    // Long enough for an unlocked run to have written many objects.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let running = child.try_wait().expect("status").is_none();
    let requests = server.take_requests();
    let recorded = runs(storage).await;
    drop(lock);
    let status = tokio::task::spawn_blocking(move || child.wait().expect("warn ends"))
        .await
        .expect("the waiting thread");
    db.close().await;
    assert!(running, "the second run did not wait");
    assert_eq!(requests, Vec::<String>::new(), "it touched the bucket");
    assert_eq!(recorded, (0, 0), "it recorded a run");
    assert!(status.success(), "it ran once the lock was free");
    assert_eq!(runs(storage).await, (1, 0));
    assert!(
        server
            .objects()
            .await
            .contains_key("version/v1/diagnosis-keys/country/index")
    );
}

super::on_both_storages!(a_run_waits_while_another_process_publishes);
