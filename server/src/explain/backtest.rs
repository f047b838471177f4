//! `einblick detect`: the rules run over history without changing anything, to see what they
//! would flag — per rule how often it fires, its share of accesses, and, where the privacy team
//! decided, how often it was right. Streams the accesses in time order and keeps what the rules
//! look back at in memory, indexed the way they ask (an employee's current hour, an employee's
//! looks at one customer), so a million accesses take seconds, not a query or a scan each.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamp};

use super::evaluate::{self, CustomerFacts, Evidence, Look};
use super::run::load_setup;
use crate::db::access_event::AccessEventRow;
use crate::db::context::ContextRecordRow;
use crate::db::employee::EmployeeRow;
use crate::db::schema::{access_events, context_records, customers, employees};
use crate::db::{explanation, AnyConnection};
use crate::domain::explanation::{ExplanationState, Rule};
use crate::error::AppError;

const CHUNK: i64 = 5000;

#[derive(Clone, Debug, Default)]
pub struct RuleFigures {
    pub fired: u64,
    /// Fired on accesses the privacy team decided…
    pub decided: u64,
    /// …and found a violation.
    pub violations: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Backtest {
    pub accesses: u64,
    pub explained: u64,
    pub flagged: u64,
    pub rules: Vec<(Rule, RuleFigures)>,
}

impl Backtest {
    pub fn share(&self, count: u64) -> f64 {
        if self.accesses == 0 {
            0.0
        } else {
            count as f64 * 100.0 / self.accesses as f64
        }
    }
}

/// Runs the enabled rules (or only `only`, enabled or not) over the accesses in `[from, to)`.
pub fn backtest(
    conn: &mut AnyConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    only: Option<Rule>,
) -> Result<Backtest, AppError> {
    let mut setup = load_setup(conn)?;
    if let Some(rule) = only {
        let threshold = explanation::rules(conn)?
            .into_iter()
            .find(|r| r.code == rule.code())
            .and_then(|r| r.threshold);
        setup.rules = HashMap::from([(rule, threshold)]);
    }
    let records: Vec<ContextRecordRow> = context_records::table
        .select(ContextRecordRow::as_select())
        .load(conn)?;
    let mut contexts: HashMap<&str, Vec<&ContextRecordRow>> = HashMap::new();
    for record in &records {
        contexts
            .entry(record.customer_ref.as_str())
            .or_default()
            .push(record);
    }
    let directory: Vec<EmployeeRow> = employees::table
        .select(EmployeeRow::as_select())
        .load(conn)?;
    let by_employee: HashMap<&str, &EmployeeRow> = directory
        .iter()
        .map(|e| (e.employee_id.as_str(), e))
        .collect();
    let facts: HashMap<String, CustomerFacts> = customers::table
        .select((
            customers::customer_ref,
            customers::is_vip,
            customers::surname_hash,
            customers::postcode_hash,
        ))
        .load::<(String, bool, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .map(|(customer, high_profile, surname_hash, postcode_hash)| {
            (
                customer,
                CustomerFacts {
                    high_profile,
                    surname_hash,
                    postcode_hash,
                },
            )
        })
        .collect();

    let mut figures: HashMap<Rule, RuleFigures> = setup
        .rules
        .keys()
        .map(|rule| (*rule, RuleFigures::default()))
        .collect();
    let mut result = Backtest::default();
    let mut memory = Memory::default();
    let mut after: Option<(NaiveDateTime, i64)> = None;
    loop {
        let mut query = access_events::table
            .filter(access_events::occurred_at.ge(from))
            .filter(access_events::occurred_at.lt(to))
            .into_boxed::<crate::db::MultiBackend>();
        if let Some((at, id)) = after {
            // A row comparison, so the (occurred_at, id) index seeks to where the last chunk
            // ended; `at > x OR (at = x AND id > y)` made each chunk read from the start again.
            query = query.filter(
                diesel::dsl::sql::<Bool>("(access_events.occurred_at, access_events.id) > (")
                    .bind::<Timestamp, _>(at)
                    .sql(", ")
                    .bind::<BigInt, _>(id)
                    .sql(")"),
            );
        }
        let chunk: Vec<AccessEventRow> = query
            .order((access_events::occurred_at, access_events::id))
            .limit(CHUNK)
            .select(AccessEventRow::as_select())
            .load(conn)?;
        let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else {
            break;
        };
        after = Some((last.occurred_at, last.id));
        memory.forget_before(evaluate::hour_of(first.occurred_at), first.occurred_at);
        let stored =
            explanation::for_events(conn, &chunk.iter().map(|e| e.id).collect::<Vec<_>>())?;
        let evidence = Evidence {
            contexts: &contexts,
            employees: &by_employee,
            customers: chunk
                .iter()
                .filter_map(|e| {
                    facts
                        .get(&e.customer_ref)
                        .map(|f| (e.customer_ref.as_str(), f.clone()))
                })
                .collect(),
            looks: memory.looks_for(&chunk),
        };
        let judgements = evaluate::judge(&chunk, &evidence, &setup);
        for (event, judgement) in chunk.iter().zip(&judgements) {
            result.accesses += 1;
            let explained =
                judgement.context_id.is_some() || (judgement.state == ExplanationState::Explained);
            if explained && judgement.rules.is_empty() {
                result.explained += 1;
            }
            if !judgement.rules.is_empty() {
                result.flagged += 1;
            }
            let decided = stored
                .get(&event.id)
                .and_then(|row| ExplanationState::parse(&row.state))
                .filter(|state| state.is_decided());
            for rule in &judgement.rules {
                let entry = figures.entry(*rule).or_default();
                entry.fired += 1;
                if let Some(state) = decided {
                    entry.decided += 1;
                    if state == ExplanationState::Violation {
                        entry.violations += 1;
                    }
                }
            }
            memory.remember(
                &event.employee_id,
                Look {
                    event_id: event.id,
                    customer_ref: event.customer_ref.clone(),
                    occurred_at: event.occurred_at,
                    explained,
                },
            );
        }
        if (chunk.len() as i64) < CHUNK {
            break;
        }
    }
    let mut rules: Vec<(Rule, RuleFigures)> = figures.into_iter().collect();
    rules.sort_by_key(|(rule, _)| *rule);
    result.rules = rules;
    Ok(result)
}

/// The looks the rules look back at, as the backtest streams through time: each employee's
/// looks since the start of the current chunk's first hour (volume), and each employee's looks
/// at each customer within the repetition window (repetition).
#[derive(Default)]
struct Memory {
    recent: HashMap<String, VecDeque<Look>>,
    /// By (employee, customer), oldest first.
    pairs: HashMap<(String, String), VecDeque<Look>>,
    /// Looks remembered since the pairs were last swept of old ones.
    since_sweep: usize,
}

impl Memory {
    fn remember(&mut self, employee: &str, look: Look) {
        self.pairs
            .entry((employee.to_owned(), look.customer_ref.clone()))
            .or_default()
            .push_back(look.clone());
        self.recent
            .entry(employee.to_owned())
            .or_default()
            .push_back(look);
        self.since_sweep += 1;
    }

    /// Forgets recent looks before `hour`, and (now and then) looks at a customer older than
    /// the repetition window before `now` (the chunk's first access: the earliest that asks).
    fn forget_before(&mut self, hour: NaiveDateTime, now: NaiveDateTime) {
        for list in self.recent.values_mut() {
            while list.front().is_some_and(|l| l.occurred_at < hour) {
                list.pop_front();
            }
        }
        self.recent.retain(|_, list| !list.is_empty());
        // A sweep visits every pair: only after as many new looks as there are pairs, so the
        // cost per look stays constant.
        if self.since_sweep > self.pairs.len() {
            let horizon = now - Duration::days(evaluate::REPEAT_DAYS) - Duration::hours(1);
            for list in self.pairs.values_mut() {
                while list.front().is_some_and(|l| l.occurred_at < horizon) {
                    list.pop_front();
                }
            }
            self.pairs.retain(|_, list| !list.is_empty());
            self.since_sweep = 0;
        }
    }

    /// What `chunk`'s employees did that its rules compare with: their recent looks, and their
    /// earlier looks at the chunk's customers (each look once).
    fn looks_for<'c>(&self, chunk: &'c [AccessEventRow]) -> HashMap<&'c str, Vec<Look>> {
        let mut looks: HashMap<&str, Vec<Look>> = HashMap::new();
        let mut pairs_done: HashSet<(&str, &str)> = HashSet::new();
        for event in chunk {
            let employee = event.employee_id.as_str();
            if !looks.contains_key(employee) {
                let recent = self.recent.get(employee).into_iter().flatten().cloned();
                looks.insert(employee, recent.collect());
            }
            if !pairs_done.insert((employee, event.customer_ref.as_str())) {
                continue;
            }
            let key = (event.employee_id.clone(), event.customer_ref.clone());
            let Some(earlier) = self.pairs.get(&key) else {
                continue;
            };
            // The recent ones are in already.
            let cutoff = self
                .recent
                .get(employee)
                .and_then(|list| list.front())
                .map(|l| (l.occurred_at, l.event_id));
            let list = looks.entry(employee).or_default();
            list.extend(
                earlier
                    .iter()
                    .filter(|l| cutoff.is_none_or(|c| (l.occurred_at, l.event_id) < c))
                    .cloned(),
            );
        }
        looks
    }
}
