//! Evaluating accesses against the database: new ones once (`catch_up`, from a watermark), and
//! again when something they depend on changed (`reevaluate_pending`). Each batch is one write
//! transaction; several processes take turns on the watermark's row.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::evaluate::{self, CustomerFacts, Evidence, Judgement, Look, Setup};
use crate::db::access_event::AccessEventRow;
use crate::db::employee_hour::{self, EmployeeHourRow};
use crate::db::explanation::{self, ExplanationRow};
use crate::db::look::{self, Span, StoredLook};
use crate::db::schema::{access_events, customers};
use crate::db::{context, employee, investigation, lookup, AnyConnection};
use crate::domain::explanation::{ExplanationState, Rule};
use crate::error::AppError;

/// Accesses judged in one transaction.
pub const BATCH: i64 = 2000;

/// Loads what judging needs beside the accesses themselves.
pub fn load_setup(conn: &mut AnyConnection) -> Result<Setup, AppError> {
    let windows = context::kinds(conn)?
        .into_iter()
        .map(|k| {
            (
                k.code,
                (i64::from(k.hours_before), i64::from(k.hours_after)),
            )
        })
        .collect();
    let mut fit: HashMap<String, HashSet<String>> = HashMap::new();
    for (role, kind) in context::fit(conn)? {
        fit.entry(role).or_default().insert(kind);
    }
    let departments = lookup::load_all(conn)?
        .roles
        .into_iter()
        .map(|r| (r.code, r.department))
        .collect();
    let rules = explanation::rules(conn)?
        .into_iter()
        .filter(|r| r.enabled)
        .filter_map(|r| Rule::parse(&r.code).map(|rule| (rule, r.threshold)))
        .collect();
    Ok(Setup {
        windows,
        fit,
        departments,
        rules,
        baselines: explanation::baselines(conn)?,
        zone: Some(crate::domain::time::FALLBACK_TIME_ZONE),
    })
}

/// Judges accesses not judged yet, at most `limit`; returns how many.
pub fn catch_up(
    conn: &mut AnyConnection,
    limit: i64,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    crate::db::write_transaction(conn, |conn| {
        let last = explanation::lock_progress(conn)?;
        let events: Vec<AccessEventRow> = access_events::table
            .filter(access_events::id.gt(last))
            .order(access_events::id)
            .limit(limit)
            .select(AccessEventRow::as_select())
            .load(conn)?;
        let Some(newest) = events.last().map(|e| e.id) else {
            return Ok(0);
        };
        let setup = load_setup(conn)?;
        judge_and_store(conn, &events, &setup, now)?;
        // Noted with the judgement, so an alert is never lost between the two.
        crate::db::notification::note_alert_candidates(conn, &events, now)?;
        explanation::set_progress(conn, newest)?;
        Ok(events.len())
    })
}

/// Judges again the accesses marked pending, at most `limit`; returns how many.
pub fn reevaluate_pending(
    conn: &mut AnyConnection,
    limit: i64,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    crate::db::write_transaction(conn, |conn| {
        // The watermark's lock serialises this with catch_up in other processes.
        explanation::lock_progress(conn)?;
        let ids = explanation::pending(conn, limit)?;
        if ids.is_empty() {
            return Ok(0);
        }
        let events = crate::db::access_event::find_many(conn, &ids)?;
        let setup = load_setup(conn)?;
        judge_and_store(conn, &events, &setup, now)?;
        Ok(events.len())
    })
}

/// Judges everything outstanding, batch after batch (the demo seed, the command line, tests).
pub fn settle(conn: &mut AnyConnection, now: NaiveDateTime) -> Result<usize, AppError> {
    let mut total = 0;
    loop {
        let done = catch_up(conn, BATCH, now)? + reevaluate_pending(conn, BATCH, now)?;
        if done == 0 {
            return Ok(total);
        }
        total += done;
    }
}

