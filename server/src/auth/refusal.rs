//! How a request that lacks the session or role it needs is answered: a person (HTML) is sent
//! to sign in or shown a readable 403 page; an API client gets a JSON error.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::session::SessionKind;
use crate::error::{AppError, ErrorKind};
use crate::web::{pages, see_other};

#[derive(Debug)]
pub struct Refusal {
    error: AppError,
    kind: SessionKind,
    /// Where a customer returns after signing in again.
    next: Option<String>,
    api: bool,
    lang: app::i18n::Lang,
}

impl Refusal {
    pub fn new(request: &HttpRequest, kind: SessionKind, error: AppError) -> Self {
        Self {
            error,
            kind,
            next: return_page(request.path()),
            api: request.path().starts_with("/api/"),
            lang: app::lang_of_request(request),
        }
    }
}

/// The page a customer comes back to after signing in, for a request to `path`.
fn return_page(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    Some(match segments[..] {
        ["reports", ..] => "/reports".to_owned(),
        ["settings", "notifications", ..] => "/settings/notifications".to_owned(),
        ["disputes", reference, _, ..] => format!("/disputes/{reference}"),
        _ => "/timeline".to_owned(),
    })
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.error.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        if self.api {
            return self.error.error_response();
        }
        match (&self.error.kind, self.kind) {
            (ErrorKind::NotSignedIn, SessionKind::Customer) => {
                let mut target = "/login?notice=session".to_owned();
                if let Some(next) = &self.next {
                    target.push_str("&next=");
                    target.push_str(next);
                }
                see_other(&target)
            }
            (ErrorKind::NotSignedIn, SessionKind::Staff) => {
                see_other("/staff/login?notice=session")
            }
            (ErrorKind::Forbidden, _) => {
                let staff = self.lang.backoffice();
                pages::message_page_in(
                    self.lang,
                    StatusCode::FORBIDDEN,
                    staff.forbidden_title,
                    staff.forbidden_body,
                    "/staff",
                )
            }
            _ => self.error.error_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::return_page;

    #[test]
    fn customers_come_back_to_the_page_they_acted_on() {
        assert_eq!(return_page("/reports/access").as_deref(), Some("/reports"));
        assert_eq!(
            return_page("/disputes/EB-7K3M-Q9XD/withdraw").as_deref(),
            Some("/disputes/EB-7K3M-Q9XD")
        );
        assert_eq!(return_page("/disputes").as_deref(), Some("/timeline"));
        assert_eq!(
            return_page("/timeline/42/proof").as_deref(),
            Some("/timeline")
        );
    }
}
