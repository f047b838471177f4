//! `GET /api/v1/me/access-events`: the signed-in customer's timeline as JSON, with the same
//! session cookie, cursor, limit and filters as the page.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use app::dto::{TimelineEntry, TimelineQuery};
use app::i18n::Lang;

use crate::auth::CustomerSession;
use crate::error::AppError;
use crate::portal::timeline;
use crate::state::AppState;

#[derive(Serialize)]
struct AccessEventsResponse {
    items: Vec<TimelineEntry>,
    next_cursor: Option<String>,
    time_zone: String,
}

pub async fn list(
    request: HttpRequest,
    session: CustomerSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(request.query_string().as_bytes())
            .into_owned()
            .collect();
    let query = TimelineQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    // from_pairs drops an unparsable limit; the API says so instead.
    if let Some((_, raw)) = pairs.iter().find(|(k, _)| k == "limit") {
        if !raw.trim().is_empty() && query.limit.is_none() {
            return Err(AppError::invalid("limit"));
        }
    }
    let lang = pairs
        .iter()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
        .unwrap_or_else(|| app::lang_of_request(&request));
    let page = timeline::load_page(&state, session, lang, query).await?;
    Ok(HttpResponse::Ok().json(AccessEventsResponse {
        items: page.entries,
        next_cursor: page.next_cursor,
        time_zone: page.time_zone,
    }))
}