/// Loads the evidence for `events` and judges them (without storing), and counts the distinct
/// customers of each employee-hour (per role) their accesses fall in, whole (for
/// `employee_hours`).
fn judge_events(
    conn: &mut AnyConnection,
    events: &[AccessEventRow],
    setup: &Setup,
) -> Result<(Vec<Judgement>, Vec<EmployeeHourRow>), AppError> {
    let customer_refs: Vec<String> = unique(events.iter().map(|e| e.customer_ref.clone()));
    let employee_ids: Vec<String> = unique(events.iter().map(|e| e.employee_id.clone()));
    let records = context::for_customers(conn, &customer_refs)?;
    let directory = employee::find_many(conn, &employee_ids)?;
    let facts = customer_facts(conn, &customer_refs)?;
    let (looks, hours) = employee_looks(conn, events)?;

    let mut contexts: HashMap<&str, Vec<&context::ContextRecordRow>> = HashMap::new();
    for record in &records {
        contexts
            .entry(record.customer_ref.as_str())
            .or_default()
            .push(record);
    }
    let employees = directory
        .iter()
        .map(|e| (e.employee_id.as_str(), e))
        .collect();
    let evidence = Evidence {
        contexts: &contexts,
        employees: &employees,
        customers: facts
            .iter()
            .map(|(customer, facts)| (customer.as_str(), facts.clone()))
            .collect(),
        looks: looks
            .iter()
            .map(|(employee, list)| (employee.as_str(), list.clone()))
            .collect(),
    };
    Ok((evaluate::judge(events, &evidence, setup), hours))
}

fn judge_and_store(
    conn: &mut AnyConnection,
    events: &[AccessEventRow],
    setup: &Setup,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let (judgements, hours) = judge_events(conn, events, setup)?;
    employee_hour::store(conn, &hours)?;
    let before = explanation::for_events(conn, &events.iter().map(|e| e.id).collect::<Vec<_>>())?;
    let event_of: HashMap<i64, &AccessEventRow> = events.iter().map(|e| (e.id, e)).collect();
    let mut touched: HashSet<i64> = HashSet::new();
    // Each employee's open case, asked for once per batch.
    let mut open_cases: HashMap<&str, i64> = HashMap::new();
    let mut rows = Vec::with_capacity(judgements.len());
    for judgement in judgements {
        // Judgements are of `events`, one each.
        let Some(event) = event_of.get(&judgement.event_id).copied() else {
            continue;
        };
        let previous = before.get(&judgement.event_id);
        // A decision of the privacy team stands; the judge never overwrites it.
        if previous.is_some_and(|p| {
            ExplanationState::parse(&p.state).is_some_and(|state| state.is_decided())
        }) {
            continue;
        }
        let investigation_id = if judgement.state == ExplanationState::Flagged {
            // A flag joins its earlier case only while that case is open.
            let earlier = match previous.and_then(|p| p.investigation_id) {
                Some(id) if investigation::is_open(conn, id)? => Some(id),
                _ => None,
            };
            match earlier {
                Some(id) => Some(id),
                None => {
                    let employee = event.employee_id.as_str();
                    let id = match open_cases.get(employee) {
                        Some(id) => *id,
                        None => investigation::open_for(conn, employee, now)?.id,
                    };
                    open_cases.insert(employee, id);
                    Some(id)
                }
            }
        } else {
            None
        };
        touched.extend(investigation_id);
        touched.extend(previous.and_then(|p| p.investigation_id));
        rows.push(ExplanationRow {
            access_event_id: judgement.event_id,
            state: judgement.state.code().to_owned(),
            context_id: judgement.context_id,
            rules: judgement
                .rules
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join(","),
            score: judgement.score,
            investigation_id,
            evaluated_at: now,
            occurred_at: event.occurred_at,
            role_code: event.role_code.clone(),
        });
    }
    explanation::store(conn, &rows)?;
    for id in touched {
        investigation::recount(conn, id, now)?;
    }
    Ok(())
}

