//! Set-password links: an invitation (first password) or a reset. Single-use, expiring, at most a
//! few per customer an hour; only a hash of the token is stored.

use chrono::{Duration, NaiveDateTime};

use app::dto::PasswordLinkView;

use crate::auth::session;
use crate::db::customer::CustomerRow;
use crate::db::{password_link, AnyConnection};
use crate::email::account::{AccountEmail, AccountNotice};
use crate::error::AppError;
use crate::state::AppState;

/// A reset link works this long.
pub const RESET_VALID_HOURS: i64 = 1;
/// An invitation waits longer: it arrives unasked.
pub const INVITATION_VALID_HOURS: i64 = 72;
/// More links than this an hour for one customer are not sent (a flood of reset emails would
/// bury the real one and annoy the customer).
const LINKS_PER_HOUR: i64 = 3;

/// What a link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPurpose {
    /// The first password, for a customer who never had one.
    Invitation,
    Reset,
}

impl LinkPurpose {
    fn code(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::Reset => "reset",
        }
    }

    fn notice(self) -> AccountNotice {
        match self {
            Self::Invitation => AccountNotice::Invitation,
            Self::Reset => AccountNotice::Reset,
        }
    }
}

/// Whether a stored link is an invitation.
pub fn is_invitation(stored_purpose: &str) -> bool {
    stored_purpose == LinkPurpose::Invitation.code()
}

/// Makes a link for `customer` and the email that carries it; `None` when the customer has no
/// email address or was sent enough links this hour.
pub fn issue(
    conn: &mut AnyConnection,
    customer: &CustomerRow,
    purpose: LinkPurpose,
    public_url: &str,
    now: NaiveDateTime,
) -> Result<Option<AccountEmail>, AppError> {
    let Some(to) = customer.email.clone() else {
        return Ok(None);
    };
    // Counted and written under the row's lock: two requests at once cannot both pass.
    crate::db::customer::lock(conn, customer.id())?;
    if password_link::count_since(conn, customer.id(), now - Duration::hours(1))? >= LINKS_PER_HOUR
    {
        tracing::warn!(
            customer = customer.id,
            "set-password links for this customer are rate-limited; none sent"
        );
        return Ok(None);
    }
    let valid_hours = match purpose {
        LinkPurpose::Invitation => INVITATION_VALID_HOURS,
        LinkPurpose::Reset => RESET_VALID_HOURS,
    };
    let token = session::new_token();
    password_link::insert(
        conn,
        &session::token_hash(&token),
        customer.id(),
        purpose.code(),
        now,
        now + Duration::hours(valid_hours),
    )?;
    Ok(Some(AccountEmail {
        notice: purpose.notice(),
        lang: app::i18n::Lang::parse(&customer.lang).unwrap_or_default(),
        to,
        customer_name: customer.display_name.clone(),
        link: format!("{public_url}/account/set-password/{token}"),
        valid_hours,
    }))
}

/// What the set-password page needs to know of `token`; looking does not use it up.
pub async fn view(state: &AppState, token: String) -> Result<PasswordLinkView, AppError> {
    if !state.settings.customer_sign_in.password || token.is_empty() || token.len() > 100 {
        return Ok(PasswordLinkView {
            usable: false,
            invitation: false,
        });
    }
    let hash = session::token_hash(&token);
    let found = state
        .db
        .run(move |conn| {
            Ok(password_link::find_valid(
                conn,
                &hash,
                chrono::Utc::now().naive_utc(),
            )?)
        })
        .await?;
    Ok(PasswordLinkView {
        usable: found.is_some(),
        invitation: found.is_some_and(|link| is_invitation(&link.purpose)),
    })
}
