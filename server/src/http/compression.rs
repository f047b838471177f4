//! Compresses responses with gzip for clients that take it. Replaces actix-web's `Compress`,
//! which built a new compressor for every response (a few hundred KB of zeroed buffers) and
//! handed every chunk over 1 KB to the blocking pool: together about a quarter of the timeline
//! page's CPU time in a profile of the timeline bench. Here compressors are kept and reused, and
//! a page's chunks are compressed where they arrive.

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

/// Below this many bytes gzip's own 18 bytes and the work outweigh what it saves.
const SMALLEST_WORTH_COMPRESSING: u64 = 512;
/// Compressors kept for reuse (each holds a few hundred KB); more concurrent responses than this
/// make new ones, which are dropped afterwards.
const MOST_IDLE_COMPRESSORS: usize = 32;
/// zlib-rs's level 1 writes fixed Huffman codes only: a 50-entry timeline page (93 KB) comes to
/// 11.4 KB, against 9.2 KB at level 2, but level 2 cost a tenth of the pages a second in the
/// timeline bench (827 against 913 at 8 clients on 200 k events), and the page rate is what
/// falls short.
const LEVEL: u32 = 1;
/// A long body (an export) is compressed in slices of this size, each in its own turn on the
/// worker thread, so that requests sharing the thread are not held up for the whole of it.
const MOST_PER_TURN: usize = 64 * 1024;

static IDLE_COMPRESSORS: Mutex<Vec<Compress>> = Mutex::new(Vec::new());

