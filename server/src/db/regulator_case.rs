//! The `regulator_cases` and `regulator_actions` tables.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{regulator_actions, regulator_cases};
use super::AnyConnection;
use crate::domain::RegulatorCaseId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = regulator_cases)]
pub struct RegulatorCaseRow {
    pub id: i64,
    pub authority: String,
    pub reference: String,
    pub legal_basis: String,
    pub customer_id: i64,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub confidential: bool,
    pub opened_by: i64,
    pub opened_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = regulator_cases)]
pub struct NewRegulatorCase<'a> {
    pub authority: &'a str,
    pub reference: &'a str,
    pub legal_basis: &'a str,
    pub customer_id: i64,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub confidential: bool,
    pub opened_by: i64,
    pub opened_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = regulator_actions)]
pub struct RegulatorActionRow {
    pub id: i64,
    pub case_id: i64,
    pub staff_user_id: i64,
    pub kind: String,
    pub detail: Option<String>,
    pub at: NaiveDateTime,
}

/// Inserts a case and returns its id.
pub fn insert(conn: &mut AnyConnection, case: &NewRegulatorCase<'_>) -> QueryResult<i64> {
    diesel::insert_into(regulator_cases::table)
        .values(case)
        .execute(conn)?;
    regulator_cases::table
        .filter(regulator_cases::authority.eq(case.authority))
        .filter(regulator_cases::reference.eq(case.reference))
        .select(regulator_cases::id)
        .first(conn)
}

pub fn exists(conn: &mut AnyConnection, authority: &str, reference: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        regulator_cases::table
            .filter(regulator_cases::authority.eq(authority))
            .filter(regulator_cases::reference.eq(reference)),
    ))
    .get_result(conn)
}

/// A case of this authority; another authority's case is as good as absent.
pub fn find_for_authority(
    conn: &mut AnyConnection,
    id: RegulatorCaseId,
    authority: &str,
) -> QueryResult<Option<RegulatorCaseRow>> {
    regulator_cases::table
        .filter(regulator_cases::id.eq(id.0))
        .filter(regulator_cases::authority.eq(authority))
        .select(RegulatorCaseRow::as_select())
        .first(conn)
        .optional()
}

/// The authority's cases with their subject's customer reference, newest first.
pub fn list_for_authority(
    conn: &mut AnyConnection,
    authority: &str,
) -> QueryResult<Vec<(RegulatorCaseRow, String)>> {
    use super::schema::customers;
    regulator_cases::table
        .inner_join(customers::table)
        .filter(regulator_cases::authority.eq(authority))
        .order((
            regulator_cases::opened_at.desc(),
            regulator_cases::id.desc(),
        ))
        .select((RegulatorCaseRow::as_select(), customers::customer_ref))
        .load(conn)
}

pub fn close(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(regulator_cases::table.filter(regulator_cases::id.eq(id)))
        .set(regulator_cases::closed_at.eq(now))
        .execute(conn)
}

pub fn record_action(
    conn: &mut AnyConnection,
    case_id: i64,
    staff_user_id: i64,
    kind: &str,
    detail: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(regulator_actions::table)
        .values((
            regulator_actions::case_id.eq(case_id),
            regulator_actions::staff_user_id.eq(staff_user_id),
            regulator_actions::kind.eq(kind),
            regulator_actions::detail.eq(detail),
            regulator_actions::at.eq(at),
        ))
        .execute(conn)
}

/// A case's actions with the acting person's name, oldest first.
pub fn actions(
    conn: &mut AnyConnection,
    case_id: i64,
) -> QueryResult<Vec<(RegulatorActionRow, String)>> {
    use super::schema::staff_users;
    regulator_actions::table
        .inner_join(staff_users::table)
        .filter(regulator_actions::case_id.eq(case_id))
        .order(regulator_actions::id.asc())
        .select((RegulatorActionRow::as_select(), staff_users::display_name))
        .load(conn)
}
