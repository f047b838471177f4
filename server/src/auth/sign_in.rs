//! Signing in with email and password, for customers and staff alike: the throttle is asked
//! first, the password is checked on the bounded hashing pool (with no database connection
//! held), and the outcome — a failure counted, or a new session with a fresh id — is written in
//! one write transaction.

use std::time::Duration as StdDuration;

use chrono::Utc;

use app::backend::Caller;

use super::session::{self, SessionKind};
use super::throttle::Throttle;
use crate::db::{customer, staff_user, AnyConnection};
use crate::domain::{CustomerId, EmailAddress, StaffRole, StaffUserId};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::client::ClientInfo;

/// Who signed in.
#[derive(Clone, Copy, Debug)]
pub enum SignedIn {
    Customer(CustomerId),
    Staff(StaffUserId, StaffRole),
}

pub enum Outcome {
    SignedIn {
        token: String,
        who: SignedIn,
        /// A fresh device cookie for this browser: it keeps signing in while others are locked.
        device_token: Option<String>,
    },
    /// Wrong password or no such account: one answer for both.
    Invalid,
    /// Too many failures; try again after this long.
    Locked(StdDuration),
}

/// An account that may sign in here, and its stored password hash.
struct Candidate {
    who: SignedIn,
    password_hash: Option<String>,
}

fn find_candidate(
    conn: &mut AnyConnection,
    kind: SessionKind,
    email: &EmailAddress,
) -> Result<Option<Candidate>, AppError> {
    Ok(match kind {
        SessionKind::Customer => customer::find_by_email(conn, email)?.map(|found| Candidate {
            who: SignedIn::Customer(found.id()),
            password_hash: found.password_hash,
        }),
        // Deactivated accounts cannot sign in; accounts without a password (single sign-on)
        // not here.
        SessionKind::Staff => staff_user::find_by_email(conn, email)?
            .filter(|found| found.is_active)
            .map(|found| {
                let role = found.role();
                Candidate {
                    who: SignedIn::Staff(found.id(), role),
                    password_hash: found.password_hash,
                }
            }),
    })
}

#[tracing::instrument(skip_all, fields(kind = ?kind))]
pub async fn sign_in(
    state: &AppState,
    caller: &Caller,
    kind: SessionKind,
    email: EmailAddress,
    typed_password: String,
) -> Result<Outcome, AppError> {
    let client = ClientInfo::of(caller, &state.settings);
    let client_address = client.address.map(|a| a.to_string()).unwrap_or_default();
    let device = session::cookie_value(caller, session::DEVICE_COOKIE);
    let throttle = Throttle::new(
        &state.settings,
        kind,
        &email,
        &client_address,
        device.as_deref(),
    );
    let checked_email = email.clone();
    let admitting = throttle.clone();
    let admitted = state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            match admitting.admit(conn, now)? {
                Ok(attempt) => Ok(Ok((attempt, find_candidate(conn, kind, &checked_email)?))),
                Err(wait) => Ok(Err(wait)),
            }
        })
        .await?;
    let (attempt, candidate) = match admitted {
        Ok(admitted) => admitted,
        Err(wait) => return Ok(Outcome::Locked(wait)),
    };
    let stored = candidate.as_ref().and_then(|c| c.password_hash.clone());
    let matches = state.passwords.verify(typed_password, stored).await?;
    let previous = session::token_of(caller, kind);
    let limits = session::SessionLimits::of(&state.settings);
    state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let Some(candidate) = candidate.filter(|_| matches) else {
                throttle.settle(conn, attempt, false, now)?;
                return Ok(Outcome::Invalid);
            };
            let device_token = throttle.settle(conn, attempt, true, now)?;
            let owner = match candidate.who {
                SignedIn::Customer(id) => {
                    tracing::info!(email_domain = email.domain(), "customer signed in");
                    session::SessionOwner::Customer(id)
                }
                SignedIn::Staff(id, role) => {
                    tracing::info!(staff_user = id.0, role = role.code(), "staff signed in");
                    session::SessionOwner::Staff(id)
                }
            };
            let token = session::open(
                conn,
                owner,
                &Default::default(),
                previous.as_deref(),
                &limits,
                now,
            )?;
            Ok(Outcome::SignedIn {
                token,
                who: candidate.who,
                device_token,
            })
        })
        .await
}
