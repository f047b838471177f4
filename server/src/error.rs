//! One error type: a kind the user can be told about, and an internal cause (a chain of source
//! errors) for the log only.

use std::fmt;
use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use app::dto::PortalError;

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

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
    /// The access event was removed under the retention policy (`EINBLICK_RETENTION_MONTHS`).
    RemovedByRetention,
    /// Signed in, but this role may not do it.
    Forbidden,
    /// The request would show (and log a look at) a customer's data but was no deliberate
    /// look: a prefetch, or a request another site made.
    LookNotConfirmed,
    /// A system's credential (a feed token) is missing, unknown or revoked.
    Unauthorized {
        message: String,
    },
    /// The body's media type is not one this endpoint reads.
    UnsupportedMediaType {
        message: String,
    },
    /// The body (or the number of items in it) is over the limit.
    PayloadTooLarge {
        code: &'static str,
        message: String,
    },
    /// The body cannot be read as what the endpoint expects.
    BadRequest {
        code: &'static str,
        message: String,
    },
    Internal,
}

#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    /// What went wrong inside, for the log; never sent to the user.
    cause: Option<Cause>,
}

/// A cause that is only a sentence (no underlying error value).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Message(String);

/// A sentence about what was being done, over the error that stopped it.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
struct Context {
    context: String,
    #[source]
    source: Cause,
}

impl AppError {
    pub fn new(kind: ErrorKind) -> Self {
        Self { kind, cause: None }
    }

    /// Something failed inside; `cause` is logged, the user is told only that it failed.
    pub fn internal(cause: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Internal,
            cause: Some(Box::new(Message(cause.into()))),
        }
    }

    /// An internal failure of `source` while doing what `context` says; the chain is logged.
    pub fn context(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            kind: ErrorKind::Internal,
            cause: Some(Box::new(Context {
                context: context.into(),
                source: Box::new(source),
            })),
        }
    }

    pub fn invalid(field: &'static str) -> Self {
        Self::new(ErrorKind::InvalidInput { field })
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest {
            code,
            message: message.into(),
        })
    }

    pub fn code(&self) -> &'static str {
        match &self.kind {
            ErrorKind::NotSignedIn => "not_signed_in",
            ErrorKind::InvalidCredentials => "invalid_credentials",
            ErrorKind::RateLimited { .. } => "rate_limited",
            ErrorKind::InvalidInput { .. } => "invalid_input",
            ErrorKind::InvalidCursor => "invalid_cursor",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RemovedByRetention => "removed_by_retention",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::LookNotConfirmed => "look_not_confirmed",
            ErrorKind::Unauthorized { .. } => "unauthorized",
            ErrorKind::UnsupportedMediaType { .. } => "unsupported_media_type",
            ErrorKind::PayloadTooLarge { code, .. } | ErrorKind::BadRequest { code, .. } => code,
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
            ErrorKind::RemovedByRetention => {
                "This access is no longer held: it was removed under the retention policy, \
                 which keeps accesses for a set number of months. Its entry in the log (a hash) \
                 stays, so the log's checkpoints still hold."
                    .into()
            }
            ErrorKind::Forbidden => "Your role may not do this.".into(),
            ErrorKind::LookNotConfirmed => {
                "Open this page from the portal itself: opening it is logged.".into()
            }
            ErrorKind::Unauthorized { message }
            | ErrorKind::UnsupportedMediaType { message }
            | ErrorKind::PayloadTooLarge { message, .. }
            | ErrorKind::BadRequest { message, .. } => message.clone(),
            ErrorKind::Internal => {
                "Something went wrong on our side. Please try again later.".into()
            }
        }
    }

    /// Whether the database refused the data itself (a value it cannot store, a constraint or a
    /// trigger), as opposed to failing for reasons a retry can cure (a lost connection, a busy
    /// or locked database, a serialization conflict).
    pub fn is_refusal_of_data(&self) -> bool {
        use diesel::result::{DatabaseErrorKind as Kind, Error as DieselError};
        let mut source = self
            .cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static));
        while let Some(error) = source {
            if let Some(DieselError::DatabaseError(kind, info)) =
                error.downcast_ref::<DieselError>()
            {
                let message = info.message().to_ascii_lowercase();
                let passing = [
                    "locked",
                    "busy",
                    "deadlock",
                    "terminat",
                    "shutdown",
                    "connection",
                ];
                return !matches!(
                    kind,
                    Kind::ClosedConnection | Kind::SerializationFailure | Kind::ReadOnlyTransaction
                ) && !passing.iter().any(|word| message.contains(word));
            }
            source = error.source();
        }
        false
    }

    /// Whether the transaction lost a race with a concurrent one (a deadlock, a serialization
    /// failure): running it again is the cure, and it says nothing about the data.
    pub fn is_lost_race(&self) -> bool {
        use diesel::result::{DatabaseErrorKind as Kind, Error as DieselError};
        let mut source = self
            .cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static));
        while let Some(error) = source {
            if let Some(DieselError::DatabaseError(kind, info)) =
                error.downcast_ref::<DieselError>()
            {
                return matches!(kind, Kind::SerializationFailure)
                    || info.message().to_ascii_lowercase().contains("deadlock");
            }
            source = error.source();
        }
        false
    }

    /// The cause and every source under it, outermost first.
    fn cause_chain(&self) -> String {
        let Some(cause) = &self.cause else {
            return "unknown".into();
        };
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(inner) = source {
            chain.push_str(": ");
            chain.push_str(&inner.to_string());
            source = inner.source();
        }
        chain
    }

    /// Logs the internal cause once, where the error leaves the server.
    fn log(&self) {
        if self.kind == ErrorKind::Internal {
            tracing::error!(cause = %self.cause_chain(), "request failed");
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(_) => write!(f, "{}: {}", self.code(), self.cause_chain()),
            None => write!(f, "{}", self.code()),
        }
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self.kind {
            ErrorKind::NotSignedIn
            | ErrorKind::InvalidCredentials
            | ErrorKind::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ErrorKind::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::InvalidInput { .. }
            | ErrorKind::InvalidCursor
            | ErrorKind::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::RemovedByRetention => StatusCode::GONE,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::LookNotConfirmed => StatusCode::CONFLICT,
            ErrorKind::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorKind::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut response = HttpResponse::build(self.status_code());
        match &self.kind {
            ErrorKind::RateLimited { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.as_secs().to_string()));
            }
            ErrorKind::Unauthorized { .. } => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
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
            ErrorKind::NotFound | ErrorKind::RemovedByRetention => PortalError::NotFound,
            ErrorKind::Forbidden => PortalError::Forbidden,
            ErrorKind::LookNotConfirmed => PortalError::LookNotConfirmed,
            _ => {
                error.log();
                PortalError::Unavailable
            }
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::context("database error", e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_gets_the_whole_chain_and_the_user_gets_none_of_it() {
        let io = std::io::Error::other("disk full");
        let error = AppError::context("writing the outbox", io);
        assert_eq!(error.to_string(), "internal: writing the outbox: disk full");
        assert!(std::error::Error::source(&error).is_some());
        assert!(!error.public_message().contains("disk"));
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn feed_answers_carry_their_own_code_and_message() {
        let error = AppError::new(ErrorKind::PayloadTooLarge {
            code: "too_many_events",
            message: "at most 10000 events per request".into(),
        });
        assert_eq!(error.code(), "too_many_events");
        assert_eq!(error.status_code(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(error.public_message(), "at most 10000 events per request");
    }
}
