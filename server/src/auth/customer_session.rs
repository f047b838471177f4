//! `CustomerSession`: the signed-in customer, resolved once per request from the session cookie.
//! Handlers take it as an argument; without a valid session the request never reaches them.

use crate::web::LocalBoxFuture;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use chrono::{NaiveDateTime, Utc};

use app::backend::Caller;

use super::refusal::Refusal;
use super::session::{self, SessionKind};
use crate::db::customer::CustomerRow;
use crate::db::AnyConnection;
use crate::domain::{CustomerId, CustomerRef};
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;

#[derive(Clone, Debug)]
pub struct CustomerSession {
    pub customer: CustomerRow,
    /// The shop's account page, when the shop opened this session.
    pub return_url: Option<String>,
}

/// The caller's session token and the limits it is checked against, taken from the request before
/// the database work.
pub struct SessionToken {
    token: String,
    limits: session::SessionLimits,
}

impl CustomerSession {
    /// The customer whose valid session the caller presents, or `NotSignedIn`.
    pub async fn resolve(state: &AppState, caller: &Caller) -> Result<Self, AppError> {
        let token = Self::token(state, caller)?;
        state
            .db
            .run(move |conn| Self::resolve_on(conn, &token, Utc::now().naive_utc()))
            .await
    }

    /// The caller's session token, or `NotSignedIn` without one.
    pub fn token(state: &AppState, caller: &Caller) -> Result<SessionToken, AppError> {
        Ok(SessionToken {
            token: session::token_of(caller, SessionKind::Customer)
                .ok_or_else(|| AppError::new(ErrorKind::NotSignedIn))?,
            limits: session::SessionLimits::of(&state.settings),
        })
    }

    /// [`CustomerSession::resolve`] on a connection the caller holds already: a page that reads
    /// the database anyway resolves its session in the same trip to the pool.
    pub fn resolve_on(
        conn: &mut AnyConnection,
        token: &SessionToken,
        now: NaiveDateTime,
    ) -> Result<Self, AppError> {
        let (customer, found) =
            session::customer_for_token(conn, &token.token, &token.limits, now)?
                .ok_or_else(|| AppError::new(ErrorKind::NotSignedIn))?;
        Ok(Self {
            customer,
            return_url: found.return_url,
        })
    }

    /// Who is signed in, as the page header shows them.
    pub fn viewer(&self) -> app::dto::Viewer {
        app::dto::Viewer {
            name: self.customer.display_name.clone(),
            account_url: self.return_url.clone(),
        }
    }

    pub fn id(&self) -> CustomerId {
        self.customer.id()
    }

    /// The customer's reference as the feed names them.
    pub fn customer_ref(&self) -> Result<CustomerRef, AppError> {
        CustomerRef::parse(&self.customer.customer_ref)
            .map_err(|e| AppError::internal(format!("stored customer reference is invalid: {e}")))
    }
}

impl FromRequest for CustomerSession {
    type Error = Refusal;
    type Future = LocalBoxFuture<Result<Self, Refusal>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let refuse = |error| Refusal::new(&request, SessionKind::Customer, error);
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| refuse(AppError::internal("no application state")))?;
            Self::resolve(state, &Caller::of(&request))
                .await
                .map_err(refuse)
        })
    }
}
