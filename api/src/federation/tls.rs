//! The gateway's mutual TLS: every connection presents a client certificate
//! issued by the federation's CA (rustls checks the chain); the country in
//! its subject reaches the handlers as [`ClientCountry`]. The connections
//! themselves (limit, handshake timeout, time bounds) are the server's one
//! listener ([`crate::listener`]).

use std::sync::Arc;

use axum::http::Extensions;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::listener::Handshake;

/// The country (`C=`) of the connection's client certificate, when it names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCountry(pub Option<String>);

/// The connection's client certificate (DER), which the gateway's audit
/// interface names (thumbprint and PEM).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientCertificate(pub Vec<u8>);

/// The TLS handshake of the gateway's listener.
#[derive(Clone)]
pub struct MutualTls(TlsAcceptor);

impl MutualTls {
    /// Handshakes with `config` (which asks for and checks client certificates).
    pub fn new(config: Arc<rustls::ServerConfig>) -> Self {
        Self(TlsAcceptor::from(config))
    }
}

impl Handshake for MutualTls {
    type Io = TlsStream<TcpStream>;

    /// A failed handshake (no certificate, another CA) closes only that connection.
    async fn handshake(&self, stream: TcpStream) -> Option<(Self::Io, Extensions)> {
        let tls = match self.0.accept(stream).await {
            Ok(tls) => tls,
            Err(error) => {
                tracing::info!(%error, "TLS handshake refused");
                return None;
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
            .and_then(|certs| certs.first())
            .map(|der| der.to_vec())
            .unwrap_or_default();
        let mut extensions = Extensions::new();
        extensions.insert(ClientCountry(country));
        extensions.insert(ClientCertificate(certificate));
        Some((tls, extensions))
    }
}
