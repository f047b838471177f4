use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::customers;
use super::AnyConnection;
use crate::domain::{CustomerId, CustomerProfile, EmailAddress};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = customers)]
pub struct CustomerRow {
    pub id: i64,
    pub customer_ref: String,
    /// `None` for a customer the shop or an identity provider brought in without one.
    pub email: Option<String>,
    /// `None` until the customer sets a password (or never, when they sign in elsewhere).
    pub password_hash: Option<String>,
    pub display_name: String,
    pub time_zone: String,
    pub is_vip: bool,
    pub created_at: NaiveDateTime,
    /// `de` or `en`: the language of the customer's emails.
    pub lang: String,
    pub last_signed_in_at: Option<NaiveDateTime>,
    /// When the retailer last described this customer (see [`upsert_profile`]).
    pub profile_updated_at: Option<NaiveDateTime>,
    /// `issuer|subject` at the customer identity provider, once they signed in there.
    pub oidc_subject: Option<String>,
}

impl CustomerRow {
    pub fn id(&self) -> CustomerId {
        CustomerId(self.id)
    }

    /// The customer's time zone; an unknown stored name falls back to Berlin.
    pub fn time_zone(&self) -> chrono_tz::Tz {
        crate::domain::time::time_zone_named(&self.time_zone)
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = customers)]
pub struct NewCustomer {
    pub customer_ref: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub display_name: String,
    pub time_zone: String,
    pub is_vip: bool,
    pub created_at: NaiveDateTime,
    pub lang: String,
    pub profile_updated_at: Option<NaiveDateTime>,
}

