//! Compresses responses for clients that take it: zstd where the client takes zstd (Chrome, Edge
//! and Firefox do), gzip otherwise. Replaces actix-web's `Compress`, which built a new compressor
//! for every response (a few hundred KB of zeroed buffers) and handed every chunk over 1 KB to
//! the blocking pool: together about a quarter of the timeline page's CPU time in a profile of
//! the timeline bench. Here compressors are kept and reused, and a page's chunks are compressed
//! where they arrive.

use std::error::Error as StdError;
use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ResponseHead, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::Error;
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use zstd::zstd_safe::{self, zstd_sys::ZSTD_EndDirective, CCtx, CParameter, InBuffer, OutBuffer};

/// Below this many bytes the coding's own framing and the work outweigh what it saves.
const SMALLEST_WORTH_COMPRESSING: u64 = 512;
/// Compressors of each coding kept for reuse (a gzip one holds a few hundred KB, a zstd one up to
/// about 1.3 MB); more concurrent responses than this make new ones, which are dropped afterwards.
const MOST_IDLE_COMPRESSORS: usize = 32;
/// zlib-rs's level 1 writes fixed Huffman codes only: a 50-entry timeline page (93 KB) comes to
/// 11.4 KB, against 9.2 KB at level 2, but level 2 cost a tenth of the pages a second in the
/// timeline bench (827 against 913 at 8 clients on 200 k events), and the page rate is what
/// falls short.
const GZIP_LEVEL: u32 = 1;
/// zstd's fastest regular level: a 50-entry timeline page of 88 KB comes to 8.0 KB (against
/// 11.4 KB with gzip here), compressed at about 0.8 to 1 GB/s by the zstd tool on this machine.
const ZSTD_LEVEL: i32 = 1;
/// 512 KB, level 1's own window for a body of unknown length, set so that it stays so: a
/// browser refuses a zstd response whose window is over 8 MB (RFC 9659).
const ZSTD_WINDOW_LOG: u32 = 19;
/// A long body (an export) is compressed in slices of this size, each in its own turn on the
/// worker thread, so that requests sharing the thread are not held up for the whole of it.
const MOST_PER_TURN: usize = 64 * 1024;

static IDLE_GZIP: Mutex<Vec<Compress>> = Mutex::new(Vec::new());
static IDLE_ZSTD: Mutex<Vec<CCtx<'static>>> = Mutex::new(Vec::new());

/// A member header: deflate, no name or time, unknown OS (as flate2 writes it). Public for the
/// timeline bench, which gzips a page as the server does.
pub const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// The content codings this server writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Zstd,
    Gzip,
}

impl Coding {
    /// The coding for a client's `Accept-Encoding`: the one it weighs highest (`q`), zstd when
    /// it weighs both alike; none when it takes neither.
    pub fn for_client(accept_encoding: Option<&HeaderValue>) -> Option<Coding> {
        let zstd = quality(accept_encoding, "zstd").map(|q| (q, Coding::Zstd));
        let gzip = quality(accept_encoding, "gzip").map(|q| (q, Coding::Gzip));
        match (zstd, gzip) {
            (Some(zstd), Some(gzip)) => Some(if gzip.0 > zstd.0 { gzip.1 } else { zstd.1 }),
            (one, other) => one.or(other).map(|(_, coding)| coding),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
        }
    }
}

/// Compresses a response worth compressing for a client that takes zstd or gzip; leaves it as it
/// is otherwise.
pub async fn compress_responses(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<Compressed, BoxBody>>, Error> {
    let coding = Coding::for_client(request.headers().get(header::ACCEPT_ENCODING));
    let response = next.call(request).await?;
    Ok(response.map_body(|head, body| {
        if !worth_compressing(head, body.size()) {
            return EitherBody::right(body.boxed());
        }
        // Caches must keep the compressed and the plain answer apart either way.
        head.headers_mut()
            .append(header::VARY, HeaderValue::from_static("accept-encoding"));
        let Some(coding) = coding else {
            return EitherBody::right(body.boxed());
        };
        head.headers_mut().insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(coding.name()),
        );
        head.headers_mut().remove(header::CONTENT_LENGTH);
        head.no_chunking(false);
        EitherBody::left(Compressed::new(body.boxed(), coding))
    }))
}

/// Whether an `Accept-Encoding` header value takes `coding`. One listed with `q=0` is refused.
pub fn accepts(accept_encoding: Option<&HeaderValue>, coding: &str) -> bool {
    quality(accept_encoding, coding).is_some()
}

