//! Serving a router over mutual TLS: every connection presents a client
//! certificate issued by the federation's CA (rustls checks the chain);
//! the country in its subject reaches the handlers as [`ClientCountry`].

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The country (`C=`) of the connection's client certificate, when it names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCountry(pub Option<String>);

/// The connection's client certificate (DER), which the gateway's audit
/// interface names (thumbprint and PEM).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientCertificate(pub Vec<u8>);

/// Serves `router` on `listener` until `shutdown` completes. A failed
/// handshake (no certificate, another CA) closes only that connection.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(config);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let router = router.clone();
        connections.spawn(async move {
            let tls = match acceptor.accept(stream).await {
                Ok(tls) => tls,
                Err(error) => {
                    tracing::info!(%error, "TLS handshake refused");
                    return;
                }
            };
            let country = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .and_then(|cert| super::certs::country_of(cert));
            let certificate = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first());
            let certificate =
                ClientCertificate(certificate.map(|der| der.to_vec()).unwrap_or_default());
            let router = router
                .layer(axum::Extension(ClientCountry(country)))
                .layer(axum::Extension(certificate));
            let service = TowerToHyperService::new(router);
            let served = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), service)
                .await;
            if let Err(error) = served {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
        // Forget connections that have ended.
        while connections.try_join_next().is_some() {}
    }
    connections.abort_all();
    Ok(())
}
