//! `/openapi.json` and its browsable page `/api/docs`: every public route
//! is described, every described public route exists, the portal's routes
//! name the guards they apply and answer with the described fields, the
//! page keeps a strict Content-Security-Policy.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use api::config::{ServerConfig, StorageConfig};
use reqwest::Method;
use serde_json::json;
use shared::portal::Role;

use crate::support::{self, TestServer};

/// Every route the public listener serves (the portal's files aside).
const PUBLIC_ROUTES: [(&str, &str); 37] = [
    ("post", "/version/v1/registrationToken"),
    ("post", "/version/v1/testresult"),
    ("post", "/version/v1/tan"),
    ("post", "/version/v1/diagnosis-keys"),
    ("post", "/api/v1/lab/results"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/v1/info"),
    ("get", "/version/v1/diagnosis-keys/country"),
    ("get", "/version/v1/diagnosis-keys/country/{country}/date"),
    (
        "get",
        "/version/v1/diagnosis-keys/country/{country}/date/{date}",
    ),
    (
        "get",
        "/version/v1/diagnosis-keys/country/{country}/date/{date}/hour",
    ),
    (
        "get",
        "/version/v1/diagnosis-keys/country/{country}/date/{date}/hour/{hour}",
    ),
    (
        "get",
        "/version/v1/configuration/country/{country}/app_config",
    ),
    ("get", "/version/v2/app_config_android"),
    ("get", "/version/v2/app_config_ios"),
    ("get", "/version/v1/keys"),
    ("post", "/api/v1/portal/login"),
    ("post", "/api/v1/portal/login/totp"),
    ("get", "/api/v1/portal/session"),
    ("post", "/api/v1/portal/password"),
    ("post", "/api/v1/portal/logout"),
    ("post", "/api/v1/portal/logout-everywhere"),
    ("post", "/api/v1/portal/teletans"),
    ("post", "/api/v1/portal/teletans/batch"),
    ("post", "/api/v1/portal/lab/results"),
    ("get", "/api/v1/portal/labs"),
    ("post", "/api/v1/portal/labs"),
    ("post", "/api/v1/portal/labs/{id}/disable"),
    ("get", "/api/v1/portal/stats"),
    ("get", "/api/v1/portal/users"),
    ("post", "/api/v1/portal/users"),
    ("post", "/api/v1/portal/users/{id}/disable"),
    ("post", "/api/v1/portal/users/{id}/enable"),
    ("post", "/api/v1/portal/users/{id}/reset-totp"),
    ("post", "/api/v1/portal/users/{id}/reset-password"),
    ("get", "/api/v1/portal/audit"),
];

/// The portal route that needs no session.
const PORTAL_LOGIN: &str = "/api/v1/portal/login";

/// The document as the server serves it.
async fn fetch_document(base: &str) -> serde_json::Value {
    let response = reqwest::get(format!("{base}/openapi.json"))
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

/// A server whose distribution has published something: demo keys, one
/// `warn distribute` in another process, noticed by the server.
async fn published_server() -> TestServer {
    let data_dir = tempfile::tempdir().expect("temporary folder");
    let storage = StorageConfig {
        data_dir: data_dir.path().join("data"),
        database_url: None,
        hash_key_file: None,
    };
    let mut config = ServerConfig::new("127.0.0.1:0".parse().expect("address"), storage);
    config.distribution_watch = Duration::from_millis(100);
    let server = TestServer::start_in(config, data_dir).await;
    let dir = server.data_dir().display().to_string();
    for args in [
        &[
            "demo",
            "seed",
            "--cases",
            "40",
            "--days",
            "2",
            "--now",
            "2026-11-20T12:00:00Z",
            "--seed",
            "1",
        ][..],
        &[
            "distribute",
            "--now",
            "2026-11-21T00:30:00Z",
            "--min-keys",
            "1",
        ][..],
    ] {
        let mut args = args.to_vec();
        args.extend(["--data-dir", &dir]);
        let output = support::warn(&args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            support::stderr(&output)
        );
    }
    let started = Instant::now();
    while reqwest::get(format!("{}/version/v1/keys", server.base))
        .await
        .expect("request")
        .status()
        != 200
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nothing published"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

/// `path` with its parameters filled in from what `server` publishes.
async fn example_path(server: &TestServer, path: &str) -> String {
    let index = |path: String| async move {
        let values: Vec<serde_json::Value> = reqwest::get(format!("{}{path}", server.base))
            .await
            .expect("request")
            .json()
            .await
            .expect("a JSON index");
        let first = values.first().expect("a non-empty index");
        first
            .as_str()
            .map_or_else(|| first.to_string(), str::to_owned)
    };
    let mut path = path.replace("{country}", "DE").replace("{id}", "1");
    if path.contains("{date}") {
        let date = index("/version/v1/diagnosis-keys/country/DE/date".to_owned()).await;
        path = path.replace("{date}", &date);
        if path.contains("{hour}") {
            let hour = index(format!(
                "/version/v1/diagnosis-keys/country/DE/date/{date}/hour"
            ))
            .await;
            path = path.replace("{hour}", &hour);
        }
    }
    path
}

#[tokio::test]
async fn the_document_describes_every_route_and_only_real_ones() {
    let server = published_server().await;
    let client = reqwest::Client::new();
    let document = fetch_document(&server.base).await;
    assert_openapi_31_of_this_release(&document);
    let paths = document["paths"].as_object().expect("paths");
    let mut operation_ids = BTreeSet::new();
    for (method, path) in PUBLIC_ROUTES {
        assert!(
            paths
                .get(path)
                .is_some_and(|item| item.get(method).is_some()),
            "{method} {path} is not described"
        );
    }
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            let internal = operation["tags"][0] == "internal";
            let operation_id = operation["operationId"].as_str().unwrap_or_default();
            assert!(
                operation_ids.insert(operation_id.to_owned()),
                "{method} {path}: operationId {operation_id:?} is not unique"
            );
            if !internal {
                assert!(
                    PUBLIC_ROUTES.contains(&(method.as_str(), path.as_str())),
                    "{method} {path} is described but not listed in this test"
                );
            }
            // Every described route exists where it should: public ones on
            // the public listener, internal ones nowhere public.
            let url = format!("{}{}", server.base, example_path(&server, path).await);
            let status = match method.as_str() {
                "get" => client.get(&url).send().await,
                _ => client.post(&url).body("").send().await,
            }
            .expect("request")
            .status();
            if internal {
                // 405: the published files answer GET below /version/v1/.
                assert!(
                    status == 404 || status == 405,
                    "{method} {path} must not be public (answered {status})"
                );
            } else if path.starts_with("/api/v1/portal/") && path != PORTAL_LOGIN {
                // Without a session, as described.
                assert_eq!(status, 401, "{method} {path} without a session");
            } else {
                assert!(
                    status != 404 && status != 405,
                    "{method} {path} answered {status}"
                );
            }
            // Every error answer has a schema, and every schema it names exists.
            assert_errors_name_error_body(operation, method, path);
        }
    }
    assert_schema_references_resolve(&document);
    server.stop().await;
}

#[tokio::test]
async fn the_browsable_page_lists_every_operation_without_script() {
    let server = TestServer::start(None, None).await;
    let response = reqwest::get(format!("{}/api/docs", server.base))
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let policy = response
        .headers()
        .get("content-security-policy")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    let page = response.text().await.expect("body");
    assert!(!page.contains("<script"));
    for (_, path) in PUBLIC_ROUTES {
        assert!(
            page.contains(&format!("<code>{path}</code>")),
            "{path} missing"
        );
    }
    let css = reqwest::get(format!("{}/api/docs/style.css", server.base))
        .await
        .expect("request");
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css");
    server.stop().await;
}

#[tokio::test]
async fn the_portal_routes_name_their_session_and_csrf_guards() {
    let server = TestServer::start(None, None).await;
    let document = fetch_document(&server.base).await;
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["portal_session"]["type"], "apiKey", "{schemes}");
    assert_eq!(schemes["portal_session"]["in"], "cookie", "{schemes}");
    assert_eq!(
        schemes["portal_session"]["name"],
        api::portal::sessions::COOKIE
    );
    assert_eq!(schemes["portal_csrf"]["type"], "apiKey", "{schemes}");
    assert_eq!(schemes["portal_csrf"]["in"], "header", "{schemes}");
    assert_eq!(schemes["portal_csrf"]["name"], shared::portal::CSRF_HEADER);

    let mut described = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/v1/portal/") {
            continue;
        }
        for (method, operation) in item.as_object().expect("path item") {
            described += 1;
            let case = format!("{method} {path}");
            assert_eq!(operation["tags"][0], "portal", "{case}");
            let responses = operation["responses"].as_object().expect("responses");
            if operation.get("requestBody").is_some() {
                for code in ["400", "413", "415"] {
                    assert!(responses.contains_key(code), "{case}: no {code}");
                }
            }
            let security = &operation["security"];
            if path == PORTAL_LOGIN {
                assert!(security.is_null(), "{case} needs no session: {security}");
                continue;
            }
            // A GET needs the session, a POST the session and its CSRF token.
            let expected = if method == "get" {
                json!([{"portal_session": []}])
            } else {
                json!([{"portal_session": [], "portal_csrf": []}])
            };
            assert_eq!(security, &expected, "{case}");
            assert!(responses.contains_key("401"), "{case}: no 401");
            if method == "post" {
                assert!(responses.contains_key("403"), "{case}: no 403 (CSRF)");
            }
        }
    }
    let listed = PUBLIC_ROUTES
        .iter()
        .filter(|(_, path)| path.starts_with("/api/v1/portal/"))
        .count();
    assert_eq!(described, listed);
    server.stop().await;
}

