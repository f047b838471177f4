//! `application/x-www-form-urlencoded` bodies with repeated keys (`event=1&event=2`), which
//! serde's form extractor cannot read.

/// A form post's fields in the order sent.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `key`, trimmed; empty when absent.
    pub fn trimmed(&self, key: &str) -> String {
        self.get(key).unwrap_or_default().trim().to_owned()
    }

    /// Every value of a repeated `key`.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl actix_web::FromRequest for Form {
    type Error = actix_web::Error;
    type Future = crate::web::LocalBoxFuture<Result<Self, Self::Error>>;

    fn from_request(
        request: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let body = actix_web::web::Bytes::from_request(request, payload);
        Box::pin(async move { Ok(Form::parse(&body.await?)) })
    }
}

#[cfg(test)]
mod tests {
    use super::Form;

    #[test]
    fn repeated_keys_keep_every_value() {
        let form = Form::parse(b"event=1&event=2&ground=other&statement=+hi+");
        assert_eq!(form.all("event").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(form.get("ground"), Some("other"));
        assert_eq!(form.trimmed("statement"), "hi");
        assert_eq!(form.trimmed("missing"), "");
    }
}
