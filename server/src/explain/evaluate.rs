//! The judgement itself, on data already loaded: which business record explains an access, and
//! which rules fire. No database here, so every rule is tested on planted cases and near-misses.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime, Timelike};

use crate::db::access_event::AccessEventRow;
use crate::db::context::ContextRecordRow;
use crate::db::employee::EmployeeRow;
use crate::domain::explanation::{ExplanationState, Rule, Shift};

/// Accesses Einblick logs itself when the privacy team looks at a case: explained by that.
pub const OWN_LOOKS_SOURCE: &str = "/einblick/back-office";

/// Below this many distinct customers an hour nobody is flagged for volume, whatever the role's
/// usual figure (a role that usually sees one customer an hour may see five).
pub const MIN_VOLUME: f64 = 10.0;
/// How far back repeated unexplained looks are counted.
pub const REPEAT_DAYS: i64 = 30;
/// The kind of record a customer's request should have (`request_without_ticket`).
pub const TICKET_KIND: &str = "support_ticket";

/// Which kinds of record explain which roles, and for how long around a record.
#[derive(Clone, Debug, Default)]
pub struct Setup {
    /// Kind → (hours before opening, hours after closing) it still explains.
    pub windows: HashMap<String, (i64, i64)>,
    /// Role → kinds that explain it.
    pub fit: HashMap<String, HashSet<String>>,
    /// Role → department, for roles without their own fit.
    pub departments: HashMap<String, String>,
    /// Enabled rules and their thresholds.
    pub rules: HashMap<Rule, Option<f64>>,
    /// Role → usual distinct customers per employee-hour (99th percentile).
    pub baselines: HashMap<String, f64>,
    /// The retailer's local time zone, for shifts.
    pub zone: Option<chrono_tz::Tz>,
}

impl Setup {
    /// Whether records of `kind` explain `role`: by the role's own fit, else by its department's
    /// defaults.
    pub fn explains(&self, role: &str, kind: &str) -> bool {
        if let Some(kinds) = self.fit.get(role) {
            return kinds.contains(kind);
        }
        let department = self.departments.get(role).map(String::as_str);
        department_defaults(department.unwrap_or_default()).contains(&kind)
    }

    fn enabled(&self, rule: Rule) -> bool {
        self.rules.contains_key(&rule)
    }

    fn threshold(&self, rule: Rule, default: f64) -> f64 {
        self.rules.get(&rule).copied().flatten().unwrap_or(default)
    }

    fn window(&self, kind: &str) -> (Duration, Duration) {
        let (before, after) = self.windows.get(kind).copied().unwrap_or((24, 72));
        (Duration::hours(before), Duration::hours(after))
    }
}

/// Which kinds of record explain a department's roles when an admin set nothing for the role.
pub fn department_defaults(department: &str) -> &'static [&'static str] {
    match department {
        "support" => &["support_ticket", "return", "payment_dispute"],
        "warehouse" => &["order", "shipment", "return"],
        "payments" => &["order", "payment_dispute", "fraud_case", "return"],
        "legal" => &["legal_request", "fraud_case"],
        _ => &[],
    }
}

/// What is known about a customer for the rules.
#[derive(Clone, Debug, Default)]
pub struct CustomerFacts {
    pub high_profile: bool,
    pub surname_hash: Option<String>,
    pub postcode_hash: Option<String>,
}

/// One earlier (or concurrent) access by an employee: to whom, when, and whether it was
/// explained. For the volume and repetition rules.
#[derive(Clone, Debug)]
pub struct Look {
    pub event_id: i64,
    pub customer_ref: String,
    pub occurred_at: NaiveDateTime,
    pub explained: bool,
}

/// Everything the evaluation of a batch reads.
pub struct Evidence<'a> {
    /// The customer's records, by customer number.
    pub contexts: &'a HashMap<&'a str, Vec<&'a ContextRecordRow>>,
    pub employees: &'a HashMap<&'a str, &'a EmployeeRow>,
    pub customers: HashMap<&'a str, CustomerFacts>,
    /// Each employee's looks around the batch (stored ones), by employee id.
    pub looks: HashMap<&'a str, Vec<Look>>,
}

