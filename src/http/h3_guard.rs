//! What an HTTP/3 peer can make the server hold, bounded below h3.
//!
//! h3 buffers a frame whole before it decodes it, and checks
//! `max_field_section_size` only after the whole HEADERS frame arrived
//! (and an unknown frame is buffered whole before it is skipped), while
//! QUIC flow control is credited as h3 reads: a HEADERS frame announcing
//! 2^62 bytes would be read for ever. So the QUIC streams h3 sees are
//! wrapped here ([`GuardedConnection`]):
//!
//! | rule | refusal |
//! |---|---|
//! | a request stream's frames before its HEADERS frame is complete: each at most `max_head_frame` bytes (RFC 9114 §4.2.2 allows a limit) | stream stopped and reset, `H3_EXCESSIVE_LOAD` |
//! | the HEADERS frame complete within `head_timeout` from the stream's opening | stream reset with `H3_REQUEST_INCOMPLETE` (RFC 9114 §8.1), and stopped as it is dropped |
//! | a request stream carries at most `max_request_stream` bytes (header section + body limit + framing) | `H3_EXCESSIVE_LOAD` |
//! | a unidirectional stream (control, QPACK) carries at most `max_control_stream` bytes | `H3_EXCESSIVE_LOAD`; h3 closes the connection (`H3_CLOSED_CRITICAL_STREAM`) |
//! | the bytes read on a connection's live streams stay within `connection_budget` | `H3_EXCESSIVE_LOAD` on the stream that would pass it |
//!
//! h3 itself then refuses a decoded section over `max_field_section_size`
//! with 431, and `h3::read_body` applies the body limit and timeout.

use bytes::{Buf, Bytes};
use h3::error::Code;
use h3::quic::{self, ConnectionErrorIncoming, StreamErrorIncoming, StreamId, WriteBuf};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::time::Sleep;

/// RFC 9114 §7.2.2: the HEADERS frame type.
const HEADERS: u64 = 0x01;

/// The bounds of one connection's streams.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// Time from a request stream's opening to its complete HEADERS frame.
    pub head_timeout: Duration,
    /// Largest frame before and including the HEADERS frame, encoded.
    pub max_head_frame: usize,
    /// Bytes one request stream may carry in all.
    pub max_request_stream: usize,
    /// Bytes one unidirectional stream may carry in all.
    pub max_control_stream: usize,
    /// Bytes the live streams of one connection may have delivered.
    pub connection_budget: usize,
}

/// A QUIC connection (h3-quinn) whose streams are bounded by [`StreamLimits`].
pub struct GuardedConnection {
    inner: h3_quinn::Connection,
    guard: Guard,
}

impl GuardedConnection {
    /// Wraps `connection`.
    pub fn new(connection: quinn::Connection, limits: StreamLimits) -> Self {
        Self {
            inner: h3_quinn::Connection::new(connection),
            guard: Guard {
                limits,
                held: Arc::new(AtomicUsize::new(0)),
            },
        }
    }
}

/// Opens streams for h3 (the server's control and QPACK streams).
pub struct GuardedOpener {
    inner: h3_quinn::OpenStreams,
    guard: Guard,
}

#[derive(Clone)]
struct Guard {
    limits: StreamLimits,
    held: Arc<AtomicUsize>,
}

impl Guard {
    fn request<S>(&self, inner: S) -> Guarded<S> {
        Guarded {
            inner,
            max: self.limits.max_request_stream,
            budget: self.limits.connection_budget,
            held: Held::new(self.held.clone()),
            head: Some(Head {
                deadline: Box::pin(tokio::time::sleep(self.limits.head_timeout)),
                frames: FrameWalk::default(),
                max_frame: self.limits.max_head_frame,
            }),
            refused: None,
        }
    }

    fn control<S>(&self, inner: S) -> Guarded<S> {
        Guarded {
            inner,
            max: self.limits.max_control_stream,
            budget: self.limits.connection_budget,
            held: Held::new(self.held.clone()),
            head: None,
            refused: None,
        }
    }
}