/// How much the client wants `coding` (its `q` between 0 and 1; 1 when not given or not a
/// number); `None` when it does not list it or refuses it (`q=0`).
fn quality(accept_encoding: Option<&HeaderValue>, coding: &str) -> Option<f32> {
    let value = accept_encoding.and_then(|v| v.to_str().ok())?;
    value.split(',').find_map(|entry| {
        let mut parts = entry.split(';').map(str::trim);
        if !parts
            .next()
            .unwrap_or_default()
            .eq_ignore_ascii_case(coding)
        {
            return None;
        }
        let q = parts
            .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0)
            .min(1.0);
        (q > 0.0).then_some(q)
    })
}

fn worth_compressing(head: &ResponseHead, size: BodySize) -> bool {
    let has_body = match size {
        BodySize::None => false,
        BodySize::Sized(length) => length >= SMALLEST_WORTH_COMPRESSING,
        BodySize::Stream => true,
    };
    let status_allows = !matches!(
        head.status,
        StatusCode::SWITCHING_PROTOCOLS | StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT
    );
    // Already compressed, or said outright to stay as it is (see `site_assets`).
    let encoded = head.headers().contains_key(header::CONTENT_ENCODING);
    has_body && status_allows && !encoded && compressible_type(head)
}

/// Pictures, sound, video, PDF and archives are compressed in their own format already.
fn compressible_type(head: &ResponseHead) -> bool {
    let Some(content_type) = head
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let (kind, subtype) = essence.split_once('/').unwrap_or((&essence, ""));
    match kind {
        "image" => subtype == "svg+xml",
        "audio" | "video" => false,
        "application" => !matches!(subtype, "pdf" | "zip" | "gzip" | "wasm" | "zstd"),
        _ => true,
    }
}

/// How far a compressor is to write out what it has been given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flush {
    /// As it likes: it may keep all of it for now.
    None,
    /// All of it, so that the client can show it while the rest is still being rendered.
    Sync,
    /// All of it, and the end of the body.
    Finish,
}

/// One response's compressor.
enum Encoder {
    Gzip {
        compressor: Compress,
        crc: Crc,
        header_sent: bool,
    },
    Zstd(CCtx<'static>),
}

impl Encoder {
    /// An idle compressor of `coding` if there is one, a new one otherwise.
    fn take(coding: Coding) -> Self {
        match coding {
            // The pool's lock is let go before a new compressor is made (and zeroed).
            Coding::Gzip => {
                let reused = lock(&IDLE_GZIP).pop();
                Encoder::Gzip {
                    compressor: reused
                        .unwrap_or_else(|| Compress::new(Compression::new(GZIP_LEVEL), false)),
                    crc: Crc::new(),
                    header_sent: false,
                }
            }
            Coding::Zstd => {
                let reused = lock(&IDLE_ZSTD).pop();
                Encoder::Zstd(reused.unwrap_or_else(new_zstd))
            }
        }
    }

    /// Compresses `input` and appends what comes out to `out` (which may be nothing, unless
    /// `flush` asks for it).
    fn encode(&mut self, input: &[u8], flush: Flush, out: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Encoder::Gzip {
                compressor,
                crc,
                header_sent,
            } => {
                let start = out.len();
                crc.update(input);
                deflate(compressor, input, flush, out)?;
                if flush == Flush::Finish {
                    out.extend_from_slice(&crc.sum().to_le_bytes());
                    out.extend_from_slice(&crc.amount().to_le_bytes());
                }
                if out.len() > start && !*header_sent {
                    out.splice(start..start, GZIP_HEADER);
                    *header_sent = true;
                }
                Ok(())
            }
            Encoder::Zstd(context) => zstd_compress(context, input, flush, out),
        }
    }

    /// Back to the pool, for a compressor whose body is complete. One dropped halfway (the
    /// client went away) is not given back: gzip's may hold a block open that `reset` does not
    /// close (zlib-rs keeps `block_open`), and the next response would start with codes that
    /// belong to no block.
    fn give_back(self) {
        let idle_too_many = |len: usize| len >= MOST_IDLE_COMPRESSORS;
        match self {
            Encoder::Gzip { mut compressor, .. } => {
                compressor.reset();
                let mut idle = lock(&IDLE_GZIP);
                if !idle_too_many(idle.len()) {
                    idle.push(compressor);
                }
            }
            Encoder::Zstd(mut context) => {
                if context
                    .reset(zstd_safe::ResetDirective::SessionOnly)
                    .is_ok()
                {
                    let mut idle = lock(&IDLE_ZSTD);
                    if !idle_too_many(idle.len()) {
                        idle.push(context);
                    }
                }
            }
        }
    }
}

