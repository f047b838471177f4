//! The browser's files — stylesheet, script, WebAssembly — under names that carry a hash of their
//! content. A browser may keep such a file for good (`Cache-Control: immutable`) because a new
//! release has new names. Each is read once at start and kept in memory, so the bytes behind a
//! name cannot change under it, and compressed once, on its first request, instead of on every
//! request (the WebAssembly is over a megabyte). The plain names under `/pkg/` stay served, to be
//! revalidated on each use: pages rendered before a restart and the stall page link them.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{self, Bytes, ServiceConfig};
use actix_web::{guard, HttpRequest, HttpResponse};
use app::AssetUrls;
use sha2::{Digest, Sha256};

/// How long a browser may keep a file whose name carries its hash: a year, the longest that
/// caches honour.
const KEEP_FOR_GOOD: &str = "public, max-age=31536000, immutable";
/// A file under its plain name may change with the next release.
const REVALIDATE: &str = "no-cache";

pub struct SiteAssets {
    urls: AssetUrls,
    /// Each file under its hashed name and under its plain one, with how long a browser may
    /// keep it under that name.
    by_url: HashMap<String, (Arc<Asset>, &'static str)>,
}

struct Asset {
    content_type: &'static str,
    plain: Bytes,
    compressed: OnceLock<Compressed>,
}

struct Compressed {
    brotli: Bytes,
    gzip: Bytes,
}

impl SiteAssets {
    /// Reads the built site's files from `pkg_dir`. A file that is missing (a server built
    /// without `cargo leptos build`, as in unit tests) keeps its plain name and is left to the
    /// plain file service, as are the build's other files.
    pub fn load(pkg_dir: &Path, url_prefix: &str, output_name: &str) -> Self {
        let mut by_url = HashMap::new();
        let mut name = |file: String, extension: &str, content_type: &'static str| {
            let plain_url = format!("{url_prefix}/{file}.{extension}");
            let Ok(content) = std::fs::read(pkg_dir.join(format!("{file}.{extension}"))) else {
                return plain_url;
            };
            let hash = hex::encode(&Sha256::digest(&content)[..10]);
            let url = format!("{url_prefix}/{file}.{hash}.{extension}");
            let asset = Arc::new(Asset {
                content_type,
                plain: Bytes::from(content),
                compressed: OnceLock::new(),
            });
            by_url.insert(url.clone(), (asset.clone(), KEEP_FOR_GOOD));
            by_url.insert(plain_url, (asset, REVALIDATE));
            url
        };
        let urls = AssetUrls {
            stylesheet: name(output_name.to_owned(), "css", "text/css; charset=utf-8"),
            script: name(
                output_name.to_owned(),
                "js",
                "text/javascript; charset=utf-8",
            ),
            // cargo-leptos names it after the output; wasm-bindgen alone adds `_bg`.
            wasm: if pkg_dir.join(format!("{output_name}.wasm")).exists() {
                name(output_name.to_owned(), "wasm", "application/wasm")
            } else {
                name(format!("{output_name}_bg"), "wasm", "application/wasm")
            },
        };
        Self { urls, by_url }
    }

    pub fn urls(&self) -> &AssetUrls {
        &self.urls
    }

    /// One route per name, GET and HEAD; registered before the plain file service, which would
    /// otherwise answer 404 for the hashed names.
    pub fn configure(&self, cfg: &mut ServiceConfig) {
        for (url, (asset, caching)) in &self.by_url {
            let (asset, caching) = (asset.clone(), *caching);
            cfg.route(
                url,
                web::route()
                    .guard(guard::Any(guard::Get()).or(guard::Head()))
                    .to(move |request: HttpRequest| serve(asset.clone(), caching, request)),
            );
        }
    }
}

