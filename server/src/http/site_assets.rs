//! The browser's files — stylesheet, script, WebAssembly — under names that carry a hash of their
//! content. A browser may keep such a file for good (`Cache-Control: immutable`) because a new
//! release has new names. Each is read once at start and kept in memory, so the bytes behind a
//! name cannot change under it, and compressed once, on its first request, instead of on every
//! request (the WebAssembly is over a megabyte). The plain names under `/pkg/` stay served, to be
//! revalidated on each use: pages rendered before a restart and the stall page link them.
//!
//! The stylesheet's name carries its own hash. The scripts and WebAssembly files import one
//! another by relative name (the main script loads the split loader, which imports the main
//! script back and fetches each page's WebAssembly), so no one file's name can carry its own
//! hash; they are served together under `/pkg/<build>/`, `<build>` being a hash over all of them.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{self, Bytes, ServiceConfig};
use actix_web::{guard, HttpRequest, HttpResponse};
use app::AssetUrls;
use sha2::{Digest, Sha256};

use super::compression::accepts;

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

impl Asset {
    fn new(content_type: &'static str, content: Vec<u8>) -> Arc<Self> {
        Arc::new(Self {
            content_type,
            plain: Bytes::from(content),
            compressed: OnceLock::new(),
        })
    }
}

/// The first 20 hex digits of a SHA-256: enough that two releases never share a name.
fn short_hash(digest: impl AsRef<[u8]>) -> String {
    hex::encode(&digest.as_ref()[..10])
}

impl SiteAssets {
    /// Reads the built site's files from `pkg_dir`. A file that is missing (a server built
    /// without `cargo leptos build`, as in unit tests) keeps its plain name and is left to the
    /// plain file service, as are the build's other files.
    pub fn load(pkg_dir: &Path, url_prefix: &str, output_name: &str) -> Self {
        let mut by_url = HashMap::new();

        let stylesheet_plain = format!("{url_prefix}/{output_name}.css");
        let stylesheet = match std::fs::read(pkg_dir.join(format!("{output_name}.css"))) {
            Ok(content) => {
                let url = format!(
                    "{url_prefix}/{output_name}.{}.css",
                    short_hash(Sha256::digest(&content))
                );
                let asset = Asset::new("text/css; charset=utf-8", content);
                by_url.insert(url.clone(), (asset.clone(), KEEP_FOR_GOOD));
                by_url.insert(stylesheet_plain, (asset, REVALIDATE));
                url
            }
            Err(_) => stylesheet_plain,
        };

        let code = code_files(pkg_dir);
        let mut build = Sha256::new();
        for (name, content) in &code {
            build.update((name.len() as u64).to_le_bytes());
            build.update(name.as_bytes());
            build.update((content.len() as u64).to_le_bytes());
            build.update(content);
        }
        let build_dir = format!("{url_prefix}/{}", short_hash(build.finalize()));
        let built_url = |name: &str| {
            if code.contains_key(name) {
                format!("{build_dir}/{name}")
            } else {
                format!("{url_prefix}/{name}")
            }
        };
        // cargo-leptos names the WebAssembly after the output; wasm-bindgen alone adds `_bg`.
        let wasm_name = if code.contains_key(&format!("{output_name}.wasm")) {
            format!("{output_name}.wasm")
        } else {
            format!("{output_name}_bg.wasm")
        };
        let urls = AssetUrls {
            stylesheet,
            script: built_url(&format!("{output_name}.js")),
            wasm: built_url(&wasm_name),
        };
        for (name, content) in code {
            let content_type = if name.ends_with(".wasm") {
                "application/wasm"
            } else {
                "text/javascript; charset=utf-8"
            };
            let asset = Asset::new(content_type, content);
            by_url.insert(
                format!("{build_dir}/{name}"),
                (asset.clone(), KEEP_FOR_GOOD),
            );
            by_url.insert(format!("{url_prefix}/{name}"), (asset, REVALIDATE));
        }
        Self { urls, by_url }
    }

    pub fn urls(&self) -> &AssetUrls {
        &self.urls
    }

    /// One route for every name this holds (GET and HEAD), looked up in a map: the split build
    /// has about two hundred files, each under two names. Registered before the plain file
    /// service, which answers for the build's other files and 404 for unknown hashed names.
    pub fn configure(self: &Arc<Self>, cfg: &mut ServiceConfig) {
        let known = self.clone();
        let assets = self.clone();
        // A guard on the resource, not the route, so that every other path goes on to the
        // routes after this one.
        cfg.service(
            web::resource("/{path:.*}")
                .guard(guard::fn_guard(move |ctx| {
                    known.by_url.contains_key(ctx.head().uri.path())
                }))
                .route(
                    web::route()
                        .guard(guard::Any(guard::Get()).or(guard::Head()))
                        .to(move |request: HttpRequest| {
                            let found = assets.by_url.get(request.path()).cloned();
                            async move {
                                match found {
                                    Some((asset, caching)) => serve(asset, caching, request).await,
                                    None => HttpResponse::NotFound().finish(),
                                }
                            }
                        }),
                ),
        );
    }
}

/// The build's scripts and WebAssembly files, by name: those directly in the site's package
/// folder (the main script and its WebAssembly, the split loader, one WebAssembly file per lazily
/// loaded page or shared part).
fn code_files(pkg_dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(pkg_dir) else {
        return Default::default();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            if !(name.ends_with(".js") || name.ends_with(".wasm")) {
                return None;
            }
            Some((name, std::fs::read(entry.path()).ok()?))
        })
        .collect()
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
            // The first request compresses, on a blocking thread (about three seconds for a
            // release build's main WebAssembly, one for a debug build's); requests meanwhile
            // wait for it.
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
        // Quality 11 for a release build's files (the main WebAssembly, 813 KB: 236 KB in about
        // three seconds, against 261 KB at 9); 9 for a debug build's 12 MB, which 11 would take
        // most of a minute over.
        let quality = if plain.len() <= 2 * 1024 * 1024 {
            11
        } else {
            9
        };
        let mut writer = brotli::CompressorWriter::new(&mut brotli, 64 * 1024, quality, 22);
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

/// Brotli if the browser takes it, else gzip, else none.
fn preferred_encoding(accept_encoding: Option<&HeaderValue>) -> Encoding {
    if accepts(accept_encoding, "br") {
        Encoding::Brotli
    } else if accepts(accept_encoding, "gzip") {
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
        std::fs::write(dir.join("__wasm_split.js"), b"import './einblick.js';").unwrap();
        let assets = SiteAssets::load(&dir, "/pkg", "einblick");
        let urls = assets.urls().clone();
        assert_eq!(urls.stylesheet, "/pkg/einblick.css");
        let build_of = |url: &str| url.split('/').nth(2).unwrap().to_owned();
        let build = build_of(&urls.script);
        assert_eq!(build.len(), 20);
        assert!(build.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(urls.script, format!("/pkg/{build}/einblick.js"));
        assert_eq!(urls.wasm, format!("/pkg/{build}/einblick_bg.wasm"));
        assert!(assets
            .by_url
            .contains_key(&format!("/pkg/{build}/__wasm_split.js")));
        assert!(assets.by_url.contains_key("/pkg/__wasm_split.js"));

        std::fs::write(dir.join("__wasm_split.js"), b"import './einblick.js'; // 2").unwrap();
        let changed = SiteAssets::load(&dir, "/pkg", "einblick");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_ne!(build_of(&changed.urls().script), build);
        assert_eq!(
            build_of(&changed.urls().wasm),
            build_of(&changed.urls().script)
        );
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
