//! One error type: a kind the user can be told about, and an internal cause for the log only.

use std::fmt;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use app::dto::PortalError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    NotSignedIn,
    InvalidCredentials,
    RateLimited {
        retry_after: Duration,
    },
    /// A request parameter could not be parsed; `field` is the parameter's public name.
    InvalidInput {
        field: &'static str,
    },
    InvalidCursor,
    NotFound,
    /// Signed in, but this role may not do it.
    Forbidden,
    Internal,
}

#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    /// What went wrong inside, for the log; never sent to the user.
    cause: Option<String>,
}

impl AppError {
    pub fn new(kind: ErrorKind) -> Self {
        Self { kind, cause: None }
    }

    pub fn internal(cause: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Internal,
            cause: Some(cause.into()),
        }
    }

    pub fn invalid(field: &'static str) -> Self {
        Self::new(ErrorKind::InvalidInput { field })
    }

    pub fn code(&self) -> &'static str {
        match self.kind {
            ErrorKind::NotSignedIn => "not_signed_in",
            ErrorKind::InvalidCredentials => "invalid_credentials",
            ErrorKind::RateLimited { .. } => "rate_limited",
            ErrorKind::InvalidInput { .. } => "invalid_input",
            ErrorKind::InvalidCursor => "invalid_cursor",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Internal => "internal",
        }
    }

    /// A message for API clients (English; the UI translates by `code`).
    pub fn public_message(&self) -> String {
        match &self.kind {
            ErrorKind::NotSignedIn => "Sign in first: this needs a customer session.".into(),
            ErrorKind::InvalidCredentials => "The email address or password is not correct.".into(),
            ErrorKind::RateLimited { retry_after } => {
                format!(
                    "Too many failed attempts. Try again in {} seconds.",
                    retry_after.as_secs()
                )
            }
            ErrorKind::InvalidInput { field } => {
                format!("The parameter `{field}` has an invalid value.")
            }
            ErrorKind::InvalidCursor => "The cursor is invalid; start again without one.".into(),
            ErrorKind::NotFound => "Not found.".into(),
            ErrorKind::Forbidden => "Your role may not do this.".into(),
            ErrorKind::Internal => {
                "Something went wrong on our side. Please try again later.".into()
            }
        }
    }

    /// Logs the internal cause once, where the error leaves the server.
    fn log(&self) {
        if self.kind == ErrorKind::Internal {
            tracing::error!(
                cause = self.cause.as_deref().unwrap_or("unknown"),
                "request failed"
            );
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {cause}", self.code()),
            None => write!(f, "{}", self.code()),
        }
    }
}

impl std::error::Error for AppError {}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self.kind {
            ErrorKind::NotSignedIn | ErrorKind::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ErrorKind::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::InvalidInput { .. } | ErrorKind::InvalidCursor => StatusCode::BAD_REQUEST,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut response = HttpResponse::build(self.status_code());
        if let ErrorKind::RateLimited { retry_after } = self.kind {
            response.insert_header(("Retry-After", retry_after.as_secs().to_string()));
        }
        response.json(serde_json::json!({
            "error": { "code": self.code(), "message": self.public_message() }
        }))
    }
}

impl From<AppError> for PortalError {
    fn from(error: AppError) -> Self {
        match error.kind {
            ErrorKind::NotSignedIn => PortalError::NotSignedIn,
            ErrorKind::InvalidInput { field } => PortalError::InvalidFilter {
                field: field.to_owned(),
            },
            ErrorKind::InvalidCursor => PortalError::InvalidCursor,
            ErrorKind::NotFound => PortalError::NotFound,
            ErrorKind::Forbidden => PortalError::Forbidden,
            _ => {
                error.log();
                PortalError::Unavailable
            }
        }
    }
}