#[tokio::test]
async fn the_portal_answers_carry_the_described_fields() {
    let app = crate::app::TestApp::start(None).await;
    let admin = crate::portal_client::logged_in(&app, Role::Admin).await;
    // So that every list has an entry to compare.
    app.add_lab("Described Lab").await;
    let document = fetch_document(&app.server.base).await;
    let schemas = &document["components"]["schemas"];
    let names = |value: &serde_json::Value| -> BTreeSet<String> {
        match value {
            serde_json::Value::Object(map) => map.keys().cloned().collect(),
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect(),
            _ => BTreeSet::new(),
        }
    };
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        let Some(operation) = item.get("get") else {
            continue;
        };
        if !path.starts_with("/api/v1/portal/") {
            continue;
        }
        let schema = &operation["responses"]["200"]["content"]["application/json"]["schema"];
        let (reference, list) = match schema["$ref"].as_str() {
            Some(reference) => (reference, false),
            None => (
                schema["items"]["$ref"]
                    .as_str()
                    .unwrap_or_else(|| panic!("GET {path}: no schema named: {schema}")),
                true,
            ),
        };
        let described = &schemas[reference.trim_start_matches("#/components/schemas/")];
        let answer = admin.send(&app, Method::GET, path, None).await;
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.body);
        let object = if list {
            answer.body.as_array().and_then(|items| items.first())
        } else {
            Some(&answer.body)
        }
        .unwrap_or_else(|| panic!("GET {path}: nothing to compare in {}", answer.body));
        let fields = names(object);
        let properties = names(&described["properties"]);
        let required = names(&described["required"]);
        assert!(
            !properties.is_empty() && fields.is_subset(&properties),
            "GET {path}: answered {fields:?}, described {properties:?}"
        );
        assert!(
            required.is_subset(&fields),
            "GET {path}: {required:?} required, answered {fields:?}"
        );
        checked += 1;
    }
    assert_eq!(checked, 5, "session, labs, stats, users, audit");
    app.server.stop().await;
}

