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

/// Whether an address is one a callback must not reach. IPv4: "this
/// network" 0.0.0.0/8, private (RFC 1918), shared (CGNAT 100.64.0.0/10),
/// loopback, link-local (169.254.0.0/16, the cloud metadata services),
/// IETF protocol assignments 192.0.0.0/24, documentation, the old 6to4
/// relays 192.88.99.0/24, benchmarking 198.18.0.0/15, multicast, reserved
/// 240.0.0.0/4 and broadcast. IPv6: unspecified, loopback and the rest of
/// the IPv4-compatible ::/96, discard-only 100::/64, IETF protocol
/// assignments 2001::/23 (Teredo among them), documentation 2001:db8::/32
/// and 3fff::/20, unique local fc00::/7, site-local fec0::/10, link-local
/// fe80::/10, multicast, local-use NAT64 64:ff9b:1::/48 and the translated
/// ::ffff:0:0:0/96. An address that carries an IPv4 address a router will
/// reach (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16) is
/// judged by that IPv4 address. EFGS's `CallbackService.checkUrl` refuses
/// the private ranges; the others reach nothing a partner needs. A NAT64
/// prefix the operator's network chose itself is not known here.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a, b, c) == (192, 0, 0)
                || (a, b, c) == (192, 88, 99)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_ipv4(v6) {
                return is_internal(IpAddr::V4(v4));
            }
            let [s0, s1, s2, s3, s4, s5, ..] = v6.segments();
            (s0, s1, s2, s3, s4, s5) == (0, 0, 0, 0, 0, 0)
                || (s0, s1, s2, s3) == (0x100, 0, 0, 0)
                || (s0 == 0x2001 && s1 < 0x0200)
                || (s0, s1) == (0x2001, 0x0db8)
                || (s0 == 0x3fff && s1 < 0x1000)
                || (s0 & 0xfe00) == 0xfc00
                || (s0 & 0xffc0) == 0xfec0
                || (s0 & 0xffc0) == 0xfe80
                || v6.is_multicast()
                || (s0, s1, s2) == (0x64, 0xff9b, 1)
                || (s0, s1, s2, s3, s4, s5) == (0, 0, 0, 0, 0xffff, 0)
        }
    }
}

/// The IPv4 address a router reaches through an IPv6 one: IPv4-mapped
/// (::ffff:a.b.c.d), the well-known NAT64 prefix (64:ff9b::a.b.c.d) and
/// 6to4 (2002:aabb:ccdd::/48).
fn embedded_ipv4(v6: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    let octets = v6.octets();
    let segments = v6.segments();
    let last = || std::net::Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
    match segments {
        [0, 0, 0, 0, 0, 0xffff, ..] => Some(last()),
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(last()),
        [0x2002, ..] => Some(std::net::Ipv4Addr::new(
            octets[2], octets[3], octets[4], octets[5],
        )),
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each range a callback must not reach, at its edges, and public
    /// addresses beside them (also behind NAT64 and 6to4) that it may.
    #[test]
    fn internal_ranges_are_refused_and_public_addresses_pass() {
        let cases = [
            // IPv4
            ("0.0.0.0", true),
            ("0.255.255.255", true),
            ("10.0.0.1", true),
            ("100.64.0.0", true),
            ("100.127.255.255", true),
            ("100.128.0.0", false),
            ("100.63.255.255", false),
            ("127.0.0.1", true),
            ("169.254.169.254", true),
            ("172.16.0.1", true),
            ("172.31.255.255", true),
            ("172.32.0.0", false),
            ("192.0.0.8", true),
            ("192.0.2.1", true),
            ("192.0.3.1", false),
            ("192.88.99.1", true),
            ("192.168.1.1", true),
            ("198.18.0.0", true),
            ("198.19.255.255", true),
            ("198.17.255.255", false),
            ("198.20.0.0", false),
            ("198.51.100.7", true),
            ("203.0.113.9", true),
            ("224.0.0.1", true),
            ("239.255.255.255", true),
            ("240.0.0.1", true),
            ("255.255.255.255", true),
            ("1.1.1.1", false),
            ("8.8.8.8", false),
            // IPv6
            ("::", true),
            ("::1", true),
            ("::a9fe:a9fe", true),
            ("::ffff:169.254.169.254", true),
            ("::ffff:127.0.0.1", true),
            ("::ffff:1.1.1.1", false),
            ("::ffff:0:1.1.1.1", true),
            ("64:ff9b::a9fe:a9fe", true),
            ("64:ff9b::10.0.0.1", true),
            ("64:ff9b::1.1.1.1", false),
            ("64:ff9b:1::1.1.1.1", true),
            ("2002:a9fe:a9fe::1", true),
            ("2002:7f00:1::", true),
            ("2002:0101:0101::1", false),
            ("100::1", true),
            ("2001::1", true),
            ("2001:2::1", true),
            ("2001:1ff:ffff::1", true),
            ("2001:200::1", false),
            ("2001:db8::1", true),
            ("3fff::1", true),
            ("3fff:1000::1", false),
            ("fc00::1", true),
            ("fdff:ffff::1", true),
            ("fec0::1", true),
            ("feff::1", true),
            ("fe80::1", true),
            ("ff02::1", true),
            ("ff0e::1", true),
            ("2606:4700:4700::1111", false),
            ("2a00:1450:4001::1", false),
        ];
        for (address, internal) in cases {
            let ip: IpAddr = address.parse().expect(address);
            assert_eq!(is_internal(ip), internal, "{address}");
        }
    }
}
