//! Einblick's own staff accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::staff_users;
use super::AnyConnection;
use crate::domain::{EmailAddress, StaffRole, StaffUserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staff_users)]
pub struct StaffUserRow {
    pub id: i64,
    pub email: String,
    pub password_hash: Option<String>,
    pub display_name: String,
    pub staff_role: StaffRole,
    pub authority: Option<String>,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    /// `issuer|subject` for an account that signs in through the company's identity provider.
    pub sso_subject: Option<String>,
    pub last_signed_in_at: Option<NaiveDateTime>,
}

impl StaffUserRow {
    pub fn id(&self) -> StaffUserId {
        StaffUserId(self.id)
    }

    pub fn role(&self) -> StaffRole {
        self.staff_role
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = staff_users)]
pub struct NewStaffUser<'a> {
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub display_name: &'a str,
    pub staff_role: StaffRole,
    pub authority: Option<&'a str>,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub sso_subject: Option<&'a str>,
}

pub fn insert(conn: &mut AnyConnection, user: &NewStaffUser<'_>) -> QueryResult<usize> {
    diesel::insert_into(staff_users::table)
        .values(user)
        .execute(conn)
}

pub fn find(conn: &mut AnyConnection, id: StaffUserId) -> QueryResult<Option<StaffUserRow>> {
    staff_users::table
        .find(id.0)
        .select(StaffUserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(
    conn: &mut AnyConnection,
    email: &EmailAddress,
) -> QueryResult<Option<StaffUserRow>> {
    staff_users::table
        .filter(staff_users::email.eq(email.as_str()))
        .select(StaffUserRow::as_select())
        .first(conn)
        .optional()
}

/// Active staff holding one of `roles`, by name: the people a case can be assigned to.
pub fn active_with_roles(
    conn: &mut AnyConnection,
    roles: &[StaffRole],
) -> QueryResult<Vec<StaffUserRow>> {
    staff_users::table
        .filter(staff_users::is_active.eq(true))
        .filter(staff_users::staff_role.eq_any(roles))
        .order(staff_users::display_name.asc())
        .select(StaffUserRow::as_select())
        .load(conn)
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    staff_users::table.count().get_result(conn)
}

/// Every staff account, by role and name.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<StaffUserRow>> {
    staff_users::table
        .order((
            staff_users::staff_role.asc(),
            staff_users::display_name.asc(),
        ))
        .select(StaffUserRow::as_select())
        .load(conn)
}

/// Deactivating also ends the account's sessions.
pub fn set_active(conn: &mut AnyConnection, id: StaffUserId, active: bool) -> QueryResult<usize> {
    if !active {
        use super::schema::sessions;
        diesel::delete(sessions::table.filter(sessions::staff_user_id.eq(id.0))).execute(conn)?;
    }
    diesel::update(staff_users::table.find(id.0))
        .set(staff_users::is_active.eq(active))
        .execute(conn)
}

pub fn find_by_sso_subject(
    conn: &mut AnyConnection,
    subject: &str,
) -> QueryResult<Option<StaffUserRow>> {
    staff_users::table
        .filter(staff_users::sso_subject.eq(subject))
        .select(StaffUserRow::as_select())
        .first(conn)
        .optional()
}

/// What the identity provider says about an SSO account at each sign-in.
pub fn update_from_provider(
    conn: &mut AnyConnection,
    id: StaffUserId,
    sso_subject: &str,
    display_name: &str,
    role: StaffRole,
) -> QueryResult<usize> {
    diesel::update(staff_users::table.find(id.0))
        .set((
            staff_users::sso_subject.eq(sso_subject),
            staff_users::display_name.eq(display_name),
            staff_users::staff_role.eq(role),
        ))
        .execute(conn)
}

pub fn mark_signed_in(
    conn: &mut AnyConnection,
    id: StaffUserId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(staff_users::table.find(id.0))
        .set(staff_users::last_signed_in_at.eq(now))
        .execute(conn)
}

pub fn clear_password(conn: &mut AnyConnection, id: StaffUserId) -> QueryResult<usize> {
    diesel::update(staff_users::table.find(id.0))
        .set(staff_users::password_hash.eq(None::<String>))
        .execute(conn)
}
