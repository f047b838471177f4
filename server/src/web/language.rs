//! `POST /language` (fields `lang`, `return_to`): the language switch, remembered in a cookie.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use app::i18n::{Lang, LANG_COOKIE};

use app::backend::Caller;

use super::client::wants_secure_cookie;
use super::routes::{Access, Routes};
use super::{local_redirect_target, see_other};
use crate::state::AppState;

pub fn routes(routes: &mut Routes) {
    routes.post("/language", Access::Public, set_language);
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    return_to: Option<String>,
}

pub async fn set_language(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LanguageForm>,
) -> HttpResponse {
    let target = form
        .return_to
        .as_deref()
        .and_then(local_redirect_target)
        .unwrap_or_else(|| "/".to_owned());
    let mut response = see_other(&target);
    if let Some(lang) = Lang::parse(&form.lang) {
        let cookie = language_cookie(&Caller::of(&request), &state.settings, lang);
        // A cookie built from a known code always encodes; nothing to report otherwise.
        let _ = response.add_cookie(&cookie);
    }
    response
}

/// The cookie that keeps the chosen language for a year.
pub fn language_cookie(
    caller: &Caller,
    settings: &crate::config::Settings,
    lang: Lang,
) -> Cookie<'static> {
    Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .max_age(Duration::days(365))
        .same_site(SameSite::Lax)
        .http_only(true)
        .secure(wants_secure_cookie(caller, settings))
        .finish()
}
