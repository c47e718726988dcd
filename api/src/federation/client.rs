//! The HTTP client of the federation: hyper over rustls (ring) with the
//! caller's certificate, trusting only the federation's CA. Plain `http://`
//! is allowed too (a national server's gateway on loopback in tests).
//! Every answer is read with a size limit. The gateway's callback client
//! ([`FederationClient::for_callbacks`]) connects only to public addresses
//! (its resolver drops private, loopback and link-local ones) over https,
//! unless the operator allows a local set-up.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// How long one request (answer included) may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The largest answer read by default (a batch of 5,000 keys with 30
/// visited countries each is about 1 MB as protobuf).
pub const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// The largest answer read from a callback (whose body nobody needs).
pub const MAX_CALLBACK_ANSWER_BYTES: usize = 64 * 1024;

/// A client with one TLS configuration.
#[derive(Clone)]
pub struct FederationClient {
    inner: Client<hyper_rustls::HttpsConnector<HttpConnector<PublicResolver>>, Full<Bytes>>,
}

/// Whether an address is one a callback must not reach: loopback, private
/// (RFC 1918, unique local), link-local (169.254.0.0/16 with the cloud
/// metadata services, fe80::/10), shared (100.64.0.0/10), unspecified,
/// broadcast, multicast, documentation; IPv4-mapped IPv6 by its IPv4.
/// EFGS's `CallbackService.checkUrl` refuses the same private ranges.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0)
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
        }
    }
}

/// Resolves host names like the system does; for the callback client it
/// drops every internal address ([`is_internal`]), so a name that resolves
/// (or re-resolves, after its check) to one cannot be reached.
#[derive(Clone, Debug)]
pub struct PublicResolver {
    allow_internal: bool,
}

impl tower_service::Service<hyper_util::client::legacy::connect::dns::Name> for PublicResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: hyper_util::client::legacy::connect::dns::Name) -> Self::Future {
        let allow_internal = self.allow_internal;
        Box::pin(async move {
            let addresses = resolve(name.as_str(), 0).await?;
            let kept: Vec<SocketAddr> = addresses
                .into_iter()
                .filter(|address| allow_internal || !is_internal(address.ip()))
                .collect();
            if kept.is_empty() {
                return Err(std::io::Error::other(format!(
                    "{} resolves to no public address",
                    name.as_str()
                )));
            }
            Ok(kept.into_iter())
        })
    }
}

/// The addresses of `host` (port `port`), within 5 seconds.
pub async fn resolve(host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    let lookup = tokio::net::lookup_host((host.trim_matches(['[', ']']), port));
    match tokio::time::timeout(Duration::from_secs(5), lookup).await {
        Ok(addresses) => Ok(addresses?.collect()),
        Err(_) => Err(std::io::Error::other(format!("resolving {host} timed out"))),
    }
}

impl std::fmt::Debug for FederationClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FederationClient").finish_non_exhaustive()
    }
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Answer {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl FederationClient {
    /// A client with `config` for `https://` URLs (and plain `http://`).
    pub fn new(config: rustls::ClientConfig) -> Self {
        Self::build(config, true, true)
    }

    /// The gateway's client for callbacks: `https://` only and public
    /// addresses only, unless `allow_local` (a local set-up: `http://` and
    /// private addresses too).
    pub fn for_callbacks(config: rustls::ClientConfig, allow_local: bool) -> Self {
        Self::build(config, allow_local, allow_local)
    }

    fn build(config: rustls::ClientConfig, allow_http: bool, allow_internal: bool) -> Self {
        let mut http = HttpConnector::new_with_resolver(PublicResolver { allow_internal });
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(10)));
        let builder = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config);
        let connector = if allow_http {
            builder.https_or_http().enable_http1().wrap_connector(http)
        } else {
            builder.https_only().enable_http1().wrap_connector(http)
        };
        Self {
            inner: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// Sends one request; the error says why no answer came. The answer is
    /// read up to [`MAX_ANSWER_BYTES`].
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Answer, String> {
        self.send_limited(method, url, headers, body, MAX_ANSWER_BYTES)
            .await
    }

    /// Sends one request; an answer longer than `limit` bytes is an error.
    pub async fn send_limited(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        limit: usize,
    ) -> Result<Answer, String> {
        let mut request = Request::builder().method(method).uri(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| format!("request: {error}"))?;
        let exchange = async {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|error| format!("{url}: {error:?}"))?;
            let (parts, body) = response.into_parts();
            let body = http_body_util::Limited::new(body, limit)
                .collect()
                .await
                .map_err(|error| format!("{url}: {error} (answers are read up to {limit} bytes)"))?
                .to_bytes();
            Ok(Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| format!("{url}: no answer within {} s", TIMEOUT.as_secs()))?
    }

    /// `GET url` with `headers`.
    pub async fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Answer, String> {
        self.send(Method::GET, url, headers, Vec::new()).await
    }
}
