//! The test application: a running server plus typed calls of its
//! app-facing endpoints, and [`on_both_databases!`] to run one scenario on
//! SQLite and on PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::verification::{HashedGuid, TeleTan};

use crate::support::TestServer;

/// Runs a scenario once on SQLite and once on a fresh PostgreSQL database.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = crate::app::TestApp::start(None).await;
                    super::$name(&app).await;
                    app.server.stop().await;
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
                    let app = crate::app::TestApp::start(Some(database.url.clone())).await;
                    super::$name(&app).await;
                    app.server.stop().await;
                    database.drop_database().await;
                }
            )*
        }
    };
}

/// The server plus typed calls of its endpoints.
pub struct TestApp {
    /// The running server.
    pub server: TestServer,
    pub client: reqwest::Client,
}

impl TestApp {
    pub async fn start(database_url: Option<String>) -> Self {
        Self {
            server: TestServer::start(database_url, None).await,
            client: reqwest::Client::new(),
        }
    }

    /// Status, sorted header names (without `date`'s value mattering) and
    /// body length of an answer.
    pub async fn shape(
        &self,
        path: &str,
        body: &Value,
        fake: bool,
    ) -> (StatusCode, Vec<String>, usize) {
        let response = self
            .client
            .post(format!("{}{path}", self.server.base))
            .header("cwa-fake", if fake { "1" } else { "0" })
            .json(body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let names = header_names(&response);
        let length = response.bytes().await.expect("body").len();
        (status, names, length)
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.server.base))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let mut body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        // Every app-facing answer is padded to one size; the tests compare
        // the content without the padding.
        if let Some(object) = body.as_object_mut() {
            object.remove("responsePadding");
        }
        (status, body)
    }

    pub async fn register(&self, key: &str, key_type: &str) -> (StatusCode, Value) {
        self.post(
            "/version/v1/registrationToken",
            json!({"key": key, "keyType": key_type}),
        )
        .await
    }

    pub async fn register_guid(&self, guid: &HashedGuid) -> String {
        let (status, body) = self.register(guid.expose(), "GUID").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["registrationToken"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    pub async fn poll(&self, token: &str) -> (StatusCode, Value) {
        self.post(
            "/version/v1/testresult",
            json!({"registrationToken": token}),
        )
        .await
    }

    pub async fn tan(&self, token: &str) -> (StatusCode, Value) {
        self.post("/version/v1/tan", json!({"registrationToken": token}))
            .await
    }

    /// Issues a teleTAN as a fresh portal user (so no per-user limit applies).
    pub async fn issue_teletan(&self) -> TeleTan {
        let issuer = format!("agent-{}", shared::verification::Uuid4::generate().expose());
        api::verification::teletan::issue(
            &self.server.db,
            &api::verification::VerificationConfig::default(),
            &issuer,
            api::clock::now(),
        )
        .await
        .expect("teleTAN issued")
    }

    pub async fn add_lab(&self, name: &str) -> String {
        api::testresult::labs::add(&self.server.db, name, api::clock::now())
            .await
            .expect("lab added")
    }

    pub async fn upload(&self, key: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/api/v1/lab/results", self.server.base))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(self.server.db.pool())
        .await
        .expect("count")
        .try_get("n")
        .expect("a number")
    }
}

/// The header names of an answer, sorted.
fn header_names(response: &reqwest::Response) -> Vec<String> {
    let mut names: Vec<String> = response
        .headers()
        .keys()
        .map(|name| name.to_string())
        .collect();
    names.sort();
    names
}

pub fn new_guid() -> (String, HashedGuid) {
    let guid = format!(
        "{}-TEST",
        shared::verification::Uuid4::generate()
            .expose()
            .to_uppercase()
    );
    let hashed = HashedGuid::from_guid(&guid);
    (guid, hashed)
}

pub fn assert_error(response: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(response.0, status, "{}", response.1);
    assert_eq!(response.1["error"], code, "{}", response.1);
    assert!(
        response.1["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        response.1
    );
}

impl TestApp {
    /// A fresh TAN, through the teleTAN flow (issue, register, ask for a TAN).
    pub async fn new_tan(&self) -> String {
        let teletan = self.issue_teletan().await;
        let (status, body) = self.register(teletan.expose(), "TELETAN").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let token = body["registrationToken"]
            .as_str()
            .expect("token")
            .to_owned();
        let (status, body) = self.tan(&token).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["tan"].as_str().expect("tan").to_owned()
    }

    /// Posts a submission body with the TAN header (when given) and the
    /// fake flag; answers status, sorted header names and the body.
    pub async fn submit_raw(
        &self,
        tan: Option<&str>,
        fake: bool,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Vec<String>, Vec<u8>) {
        let mut request = self
            .client
            .post(format!("{}/version/v1/diagnosis-keys", self.server.base))
            .header("content-type", content_type)
            .header("cwa-fake", if fake { "1" } else { "0" })
            .body(body);
        if let Some(tan) = tan {
            request = request.header("cwa-authorization", tan);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let names = header_names(&response);
        let body = response.bytes().await.expect("body").to_vec();
        (status, names, body)
    }
}