async fn serve(asset: Arc<Asset>, caching: &'static str, request: HttpRequest) -> HttpResponse {
    let encoding = preferred_encoding(request.headers().get(header::ACCEPT_ENCODING));
    let mut response = HttpResponse::Ok();
    response
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, caching))
        .insert_header((header::VARY, "Accept-Encoding"));
    let compressed = match (encoding, asset.compressed.get()) {
        (Encoding::Identity, _) => None,
        (_, Some(done)) => Some(done),
        (_, None) => {
            // The first request compresses, on a blocking thread (about a second for a debug
            // build's WebAssembly); requests meanwhile wait for it.
            let compressing = asset.clone();
            let _ = web::block(move || {
                compressing
                    .compressed
                    .get_or_init(|| compress(&compressing.plain));
            })
            .await;
            asset.compressed.get()
        }
    };
    let (coding, body) = match (encoding, compressed) {
        (Encoding::Brotli, Some(c)) => ("br", c.brotli.clone()),
        (Encoding::Gzip, Some(c)) => ("gzip", c.gzip.clone()),
        // Said outright, so that the compression middleware leaves the body alone instead of
        // compressing megabytes again for a client that asks for zstd or deflate only.
        _ => ("identity", asset.plain.clone()),
    };
    response
        .insert_header((header::CONTENT_ENCODING, HeaderValue::from_static(coding)))
        .body(body)
}

fn compress(plain: &[u8]) -> Compressed {
    let mut brotli = Vec::new();
    {
        // Quality 9, not 11: a tenth of the time (a second, not many, for a debug build's 12 MB
        // here) for 14 % more bytes (the release WebAssembly: 457 KB against 402 KB).
        let mut writer = brotli::CompressorWriter::new(&mut brotli, 64 * 1024, 9, 22);
        // Writing into a Vec cannot fail.
        let _ = writer.write_all(plain);
    }
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = gzip.write_all(plain);
    Compressed {
        brotli: Bytes::from(brotli),
        gzip: Bytes::from(gzip.finish().unwrap_or_default()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// Brotli if the browser takes it, else gzip, else none. A coding listed with `q=0` is refused.
fn preferred_encoding(accept_encoding: Option<&HeaderValue>) -> Encoding {
    let Some(value) = accept_encoding.and_then(|v| v.to_str().ok()) else {
        return Encoding::Identity;
    };
    let accepted = |wanted: &str| {
        value.split(',').any(|entry| {
            let mut parts = entry.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            coding.eq_ignore_ascii_case(wanted) && !refused
        })
    };
    if accepted("br") {
        Encoding::Brotli
    } else if accepted("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Encoding {
        preferred_encoding(Some(&HeaderValue::from_str(value).unwrap()))
    }

    #[test]
    fn the_encoding_follows_what_the_browser_accepts() {
        assert_eq!(accept("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(accept("gzip, br;q=0"), Encoding::Gzip);
        assert_eq!(accept("BR;q=0.5"), Encoding::Brotli);
        assert_eq!(accept("deflate"), Encoding::Identity);
        assert_eq!(preferred_encoding(None), Encoding::Identity);
    }

    #[test]
    fn names_carry_the_content_hash_and_missing_files_keep_their_plain_name() {
        let dir = std::env::temp_dir().join(format!("einblick-site-assets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("einblick.js"), b"export default 1;").unwrap();
        std::fs::write(dir.join("einblick_bg.wasm"), b"\0asm").unwrap();
        let assets = SiteAssets::load(&dir, "/pkg", "einblick");
        let urls = assets.urls();
        assert_eq!(urls.stylesheet, "/pkg/einblick.css");
        assert!(urls.script.starts_with("/pkg/einblick.") && urls.script.ends_with(".js"));
        assert_eq!(urls.script.len(), "/pkg/einblick..js".len() + 20);
        assert!(urls.wasm.starts_with("/pkg/einblick_bg.") && urls.wasm.ends_with(".wasm"));

        std::fs::write(dir.join("einblick.js"), b"export default 2;").unwrap();
        let changed = SiteAssets::load(&dir, "/pkg", "einblick");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_ne!(changed.urls().script, urls.script);
        assert_eq!(changed.urls().wasm, urls.wasm);
    }

    #[test]
    fn the_compressed_forms_unpack_to_the_file() {
        use std::io::Read;
        let plain: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let compressed = compress(&plain);
        let mut from_gzip = Vec::new();
        flate2::read::GzDecoder::new(&compressed.gzip[..])
            .read_to_end(&mut from_gzip)
            .unwrap();
        let mut from_brotli = Vec::new();
        brotli::Decompressor::new(&compressed.brotli[..], 4096)
            .read_to_end(&mut from_brotli)
            .unwrap();
        assert_eq!(from_gzip, plain);
        assert_eq!(from_brotli, plain);
        assert!(compressed.brotli.len() < plain.len() / 4);
    }
}
