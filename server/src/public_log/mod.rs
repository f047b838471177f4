//! The verifiable log's public face, per C2SP tlog-tiles under `/log/`: the latest signed
//! `checkpoint`, the public `key`, the hash `tile/…`s, plus `consistency` proofs between two
//! checkpoints. Public and cacheable: nothing here names a person.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::db::log;
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::transparency::bundle::encode_hashes;
use crate::transparency::proof;
use crate::transparency::tiles::{entries_at, TileCoordinates, TILE_WIDTH};
use crate::web::routes::{Access, Routes};
use crate::web::Query;

pub fn routes(routes: &mut Routes) {
    routes.get("/log/checkpoint", Access::Public, checkpoint);
    routes.get("/log/key", Access::Public, public_key);
    routes.get("/log/consistency", Access::Public, consistency);
    routes.get("/log/tile/{path:.*}", Access::Public, tile);
}

/// `GET /log/checkpoint`: the latest signed checkpoint, as a signed note.
pub async fn checkpoint(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let latest = state
        .db
        .run(|conn| Ok(log::latest_checkpoint(conn)?))
        .await?;
    let Some(latest) = latest else {
        return Ok(HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("The log has no checkpoint yet: it is signed after the first access event.\n"));
    };
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(latest.note))
}

/// `GET /log/key`: the public key checkpoints are signed with (signed-note verifier key).
pub async fn public_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!("{}\n", state.log_keys.verifier_key()))
}

/// `GET /log/tile/<L>/<N>[.p/<W>]`: a hash tile of the latest checkpoint's tree. Full tiles never
/// change and may be cached forever; partial ones exist only at the widths a checkpoint had.
pub async fn tile(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let not_found = || AppError::new(ErrorKind::NotFound);
    let tile = TileCoordinates::parse(&path).ok_or_else(not_found)?;
    let hashes = state
        .db
        .run(move |conn| {
            let size = log::latest_checkpoint(conn)?.map_or(0, |c| c.tree_size) as u64;
            let published = entries_at(size, tile.level)
                .saturating_sub(tile.index * TILE_WIDTH as u64)
                .min(TILE_WIDTH as u64) as usize;
            if tile.width() > published {
                return Err(not_found());
            }
            let stored =
                log::tile(conn, i16::from(tile.level), tile.index as i64)?.ok_or_else(not_found)?;
            stored
                .get(..tile.width() * tlog_tiles::HASH_SIZE)
                .map(<[u8]>::to_vec)
                .ok_or_else(not_found)
        })
        .await?;
    let cache = if tile.partial_width.is_none() {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((header::CACHE_CONTROL, cache))
        .body(hashes))
}

#[derive(Serialize)]
struct ConsistencyAnswer {
    old_size: i64,
    new_size: i64,
    /// RFC 6962 consistency proof, base64 hashes.
    proof: Vec<String>,
}

/// `GET /log/consistency?old=N[&new=M]`: proves the checkpoint of size N is a prefix of the one
/// of size M (default: the latest). Both must be sizes the log has signed.
pub async fn consistency(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let query = Query::of(&request);
    let size = |name: &'static str| -> Result<Option<i64>, AppError> {
        query
            .get(name)
            .map(|raw| {
                raw.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or(AppError::invalid(name))
            })
            .transpose()
    };
    let old_size = size("old")?.ok_or(AppError::invalid("old"))?;
    let new_size = size("new")?;
    let answer = state
        .db
        .run(move |conn| {
            let new = match new_size {
                Some(n) => log::checkpoint_of_size(conn, n)?,
                None => log::latest_checkpoint(conn)?,
            }
            .ok_or(AppError::invalid("new"))?;
            let old = log::checkpoint_of_size(conn, old_size)?
                .filter(|old| old.tree_size <= new.tree_size)
                .ok_or(AppError::invalid("old"))?;
            let proof = proof::consistency_proof(conn, &old, &new)?;
            Ok(ConsistencyAnswer {
                old_size: old.tree_size,
                new_size: new.tree_size,
                proof: encode_hashes(&proof),
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(answer))
}