fn lock<T>(pool: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn new_zstd() -> CCtx<'static> {
    let mut context = CCtx::create();
    // Neither can fail for values in range; a context left at its defaults (level 3) would
    // still write a valid frame.
    let _ = context.set_parameter(CParameter::CompressionLevel(ZSTD_LEVEL));
    let _ = context.set_parameter(CParameter::WindowLog(ZSTD_WINDOW_LOG));
    context
}

/// A response body compressed into one gzip member or zstd frame as it streams. What has
/// arrived is flushed out whenever the page waits for more, so a streamed page still arrives
/// piece by piece.
pub struct Compressed {
    body: BoxBody,
    /// Given back to the pool once the body is complete; dropped with a response cut off.
    encoder: Option<Encoder>,
    /// The part of a long chunk left for the next turn.
    unread: Bytes,
    holds_unflushed: bool,
}

impl Compressed {
    fn new(body: BoxBody, coding: Coding) -> Self {
        Self {
            body,
            encoder: Some(Encoder::take(coding)),
            unread: Bytes::new(),
            holds_unflushed: false,
        }
    }
}

impl MessageBody for Compressed {
    type Error = Box<dyn StdError>;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        loop {
            let Some(encoder) = this.encoder.as_mut() else {
                return Poll::Ready(None);
            };
            let (input, flush) = if !this.unread.is_empty() {
                let slice = this.unread.len().min(MOST_PER_TURN);
                (this.unread.split_to(slice), Flush::None)
            } else {
                match Pin::new(&mut this.body).poll_next(cx) {
                    Poll::Ready(Some(Ok(chunk))) if chunk.is_empty() => continue,
                    Poll::Ready(Some(Ok(mut chunk))) => {
                        if chunk.len() > MOST_PER_TURN {
                            this.unread = chunk.split_off(MOST_PER_TURN);
                        }
                        (chunk, Flush::None)
                    }
                    Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                    Poll::Ready(None) => (Bytes::new(), Flush::Finish),
                    Poll::Pending if this.holds_unflushed => (Bytes::new(), Flush::Sync),
                    Poll::Pending => return Poll::Pending,
                }
            };
            let mut out = Vec::with_capacity(input.len() / 2 + 64);
            encoder.encode(&input, flush, &mut out)?;
            this.holds_unflushed = flush == Flush::None;
            if flush == Flush::Finish {
                if let Some(encoder) = this.encoder.take() {
                    encoder.give_back();
                }
            } else if out.is_empty() {
                // Nothing came out yet (the compressor collects a block first).
                if flush == Flush::Sync {
                    return Poll::Pending;
                }
                if !this.unread.is_empty() {
                    // The rest of a long chunk waits for the next turn.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                continue;
            }
            return Poll::Ready(Some(Ok(Bytes::from(out))));
        }
    }
}

/// Feeds all of `input` to the compressor and appends what it gives, growing `out` as needed;
/// with a flush, until the flush is complete.
fn deflate(
    compressor: &mut Compress,
    mut input: &[u8],
    flush: Flush,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let flush = match flush {
        Flush::None => FlushCompress::None,
        Flush::Sync => FlushCompress::Sync,
        Flush::Finish => FlushCompress::Finish,
    };
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve((input.len() / 2).max(4096));
        }
        let (read_before, written_before) = (compressor.total_in(), out.len());
        let status = compressor
            .compress_vec(input, out, flush)
            .map_err(io::Error::other)?;
        let read = (compressor.total_in() - read_before) as usize;
        input = &input[read..];
        // A full output buffer may hold back more; room left means the compressor is done.
        let room_left = out.len() < out.capacity();
        match status {
            Status::StreamEnd => return Ok(()),
            _ if input.is_empty() && room_left && flush != FlushCompress::Finish => return Ok(()),
            Status::BufError if read == 0 && out.len() == written_before && room_left => {
                return Err(io::Error::other("the compressor made no progress"));
            }
            _ => {}
        }
    }
}

