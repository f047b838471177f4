//! `investigations` (one open case per employee) and their history.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{investigation_history, investigations};
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = investigations)]
pub struct InvestigationRow {
    pub id: i64,
    pub reference: String,
    pub employee_id: String,
    /// `open`, `appropriate`, `violation`, or `cleared` (later records explained every flag).
    pub status: String,
    pub score: i32,
    pub flagged_count: i32,
    pub opened_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<i64>,
    pub outcome_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = investigation_history)]
pub struct HistoryRow {
    pub id: i64,
    pub investigation_id: i64,
    pub staff_user_id: Option<i64>,
    pub kind: String,
    pub body: Option<String>,
    pub at: NaiveDateTime,
}

/// The employee's open investigation, made if there is none.
pub fn open_for(
    conn: &mut AnyConnection,
    employee_id: &str,
    now: NaiveDateTime,
) -> QueryResult<InvestigationRow> {
    if let Some(open) = investigations::table
        .filter(investigations::employee_id.eq(employee_id))
        .filter(investigations::status.eq("open"))
        .select(InvestigationRow::as_select())
        .first(conn)
        .optional()?
    {
        return Ok(open);
    }
    let reference = new_reference();
    diesel::insert_into(investigations::table)
        .values((
            investigations::reference.eq(&reference),
            investigations::employee_id.eq(employee_id),
            investigations::status.eq("open"),
            investigations::opened_at.eq(now),
        ))
        .execute(conn)?;
    let made = investigations::table
        .filter(investigations::reference.eq(&reference))
        .select(InvestigationRow::as_select())
        .first(conn)?;
    add_history(conn, made.id, None, "opened", None, now)?;
    Ok(made)
}

/// Recounts an open investigation's flagged accesses and score; one left with none (and none
/// waiting to be judged again) is `cleared`.
pub fn recount(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> QueryResult<()> {
    use super::schema::access_explanations as ax;
    let rows: Vec<i32> = ax::table
        .filter(ax::investigation_id.eq(id))
        .filter(ax::state.eq("flagged"))
        .select(ax::score)
        .load(conn)?;
    let status: String = investigations::table
        .find(id)
        .select(investigations::status)
        .first(conn)?;
    if status != "open" {
        return Ok(());
    }
    let count = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    let score: i32 = rows.iter().sum();
    diesel::update(investigations::table.find(id))
        .set((
            investigations::flagged_count.eq(count),
            investigations::score.eq(score),
        ))
        .execute(conn)?;
    // Accesses still waiting to be judged again may be flagged again: not cleared before.
    let waiting: i64 = ax::table
        .filter(ax::investigation_id.eq(id))
        .filter(ax::state.eq("pending"))
        .count()
        .get_result(conn)?;
    if count == 0 && waiting == 0 {
        let cleared = diesel::update(
            investigations::table
                .find(id)
                .filter(investigations::status.eq("open")),
        )
        .set((
            investigations::status.eq("cleared"),
            investigations::decided_at.eq(now),
        ))
        .execute(conn)?;
        if cleared == 1 {
            add_history(conn, id, None, "cleared", None, now)?;
        }
    }
    Ok(())
}

pub fn is_open(conn: &mut AnyConnection, id: i64) -> QueryResult<bool> {
    let open: i64 = investigations::table
        .find(id)
        .filter(investigations::status.eq("open"))
        .count()
        .get_result(conn)?;
    Ok(open == 1)
}

pub fn list(conn: &mut AnyConnection, status: Option<&str>) -> QueryResult<Vec<InvestigationRow>> {
    let mut query = investigations::table
        .select(InvestigationRow::as_select())
        .into_boxed::<super::MultiBackend>();
    if let Some(status) = status {
        query = query.filter(investigations::status.eq(status.to_owned()));
    }
    query
        .order((investigations::score.desc(), investigations::id.desc()))
        .limit(500)
        .load(conn)
}

pub fn find_by_reference(
    conn: &mut AnyConnection,
    reference: &str,
) -> QueryResult<Option<InvestigationRow>> {
    investigations::table
        .filter(investigations::reference.eq(reference))
        .select(InvestigationRow::as_select())
        .first(conn)
        .optional()
}

pub fn decide(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    reason: &str,
    by: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        investigations::table
            .find(id)
            .filter(investigations::status.eq("open")),
    )
    .set((
        investigations::status.eq(status),
        investigations::outcome_reason.eq(reason),
        investigations::decided_by.eq(by),
        investigations::decided_at.eq(now),
    ))
    .execute(conn)
}

pub fn add_history(
    conn: &mut AnyConnection,
    investigation_id: i64,
    staff_user_id: Option<i64>,
    kind: &str,
    body: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(investigation_history::table)
        .values((
            investigation_history::investigation_id.eq(investigation_id),
            investigation_history::staff_user_id.eq(staff_user_id),
            investigation_history::kind.eq(kind),
            investigation_history::body.eq(body),
            investigation_history::at.eq(at),
        ))
        .execute(conn)
}

pub fn history(conn: &mut AnyConnection, investigation_id: i64) -> QueryResult<Vec<HistoryRow>> {
    investigation_history::table
        .filter(investigation_history::investigation_id.eq(investigation_id))
        .order((investigation_history::at, investigation_history::id))
        .select(HistoryRow::as_select())
        .load(conn)
}

/// `INV-` and eight characters without look-alikes: random, so it tells nobody how many there
/// are.
fn new_reference() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    let code: String = (0..8)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("INV-{code}")
}