/// A member header: deflate, no name or time, unknown OS (as flate2 writes it).
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// Gzips a response worth compressing for a client that takes gzip; leaves it as it is otherwise.
pub async fn compress_responses(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<Gzipped, BoxBody>>, Error> {
    let wants_gzip = accepts(request.headers().get(header::ACCEPT_ENCODING), "gzip");
    let response = next.call(request).await?;
    Ok(response.map_body(|head, body| {
        if !worth_compressing(head, body.size()) {
            return EitherBody::right(body.boxed());
        }
        // Caches must keep the compressed and the plain answer apart either way.
        head.headers_mut()
            .append(header::VARY, HeaderValue::from_static("accept-encoding"));
        if !wants_gzip {
            return EitherBody::right(body.boxed());
        }
        head.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        head.headers_mut().remove(header::CONTENT_LENGTH);
        head.no_chunking(false);
        EitherBody::left(Gzipped::new(body.boxed()))
    }))
}

/// Whether an `Accept-Encoding` header value takes `coding`. One listed with `q=0` is refused.
pub fn accepts(accept_encoding: Option<&HeaderValue>, coding: &str) -> bool {
    let Some(value) = accept_encoding.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value.split(',').any(|entry| {
        let mut parts = entry.split(';').map(str::trim);
        let listed = parts.next().unwrap_or_default();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        listed.eq_ignore_ascii_case(coding) && !refused
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
        "application" => !matches!(subtype, "pdf" | "zip" | "gzip" | "wasm"),
        _ => true,
    }
}

/// A response body compressed into one gzip member as it streams. What has arrived is flushed
/// out whenever the page waits for more, so a streamed page still arrives piece by piece.
pub struct Gzipped {
    body: BoxBody,
    /// Given back to the pool once the member is complete; dropped with a response cut off.
    compressor: Option<Compress>,
    /// The part of a long chunk left for the next turn.
    unread: Bytes,
    crc: Crc,
    header_sent: bool,
    holds_unflushed: bool,
}

impl Gzipped {
    fn new(body: BoxBody) -> Self {
        let reused = IDLE_COMPRESSORS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        Self {
            body,
            compressor: Some(
                reused.unwrap_or_else(|| Compress::new(Compression::new(LEVEL), false)),
            ),
            unread: Bytes::new(),
            crc: Crc::new(),
            header_sent: false,
            holds_unflushed: false,
        }
    }
}

/// Only a compressor whose member is complete goes back to the pool: one dropped halfway (the
/// client went away) may hold a block open that `reset` does not close (zlib-rs keeps
/// `block_open`), and the next response would start with codes that belong to no block.
fn give_back(mut compressor: Compress) {
    compressor.reset();
    let mut idle = IDLE_COMPRESSORS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if idle.len() < MOST_IDLE_COMPRESSORS {
        idle.push(compressor);
    }
}

impl MessageBody for Gzipped {
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
            let Some(compressor) = this.compressor.as_mut() else {
                return Poll::Ready(None);
            };
            let (input, flush) = if !this.unread.is_empty() {
                let slice = this.unread.len().min(MOST_PER_TURN);
                (this.unread.split_to(slice), FlushCompress::None)
            } else {
                match Pin::new(&mut this.body).poll_next(cx) {
                    Poll::Ready(Some(Ok(chunk))) if chunk.is_empty() => continue,
                    Poll::Ready(Some(Ok(mut chunk))) => {
                        if chunk.len() > MOST_PER_TURN {
                            this.unread = chunk.split_off(MOST_PER_TURN);
                        }
                        (chunk, FlushCompress::None)
                    }
                    Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                    Poll::Ready(None) => (Bytes::new(), FlushCompress::Finish),
                    Poll::Pending if this.holds_unflushed => (Bytes::new(), FlushCompress::Sync),
                    Poll::Pending => return Poll::Pending,
                }
            };
            let mut out = Vec::with_capacity(input.len() / 2 + 64);
            if !this.header_sent {
                out.extend_from_slice(&GZIP_HEADER);
            }
            let header_length = out.len();
            this.crc.update(&input);
            deflate(compressor, &input, flush, &mut out)?;
            this.holds_unflushed = flush == FlushCompress::None;
            if flush == FlushCompress::Finish {
                out.extend_from_slice(&this.crc.sum().to_le_bytes());
                out.extend_from_slice(&this.crc.amount().to_le_bytes());
                if let Some(compressor) = this.compressor.take() {
                    give_back(compressor);
                }
            } else if out.len() == header_length {
                // Nothing came out yet (the compressor collects a block first).
                if flush == FlushCompress::Sync {
                    return Poll::Pending;
                }
                if !this.unread.is_empty() {
                    // The rest of a long chunk waits for the next turn.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                continue;
            }
            this.header_sent = true;
            return Poll::Ready(Some(Ok(Bytes::from(out))));
        }
    }
}

/// Feeds all of `input` to the compressor and appends what it gives, growing `out` as needed;
/// with a flush, until the flush is complete.
fn deflate(
    compressor: &mut Compress,
    mut input: &[u8],
    flush: FlushCompress,
    out: &mut Vec<u8>,
) -> io::Result<()> {
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

    async fn next_chunk(body: &mut Gzipped) -> Option<Result<Bytes, Box<dyn StdError>>> {
        futures_util::future::poll_fn(|cx| Pin::new(&mut *body).poll_next(cx)).await
    }

    fn page(seed: usize) -> String {
        (0..4000)
            .map(|i| format!("<li>entry {} of {seed}</li>", i * seed % 997))
            .collect()
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
                .route(
                    "/streamed/{seed}",
                    web::get().to(|seed: web::Path<usize>| async move {
                        let chunks: Vec<Result<Bytes, Error>> = page(*seed)
                            .as_bytes()
                            .chunks(3000)
                            .map(|c| Ok(Bytes::copy_from_slice(c)))
                            .collect();
                        HttpResponse::Ok()
                            .content_type("text/html")
                            .streaming(stream::iter(chunks))
                    }),
                ),
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
        let mut gzipped = Gzipped::new(actix_web::body::BodyStream::new(chunks).boxed());

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
        let mut halfway = Gzipped::new(BoxBody::new(long.clone()));
        let first = next_chunk(&mut halfway).await.unwrap().unwrap();
        assert!(!first.is_empty());
        // The client went away: the rest is never asked for.
        drop(halfway);
        for seed in 1..4 {
            let whole = Gzipped::new(BoxBody::new(page(seed)));
            let bytes = actix_web::body::to_bytes(whole).await.unwrap();
            assert_eq!(gunzip(&bytes), page(seed));
        }
    }

    #[actix_web::test]
    async fn a_long_body_is_compressed_a_slice_at_a_time() {
        let long: String = (1..200).map(page).collect();
        assert!(long.len() > 10 * MOST_PER_TURN);
        let mut gzipped = Gzipped::new(BoxBody::new(long.clone()));
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
        for accept in [None, Some("br, zstd"), Some("gzip;q=0, br")] {
            let response = fetch("/large", accept).await;
            assert!(!response.headers().contains_key(header::CONTENT_ENCODING));
            assert_eq!(
                response.headers().get(header::VARY).unwrap(),
                "accept-encoding"
            );
            assert_eq!(web_test::read_body(response).await, page(7));
        }
    }

    #[test]
    fn a_coding_counts_as_accepted_unless_refused_with_q_zero() {
        let accepts_gzip =
            |value: &str| accepts(Some(&HeaderValue::from_str(value).unwrap()), "gzip");
        assert!(accepts_gzip("gzip, deflate, br, zstd"));
        assert!(accepts_gzip("GZIP;q=0.5"));
        assert!(!accepts_gzip("gzip;q=0, br"));
        assert!(!accepts_gzip("deflate"));
        assert!(!accepts(None, "gzip"));
    }
}