/// The outcome for one access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub event_id: i64,
    pub state: ExplanationState,
    pub context_id: Option<i64>,
    pub rules: Vec<Rule>,
    pub score: i32,
}

/// The record that explains `event`, if any: a record the event names as its ticket first;
/// else one of a kind that fits the role, open at the time (with its window), and — when the
/// record is assigned to an employee or a team — assigned to this one. (An open ticket of a
/// customer explains the agent working on it, not every agent who looks while it is open.)
pub fn explaining_record<'a>(
    event: &AccessEventRow,
    records: &[&'a ContextRecordRow],
    setup: &Setup,
) -> Option<&'a ContextRecordRow> {
    let covers = |record: &ContextRecordRow| {
        let (before, after) = setup.window(&record.kind);
        let from = record.opened_at - before;
        match record.closed_at {
            Some(closed) => event.occurred_at >= from && event.occurred_at <= closed + after,
            None => event.occurred_at >= from,
        }
    };
    let named = event.ticket_ref.as_deref().and_then(|ticket| {
        records
            .iter()
            .find(|r| r.reference == ticket && covers(r))
            .copied()
    });
    if named.is_some() {
        return named;
    }
    let assigned_here = |record: &ContextRecordRow| {
        let employee_fits = record
            .assigned_employee_id
            .as_deref()
            .is_none_or(|assigned| assigned == event.employee_id);
        let team_fits = match (record.assigned_team.as_deref(), event.team.as_deref()) {
            (Some(assigned), Some(team)) => assigned == team,
            _ => true,
        };
        employee_fits && team_fits
    };
    let fitting: Vec<&ContextRecordRow> = records
        .iter()
        .filter(|r| setup.explains(&event.role_code, &r.kind) && covers(r) && assigned_here(r))
        .copied()
        .collect();
    fitting
        .iter()
        .find(|r| r.assigned_employee_id.as_deref() == Some(event.employee_id.as_str()))
        .or_else(|| fitting.iter().max_by_key(|r| (r.opened_at, r.id)))
        .copied()
}

/// Judges a batch of accesses. `events` are those to judge (any order).
pub fn judge(events: &[AccessEventRow], evidence: &Evidence<'_>, setup: &Setup) -> Vec<Judgement> {
    let empty: Vec<&ContextRecordRow> = Vec::new();
    // Explanations first: the rules that ask "unexplained" need them for the whole batch.
    let explained: HashMap<i64, Option<i64>> = events
        .iter()
        .map(|event| {
            let records = evidence
                .contexts
                .get(event.customer_ref.as_str())
                .unwrap_or(&empty);
            let record = if event.source == OWN_LOOKS_SOURCE {
                None
            } else {
                explaining_record(event, records, setup).map(|r| r.id)
            };
            (event.id, record)
        })
        .collect();
    let is_explained = |event: &AccessEventRow| {
        event.source == OWN_LOOKS_SOURCE || explained.get(&event.id).is_some_and(Option::is_some)
    };
    // The batch's own looks count with the stored ones (a burst arrives in one batch).
    let mut looks: HashMap<&str, Vec<Look>> = evidence
        .looks
        .iter()
        .map(|(employee, list)| (*employee, list.clone()))
        .collect();
    for event in events {
        let list = looks.entry(event.employee_id.as_str()).or_default();
        match list.iter_mut().find(|l| l.event_id == event.id) {
            Some(look) => look.explained = is_explained(event),
            None => list.push(Look {
                event_id: event.id,
                customer_ref: event.customer_ref.clone(),
                occurred_at: event.occurred_at,
                explained: is_explained(event),
            }),
        }
    }

    events
        .iter()
        .map(|event| {
            let context_id = explained.get(&event.id).copied().flatten();
            if event.source == OWN_LOOKS_SOURCE {
                return Judgement {
                    event_id: event.id,
                    state: ExplanationState::Explained,
                    context_id: None,
                    rules: Vec::new(),
                    score: 0,
                };
            }
            let rules = fired_rules(event, context_id.is_some(), evidence, &looks, setup);
            let score = rules.iter().map(|r| r.weight()).sum();
            let state = if !rules.is_empty() {
                ExplanationState::Flagged
            } else if context_id.is_some() {
                ExplanationState::Explained
            } else {
                ExplanationState::Unexplained
            };
            Judgement {
                event_id: event.id,
                state,
                context_id,
                rules,
                score,
            }
        })
        .collect()
}