fn unique<T: Eq + std::hash::Hash>(items: impl Iterator<Item = T>) -> Vec<T> {
    let set: HashSet<T> = items.collect();
    set.into_iter().collect()
}

/// High-profile flag and matching hashes of these customers (those Einblick knows).
fn customer_facts(
    conn: &mut AnyConnection,
    refs: &[String],
) -> Result<HashMap<String, CustomerFacts>, AppError> {
    let mut facts = HashMap::new();
    for chunk in refs.chunks(500) {
        let rows: Vec<(String, bool, Option<String>, Option<String>)> = customers::table
            .filter(customers::customer_ref.eq_any(chunk))
            .select((
                customers::customer_ref,
                customers::is_vip,
                customers::surname_hash,
                customers::postcode_hash,
            ))
            .load(conn)?;
        for (customer, high_profile, surname_hash, postcode_hash) in rows {
            facts.insert(
                customer,
                CustomerFacts {
                    high_profile,
                    surname_hash,
                    postcode_hash,
                },
            );
        }
    }
    Ok(facts)
}

/// The stored looks the rules compare with: each employee's looks in the clock hours of the
/// batch's accesses (volume), and the earlier looks at the same customers within `REPEAT_DAYS`
/// (repetition), with whether each was explained. The hours are read per employee and run of
/// consecutive hours of theirs (the `(employee_id, occurred_at)` index), the repetitions per
/// customer from `REPEAT_DAYS` before their first access in the batch to their last (the
/// timeline's index): neither reads more than the batch's employees and customers did in that
/// time, so a batch costs the same on a small log as on a large one, and scattered accesses
/// judged again read no long spans.
///
/// The hours' reads hold every access of their employees in them: the distinct customers of the
/// batch's employee-hours (per role) come back too, for `employee_hours`.
fn employee_looks(
    conn: &mut AnyConnection,
    events: &[AccessEventRow],
) -> Result<(LooksByEmployee, Vec<EmployeeHourRow>), AppError> {
    // Only the employee-hours (per role) the batch's own accesses fall in: every access is
    // judged once at least, and then its hour is counted whole, so the employee's other role in
    // the same hour waits for its own accesses. Fewer rows written keep the judge's transaction
    // (which the feed's batches take turns with) short.
    let mut hour_customers: HashMap<(NaiveDateTime, String, String), HashSet<String>> = events
        .iter()
        .map(|e| {
            let key = (
                evaluate::hour_of(e.occurred_at),
                e.employee_id.clone(),
                e.role_code.clone(),
            );
            (key, HashSet::new())
        })
        .collect();
    let mut seen: HashSet<i64> = HashSet::new();
    let mut looks: LooksByEmployee = HashMap::new();
    let mut add = |rows: Vec<StoredLook>| {
        for row in rows {
            if !seen.insert(row.id) {
                continue;
            }
            let explained = matches!(
                row.state.as_deref(),
                Some("explained") | Some("appropriate")
            );
            looks.entry(row.employee_id).or_default().push(Look {
                event_id: row.id,
                customer_ref: row.customer_ref,
                occurred_at: row.occurred_at,
                explained,
            });
        }
    };

    let in_hours = look::of_employees(conn, &employee_hour_runs(events))?;
    for row in &in_hours {
        let key = (
            evaluate::hour_of(row.occurred_at),
            row.employee_id.clone(),
            row.role_code.clone(),
        );
        if let Some(customers) = hour_customers.get_mut(&key) {
            customers.insert(row.customer_ref.clone());
        }
    }
    add(in_hours);

    let employees: Vec<&str> = unique(events.iter().map(|e| e.employee_id.as_str()));
    let customer_spans = customer_spans(events);
    add(look::of_customers_by(conn, &customer_spans, &employees)?);

    let hours = hour_customers
        .into_iter()
        .map(
            |((hour, employee_id, role_code), customers)| EmployeeHourRow {
                hour,
                employee_id,
                role_code,
                customers: customers.len() as i64,
            },
        )
        .collect();
    Ok((looks, hours))
}