pub fn find_by_email(
    conn: &mut AnyConnection,
    email: &EmailAddress,
) -> QueryResult<Option<CustomerRow>> {
    customers::table
        .filter(customers::email.eq(email.as_str()))
        .select(CustomerRow::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut AnyConnection, id: CustomerId) -> QueryResult<Option<CustomerRow>> {
    customers::table
        .find(id.0)
        .select(CustomerRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut AnyConnection, customer: &NewCustomer) -> QueryResult<usize> {
    diesel::insert_into(customers::table)
        .values(customer)
        .execute(conn)
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    customers::table.count().get_result(conn)
}

pub fn set_lang(conn: &mut AnyConnection, id: CustomerId, lang: &str) -> QueryResult<usize> {
    diesel::update(customers::table.find(id.0))
        .set(customers::lang.eq(lang))
        .execute(conn)
}

/// Which of these customer references belong to VIP customers.
pub fn vip_refs(conn: &mut AnyConnection) -> QueryResult<std::collections::HashSet<String>> {
    Ok(customers::table
        .filter(customers::is_vip.eq(true))
        .select(customers::customer_ref)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

pub fn find_by_ref(
    conn: &mut AnyConnection,
    customer_ref: &str,
) -> QueryResult<Option<CustomerRow>> {
    customers::table
        .filter(customers::customer_ref.eq(customer_ref))
        .select(CustomerRow::as_select())
        .first(conn)
        .optional()
}

/// What a profile changes on a stored customer; members left `None` stay as they are.
#[derive(AsChangeset)]
#[diesel(table_name = customers)]
struct ProfileChange {
    email: Option<String>,
    display_name: Option<String>,
    lang: Option<String>,
    time_zone: Option<String>,
    is_vip: Option<bool>,
    profile_updated_at: Option<NaiveDateTime>,
}

impl ProfileChange {
    /// diesel refuses an update that sets nothing.
    fn has_values(&self) -> bool {
        self.email.is_some()
            || self.display_name.is_some()
            || self.lang.is_some()
            || self.time_zone.is_some()
            || self.is_vip.is_some()
            || self.profile_updated_at.is_some()
    }
}

/// Whether the customer was made just now or was known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provisioned {
    Created,
    Updated,
    /// The same description (same time) again: applied, changing nothing.
    Repeated,
    /// A newer description was stored already; this older one changed nothing.
    Stale,
}

/// Makes the customer `profile` describes (just-in-time provisioning) or updates the members it
/// gives. `described_at` is when the retailer's records (the feed, an import) described them:
/// such descriptions are ordered by it, so the same one twice changes nothing and an older one
/// never overwrites a newer one. A sign-in's description (`None`) is applied as it comes and
/// leaves that order alone. An email address another customer holds is not taken from them (it
/// is left out, and logged); a changed address retires the customer's open password links (an
/// invitation sent to the old address must not set the password).
pub fn upsert_profile(
    conn: &mut AnyConnection,
    profile: &CustomerProfile,
    described_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<(CustomerRow, Provisioned)> {
    let customer_ref = profile.customer_ref.as_str();
    let email = match &profile.email {
        Some(email) => match find_by_email(conn, email)? {
            Some(holder) if holder.customer_ref != customer_ref => {
                tracing::warn!(
                    email_domain = email.domain(),
                    "a customer profile names an email address another customer holds; it is left out"
                );
                None
            }
            _ => Some(email.as_str().to_owned()),
        },
        None => None,
    };
    let new = NewCustomer {
        customer_ref: customer_ref.to_owned(),
        email: email.clone(),
        password_hash: None,
        display_name: profile.display_name(),
        time_zone: profile
            .time_zone
            .clone()
            .unwrap_or_else(|| crate::domain::time::FALLBACK_TIME_ZONE.name().to_owned()),
        is_vip: profile.high_profile.unwrap_or(false),
        created_at: now,
        lang: profile.lang.unwrap_or_default().code().to_owned(),
        profile_updated_at: described_at,
    };
    // Two first sign-ins at once: one inserts, the other finds the row.
    let inserted = crate::with_backend!(conn, |c| {
        diesel::insert_into(customers::table)
            .values(&new)
            .on_conflict(customers::customer_ref)
            .do_nothing()
            .execute(c)
    })?;
    let stored = find_by_ref(conn, customer_ref)?.ok_or(diesel::result::Error::NotFound)?;
    if inserted == 1 {
        return Ok((stored, Provisioned::Created));
    }
    // Two descriptions of one customer at once take turns here, so the age check below sees
    // what the other wrote and an older one never overwrites a newer one.
    lock(conn, stored.id())?;
    let stored = find(conn, stored.id())?.ok_or(diesel::result::Error::NotFound)?;
    let outcome = match (stored.profile_updated_at, described_at) {
        (Some(at), Some(described)) if at > described => return Ok((stored, Provisioned::Stale)),
        (Some(at), Some(described)) if at == described => Provisioned::Repeated,
        _ => Provisioned::Updated,
    };
    if email.is_some() && email != stored.email {
        super::password_link::retire_all(conn, stored.id(), now)?;
    }
    let change = ProfileChange {
        email,
        display_name: profile.name.clone(),
        lang: profile.lang.map(|l| l.code().to_owned()),
        time_zone: profile.time_zone.clone(),
        is_vip: profile.high_profile,
        profile_updated_at: described_at,
    };
    if change.has_values() {
        diesel::update(customers::table.find(stored.id))
            .set(change)
            .execute(conn)?;
    }
    let updated = find(conn, stored.id())?.ok_or(diesel::result::Error::NotFound)?;
    Ok((updated, outcome))
}

pub fn set_password_hash(
    conn: &mut AnyConnection,
    id: CustomerId,
    password_hash: &str,
) -> QueryResult<usize> {
    diesel::update(customers::table.find(id.0))
        .set(customers::password_hash.eq(password_hash))
        .execute(conn)
}

pub fn mark_signed_in(
    conn: &mut AnyConnection,
    id: CustomerId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(customers::table.find(id.0))
        .set(customers::last_signed_in_at.eq(now))
        .execute(conn)
}

/// Holds the customer's row until the transaction ends, so two requests about the same
/// customer (two reset links at once) take turns. SQLite needs nothing: its writes take turns.
/// FOR NO KEY UPDATE, so rows that point at the customer (sessions, links) can still be written.
pub fn lock(conn: &mut AnyConnection, id: CustomerId) -> QueryResult<()> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(pg) => {
            customers::table
                .find(id.0)
                .select(customers::id)
                .for_no_key_update()
                .first::<i64>(pg)?;
        }
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(_) => {
            let _ = id;
        }
    }
    Ok(())
}

pub fn set_oidc_subject(
    conn: &mut AnyConnection,
    id: CustomerId,
    subject: &str,
) -> QueryResult<usize> {
    diesel::update(customers::table.find(id.0))
        .set(customers::oidc_subject.eq(subject))
        .execute(conn)
}

pub fn find_by_oidc_subject(
    conn: &mut AnyConnection,
    subject: &str,
) -> QueryResult<Option<CustomerRow>> {
    customers::table
        .filter(customers::oidc_subject.eq(subject))
        .select(CustomerRow::as_select())
        .first(conn)
        .optional()
}

/// The keyed hashes of the customer's surname and postcode (for matching against the employee
/// directory); a `None` leaves that one as it is.
pub fn set_matching_hashes(
    conn: &mut AnyConnection,
    id: CustomerId,
    surname_hash: Option<String>,
    postcode_hash: Option<String>,
) -> QueryResult<()> {
    if let Some(hash) = surname_hash {
        diesel::update(customers::table.find(id.0))
            .set(customers::surname_hash.eq(hash))
            .execute(conn)?;
    }
    if let Some(hash) = postcode_hash {
        diesel::update(customers::table.find(id.0))
            .set(customers::postcode_hash.eq(hash))
            .execute(conn)?;
    }
    Ok(())
}
