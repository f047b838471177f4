//! Feed tokens from the admin page: `POST /staff/admin/feed/tokens` (fields `label`, `sources`,
//! one source per line) shows the new token once; `POST /staff/admin/feed/tokens/{id}/revoke`.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{staff_post, Answer};
use crate::auth::{may, StaffSession};
use crate::db::feed_token;
use crate::domain::FeedTokenId;
use crate::error::{AppError, ErrorKind};
use crate::ingest::token;
use crate::state::AppState;
use crate::web::forms::Form;

const PAGE: &str = "/staff/admin/feed";

#[derive(Template)]
#[template(path = "token_created.html")]
pub struct TokenCreatedPage<'a> {
    pub lang: &'a str,
    pub app_name: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub label_heading: &'a str,
    pub label: &'a str,
    pub sources_heading: &'a str,
    pub sources: &'a [String],
    pub token: &'a str,
    pub back: &'a str,
}

pub async fn create(
    request: HttpRequest,
    session: StaffSession<may::ManageFeed>,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let lang = app::lang_of_request(&request);
    staff_post(
        request,
        session,
        state,
        form,
        move |conn, admin, form, now| {
            let label = form.get("label").unwrap_or_default().trim().to_owned();
            if label.is_empty()
                || label.chars().count() > 100
                || label.chars().any(char::is_control)
            {
                return Ok(Answer::Redirect(format!("{PAGE}?error=label#new-token")));
            }
            let raw_sources = form.get("sources").unwrap_or_default();
            let sources: Result<Vec<String>, _> = raw_sources
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(token::parse_source)
                .collect();
            let sources = match sources {
                Ok(list) if !list.is_empty() => list,
                _ => return Ok(Answer::Redirect(format!("{PAGE}?error=sources#new-token"))),
            };
            let (id, secret) = token::create(conn, &label, &sources, now)?;
            tracing::info!(admin = admin.id, token = id, "feed token created");
            let texts = lang.admin();
            let page = TokenCreatedPage {
                lang: lang.code(),
                app_name: lang.texts().app_name,
                title: texts.token_created_title,
                body: texts.token_created_body,
                label_heading: texts.col_label,
                label: &label,
                sources_heading: texts.col_sources,
                sources: &sources,
                token: &secret,
                back: texts.back_to_feed,
            }
            .render()
            .map_err(|e| AppError::internal(format!("token page: {e}")))?;
            Ok(Answer::Page(page))
        },
    )
    .await
}

pub async fn revoke(
    request: HttpRequest,
    session: StaffSession<may::ManageFeed>,
    state: web::Data<AppState>,
    path: web::Path<FeedTokenId>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    staff_post(request, session, state, form, move |conn, admin, _, now| {
        if feed_token::revoke(conn, id, now)? == 0 {
            return Err(AppError::new(ErrorKind::NotFound));
        }
        tracing::info!(admin = admin.id, token = id.0, "feed token revoked");
        Ok(Answer::Redirect(format!("{PAGE}?notice=revoked")))
    })
    .await
}
