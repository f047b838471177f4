//! Small server-rendered pages for answers that are not part of the app: refused form posts,
//! "not found", "too many attempts". In the reader's language, from server state only (never
//! text taken from the URL).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use app::i18n::Lang;

use crate::error::{AppError, ErrorKind};

#[derive(Template)]
#[template(path = "message_page.html")]
struct MessagePage<'a> {
    lang: &'a str,
    app_name: &'a str,
    title: &'a str,
    message: &'a str,
    back_href: &'a str,
    back_label: &'a str,
}

/// A page with a title, a message and a link back, with `status`, in the reader's language.
pub fn message_page(
    request: &HttpRequest,
    status: StatusCode,
    title: &str,
    message: &str,
    back_href: &str,
) -> HttpResponse {
    message_page_in(
        app::lang_of_request(request),
        status,
        title,
        message,
        back_href,
    )
}

/// [`message_page`] in `lang`.
pub fn message_page_in(
    lang: Lang,
    status: StatusCode,
    title: &str,
    message: &str,
    back_href: &str,
) -> HttpResponse {
    render(
        lang,
        status,
        title,
        message,
        back_href,
        lang.texts().to_start,
    )
}

fn render(
    lang: Lang,
    status: StatusCode,
    title: &str,
    message: &str,
    back_href: &str,
    back_label: &str,
) -> HttpResponse {
    let body = MessagePage {
        lang: lang.code(),
        app_name: lang.texts().app_name,
        title,
        message,
        back_href,
        back_label,
    }
    .render()
    .unwrap_or_else(|_| message.to_owned());
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A refusal raised while handling a form post or download, as a page a person can read: 403
/// for a role that may not, 404 for what is not there (or not theirs), 410 for an access
/// removed under the retention policy. Other errors stay errors.
pub fn refusal_page(
    request: &HttpRequest,
    error: AppError,
    back_href: &str,
) -> Result<HttpResponse, AppError> {
    let lang = app::lang_of_request(request);
    Ok(match error.kind {
        ErrorKind::Forbidden => {
            let staff = lang.backoffice();
            message_page_in(
                lang,
                StatusCode::FORBIDDEN,
                staff.forbidden_title,
                staff.forbidden_body,
                back_href,
            )
        }
        ErrorKind::NotFound => not_found_page(request, back_href),
        ErrorKind::RemovedByRetention => {
            let (title, body) = match lang {
                app::i18n::Lang::De => (
                    "Eintrag nicht mehr gespeichert",
                    "Dieser Zugriff wurde gelöscht, weil seine Speicherfrist abgelaufen ist: \
                     Zugriffe werden nur eine festgelegte Zahl von Monaten aufbewahrt. Sein \
                     Eintrag im Protokoll (ein Hashwert) bleibt, damit die signierten Prüfpunkte \
                     weiter gelten.",
                ),
                app::i18n::Lang::En => (
                    "Entry no longer held",
                    "This access was removed under the retention policy, which keeps accesses \
                     for a set number of months. Its entry in the log (a hash) stays, so the \
                     signed checkpoints still hold.",
                ),
            };
            message_page_in(lang, StatusCode::GONE, title, body, back_href)
        }
        _ => return Err(error),
    })
}

/// 404 with a link to `back_href`: not there, or not the reader's (indistinguishable on purpose).
pub fn not_found_page(request: &HttpRequest, back_href: &str) -> HttpResponse {
    let texts = app::lang_of_request(request).texts();
    message_page(
        request,
        StatusCode::NOT_FOUND,
        texts.not_found_title,
        texts.not_found_body,
        back_href,
    )
}

/// 429 with a page the person can read and `Retry-After` for machines; `sign_in_href` leads
/// back to the sign-in form.
pub fn too_many_attempts(
    request: &HttpRequest,
    wait: std::time::Duration,
    sign_in_href: &str,
) -> HttpResponse {
    let lang = app::lang_of_request(request);
    let texts = lang.texts();
    let minutes = wait.as_secs().div_ceil(60).max(1);
    let message = texts
        .login_rate_limited
        .replace("{minutes}", &minutes.to_string());
    let mut response = render(
        lang,
        StatusCode::TOO_MANY_REQUESTS,
        texts.too_many_attempts_title,
        &message,
        sign_in_href,
        texts.back_to_login,
    );
    if let Ok(value) = header::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
