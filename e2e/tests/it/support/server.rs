//! What serves the portal in a test: the real server or only its files.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::Path;

use tempfile::TempDir;
use tokio::sync::oneshot;

/// What serves the portal in a test.
pub enum Backend {
    /// The real server: API and portal.
    Warn,
    /// Only the portal's files, as a misconfigured proxy or a static host
    /// would serve them: every API request fails.
    PortalFilesOnly,
}

/// A server on a free port; stops when dropped.
pub struct TestApp {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    /// A second pool on the server's database, for arranging what has no
    /// page (the first users); `None` without the real server.
    db: Option<api::db::Db>,
    /// The server's distribution, run when a test says so.
    distribution: Option<api::distribution::Distribution>,
    _data_dir: Option<TempDir>,
}

impl TestApp {
    /// `http://127.0.0.1:PORT`.
    pub(super) fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The server's distribution, when the real server runs.
    pub(super) fn distribution(&self) -> Option<api::distribution::Distribution> {
        self.distribution.clone()
    }

    /// The server's database, when the real server runs.
    pub(super) fn db(&self) -> Option<api::db::Db> {
        self.db.clone()
    }

    /// The real server, started the way `warn serve` starts it, with an
    /// empty SQLite database in a temporary folder.
    pub(super) async fn spawn(portal_dir: &Path) -> anyhow::Result<Self> {
        let data_dir = tempfile::tempdir()?;
        let mut config = api::config::ServerConfig::new(
            "127.0.0.1:0".parse()?,
            api::config::StorageConfig {
                data_dir: data_dir.path().to_path_buf(),
                database_url: None,
                hash_key_file: None,
            },
        );
        config.portal_dir = Some(portal_dir.to_path_buf());
        // Tests run the distribution when they need it (Page::distribute),
        // and a single key makes a bundle, as `warn distribute --min-keys 1`.
        config.distribution_interval = None;
        config.distribution.min_keys = Some(1);
        let storage = config.storage.clone();
        let app = api::server::Application::build(config).await?;
        let db = api::db::Db::connect(&storage.data_dir, None).await?;
        let address = app.address();
        let distribution = app.distribution();
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            address,
            shutdown: Some(shutdown),
            db: Some(db),
            distribution,
            _data_dir: Some(data_dir),
        })
    }

    /// A plain file server for the portal folder, without the API.
    pub(super) async fn spawn_files_only(portal_dir: &Path) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let files =
            axum::Router::new().fallback_service(tower_http::services::ServeDir::new(portal_dir));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = axum::serve(listener, files).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        tokio::spawn(server.into_future());
        Ok(Self {
            address,
            shutdown: Some(shutdown),
            db: None,
            distribution: None,
            _data_dir: None,
        })
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