/// zstd's counterpart of [`deflate`]: every byte of `input` taken in, and with a flush, all of
/// it written out (with `Finish`, the frame's end too).
fn zstd_compress(
    context: &mut CCtx<'static>,
    input: &[u8],
    flush: Flush,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let directive = match flush {
        Flush::None => ZSTD_EndDirective::ZSTD_e_continue,
        Flush::Sync => ZSTD_EndDirective::ZSTD_e_flush,
        Flush::Finish => ZSTD_EndDirective::ZSTD_e_end,
    };
    let mut input = InBuffer::around(input);
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve((input.src.len() / 2).max(4096));
        }
        let start = out.len();
        let mut output = OutBuffer::around_pos(out, start);
        let left_to_flush = context
            .compress_stream2(&mut output, &mut input, directive)
            .map_err(|code| io::Error::other(zstd_safe::get_error_name(code)))?;
        let all_read = input.pos() == input.src.len();
        // `continue` is done once it has read everything; a flush or the end, once nothing is
        // left in its buffers either.
        if all_read && (flush == Flush::None || left_to_flush == 0) {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use actix_web::middleware::from_fn;
    use actix_web::test as web_test;
    use actix_web::{web, App, HttpResponse};
    use futures_util::stream;

    use super::*;

    fn gunzip(bytes: &[u8]) -> String {
        let mut plain = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut plain)
            .expect("a complete gzip member with a matching checksum");
        plain
    }

    async fn next_chunk(body: &mut Compressed) -> Option<Result<Bytes, Box<dyn StdError>>> {
        futures_util::future::poll_fn(|cx| Pin::new(&mut *body).poll_next(cx)).await
    }

    fn page(seed: usize) -> String {
        (0..4000)
            .map(|i| format!("<li>entry {} of {seed}</li>", i * seed % 997))
            .collect()
    }

    /// `page(seed)` as a streamed response, in chunks of 3,000 bytes.
    async fn streamed_page(seed: web::Path<usize>) -> HttpResponse {
        let chunks: Vec<Result<Bytes, Error>> = page(*seed)
            .as_bytes()
            .chunks(3000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        HttpResponse::Ok()
            .content_type("text/html")
            .streaming(stream::iter(chunks))
    }

    #[actix_web::test]
    async fn pages_arrive_gzipped_and_unpack_to_what_was_rendered_with_reused_compressors() {
        let app = web_test::init_service(
            App::new()
                .wrap(from_fn(compress_responses))
                .route(
                    "/page/{seed}",
                    web::get().to(|seed: web::Path<usize>| async move {
                        HttpResponse::Ok()
                            .content_type("text/html; charset=utf-8")
                            .body(page(*seed))
                    }),
                )
                .route("/streamed/{seed}", web::get().to(streamed_page)),
        )
        .await;
        // Several rounds, so that later responses run on compressors earlier ones gave back.
        for seed in 1..6 {
            for path in ["page", "streamed"] {
                let request = web_test::TestRequest::get()
                    .uri(&format!("/{path}/{seed}"))
                    .insert_header((header::ACCEPT_ENCODING, "br;q=1.0, gzip;q=0.8"))
                    .to_request();
                let response = web_test::call_service(&app, request).await;
                assert_eq!(
                    response.headers().get(header::CONTENT_ENCODING).unwrap(),
                    "gzip"
                );
                assert_eq!(
                    response.headers().get(header::VARY).unwrap(),
                    "accept-encoding"
                );
                let body = web_test::read_body(response).await;
                assert!(body.len() < page(seed).len() / 3, "{} bytes", body.len());
                assert_eq!(gunzip(&body), page(seed), "{path} {seed}");
            }
        }
    }

    #[actix_web::test]
    async fn a_stream_that_waits_sends_what_it_has_so_far_before_it_ends() {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
        let chunks = stream::unfold(receiver, |mut receiver| async move {
            let chunk = receiver.recv().await?;
            Some((Ok::<_, io::Error>(chunk), receiver))
        });
        let mut gzipped = Compressed::new(
            actix_web::body::BodyStream::new(chunks).boxed(),
            Coding::Gzip,
        );

        let (first, second) = (page(1), page(2));
        sender.send(Bytes::from(first.clone())).unwrap();
        // The stream waits now: all of `first` must come out (in one or more pieces) before it
        // goes on.
        let mut so_far = Vec::new();
        loop {
            let chunk = actix_web::rt::time::timeout(
                std::time::Duration::from_secs(10),
                next_chunk(&mut gzipped),
            )
            .await
            .expect("what has arrived goes out without waiting for the end")
            .unwrap()
            .unwrap();
            so_far.extend_from_slice(&chunk);
            let mut unpacked = Vec::with_capacity(first.len() * 2);
            flate2::Decompress::new(false)
                .decompress_vec(&so_far[10..], &mut unpacked, flate2::FlushDecompress::Sync)
                .unwrap();
            assert!(first.as_bytes().starts_with(&unpacked));
            if unpacked.len() == first.len() {
                break;
            }
        }
        assert_eq!(&so_far[..10], &GZIP_HEADER);

        sender.send(Bytes::from(second.clone())).unwrap();
        drop(sender);
        let mut whole = so_far;
        while let Some(chunk) = next_chunk(&mut gzipped).await {
            whole.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(gunzip(&whole), first + &second);
    }

    #[actix_web::test]
    async fn a_response_dropped_halfway_does_not_spoil_the_next_ones() {
        let long: String = (1..40).map(page).collect();
        let mut halfway = Compressed::new(BoxBody::new(long.clone()), Coding::Gzip);
        let first = next_chunk(&mut halfway).await.unwrap().unwrap();
        assert!(!first.is_empty());
        // The client went away: the rest is never asked for.
        drop(halfway);
        for seed in 1..4 {
            let whole = Compressed::new(BoxBody::new(page(seed)), Coding::Gzip);
            let bytes = actix_web::body::to_bytes(whole).await.unwrap();
            assert_eq!(gunzip(&bytes), page(seed));
        }
    }

    #[actix_web::test]
    async fn a_long_body_is_compressed_a_slice_at_a_time() {
        let long: String = (1..200).map(page).collect();
        assert!(long.len() > 10 * MOST_PER_TURN);
        let mut gzipped = Compressed::new(BoxBody::new(long.clone()), Coding::Gzip);
        let mut turns = 0;
        let mut whole = Vec::new();
        loop {
            let turn = futures_util::future::poll_fn(|cx| {
                std::task::Poll::Ready(Pin::new(&mut gzipped).poll_next(cx))
            })
            .await;
            turns += 1;
            match turn {
                Poll::Ready(Some(chunk)) => whole.extend_from_slice(&chunk.unwrap()),
                Poll::Ready(None) => break,
                Poll::Pending => {}
            }
        }
        assert!(turns > long.len() / MOST_PER_TURN, "{turns} turns");
        assert_eq!(gunzip(&whole), long);
    }

    #[actix_web::test]
    async fn small_already_encoded_or_unwanted_responses_stay_as_they_are() {
        let app = web_test::init_service(
            App::new()
                .wrap(from_fn(compress_responses))
                .route("/small", web::get().to(|| async { "a short answer" }))
                .route(
                    "/large",
                    web::get().to(|| async { HttpResponse::Ok().body(page(7)) }),
                )
                .route(
                    "/identity",
                    web::get().to(|| async {
                        HttpResponse::Ok()
                            .insert_header((header::CONTENT_ENCODING, "identity"))
                            .body(page(3))
                    }),
                )
                .route(
                    "/picture",
                    web::get().to(|| async {
                        HttpResponse::Ok().content_type("image/png").body(page(5))
                    }),
                ),
        )
        .await;
        let fetch = |path: &'static str, accept: Option<&'static str>| {
            let mut request = web_test::TestRequest::get().uri(path);
            if let Some(accept) = accept {
                request = request.insert_header((header::ACCEPT_ENCODING, accept));
            }
            web_test::call_service(&app, request.to_request())
        };
        let small = fetch("/small", Some("gzip")).await;
        assert!(!small.headers().contains_key(header::CONTENT_ENCODING));
        assert_eq!(web_test::read_body(small).await, "a short answer");
        for (path, expected) in [("/identity", page(3)), ("/picture", page(5))] {
            let response = fetch(path, Some("gzip")).await;
            assert_ne!(
                response
                    .headers()
                    .get(header::CONTENT_ENCODING)
                    .map(|v| v.as_bytes()),
                Some(&b"gzip"[..])
            );
            assert_eq!(web_test::read_body(response).await, expected);
        }
        for accept in [None, Some("br, deflate"), Some("gzip;q=0, zstd;q=0, br")] {
            let response = fetch("/large", accept).await;
            assert!(!response.headers().contains_key(header::CONTENT_ENCODING));
            assert_eq!(
                response.headers().get(header::VARY).unwrap(),
                "accept-encoding"
            );
            assert_eq!(web_test::read_body(response).await, page(7));
        }
    }

    fn unzstd(bytes: &[u8]) -> String {
        String::from_utf8(zstd::stream::decode_all(bytes).expect("a complete zstd frame")).unwrap()
    }

    #[actix_web::test]
    async fn browsers_that_take_zstd_get_zstd_whole_or_streamed_with_reused_contexts() {
        let app = web_test::init_service(
            App::new()
                .wrap(from_fn(compress_responses))
                .route("/streamed/{seed}", web::get().to(streamed_page)),
        )
        .await;
        for seed in 1..6 {
            let request = web_test::TestRequest::get()
                .uri(&format!("/streamed/{seed}"))
                // What Chrome sends.
                .insert_header((header::ACCEPT_ENCODING, "gzip, deflate, br, zstd"))
                .to_request();
            let response = web_test::call_service(&app, request).await;
            assert_eq!(
                response.headers().get(header::CONTENT_ENCODING).unwrap(),
                "zstd"
            );
            let body = web_test::read_body(response).await;
            assert!(body.len() < page(seed).len() / 3, "{} bytes", body.len());
            assert_eq!(unzstd(&body), page(seed), "{seed}");
        }
        let long: String = (1..200).map(page).collect();
        let whole = Compressed::new(BoxBody::new(long.clone()), Coding::Zstd);
        let bytes = actix_web::body::to_bytes(whole).await.unwrap();
        assert_eq!(unzstd(&bytes), long);
    }

    #[actix_web::test]
    async fn a_zstd_stream_that_waits_sends_what_it_has_so_far() {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
        let chunks = stream::unfold(receiver, |mut receiver| async move {
            let chunk = receiver.recv().await?;
            Some((Ok::<_, io::Error>(chunk), receiver))
        });
        let mut compressed = Compressed::new(
            actix_web::body::BodyStream::new(chunks).boxed(),
            Coding::Zstd,
        );
        let first = page(1);
        sender.send(Bytes::from(first.clone())).unwrap();
        let mut so_far = Vec::new();
        let mut decoder = zstd::stream::raw::Decoder::new().unwrap();
        let mut unpacked = vec![0; first.len() * 2];
        let mut unpacked_len = 0;
        while unpacked_len < first.len() {
            let chunk = actix_web::rt::time::timeout(
                std::time::Duration::from_secs(10),
                next_chunk(&mut compressed),
            )
            .await
            .expect("what has arrived goes out without waiting for the end")
            .unwrap()
            .unwrap();
            so_far.extend_from_slice(&chunk);
            let status = zstd::stream::raw::Operation::run_on_buffers(
                &mut decoder,
                &chunk,
                &mut unpacked[unpacked_len..],
            )
            .unwrap();
            unpacked_len += status.bytes_written;
        }
        assert_eq!(&unpacked[..unpacked_len], first.as_bytes());
        drop(sender);
        while let Some(chunk) = next_chunk(&mut compressed).await {
            so_far.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(unzstd(&so_far), first);
    }

    #[test]
    fn the_client_gets_the_coding_it_weighs_highest_and_zstd_on_a_tie() {
        let chosen = |value: &str| Coding::for_client(Some(&HeaderValue::from_str(value).unwrap()));
        assert_eq!(chosen("gzip, deflate, br, zstd"), Some(Coding::Zstd));
        assert_eq!(chosen("gzip, deflate, br"), Some(Coding::Gzip));
        assert_eq!(chosen("zstd;q=0.5, gzip"), Some(Coding::Gzip));
        assert_eq!(chosen("zstd;q=0, gzip;q=0.1"), Some(Coding::Gzip));
        assert_eq!(chosen("ZSTD"), Some(Coding::Zstd));
        // Weights above 1 count as 1.
        assert_eq!(chosen("gzip;q=5, zstd"), Some(Coding::Zstd));
        assert_eq!(chosen("br, deflate"), None);
        assert_eq!(chosen("gzip;q=0, zstd;q=0"), None);
        assert_eq!(Coding::for_client(None), None);
    }

    #[test]
    fn a_coding_counts_as_accepted_unless_refused_with_q_zero() {
        let accepts_gzip =
            |value: &str| accepts(Some(&HeaderValue::from_str(value).unwrap()), "gzip");
        assert!(accepts_gzip("gzip, deflate, br, zstd"));
        assert!(accepts_gzip("GZIP;q=0.5"));
        assert!(!accepts_gzip("gzip;q=0, br"));
        assert!(!accepts_gzip("deflate"));
        assert!(!accepts_gzip("gzip;Q=0"));
        // A weight that is not a number is taken as no weight, as before.
        assert!(accepts_gzip("gzip;q=abc"));
        assert!(!accepts(None, "gzip"));
    }
}
