//! Signing in with email and password, for customers and staff alike: the throttle is asked
//! first, the password is checked on the bounded hashing pool (with no database connection
//! held), and the outcome — a failure counted, or a new session with a fresh id — is written in
//! one write transaction.

use std::time::Duration as StdDuration;

use chrono::Utc;

use app::backend::Caller;

use super::session::{self, SessionKind};
use super::throttle::Throttle;
use crate::db::{customer, session as session_table, staff_user, AnyConnection};
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
            password_hash: Some(found.password_hash),
        }),
        // Deactivated accounts and roles this version does not know cannot sign in; accounts
        // without a password (single sign-on) not here.
        SessionKind::Staff => staff_user::find_by_email(conn, email)?
            .filter(|found| found.is_active)
            .and_then(|found| {
                let role = found.role()?;
                Some(Candidate {
                    who: SignedIn::Staff(found.id(), role),
                    password_hash: found.password_hash,
                })
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
    let throttle = Throttle::new(&state.settings, &email, &client_address);
    let checked_email = email.clone();
    let (throttle, candidate) = state
        .db
        .run(move |conn| {
            if let Some(wait) = throttle.locked_for(conn, Utc::now().naive_utc())? {
                return Ok((throttle, Err(wait)));
            }
            let candidate = find_candidate(conn, kind, &checked_email)?;
            Ok((throttle, Ok(candidate)))
        })
        .await?;
    let candidate = match candidate {
        Ok(candidate) => candidate,
        Err(wait) => return Ok(Outcome::Locked(wait)),
    };
    let stored = candidate.as_ref().and_then(|c| c.password_hash.clone());
    let matches = state.passwords.verify(typed_password, stored).await?;
    let previous = session::token_of(caller, kind);
    let idle_minutes = state.settings.session_idle_minutes;
    state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let Some(candidate) = candidate.filter(|_| matches) else {
                throttle.record_failure(conn, now)?;
                return Ok(Outcome::Invalid);
            };
            throttle.record_success(conn)?;
            // A new id at every sign-in: a session id planted before sign-in is worthless.
            if let Some(previous) = previous {
                session_table::delete(conn, &session::token_hash(&previous))?;
            }
            // Sign-ins are rare enough to carry the clean-up of sessions that idled out.
            session_table::delete_idle(
                conn,
                now - chrono::Duration::minutes(i64::from(idle_minutes)),
            )?;
            let token = session::new_token();
            let hash = session::token_hash(&token);
            match candidate.who {
                SignedIn::Customer(id) => {
                    session_table::insert_for_customer(conn, &hash, id, now)?;
                    tracing::info!(email_domain = email.domain(), "customer signed in");
                }
                SignedIn::Staff(id, role) => {
                    session_table::insert_for_staff(conn, &hash, id, now)?;
                    tracing::info!(staff_user = id.0, role = role.code(), "staff signed in");
                }
            }
            Ok(Outcome::SignedIn {
                token,
                who: candidate.who,
            })
        })
        .await
}
