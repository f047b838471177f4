//! Service tokens from the admin page: `POST /staff/admin/service-tokens` (field `label`) shows
//! the new token once; `POST /staff/admin/service-tokens/{id}/revoke`.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::feed_tokens::TokenCreatedPage;
use super::{staff_post, Answer};
use crate::auth::{may, service_token, StaffSession};
use crate::db::service_token as service_token_table;
use crate::domain::ServiceTokenId;
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::web::forms::Form;

const PAGE: &str = "/staff/admin/feed";

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
            let Some(label) = service_token::parse_label(form.get("label").unwrap_or_default())
            else {
                return Ok(Answer::Redirect(format!(
                    "{PAGE}?error=label#new-service-token"
                )));
            };
            let (id, secret) = service_token::create(conn, &label, now)?;
            tracing::info!(
                admin = admin.id,
                service_token = id.0,
                "service token created"
            );
            let texts = lang.admin();
            let page = TokenCreatedPage {
                lang: lang.code(),
                app_name: lang.texts().app_name,
                title: texts.service_token_created_title,
                body: texts.service_token_created_body,
                label_heading: texts.col_label,
                label: &label,
                sources_heading: texts.col_sources,
                sources: &[],
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
    path: web::Path<ServiceTokenId>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    staff_post(request, session, state, form, move |conn, admin, _, now| {
        if service_token_table::revoke(conn, id, now)? == 0 {
            return Err(AppError::new(ErrorKind::NotFound));
        }
        tracing::info!(
            admin = admin.id,
            service_token = id.0,
            "service token revoked"
        );
        Ok(Answer::Redirect(format!("{PAGE}?notice=revoked")))
    })
    .await
}
