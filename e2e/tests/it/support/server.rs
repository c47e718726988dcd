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
    _data_dir: Option<TempDir>,
}

impl TestApp {
    /// `http://127.0.0.1:PORT`.
    pub(super) fn base_url(&self) -> String {
        format!("http://{}", self.address)
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
            },
        );
        config.portal_dir = Some(portal_dir.to_path_buf());
        let app = api::server::Application::build(config).await?;
        let address = app.address();
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            address,
            shutdown: Some(shutdown),
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