/// Each employee's stored looks, by employee id.
type LooksByEmployee = HashMap<String, Vec<Look>>;

/// Each employee's clock hours in the batch, as runs of consecutive hours `[from, to)`.
fn employee_hour_runs(events: &[AccessEventRow]) -> Vec<Span<'_>> {
    let hours: BTreeSet<(&str, NaiveDateTime)> = events
        .iter()
        .map(|e| (e.employee_id.as_str(), evaluate::hour_of(e.occurred_at)))
        .collect();
    let mut runs: Vec<Span> = Vec::new();
    for (employee, hour) in hours {
        match runs.last_mut() {
            Some(run) if run.whose == employee && run.to == hour => {
                run.to = hour + Duration::hours(1)
            }
            _ => runs.push(Span {
                whose: employee,
                from: hour,
                to: hour + Duration::hours(1),
            }),
        }
    }
    runs
}

/// Each customer's span the repetitions are read from: `REPEAT_DAYS` before their first access
/// in the batch up to their last. A second past it, as the spans end before `to`: the looks at
/// the last access's very time must come back, and the rules ignore any later.
fn customer_spans(events: &[AccessEventRow]) -> Vec<Span<'_>> {
    let mut spans: HashMap<&str, (NaiveDateTime, NaiveDateTime)> = HashMap::new();
    for event in events {
        let at = event.occurred_at;
        spans
            .entry(event.customer_ref.as_str())
            .and_modify(|(first, last)| {
                *first = (*first).min(at);
                *last = (*last).max(at);
            })
            .or_insert((at, at));
    }
    spans
        .into_iter()
        .map(|(customer, (first, last))| Span {
            whose: customer,
            from: first - Duration::days(evaluate::REPEAT_DAYS),
            to: last + Duration::seconds(1),
        })
        .collect()
}

/// Learns each role's usual number of distinct customers an employee looks at in an hour (the
/// 99th percentile of busy hours over the last 90 days) for the volume rule, from the counts the
/// judge keeps in `employee_hours`: what the running judge does every hour. Hours older than
/// that are removed. Accesses the judge has not reached yet are not counted, nor their hours:
/// normally a few seconds' worth.
pub fn learn_baselines(conn: &mut AnyConnection, now: NaiveDateTime) -> Result<usize, AppError> {
    let since = evaluate::hour_of(now - Duration::days(BASELINE_DAYS));
    let histogram = employee_hour::histogram_since(conn, since)?;
    let baselines = percentiles(histogram);
    crate::db::write_transaction(conn, |conn| {
        // Taking turns with the judge, which may be writing old hours again (re-judging history)
        // while they are removed.
        explanation::lock_progress(conn)?;
        explanation::replace_baselines(conn, &baselines, now)?;
        employee_hour::remove_before(conn, since)?;
        Ok(())
    })?;
    Ok(baselines.len())
}