/// A stream with its byte counts and, for a request stream, its head watch.
pub struct Guarded<S> {
    inner: S,
    max: usize,
    budget: usize,
    held: Held,
    head: Option<Head>,
    refused: Option<u64>,
}

/// The bytes a live stream delivered, counted in its connection's total
/// until the stream is dropped.
struct Held {
    connection: Arc<AtomicUsize>,
    mine: usize,
}

impl Held {
    fn new(connection: Arc<AtomicUsize>) -> Self {
        Self { connection, mine: 0 }
    }

    /// Counts `n` more bytes; the connection's total after.
    fn add(&mut self, n: usize) -> usize {
        self.mine += n;
        self.connection.fetch_add(n, Ordering::Relaxed) + n
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.connection.fetch_sub(self.mine, Ordering::Relaxed);
    }
}

/// A request stream until its HEADERS frame is complete.
struct Head {
    deadline: Pin<Box<Sleep>>,
    frames: FrameWalk,
    max_frame: usize,
}

/// Stops the peer sending on a stream and, where there is one, resets the
/// sending side.
pub trait Refuse {
    /// Refuses the stream with `code`. `read_pending`: a read of the inner
    /// stream is under way, so it cannot be stopped now (h3-quinn holds the
    /// stream inside that read); it is stopped when dropped.
    fn refuse(&mut self, code: u64, read_pending: bool);
}

impl Refuse for h3_quinn::RecvStream {
    fn refuse(&mut self, code: u64, read_pending: bool) {
        if !read_pending {
            quic::RecvStream::stop_sending(self, code);
        }
    }
}

impl<B: Buf> Refuse for h3_quinn::BidiStream<B> {
    fn refuse(&mut self, code: u64, read_pending: bool) {
        quic::SendStream::<B>::reset(self, code);
        if !read_pending {
            quic::RecvStream::stop_sending(self, code);
        }
    }
}

impl<S: Refuse> Guarded<S> {
    fn refuse(&mut self, code: Code, read_pending: bool) -> StreamErrorIncoming {
        let code = code.value();
        if self.refused.is_none() {
            self.refused = Some(code);
            self.inner.refuse(code, read_pending);
        }
        StreamErrorIncoming::StreamTerminated { error_code: code }
    }
}

