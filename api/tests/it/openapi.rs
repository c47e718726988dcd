//! `/openapi.json` and its browsable page `/api/docs`: every public route
//! is described, every described public route exists, the page keeps a
//! strict Content-Security-Policy.

use crate::support::TestServer;

/// Every route the public listener serves (the portal's files aside).
const PUBLIC_ROUTES: [(&str, &str); 9] = [
    ("post", "/version/v1/registrationToken"),
    ("post", "/version/v1/testresult"),
    ("post", "/version/v1/tan"),
    ("post", "/version/v1/diagnosis-keys"),
    ("post", "/api/v1/lab/results"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/v1/info"),
    ("get", "/metrics"),
];

#[tokio::test]
async fn the_document_describes_every_route_and_only_real_ones() {
    let server = TestServer::start(None, None).await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/openapi.json", server.base))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await.expect("JSON");
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        document["openapi"]
    );
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    let paths = document["paths"].as_object().expect("paths");
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
            if !internal {
                assert!(
                    PUBLIC_ROUTES.contains(&(method.as_str(), path.as_str())),
                    "{method} {path} is described but not listed in this test"
                );
            }
            // Every described route exists where it should: public ones on
            // the public listener, internal ones nowhere public.
            let url = format!("{}{path}", server.base);
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
            } else {
                assert!(
                    status != 404 && status != 405,
                    "{method} {path} answered {status}"
                );
            }
            // Every error answer has a schema, and every schema it names exists.
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
    }
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