/// The same baselines counted from the accesses themselves, all of them, judged or not: for
/// history the judge never went through (the demo's seed, `einblick detect` over imported
/// accesses). It reads the 90 days' accesses whole: seconds at 10 M events.
pub fn learn_baselines_from_accesses(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    use diesel::sql_types::{BigInt, Text, Timestamp};

    #[derive(QueryableByName)]
    struct Busy {
        #[diesel(sql_type = Text)]
        role_code: String,
        #[diesel(sql_type = BigInt)]
        customers: i64,
        #[diesel(sql_type = BigInt)]
        hours: i64,
    }
    let since = evaluate::hour_of(now - Duration::days(BASELINE_DAYS));
    // Counted in the database: one row per role and count comes back.
    let rows: Vec<Busy> = match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(pg) => diesel::sql_query(
            "SELECT role_code, customers, count(*) AS hours FROM ( \
               SELECT role_code, count(DISTINCT customer_ref) AS customers FROM access_events \
               WHERE occurred_at >= $1 \
               GROUP BY role_code, employee_id, date_trunc('hour', occurred_at)) AS busy \
             GROUP BY role_code, customers",
        )
        .bind::<Timestamp, _>(since)
        .load(pg)?,
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => diesel::sql_query(
            "SELECT role_code, customers, count(*) AS hours FROM ( \
               SELECT role_code, count(DISTINCT customer_ref) AS customers FROM access_events \
               WHERE occurred_at >= ? \
               GROUP BY role_code, employee_id, strftime('%Y-%m-%d %H', occurred_at)) AS busy \
             GROUP BY role_code, customers",
        )
        .bind::<Timestamp, _>(since)
        .load(c)?,
    };
    let baselines = percentiles(
        rows.into_iter()
            .map(|row| (row.role_code, row.customers, row.hours))
            .collect(),
    );
    crate::db::write_transaction(conn, |conn| {
        explanation::replace_baselines(conn, &baselines, now)?;
        Ok(())
    })?;
    Ok(baselines.len())
}

/// The days of busy hours a baseline is learned from.
const BASELINE_DAYS: i64 = 90;

/// Each role's 99th percentile of distinct customers per busy hour, from `(role, customers,
/// hours)`: the smallest count that at least 99 % of the role's hours do not exceed.
fn percentiles(histogram: Vec<(String, i64, i64)>) -> Vec<(String, f64)> {
    let mut by_role: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    for (role, customers, hours) in histogram {
        by_role.entry(role).or_default().push((customers, hours));
    }
    by_role
        .into_iter()
        .filter_map(|(role, mut counts)| {
            counts.sort_unstable();
            let total: i64 = counts.iter().map(|(_, hours)| hours).sum();
            let rank = (((total as f64) * 0.99).ceil() as i64).clamp(1, total.max(1));
            let mut seen = 0;
            counts.into_iter().find_map(|(customers, hours)| {
                seen += hours;
                (seen >= rank).then_some((role.clone(), customers as f64))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What learning computed before `employee_hours`: every busy hour's count, sorted, and the
    /// one at rank ceil(n × 0.99).
    fn percentile_of_sorted(mut counts: Vec<i64>) -> f64 {
        counts.sort_unstable();
        let index = ((counts.len() as f64) * 0.99).ceil() as usize;
        counts[index.clamp(1, counts.len()) - 1] as f64
    }

    #[test]
    fn the_histogram_gives_the_percentile_of_every_hour_sorted() {
        let mut seed: u64 = 7;
        let mut next = move |below: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % below
        };
        for hours in [1, 2, 3, 99, 100, 101, 250, 1000] {
            for spread in [1, 3, 40] {
                let counts: Vec<i64> = (0..hours).map(|_| 1 + next(spread) as i64).collect();
                let mut histogram: HashMap<i64, i64> = HashMap::new();
                for count in &counts {
                    *histogram.entry(*count).or_default() += 1;
                }
                let rows = histogram
                    .into_iter()
                    .map(|(customers, hours)| ("agent".to_owned(), customers, hours))
                    .collect();
                assert_eq!(
                    percentiles(rows),
                    vec![("agent".to_owned(), percentile_of_sorted(counts.clone()))],
                    "{hours} hours, counts 1 to {spread}"
                );
            }
        }
    }

    #[test]
    fn each_role_gets_its_own_percentile() {
        let mut learned = percentiles(vec![
            ("agent".into(), 3, 99),
            ("agent".into(), 50, 1),
            ("analyst".into(), 2, 98),
            ("analyst".into(), 9, 2),
        ]);
        learned.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            learned,
            vec![("agent".to_owned(), 3.0), ("analyst".to_owned(), 9.0)]
        );
    }
}