impl<S> quic::RecvStream for Guarded<S>
where
    S: quic::RecvStream<Buf = Bytes> + Refuse,
{
    type Buf = Bytes;

    fn poll_data(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, StreamErrorIncoming>> {
        if let Some(code) = self.refused {
            return Poll::Ready(Err(StreamErrorIncoming::StreamTerminated { error_code: code }));
        }
        let late = self
            .head
            .as_mut()
            .is_some_and(|head| head.deadline.as_mut().poll(cx).is_ready());
        if late {
            return Poll::Ready(Err(self.refuse(Code::H3_REQUEST_INCOMPLETE, true)));
        }
        let Some(chunk) = ready!(self.inner.poll_data(cx))? else {
            return Poll::Ready(Ok(None));
        };
        let connection = self.held.add(chunk.len());
        if self.held.mine > self.max || connection > self.budget {
            return Poll::Ready(Err(self.refuse(Code::H3_EXCESSIVE_LOAD, false)));
        }
        if let Some(head) = &mut self.head {
            match head.frames.feed(&chunk, head.max_frame) {
                Walked::HeadersComplete => self.head = None,
                Walked::More => {}
                Walked::TooLarge => return Poll::Ready(Err(self.refuse(Code::H3_EXCESSIVE_LOAD, false))),
            }
        }
        Poll::Ready(Ok(Some(chunk)))
    }

    fn stop_sending(&mut self, error_code: u64) {
        self.inner.stop_sending(error_code);
    }

    fn recv_id(&self) -> StreamId {
        self.inner.recv_id()
    }
}

impl<B: Buf> quic::SendStream<B> for Guarded<h3_quinn::BidiStream<B>> {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StreamErrorIncoming>> {
        self.inner.poll_ready(cx)
    }

    fn send_data<T: Into<WriteBuf<B>>>(&mut self, data: T) -> Result<(), StreamErrorIncoming> {
        self.inner.send_data(data)
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StreamErrorIncoming>> {
        self.inner.poll_finish(cx)
    }

    fn reset(&mut self, reset_code: u64) {
        self.inner.reset(reset_code);
    }

    fn send_id(&self) -> StreamId {
        self.inner.send_id()
    }
}

impl<B: Buf> quic::BidiStream<B> for Guarded<h3_quinn::BidiStream<B>> {
    type SendStream = h3_quinn::SendStream<B>;
    type RecvStream = Guarded<h3_quinn::RecvStream>;

    fn split(self) -> (Self::SendStream, Self::RecvStream) {
        let (send, recv) = self.inner.split();
        let recv = Guarded {
            inner: recv,
            max: self.max,
            budget: self.budget,
            held: self.held,
            head: self.head,
            refused: self.refused,
        };
        (send, recv)
    }
}

impl<B: Buf> quic::OpenStreams<B> for GuardedConnection {
    type BidiStream = Guarded<h3_quinn::BidiStream<B>>;
    type SendStream = h3_quinn::SendStream<B>;

    fn poll_open_bidi(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Self::BidiStream, StreamErrorIncoming>> {
        let stream = ready!(quic::OpenStreams::<B>::poll_open_bidi(&mut self.inner, cx))?;
        Poll::Ready(Ok(self.guard.control(stream)))
    }

    fn poll_open_send(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Self::SendStream, StreamErrorIncoming>> {
        quic::OpenStreams::<B>::poll_open_send(&mut self.inner, cx)
    }

    fn close(&mut self, code: Code, reason: &[u8]) {
        quic::OpenStreams::<B>::close(&mut self.inner, code, reason);
    }
}

impl<B: Buf> quic::Connection<B> for GuardedConnection {
    type RecvStream = Guarded<h3_quinn::RecvStream>;
    type OpenStreams = GuardedOpener;

    fn poll_accept_recv(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Self::RecvStream, ConnectionErrorIncoming>> {
        let stream = ready!(quic::Connection::<B>::poll_accept_recv(&mut self.inner, cx))?;
        Poll::Ready(Ok(self.guard.control(stream)))
    }

    fn poll_accept_bidi(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Self::BidiStream, ConnectionErrorIncoming>> {
        let stream = ready!(quic::Connection::<B>::poll_accept_bidi(&mut self.inner, cx))?;
        Poll::Ready(Ok(self.guard.request(stream)))
    }

    fn opener(&self) -> Self::OpenStreams {
        GuardedOpener {
            inner: quic::Connection::<B>::opener(&self.inner),
            guard: self.guard.clone(),
        }
    }
}

impl<B: Buf> quic::OpenStreams<B> for GuardedOpener {
    type BidiStream = Guarded<h3_quinn::BidiStream<B>>;
    type SendStream = h3_quinn::SendStream<B>;

    fn poll_open_bidi(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Self::BidiStream, StreamErrorIncoming>> {
        let stream = ready!(quic::OpenStreams::<B>::poll_open_bidi(&mut self.inner, cx))?;
        Poll::Ready(Ok(self.guard.control(stream)))
    }

    fn poll_open_send(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Self::SendStream, StreamErrorIncoming>> {
        quic::OpenStreams::<B>::poll_open_send(&mut self.inner, cx)
    }

    fn close(&mut self, code: Code, reason: &[u8]) {
        quic::OpenStreams::<B>::close(&mut self.inner, code, reason);
    }
}

/// Where the walk over a request stream's first frames stands.
#[derive(Debug, PartialEq, Eq)]
enum Walked {
    /// The HEADERS frame's last byte has arrived.
    HeadersComplete,
    /// Not yet.
    More,
    /// A frame announces more than the limit.
    TooLarge,
}

/// Follows RFC 9114 §7.1 frames (type, length, payload; both variable-length
/// integers, RFC 9000 §16) without keeping their payloads.
#[derive(Debug, Default)]
struct FrameWalk {
    at: At,
}

#[derive(Debug)]
enum At {
    Type(VarInt),
    Length { ty: u64, length: VarInt },
    Payload { headers: bool, left: u64 },
}

impl Default for At {
    fn default() -> Self {
        At::Type(VarInt::default())
    }
}

impl FrameWalk {
    fn feed(&mut self, mut data: &[u8], max_frame: usize) -> Walked {
        while let Some((&byte, rest)) = data.split_first() {
            match &mut self.at {
                At::Type(ty) => {
                    if let Some(ty) = ty.push(byte) {
                        self.at = At::Length {
                            ty,
                            length: VarInt::default(),
                        };
                    }
                    data = rest;
                }
                At::Length { ty, length } => {
                    let ty = *ty;
                    data = rest;
                    if let Some(length) = length.push(byte) {
                        if length > max_frame as u64 {
                            return Walked::TooLarge;
                        }
                        let headers = ty == HEADERS;
                        self.at = match (length, headers) {
                            (0, true) => return Walked::HeadersComplete,
                            (0, false) => At::default(),
                            (left, headers) => At::Payload { headers, left },
                        };
                    }
                }
                At::Payload { headers, left } => {
                    let take = (*left).min(data.len() as u64);
                    *left -= take;
                    data = &data[take as usize..];
                    if *left == 0 {
                        if *headers {
                            return Walked::HeadersComplete;
                        }
                        self.at = At::default();
                    }
                }
            }
        }
        Walked::More
    }
}

/// A QUIC variable-length integer arriving byte by byte (RFC 9000 §16).
#[derive(Debug, Default)]
struct VarInt {
    value: u64,
    have: usize,
    need: usize,
}

impl VarInt {
    fn push(&mut self, byte: u8) -> Option<u64> {
        if self.have == 0 {
            self.need = 1 << (byte >> 6);
            self.value = u64::from(byte & 0x3f);
        } else {
            self.value = (self.value << 8) | u64::from(byte);
        }
        self.have += 1;
        if self.have == self.need {
            let value = self.value;
            *self = VarInt::default();
            Some(value)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_finds_the_end_of_the_headers_frame_rfc9114_s7_1() {
        let mut walk = FrameWalk::default();
        // A reserved frame type (0x21, RFC 9114 §7.2.8) of 2 bytes, then
        // HEADERS of 3 bytes, split anywhere.
        let frames = [0x21, 0x02, 0xaa, 0xbb, 0x01, 0x03, 0x00, 0x00, 0xd1];
        assert_eq!(walk.feed(&frames[..5], 100), Walked::More);
        assert_eq!(walk.feed(&frames[5..8], 100), Walked::More);
        assert_eq!(walk.feed(&frames[8..], 100), Walked::HeadersComplete);
    }

    #[test]
    fn a_frame_announcing_more_than_the_limit_is_too_large() {
        // HEADERS with a 4-byte length of 0x10000.
        let mut walk = FrameWalk::default();
        assert_eq!(walk.feed(&[0x01, 0x80, 0x01, 0x00], 1000), Walked::More);
        assert_eq!(walk.feed(&[0x00], 1000), Walked::TooLarge);
        // Unknown frames count too: they are buffered whole before skipped.
        let mut walk = FrameWalk::default();
        assert_eq!(walk.feed(&[0x21, 0x7f, 0xff], 1000), Walked::TooLarge);
    }

    #[test]
    fn varints_of_every_length_rfc9000_s16() {
        for (bytes, value) in [
            (&[0x25][..], 37u64),
            (&[0x7b, 0xbd][..], 15293),
            (&[0x9d, 0x7f, 0x3e, 0x7d][..], 494_878_333),
            (
                &[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c][..],
                151_288_809_941_952_652,
            ),
        ] {
            let mut varint = VarInt::default();
            let (last, first) = bytes.split_last().unwrap();
            for b in first {
                assert_eq!(varint.push(*b), None);
            }
            assert_eq!(varint.push(*last), Some(value));
        }
    }
}
