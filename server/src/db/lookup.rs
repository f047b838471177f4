//! Lookup tables: roles, data categories, reason codes and the systems the log covers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::context::ContextKindRow;
use super::schema::{context_kinds, data_categories, reason_codes, roles, source_systems};
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = roles)]
pub struct RoleRow {
    pub code: String,
    pub department: String,
    pub label_de: String,
    pub label_en: String,
    pub description_de: String,
    pub description_en: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = data_categories)]
pub struct DataCategoryRow {
    pub code: String,
    pub label_de: String,
    pub label_en: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reason_codes)]
pub struct ReasonCodeRow {
    pub code: String,
    pub label_de: String,
    pub label_en: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = source_systems)]
pub struct SourceSystemRow {
    pub code: String,
    pub label: String,
    pub covered_since: NaiveDateTime,
}

/// All lookup rows, loaded together for labelling a page.
#[derive(Debug, Clone, Default)]
pub struct Lookups {
    pub roles: Vec<RoleRow>,
    pub categories: Vec<DataCategoryRow>,
    pub reasons: Vec<ReasonCodeRow>,
    pub systems: Vec<SourceSystemRow>,
    /// The kinds of business record, for their labels and phrases (which never change once
    /// stored). Their time windows change; where those count they are read afresh.
    pub kinds: Vec<ContextKindRow>,
}

pub fn load_all(conn: &mut AnyConnection) -> QueryResult<Lookups> {
    Ok(Lookups {
        roles: roles::table
            .order(roles::code)
            .select(RoleRow::as_select())
            .load(conn)?,
        categories: data_categories::table
            .order(data_categories::code)
            .select(DataCategoryRow::as_select())
            .load(conn)?,
        reasons: reason_codes::table
            .order(reason_codes::code)
            .select(ReasonCodeRow::as_select())
            .load(conn)?,
        systems: source_systems::table
            .order(source_systems::code)
            .select(SourceSystemRow::as_select())
            .load(conn)?,
        kinds: context_kinds::table
            .order(context_kinds::code)
            .select(ContextKindRow::as_select())
            .load(conn)?,
    })
}

/// How long a process serves the lookup tables it read before reading them again. Labels change
/// only when the demo vocabulary is seeded (`einblick seed-demo`, `serve --demo`); the feed adds
/// kinds of record, which a reader that misses one reads at once (`explain::text::views_of`).
const LOOKUPS_FRESH_FOR: Duration = Duration::from_secs(30);

/// The lookup tables as last read, shared by the requests of one process, so that a page does
/// not read five tables to label its rows.
#[derive(Default)]
pub struct LookupCache {
    read: Mutex<Option<(Instant, Arc<Lookups>)>>,
}

impl LookupCache {
    /// The lookups, read again when the copy is older than [`LOOKUPS_FRESH_FOR`].
    pub fn get(&self, conn: &mut AnyConnection) -> QueryResult<Arc<Lookups>> {
        if let Some((read_at, lookups)) = &*self.lock() {
            if read_at.elapsed() < LOOKUPS_FRESH_FOR {
                return Ok(lookups.clone());
            }
        }
        let lookups = Arc::new(load_all(conn)?);
        *self.lock() = Some((Instant::now(), lookups.clone()));
        Ok(lookups)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Arc<Lookups>)>> {
        // A panic while holding the lock left at worst a stale copy, which `get` replaces.
        self.read
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Stores the retailer's own vocabulary; reason codes ship with the schema.
pub fn insert_retailer_lookups(
    conn: &mut AnyConnection,
    roles_to_add: &[RoleRow],
    categories: &[DataCategoryRow],
    systems: &[SourceSystemRow],
) -> QueryResult<()> {
    crate::with_backend!(conn, |c| {
        diesel::insert_into(roles::table)
            .values(roles_to_add)
            .execute(c)?;
        diesel::insert_into(data_categories::table)
            .values(categories)
            .execute(c)?;
        diesel::insert_into(source_systems::table)
            .values(systems)
            .execute(c)?;
    });
    Ok(())
}

/// Just the codes that have labels: role, data category and reason codes.
pub fn known_codes(
    conn: &mut AnyConnection,
) -> QueryResult<[std::collections::HashSet<String>; 3]> {
    Ok([
        roles::table
            .select(roles::code)
            .load::<String>(conn)?
            .into_iter()
            .collect(),
        data_categories::table
            .select(data_categories::code)
            .load::<String>(conn)?
            .into_iter()
            .collect(),
        reason_codes::table
            .select(reason_codes::code)
            .load::<String>(conn)?
            .into_iter()
            .collect(),
    ])
}
