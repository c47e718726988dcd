//! One accept loop for every listener (public, internal, the gateway's mTLS
//! one), with the same bounds on what a connection can hold:
//!
//! - at most `max_connections` open at once: the loop stops accepting at
//!   the limit, so further clients wait in the kernel's queue (holding no
//!   file handle of ours) until a connection closes;
//! - a TLS handshake within `tls_handshake_timeout` ([`Handshake`]);
//! - a complete request head within `header_read_timeout` of the
//!   connection's start, or of the first byte of a later request;
//! - a kept-alive connection waits at most `idle_timeout` for its next
//!   request, and a response at most as long for a client that reads nothing;
//! - a request body within `body_read_timeout` of its head: past it, reading
//!   the body fails with [`BodyTimedOut`] (the extractors answer 408).
//!
//! Each request carries the peer address (`ConnectInfo<SocketAddr>`, for
//! the rate limits; never stored or logged) and what the handshake learned.
//! Connections speak HTTP/1.1 only (the gateway's ALPN says so too).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{Extensions, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;

use crate::limits::Limits;

/// How long a stopping server lets open connections finish their request.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How long a closing connection reads and drops what its client still
/// sends, at most ([`linger`]), and how long it waits for the next bytes.
const LINGER_TIME: Duration = Duration::from_secs(10);
const LINGER_QUIET: Duration = Duration::from_secs(2);
/// The largest request head (and read buffer) of a connection.
const MAX_BUFFER: usize = 64 * 1024;

/// The bounds of one listener.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    max_connections: usize,
    header_read_timeout: Duration,
    body_read_timeout: Duration,
    idle_timeout: Duration,
    tls_handshake_timeout: Duration,
}

impl Bounds {
    /// The public listener's (and the gateway's) bounds.
    pub(crate) fn public(limits: &Limits) -> Self {
        Self::with_connections(limits, limits.max_connections)
    }

    /// The internal listener's bounds: its own connection budget.
    pub(crate) fn internal(limits: &Limits) -> Self {
        Self::with_connections(limits, limits.internal_max_connections)
    }

    fn with_connections(limits: &Limits, max_connections: usize) -> Self {
        Self {
            max_connections: max_connections.max(1),
            header_read_timeout: limits.header_read_timeout,
            body_read_timeout: limits.body_read_timeout,
            idle_timeout: limits.idle_timeout,
            tls_handshake_timeout: limits.tls_handshake_timeout,
        }
    }
}

/// What turns an accepted TCP stream into the connection HTTP is spoken on.
pub trait Handshake: Clone + Send + Sync + 'static {
    /// The stream after the handshake.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// The handshake; `None` closes the connection (refused). What the
    /// extensions hold reaches every request of the connection.
    fn handshake(
        &self,
        stream: TcpStream,
    ) -> impl Future<Output = Option<(Self::Io, Extensions)>> + Send;
}

/// Plain TCP: no handshake.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plain;

impl Handshake for Plain {
    type Io = TcpStream;

    async fn handshake(&self, stream: TcpStream) -> Option<(TcpStream, Extensions)> {
        Some((stream, Extensions::new()))
    }
}

/// Serves `router` on `listener` within `bounds` until `shutdown` completes;
/// then lets open connections finish (at most [`SHUTDOWN_GRACE`]).
pub(crate) async fn serve<H: Handshake>(
    listener: TcpListener,
    router: Router,
    handshake: H,
    bounds: Bounds,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(bounds.max_connections));
    let (closing, closing_seen) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file handles, most likely: wait for some to close
                    // instead of spinning.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY on a connection");
        }
        let connection = Connection {
            peer,
            router: router.clone(),
            bounds,
        };
        let handshake = handshake.clone();
        let closing = closing_seen.clone();
        connections.spawn(async move {
            connection.run(stream, handshake, closing).await;
            drop(permit);
        });
        // Forget connections that have ended.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = closing.send(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drained).await.is_err() {
        connections.abort_all();
    }
    Ok(())
}

/// One accepted connection.
struct Connection {
    peer: SocketAddr,
    router: Router,
    bounds: Bounds,
}

