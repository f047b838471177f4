//! What every feature's HTTP handlers share: redirects, query and form parsing, small pages, the
//! route table and who the client is. Below the features; it imports none of them.

pub mod client;
pub mod forms;
pub mod language;
pub mod pages;
pub mod routes;

use actix_web::http::header;
use actix_web::HttpResponse;

/// What extractors return: a future that stays on the worker that made it.
pub type LocalBoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T>>>;

/// A request's URL query, looked up by parameter name (the first value wins).
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn of(request: &actix_web::HttpRequest) -> Self {
        Self(
            url::form_urlencoded::parse(request.query_string().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// 303 See Other: after a form post, the browser follows with a GET.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// A redirect target from user input, accepted only if it stays on this site.
pub fn local_redirect_target(raw: &str) -> Option<String> {
    let on_this_site = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.starts_with("/\\")
        && raw.len() <= 2048
        && !raw.chars().any(|c| c.is_control());
    on_this_site.then(|| raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::local_redirect_target;

    #[test]
    fn redirects_never_leave_the_site() {
        assert_eq!(
            local_redirect_target("/timeline?role=x").as_deref(),
            Some("/timeline?role=x")
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "timeline",
            "/a\nb",
        ] {
            assert_eq!(local_redirect_target(bad), None, "{bad}");
        }
    }
}