/// Every route of the gateway role (`warn serve --services gateway`) but
/// its `/openapi.json`.
const GATEWAY_ROUTES: [(&str, &str); 8] = [
    ("post", "/diagnosiskeys/upload"),
    ("get", "/diagnosiskeys/download/{date}"),
    ("options", "/diagnosiskeys/download/{date}"),
    ("get", "/diagnosiskeys/audit/download/{date}/{batchTag}"),
    ("get", "/diagnosiskeys/callback"),
    ("put", "/diagnosiskeys/callback/{id}"),
    ("delete", "/diagnosiskeys/callback/{id}"),
    ("get", "/healthz"),
];

/// The gateway publishes its own document (over its mTLS listener): its
/// routes, each existing, with the contract's headers and status codes,
/// and none of the national routes.
#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_describes_its_own_routes_and_only_real_ones() {
    use axum::http::Method;
    use std::collections::BTreeSet;

    let gateway = crate::federation::gateway::Gateway::start(None).await;
    let de = crate::federation::client(gateway.dir(), "DE");
    let answer = de
        .get(&format!("{}/openapi.json", gateway.base), &[])
        .await
        .expect("the gateway answers");
    assert_eq!(answer.status, 200);
    let document: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
    assert_openapi_31_of_this_release(&document);
    let paths = document["paths"].as_object().expect("paths");
    let described: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(|method| (method.clone(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let expected: BTreeSet<(String, String)> = GATEWAY_ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(described, expected, "described routes");

    // Every described route exists: a missing one answers 404 without the
    // JSON error body (or 405 for another method of a known path).
    let today = api::federation::batch::date_of(api::clock::now());
    let send = |method: Method, path: String| {
        let url = format!("{}{path}", gateway.base);
        let de = de.clone();
        async move {
            de.send(method, &url, &[], Vec::new())
                .await
                .expect("an answer")
        }
    };
    let missing = send(Method::GET, "/diagnosiskeys/nothing-here".into()).await;
    assert_eq!(missing.status, 404);
    assert!(!missing.text().contains("\"error\""), "{}", missing.text());
    for (method, path) in GATEWAY_ROUTES {
        let example = path
            .replace("{date}", &today)
            .replace("{id}", "probe")
            .replace("{batchTag}", "probe");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
        let answer = send(method.clone(), example).await;
        assert_ne!(answer.status, 405, "{method} {path}");
        assert!(
            answer.status != 404 || answer.text().contains("\"error\""),
            "{method} {path} is not served"
        );
    }

    // The contract's status codes and paging headers; errors in the one shape.
    let upload = &paths["/diagnosiskeys/upload"]["post"];
    for code in ["201", "207", "400", "409", "413"] {
        assert!(
            upload["responses"].get(code).is_some(),
            "upload lacks {code}"
        );
    }
    let upload_headers: Vec<&str> = upload["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter(|parameter| parameter["in"] == "header")
        .filter_map(|parameter| parameter["name"].as_str())
        .collect();
    assert_eq!(upload_headers, ["batchTag", "batchSignature"]);
    let download = &paths["/diagnosiskeys/download/{date}"]["get"];
    for code in ["200", "404", "410"] {
        assert!(
            download["responses"].get(code).is_some(),
            "download lacks {code}"
        );
    }
    let paging = &download["responses"]["200"]["headers"];
    assert!(
        paging.get("batchTag").is_some() && paging.get("nextBatchTag").is_some(),
        "{paging}"
    );
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            if path != "/healthz" {
                assert_eq!(
                    operation["security"][0]["country_certificate"],
                    serde_json::json!([]),
                    "{method} {path}"
                );
            }
            assert_errors_name_error_body(operation, method, path);
        }
    }
    assert_eq!(
        document["components"]["securitySchemes"]["country_certificate"]["type"],
        "mutualTLS"
    );
    assert_schema_references_resolve(&document);
    gateway.stop().await;
}

/// Every `#/components/schemas/NAME` the document names exists in it.
fn assert_schema_references_resolve(document: &serde_json::Value) {
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    let text = document.to_string();
    for reference in text.split("#/components/schemas/").skip(1) {
        let name: String = reference.chars().take_while(|c| *c != '"').collect();
        assert!(
            schemas.contains_key(&name),
            "{name} is referenced but missing"
        );
    }
}

/// An OpenAPI 3.1 document that names the running release.
fn assert_openapi_31_of_this_release(document: &serde_json::Value) {
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        document["openapi"]
    );
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
}

/// Every 4xx answer of `operation` has the one JSON error shape.
fn assert_errors_name_error_body(operation: &serde_json::Value, method: &str, path: &str) {
    for (code, response) in operation["responses"].as_object().expect("responses") {
        if code.starts_with('4') {
            let schema = &response["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(
                schema, "#/components/schemas/ErrorBody",
                "{method} {path} {code}"
            );
        }
    }
}