impl Connection {
    async fn run<H: Handshake>(
        self,
        stream: TcpStream,
        handshake: H,
        mut closing: watch::Receiver<bool>,
    ) {
        let handshaken = tokio::time::timeout(
            self.bounds.tls_handshake_timeout,
            handshake.handshake(stream),
        )
        .await;
        let (io, extensions) = match handshaken {
            Ok(Some(done)) => done,
            Ok(None) => return,
            Err(_) => {
                tracing::debug!("handshake took too long; connection closed");
                return;
            }
        };
        let phase = Arc::new(PhaseCell::new(Instant::now()));
        let io = TrackedIo {
            inner: io,
            phase: Arc::clone(&phase),
        };
        let service = ConnectionService {
            router: self.router,
            peer: self.peer,
            extensions: Arc::new(extensions),
            phase: Arc::clone(&phase),
            body_read_timeout: self.bounds.body_read_timeout,
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.max_buf_size(MAX_BUFFER);
        let mut connection = builder.serve_connection(TokioIo::new(io), service);
        let mut shutting_down = false;
        loop {
            let deadline = phase.deadline(&self.bounds);
            let event = tokio::select! {
                served = std::future::poll_fn(|cx| connection.poll_without_shutdown(cx)) => {
                    Event::Served(served)
                }
                _ = closing.wait_for(|closing| *closing), if !shutting_down => Event::Closing,
                () = tokio::time::sleep_until(deadline) => Event::Deadline,
                () = phase.changed.notified() => Event::Changed,
            };
            match event {
                Event::Served(Ok(())) => {
                    linger(connection.into_parts().io.into_inner()).await;
                    return;
                }
                Event::Served(Err(error)) => {
                    tracing::debug!(%error, "connection ended with an error");
                    return;
                }
                Event::Closing => {
                    shutting_down = true;
                    Pin::new(&mut connection).graceful_shutdown();
                }
                Event::Deadline if phase.expired(&self.bounds, Instant::now()) => {
                    tracing::debug!("connection past its time bound; closed");
                    return;
                }
                Event::Deadline | Event::Changed => {}
            }
        }
    }
}

/// What woke a connection's watcher.
enum Event {
    /// hyper is done with the connection (the client closed, or hyper
    /// will not read another request on it).
    Served(hyper::Result<()>),
    /// The server is stopping.
    Closing,
    /// A time bound may have passed.
    Deadline,
    /// The phase changed: a deadline may have come closer.
    Changed,
}

/// Closes a connection as nginx's lingering close does: the answer is sent,
/// the write side shut (FIN, after TLS's close_notify), and what the client
/// still sends is read and dropped until it closes, for at most
/// [`LINGER_TIME`] and while bytes keep coming within [`LINGER_QUIET`].
/// Closing with unread bytes would make the kernel answer them with a reset,
/// and a client still sending a body that was refused before it was read
/// (a 401, 403 or 413) could lose the answer to that reset.
async fn linger<I: AsyncRead + AsyncWrite + Unpin>(mut io: I) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let drain = async {
        if io.shutdown().await.is_err() {
            return;
        }
        let mut sink = [0u8; 16 * 1024];
        while let Ok(Ok(read)) = tokio::time::timeout(LINGER_QUIET, io.read(&mut sink)).await {
            if read == 0 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

/// Where a connection is, for its time bounds.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request head since this instant (the connection's
    /// start, or the first byte after an idle wait).
    Head(Instant),
    /// Waiting, kept alive, for a next request since this instant.
    Idle(Instant),
    /// Requests in flight (handler running or response being sent); a write
    /// has been blocked on the client since the instant, if any.
    Busy {
        requests: usize,
        write_blocked: Option<Instant>,
    },
}

/// The phase of one connection, shared by its stream, its service and its watcher.
struct PhaseCell {
    phase: Mutex<Phase>,
    /// Wakes the watcher when a deadline may have come closer.
    changed: Notify,
}

impl PhaseCell {
    fn new(started: Instant) -> Self {
        Self {
            phase: Mutex::new(Phase::Head(started)),
            changed: Notify::new(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Phase) -> T) -> T {
        let mut phase = self
            .phase
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut phase)
    }

    /// When the connection must have moved on, or the next time to look.
    fn deadline(&self, bounds: &Bounds) -> Instant {
        self.with(|phase| Self::deadline_of(phase, bounds))
    }

    /// Whether the connection is past its bound (a request being handled
    /// with its response not blocked on the client has none).
    fn expired(&self, bounds: &Bounds, now: Instant) -> bool {
        self.with(|phase| match phase {
            Phase::Busy {
                write_blocked: None,
                ..
            } => false,
            _ => now >= Self::deadline_of(phase, bounds),
        })
    }

    fn deadline_of(phase: &Phase, bounds: &Bounds) -> Instant {
        match *phase {
            Phase::Head(since) => since + bounds.header_read_timeout,
            Phase::Idle(since)
            | Phase::Busy {
                write_blocked: Some(since),
                ..
            } => since + bounds.idle_timeout,
            Phase::Busy { .. } => Instant::now() + bounds.idle_timeout,
        }
    }

    fn bytes_read(&self) {
        let started = self.with(|phase| match *phase {
            Phase::Idle(_) => {
                *phase = Phase::Head(Instant::now());
                true
            }
            _ => false,
        });
        if started {
            self.changed.notify_one();
        }
    }

    fn write_progress(&self, blocked: bool) {
        self.with(|phase| {
            if let Phase::Busy { write_blocked, .. } = phase {
                match (blocked, *write_blocked) {
                    (true, None) => *write_blocked = Some(Instant::now()),
                    (false, Some(_)) => *write_blocked = None,
                    _ => {}
                }
            }
        });
    }

    fn request_started(&self) {
        self.with(|phase| {
            *phase = match *phase {
                Phase::Busy {
                    requests,
                    write_blocked,
                } => Phase::Busy {
                    requests: requests + 1,
                    write_blocked,
                },
                Phase::Head(_) | Phase::Idle(_) => Phase::Busy {
                    requests: 1,
                    write_blocked: None,
                },
            };
        });
    }

    fn request_finished(&self) {
        self.with(|phase| {
            if let Phase::Busy {
                requests,
                write_blocked,
            } = *phase
            {
                *phase = if requests > 1 {
                    Phase::Busy {
                        requests: requests - 1,
                        write_blocked,
                    }
                } else {
                    Phase::Idle(Instant::now())
                };
            }
        });
        self.changed.notify_one();
    }
}

/// The connection's stream, reporting progress to its [`PhaseCell`].
struct TrackedIo<I> {
    inner: I,
    phase: Arc<PhaseCell>,
}

impl<I: AsyncRead + Unpin> AsyncRead for TrackedIo<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.phase.bytes_read();
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for TrackedIo<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.phase.write_progress(polled.is_pending());
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.phase.write_progress(polled.is_pending());
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The router as hyper calls it, for one connection.
#[derive(Clone)]
struct ConnectionService {
    router: Router,
    peer: SocketAddr,
    extensions: Arc<Extensions>,
    phase: Arc<PhaseCell>,
    body_read_timeout: Duration,
}

impl hyper::service::Service<Request<hyper::body::Incoming>> for ConnectionService {
    type Response = Response<Body>;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, request: Request<hyper::body::Incoming>) -> Self::Future {
        self.phase.request_started();
        let in_flight = InFlight(Arc::clone(&self.phase));
        let (mut parts, body) = request.into_parts();
        parts.extensions.extend((*self.extensions).clone());
        parts.extensions.insert(ConnectInfo(self.peer));
        let body = Body::new(DeadlineBody {
            inner: body,
            deadline: Box::pin(tokio::time::sleep(self.body_read_timeout)),
        });
        let mut router = self.router.clone();
        Box::pin(async move {
            use tower_service::Service;
            let response = router.call(Request::from_parts(parts, body)).await?;
            Ok(response.map(|body| {
                Body::new(InFlightBody {
                    inner: body,
                    _in_flight: in_flight,
                })
            }))
        })
    }
}

/// A request in flight until its response body is sent or dropped.
struct InFlight(Arc<PhaseCell>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// A response body that ends its request's [`InFlight`] when it is done.
struct InFlightBody {
    inner: Body,
    _in_flight: InFlight,
}

impl HttpBody for InFlightBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Reading a request body took longer than the body read timeout.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimedOut;

/// A request body that fails with [`BodyTimedOut`] past its deadline.
struct DeadlineBody {
    inner: hyper::body::Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Whether a body read failed because of the body read timeout.
pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<BodyTimedOut>() {
            return true;
        }
        current = error.source();
    }
    false
}