fn fired_rules(
    event: &AccessEventRow,
    explained: bool,
    evidence: &Evidence<'_>,
    looks: &HashMap<&str, Vec<Look>>,
    setup: &Setup,
) -> Vec<Rule> {
    let mut fired = Vec::new();
    let mut check = |rule: Rule, fires: bool| {
        if fires && setup.enabled(rule) {
            fired.push(rule);
        }
    };
    let empty = Vec::new();
    let records = evidence
        .contexts
        .get(event.customer_ref.as_str())
        .unwrap_or(&empty);
    let customer = evidence.customers.get(event.customer_ref.as_str());
    let employee = evidence.employees.get(event.employee_id.as_str());
    let customer_request = event.reason_code == "customer_request";

    check(Rule::NoReason, event.reason_code == "none" && !explained);
    let has_ticket_in_window = records.iter().any(|r| {
        r.kind == TICKET_KIND && {
            let (before, after) = setup.window(&r.kind);
            event.occurred_at >= r.opened_at - before
                && r.closed_at
                    .is_none_or(|closed| event.occurred_at <= closed + after)
        }
    });
    check(
        Rule::RequestWithoutTicket,
        customer_request && event.ticket_ref.is_none() && !has_ticket_in_window,
    );
    check(
        Rule::UnknownTicket,
        customer_request
            && event
                .ticket_ref
                .as_deref()
                .is_some_and(|ticket| !records.iter().any(|r| r.reference == ticket)),
    );
    check(
        Rule::HighProfile,
        customer.is_some_and(|c| c.high_profile) && !explained,
    );
    let self_lookup = employee
        .and_then(|e| e.customer_ref.as_deref())
        .is_some_and(|own| own == event.customer_ref);
    check(Rule::SelfLookup, self_lookup);
    let shares = |mine: Option<&String>, theirs: Option<&String>| matches!((mine, theirs), (Some(a), Some(b)) if a == b);
    check(
        Rule::SameSurnameOrPostcode,
        !self_lookup
            && match (employee, customer) {
                (Some(e), Some(c)) => {
                    shares(e.surname_hash.as_ref(), c.surname_hash.as_ref())
                        || shares(e.postcode_hash.as_ref(), c.postcode_hash.as_ref())
                }
                _ => false,
            },
    );
    check(
        Rule::SearchUnexplained,
        event.action == "search" && !explained,
    );

    let no_looks = Vec::new();
    let employee_looks = looks.get(event.employee_id.as_str()).unwrap_or(&no_looks);
    if setup.enabled(Rule::UnusualVolume) {
        let hour_start = hour_of(event.occurred_at);
        let hour_end = hour_start + Duration::hours(1);
        // The hour so far: what the employee had looked at by the time of this access, the same
        // whether the accesses arrive one by one or are judged again later.
        let distinct: HashSet<&str> = employee_looks
            .iter()
            .filter(|l| {
                l.occurred_at >= hour_start
                    && l.occurred_at < hour_end
                    && (l.occurred_at, l.event_id) <= (event.occurred_at, event.id)
            })
            .map(|l| l.customer_ref.as_str())
            .collect();
        let usual = setup
            .baselines
            .get(&event.role_code)
            .copied()
            .unwrap_or(0.0);
        let limit = (usual * setup.threshold(Rule::UnusualVolume, 1.5)).max(MIN_VOLUME);
        check(Rule::UnusualVolume, distinct.len() as f64 > limit);
    }
    if let (Some(shift), Some(zone)) = (employee.and_then(|e| shift_of(e)), setup.zone) {
        let local_hour = crate::domain::time::local(event.occurred_at, zone).hour();
        check(Rule::OutsideShift, !shift.covers(local_hour));
    }
    if setup.enabled(Rule::RepeatedUnexplained) && !explained {
        let since = event.occurred_at - Duration::days(REPEAT_DAYS);
        let repeated = employee_looks
            .iter()
            .filter(|l| {
                l.customer_ref == event.customer_ref
                    && !l.explained
                    && l.occurred_at >= since
                    && (l.occurred_at, l.event_id) <= (event.occurred_at, event.id)
            })
            .count();
        let threshold = setup.threshold(Rule::RepeatedUnexplained, 3.0);
        check(Rule::RepeatedUnexplained, repeated as f64 >= threshold);
    }
    fired
}

/// The start of the clock hour `at` falls in (UTC, as stored): the volume rule's unit.
pub fn hour_of(at: NaiveDateTime) -> NaiveDateTime {
    at.with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(at)
}

fn shift_of(employee: &EmployeeRow) -> Option<Shift> {
    let (start, end) = (employee.shift_start?, employee.shift_end?);
    Some(Shift {
        start: u8::try_from(start).ok()?,
        end: u8::try_from(end).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, day)
            .and_then(|d| d.and_hms_opt(hour, minute, 0))
            .unwrap()
    }

    fn access(
        id: i64,
        customer: &str,
        employee: &str,
        role: &str,
        when: NaiveDateTime,
    ) -> AccessEventRow {
        AccessEventRow {
            id,
            source: "/crm/support-console".into(),
            event_id: format!("e-{id}"),
            occurred_at: when,
            received_at: when,
            customer_ref: customer.into(),
            employee_id: employee.into(),
            role_code: role.into(),
            team: None,
            office_country: None,
            data_category: "purchase_history".into(),
            action: "view".into(),
            reason_code: "customer_request".into(),
            reason_text: None,
            ticket_ref: None,
            system: None,
            content_sha256: String::new(),
            visible_from: None,
            leaf_index: id,
            leaf_format: 2,
            customer_previous_leaf: None,
            customer_previous_hash: None,
            customer_entry: Some(1),
        }
    }

    fn record(
        id: i64,
        kind: &str,
        reference: &str,
        customer: &str,
        opened: NaiveDateTime,
    ) -> ContextRecordRow {
        ContextRecordRow {
            id,
            kind: kind.into(),
            reference: reference.into(),
            customer_ref: customer.into(),
            opened_at: opened,
            closed_at: Some(opened + Duration::hours(4)),
            assigned_team: None,
            assigned_employee_id: None,
            source: "/shop".into(),
            described_at: opened,
        }
    }

    fn employee(id: &str) -> EmployeeRow {
        EmployeeRow {
            employee_id: id.into(),
            surname_hash: Some(format!("surname-of-{id}")),
            postcode_hash: Some(format!("postcode-of-{id}")),
            team: Some("Support".into()),
            shift_start: Some(8),
            shift_end: Some(18),
            active: true,
            customer_ref: None,
            described_at: at(1, 0, 0),
        }
    }

    fn setup() -> Setup {
        Setup {
            windows: HashMap::from([
                ("support_ticket".into(), (48, 48)),
                ("order".into(), (24, 72)),
            ]),
            fit: HashMap::new(),
            departments: HashMap::from([
                ("agent".into(), "support".into()),
                ("picker".into(), "warehouse".into()),
            ]),
            rules: Rule::ALL.into_iter().map(|r| (r, None)).collect(),
            baselines: HashMap::from([("agent".into(), 4.0)]),
            zone: Some(chrono_tz::UTC),
        }
    }

    struct World {
        records: Vec<ContextRecordRow>,
        employees: Vec<EmployeeRow>,
        customers: HashMap<String, CustomerFacts>,
        looks: HashMap<String, Vec<Look>>,
    }

    impl World {
        fn new() -> Self {
            Self {
                records: Vec::new(),
                employees: vec![employee("E-1")],
                customers: HashMap::new(),
                looks: HashMap::new(),
            }
        }

        fn judge(&self, events: &[AccessEventRow]) -> Vec<Judgement> {
            let mut contexts: HashMap<&str, Vec<&ContextRecordRow>> = HashMap::new();
            for r in &self.records {
                contexts.entry(r.customer_ref.as_str()).or_default().push(r);
            }
            let employees = self
                .employees
                .iter()
                .map(|e| (e.employee_id.as_str(), e))
                .collect();
            let evidence = Evidence {
                contexts: &contexts,
                employees: &employees,
                customers: self
                    .customers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.clone()))
                    .collect(),
                looks: self
                    .looks
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.clone()))
                    .collect(),
            };
            judge(events, &evidence, &setup())
        }

        fn one(&self, event: AccessEventRow) -> Judgement {
            self.judge(&[event]).remove(0)
        }
    }

    fn fired(judgement: &Judgement, rule: Rule) -> bool {
        judgement.rules.contains(&rule)
    }

    #[test]
    fn a_ticket_explains_a_support_role_in_its_window_only() {
        let mut world = World::new();
        world
            .records
            .push(record(1, "support_ticket", "T-1", "C-1", at(10, 9, 0)));
        let inside = world.one(access(1, "C-1", "E-1", "agent", at(10, 10, 0)));
        assert_eq!(
            (inside.state, inside.context_id),
            (ExplanationState::Explained, Some(1))
        );
        // Near miss: three days after the ticket closed.
        let after = world.one(access(2, "C-1", "E-1", "agent", at(13, 14, 0)));
        assert_eq!(after.context_id, None);
        // Near miss: a ticket explains no warehouse role, and an order no support role.
        let picker = world.one(access(3, "C-1", "E-1", "picker", at(10, 10, 0)));
        assert_eq!(picker.context_id, None);
        world
            .records
            .push(record(2, "order", "O-1", "C-2", at(10, 9, 0)));
        let agent_on_order = world.one(access(4, "C-2", "E-1", "agent", at(10, 10, 0)));
        assert_eq!(agent_on_order.context_id, None);
        // …unless the access names the record itself.
        let mut named = access(5, "C-2", "E-1", "agent", at(10, 10, 0));
        named.ticket_ref = Some("O-1".into());
        assert_eq!(world.one(named).context_id, Some(2));
    }

    #[test]
    fn an_assigned_ticket_explains_its_assignee_only() {
        let mut world = World::new();
        let mut ticket = record(1, "support_ticket", "T-1", "C-1", at(10, 9, 0));
        ticket.assigned_employee_id = Some("E-2".into());
        world.records.push(ticket);
        assert_eq!(
            world
                .one(access(1, "C-1", "E-2", "agent", at(10, 10, 0)))
                .context_id,
            Some(1)
        );
        assert_eq!(
            world
                .one(access(2, "C-1", "E-1", "agent", at(10, 10, 0)))
                .context_id,
            None
        );
        // Naming the ticket still explains a colleague who took it over.
        let mut named = access(3, "C-1", "E-1", "agent", at(10, 10, 0));
        named.ticket_ref = Some("T-1".into());
        assert_eq!(world.one(named).context_id, Some(1));
    }

    #[test]
    fn no_reason_fires_only_when_nothing_explains() {
        let mut world = World::new();
        let mut bare = access(1, "C-1", "E-1", "agent", at(10, 10, 0));
        bare.reason_code = "none".into();
        assert!(fired(&world.one(bare.clone()), Rule::NoReason));
        world
            .records
            .push(record(1, "support_ticket", "T-1", "C-1", at(10, 9, 0)));
        assert!(!fired(&world.one(bare), Rule::NoReason));
    }

    #[test]
    fn a_customer_request_needs_a_ticket_that_exists() {
        let mut world = World::new();
        let without = access(1, "C-1", "E-1", "agent", at(10, 10, 0));
        assert!(fired(
            &world.one(without.clone()),
            Rule::RequestWithoutTicket
        ));
        let mut stated = without.clone();
        stated.ticket_ref = Some("T-404".into());
        let judged = world.one(stated.clone());
        assert!(fired(&judged, Rule::UnknownTicket));
        assert!(!fired(&judged, Rule::RequestWithoutTicket));
        // Near miss: the ticket exists for this customer.
        world
            .records
            .push(record(1, "support_ticket", "T-404", "C-1", at(10, 9, 0)));
        let judged = world.one(stated);
        assert!(
            !fired(&judged, Rule::UnknownTicket) && !fired(&judged, Rule::RequestWithoutTicket)
        );
        // A ticket of another customer is no ticket of this one.
        let mut elsewhere = access(2, "C-2", "E-1", "agent", at(10, 10, 0));
        elsewhere.ticket_ref = Some("T-404".into());
        assert!(fired(&world.one(elsewhere), Rule::UnknownTicket));
    }

    #[test]
    fn high_profile_customers_need_an_explanation() {
        let mut world = World::new();
        world.customers.insert(
            "C-VIP".into(),
            CustomerFacts {
                high_profile: true,
                ..CustomerFacts::default()
            },
        );
        assert!(fired(
            &world.one(access(1, "C-VIP", "E-1", "agent", at(10, 10, 0))),
            Rule::HighProfile
        ));
        assert!(!fired(
            &world.one(access(2, "C-1", "E-1", "agent", at(10, 10, 0))),
            Rule::HighProfile
        ));
        world
            .records
            .push(record(1, "support_ticket", "T-1", "C-VIP", at(10, 9, 0)));
        assert!(!fired(
            &world.one(access(3, "C-VIP", "E-1", "agent", at(10, 10, 0))),
            Rule::HighProfile
        ));
    }

    #[test]
    fn self_lookups_and_shared_names_fire_even_when_explained() {
        let mut world = World::new();
        world.employees[0].customer_ref = Some("C-SELF".into());
        world
            .records
            .push(record(1, "support_ticket", "T-1", "C-SELF", at(10, 9, 0)));
        let judged = world.one(access(1, "C-SELF", "E-1", "agent", at(10, 10, 0)));
        assert!(fired(&judged, Rule::SelfLookup));
        assert_eq!(judged.state, ExplanationState::Flagged);
        world.customers.insert(
            "C-NEIGHBOUR".into(),
            CustomerFacts {
                postcode_hash: Some("postcode-of-E-1".into()),
                ..CustomerFacts::default()
            },
        );
        assert!(fired(
            &world.one(access(2, "C-NEIGHBOUR", "E-1", "agent", at(10, 10, 0))),
            Rule::SameSurnameOrPostcode
        ));
        // Near miss: a different postcode and surname.
        world.customers.insert(
            "C-STRANGER".into(),
            CustomerFacts {
                postcode_hash: Some("postcode-elsewhere".into()),
                surname_hash: Some("surname-elsewhere".into()),
                ..CustomerFacts::default()
            },
        );
        assert!(!fired(
            &world.one(access(3, "C-STRANGER", "E-1", "agent", at(10, 10, 0))),
            Rule::SameSurnameOrPostcode
        ));
    }

    #[test]
    fn an_unexplained_search_fires() {
        let mut world = World::new();
        let mut search = access(1, "C-1", "E-1", "agent", at(10, 10, 0));
        search.action = "search".into();
        assert!(fired(&world.one(search.clone()), Rule::SearchUnexplained));
        world
            .records
            .push(record(1, "support_ticket", "T-1", "C-1", at(10, 9, 0)));
        assert!(!fired(&world.one(search), Rule::SearchUnexplained));
    }

    #[test]
    fn volume_above_the_role_usual_fires_and_below_does_not() {
        let world = World::new();
        // Baseline 4 × 1.5 = 6, but never below MIN_VOLUME (10): the 11th customer fires.
        let burst: Vec<AccessEventRow> = (0..11)
            .map(|i| {
                access(
                    i + 1,
                    &format!("C-{i}"),
                    "E-1",
                    "agent",
                    at(10, 10, i as u32),
                )
            })
            .collect();
        let judged = world.judge(&burst);
        assert!(judged[..10].iter().all(|j| !fired(j, Rule::UnusualVolume)));
        assert!(fired(&judged[10], Rule::UnusualVolume));
        // Near miss: the same eleven spread over two hours.
        let spread: Vec<AccessEventRow> = (0..11)
            .map(|i| {
                access(
                    i + 1,
                    &format!("C-{i}"),
                    "E-1",
                    "agent",
                    at(10, 10 + (i as u32 % 2), i as u32),
                )
            })
            .collect();
        assert!(world
            .judge(&spread)
            .iter()
            .all(|j| !fired(j, Rule::UnusualVolume)));
    }

    #[test]
    fn outside_the_shift_fires() {
        let world = World::new();
        assert!(fired(
            &world.one(access(1, "C-1", "E-1", "agent", at(10, 23, 30))),
            Rule::OutsideShift
        ));
        assert!(!fired(
            &world.one(access(2, "C-1", "E-1", "agent", at(10, 17, 59))),
            Rule::OutsideShift
        ));
        // Someone not in the directory has no shift to be outside of.
        assert!(!fired(
            &world.one(access(3, "C-1", "E-404", "agent", at(10, 23, 30))),
            Rule::OutsideShift
        ));
    }

    #[test]
    fn repeated_unexplained_looks_fire_from_the_third() {
        let mut world = World::new();
        let looks: Vec<AccessEventRow> = (0..3)
            .map(|i| access(i + 1, "C-1", "E-1", "agent", at(2 + i as u32 * 5, 10, 0)))
            .collect();
        let judged = world.judge(&looks);
        assert!(!fired(&judged[1], Rule::RepeatedUnexplained));
        assert!(fired(&judged[2], Rule::RepeatedUnexplained));
        // Near miss: the first look lies outside the 30 days.
        world.looks.insert(
            "E-1".into(),
            vec![Look {
                event_id: 100,
                customer_ref: "C-1".into(),
                occurred_at: at(1, 10, 0) - Duration::days(40),
                explained: false,
            }],
        );
        let two = world.judge(&looks[1..]);
        assert!(two.iter().all(|j| !fired(j, Rule::RepeatedUnexplained)));
    }

    #[test]
    fn the_privacy_teams_own_looks_are_explained_and_switched_off_rules_stay_silent() {
        let world = World::new();
        let mut own = access(1, "C-1", "einblick-staff-1", "privacy_lead", at(10, 23, 0));
        own.source = OWN_LOOKS_SOURCE.into();
        own.reason_code = "none".into();
        let judged = world.one(own);
        assert_eq!(judged.state, ExplanationState::Explained);
        assert!(judged.rules.is_empty());
        let mut quiet = setup();
        quiet.rules.remove(&Rule::OutsideShift);
        let contexts = HashMap::new();
        let employees = world
            .employees
            .iter()
            .map(|e| (e.employee_id.as_str(), e))
            .collect();
        let evidence = Evidence {
            contexts: &contexts,
            employees: &employees,
            customers: HashMap::new(),
            looks: HashMap::new(),
        };
        let late = access(2, "C-1", "E-1", "agent", at(10, 23, 30));
        assert!(!judge(&[late], &evidence, &quiet)[0]
            .rules
            .contains(&Rule::OutsideShift));
    }
}
