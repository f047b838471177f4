//! `einblick seed-demo`: a retailer with ~20 roles, 60 employees, four customers with logins and
//! ~5,000 access events over 18 months, the business records that explain most of them
//! (tickets, orders, returns, legal requests) and an employee directory, including planted bad
//! patterns: looks without a reason, a support agent browsing the VIP's orders at night, an
//! employee who shares a customer's surname and postcode. Deterministic: the same rows on every
//! run and machine (own PRNG, fixed period).
#![expect(
    clippy::expect_used,
    reason = "the demo's calendar, accounts and staff are constants: a failure is a bug in the \
              demo that its tests find, never a runtime condition"
)]

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::db::access_event::{self, NewAccessEvent};
use crate::db::customer::{self, NewCustomer};
use crate::db::employee::{self, EmployeeRow};
use crate::db::lookup::{self, DataCategoryRow, RoleRow, SourceSystemRow};
use crate::db::staff_user::{self, NewStaffUser};
use crate::db::{context, partition, AnyConnection, Database};
use crate::domain::context::{normalise_postcode, normalise_surname, ContextRecord};
use crate::domain::StaffRole;
use crate::error::AppError;
use crate::password;
use crate::transparency::leaf::chain_hasher;
use crate::transparency::LogKeys;

/// Every demo customer signs in with this password.
pub const DEMO_PASSWORD: &str = "einblick-demo";

pub struct DemoCustomer {
    pub customer_ref: &'static str,
    pub email: &'static str,
    pub name: &'static str,
    pub postcode: &'static str,
    pub time_zone: &'static str,
    pub vip: bool,
    /// How many access events the customer's timeline gets.
    pub events: usize,
}

pub const DEMO_CUSTOMERS: [DemoCustomer; 4] = [
    DemoCustomer {
        customer_ref: "C-100042",
        postcode: "10243",
        email: "anna@example.com",
        name: "Anna Schmidt",
        time_zone: "Europe/Berlin",
        vip: false,
        events: 2300,
    },
    DemoCustomer {
        customer_ref: "C-100043",
        postcode: "10115",
        email: "ben@example.com",
        name: "Ben Weber",
        time_zone: "Europe/Vienna",
        vip: false,
        events: 1200,
    },
    DemoCustomer {
        customer_ref: "C-100001",
        postcode: "14193",
        email: "mara@example.com",
        name: "Mara Sommer",
        time_zone: "Europe/Berlin",
        vip: true,
        events: 900,
    },
    DemoCustomer {
        customer_ref: "C-100099",
        postcode: "8001",
        email: "lena@example.com",
        name: "Lena Neumann",
        time_zone: "Europe/Zurich",
        vip: false,
        events: 0,
    },
];

pub struct DemoStaff {
    pub email: &'static str,
    pub name: &'static str,
    pub role: StaffRole,
    pub authority: Option<&'static str>,
}

/// The back office's demo accounts; they sign in at `/staff/login` with [`DEMO_PASSWORD`].
pub const DEMO_STAFF: [DemoStaff; 4] = [
    DemoStaff {
        email: "analyst@einblick.example",
        name: "Paula Brandt",
        role: StaffRole::PrivacyAnalyst,
        authority: None,
    },
    DemoStaff {
        email: "lead@einblick.example",
        name: "Jonas Keller",
        role: StaffRole::PrivacyLead,
        authority: None,
    },
    DemoStaff {
        email: "regulator@einblick.example",
        name: "Dr. Ines Vogt",
        role: StaffRole::Regulator,
        authority: Some("Berliner Beauftragte für Datenschutz und Informationsfreiheit"),
    },
    DemoStaff {
        email: "admin@einblick.example",
        name: "Sam Okafor",
        role: StaffRole::Admin,
        authority: None,
    },
];

/// Retailer customers without an Einblick login: their events fill the table around the demo
/// accounts (and prove that nobody sees them).
const OTHER_CUSTOMER_EVENTS: usize = 600;

/// The employee who browses the VIP's data at night without a reason.
pub const SNOOPING_EMPLOYEE: &str = "E-1017";

const PERIOD_END: (i32, u32, u32) = (2026, 11, 20);
const PERIOD_DAYS: i64 = 548;

#[derive(Debug, PartialEq, Eq)]
pub enum SeedOutcome {
    Seeded { customers: usize, events: usize },
    AlreadyPresent,
}

pub fn period_start() -> NaiveDateTime {
    (period_end().date() - Duration::days(PERIOD_DAYS))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
}

/// The last minute of the demo period.
pub fn period_end() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(PERIOD_END.0, PERIOD_END.1, PERIOD_END.2)
        .and_then(|d| d.and_hms_opt(23, 59, 0))
        .expect("fixed date is valid")
}

/// The employee whose surname and postcode are a customer's (Ben Weber's).
pub const NEIGHBOUR_EMPLOYEE: &str = "E-1003";

/// Seeds the demo data unless it is already there, then judges every access. The data is all
/// or nothing (one transaction). With `keys`, surnames and postcodes are kept as their keyed
/// hashes, so the shared-surname rule has something to match.
pub fn seed(db: &Database, keys: &LogKeys) -> Result<SeedOutcome, AppError> {
    let mut conn = db.get()?;
    let already = customer::find_by_email(
        &mut conn,
        &crate::domain::EmailAddress::parse(DEMO_CUSTOMERS[0].email).expect("valid"),
    )?;
    if already.is_some() {
        // A demo database from before the back office existed gets its staff and cases now.
        if staff_user::count(&mut conn)? == 0 {
            let hash = password::hash(DEMO_PASSWORD)?;
            diesel::Connection::transaction(&mut *conn, |conn: &mut AnyConnection| {
                seed_staff(conn, &hash)?;
                seed_disputes(conn)
            })?;
        }
        return Ok(SeedOutcome::AlreadyPresent);
    }
    // One hash serves every demo account: Argon2 is slow on purpose.
    let hash = password::hash(DEMO_PASSWORD)?;
    let hashes = vec![hash.clone(); DEMO_CUSTOMERS.len()];
    let (events, records) = generate();
    let count = events.len();
    if let (Some(first), Some(last)) = (
        events.iter().map(|e| e.occurred_at).min(),
        events.iter().map(|e| e.occurred_at).max(),
    ) {
        let now = chrono::Utc::now().naive_utc();
        let run = partition::ensure_months_between(&mut conn, first, last, now)?;
        if let Some((name, problem)) = run.failed.first() {
            return Err(AppError::internal(format!(
                "cannot create the partition {name}: {problem}"
            )));
        }
    }
    diesel::Connection::transaction(&mut *conn, |conn: &mut AnyConnection| {
        lookup::insert_retailer_lookups(conn, &roles(), &categories(), &systems())?;
        for (demo, hash) in DEMO_CUSTOMERS.iter().zip(hashes) {
            customer::insert(
                conn,
                &NewCustomer {
                    customer_ref: demo.customer_ref.into(),
                    email: Some(demo.email.into()),
                    password_hash: Some(hash),
                    display_name: demo.name.into(),
                    time_zone: demo.time_zone.into(),
                    is_vip: demo.vip,
                    created_at: period_start(),
                    lang: app::i18n::Lang::default().code().to_owned(),
                    profile_updated_at: None,
                },
            )?;
        }
        access_event::insert_new(conn, &events, &chain_hasher(keys))?;
        for (record, described_at) in &records {
            context::upsert(conn, record, "/demo/records", *described_at)?;
        }
        seed_directory(conn, Some(keys))?;
        seed_staff(conn, &hash)?;
        seed_disputes(conn)?;
        Ok::<_, AppError>(())
    })?;
    let now = period_end() + Duration::days(1);
    crate::explain::run::learn_baselines_from_accesses(&mut conn, now)?;
    crate::explain::run::settle(&mut conn, chrono::Utc::now().naive_utc())?;
    Ok(SeedOutcome::Seeded {
        customers: DEMO_CUSTOMERS.len(),
        events: count,
    })
}

/// Surnames for the directory, one per employee in order; the fourth employee's is a
/// customer's.
const SURNAMES: [&str; 12] = [
    "Bauer", "Yilmaz", "Weber", "Hoffmann", "Costa", "Nowak", "Schulz", "Krüger", "Silva",
    "Wagner", "Becker", "Kowalski",
];

fn seed_directory(conn: &mut AnyConnection, keys: Option<&LogKeys>) -> Result<(), AppError> {
    let hash = |purpose: &str, value: String| keys.map(|k| k.matching_hash(purpose, &value));
    for (index, person) in employees().iter().enumerate() {
        let on_call = matches!(person.role, "sre_oncall" | "support_engineer");
        let neighbour = person.id == NEIGHBOUR_EMPLOYEE;
        let (surname, postcode) = if neighbour {
            ("Weber".to_owned(), "10115".to_owned())
        } else {
            (
                format!("{}-{}", SURNAMES[index % SURNAMES.len()], index),
                format!("{:05}", 20000 + index * 37),
            )
        };
        employee::upsert(
            conn,
            &EmployeeRow {
                employee_id: person.id.clone(),
                surname_hash: hash("surname", normalise_surname(&surname)),
                postcode_hash: hash("postcode", normalise_postcode(&postcode)),
                team: Some(person.team.to_owned()),
                shift_start: Some(if on_call { 0 } else { 7 }),
                shift_end: Some(if on_call { 24 } else { 20 }),
                active: true,
                customer_ref: None,
                described_at: period_start(),
            },
        )?;
    }
    for demo in &DEMO_CUSTOMERS {
        let Some(found) = customer::find_by_ref(conn, demo.customer_ref)? else {
            continue;
        };
        let surname = demo.name.rsplit(' ').next().unwrap_or(demo.name);
        customer::set_matching_hashes(
            conn,
            found.id(),
            hash("surname", normalise_surname(surname)),
            hash("postcode", normalise_postcode(demo.postcode)),
        )?;
    }
    Ok(())
}

fn seed_staff(conn: &mut AnyConnection, hash: &str) -> Result<(), AppError> {
    for staff in &DEMO_STAFF {
        staff_user::insert(
            conn,
            &NewStaffUser {
                email: staff.email,
                password_hash: Some(hash),
                display_name: staff.name,
                staff_role: staff.role,
                authority: staff.authority,
                is_active: true,
                created_at: period_start(),
                sso_subject: None,
            },
        )?;
    }
    Ok(())
}

/// Three cases in different states, so the back office and "My disputes" are not empty.
fn seed_disputes(conn: &mut AnyConnection) -> Result<(), AppError> {
    use crate::db::schema::access_events as ae;
    use crate::db::{dispute, dispute_history};
    use crate::domain::{Deadline, DisputeId, StaffUserId};
    use diesel::prelude::*;

    let at = |y, m, d, h| {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|day| day.and_hms_opt(h, 0, 0))
            .expect("fixed date is valid")
    };
    let staff_id = |conn: &mut AnyConnection, email: &str| -> Result<StaffUserId, AppError> {
        Ok(StaffUserId(
            crate::db::schema::staff_users::table
                .filter(crate::db::schema::staff_users::email.eq(email))
                .select(crate::db::schema::staff_users::id)
                .first(conn)?,
        ))
    };
    let analyst = staff_id(conn, DEMO_STAFF[0].email)?;
    let lead = staff_id(conn, DEMO_STAFF[1].email)?;
    let customer_id = |conn: &mut AnyConnection, email: &str| -> Result<i64, AppError> {
        let email = crate::domain::EmailAddress::parse(email).expect("valid");
        Ok(customer::find_by_email(conn, &email)?
            .ok_or_else(|| AppError::internal("demo customer missing"))?
            .id)
    };

    struct Case {
        reference: &'static str,
        customer_email: &'static str,
        events: Vec<i64>,
        ground: &'static str,
        statement: &'static str,
        status: crate::domain::DisputeStatus,
        received_at: NaiveDateTime,
    }
    let mara_nights: Vec<i64> = ae::table
        .filter(ae::employee_id.eq(SNOOPING_EMPLOYEE))
        .order(ae::occurred_at.desc())
        .select(ae::id)
        .limit(3)
        .load(conn)?;
    let anna_no_reason: Vec<i64> = ae::table
        .filter(ae::customer_ref.eq(DEMO_CUSTOMERS[0].customer_ref))
        .filter(ae::reason_code.eq("none"))
        .order(ae::occurred_at.desc())
        .select(ae::id)
        .limit(1)
        .load(conn)?;
    let ben_first: Vec<i64> = ae::table
        .filter(ae::customer_ref.eq(DEMO_CUSTOMERS[1].customer_ref))
        .filter(ae::occurred_at.lt(at(2026, 6, 1, 0)))
        .order(ae::occurred_at.desc())
        .select(ae::id)
        .limit(1)
        .load(conn)?;
    let cases = [
        Case {
            reference: "EB-M4RA-N1GT",
            customer_email: DEMO_CUSTOMERS[2].email,
            events: mara_nights,
            ground: "not_recognised",
            statement: "Jemand hat nachts mehrmals meine Bestellungen angesehen. Ich hatte keinen Kontakt zum Kundenservice.",
            status: crate::domain::DisputeStatus::Open,
            received_at: at(2026, 11, 21, 9),
        },
        Case {
            reference: "EB-ANNA-0RSN",
            customer_email: DEMO_CUSTOMERS[0].email,
            events: anna_no_reason,
            ground: "wrong_reason",
            statement: "Für diesen Zugriff ist kein Grund angegeben. Warum wurden meine Daten angesehen?",
            status: crate::domain::DisputeStatus::InReview,
            received_at: at(2026, 10, 20, 14),
        },
        Case {
            reference: "EB-BEN0-R3FD",
            customer_email: DEMO_CUSTOMERS[1].email,
            events: ben_first,
            ground: "never_contacted",
            statement: "I never contacted support in May.",
            status: crate::domain::DisputeStatus::Rejected,
            received_at: at(2026, 6, 2, 8),
        },
    ];
    for case in cases {
        if case.events.is_empty() {
            continue;
        }
        let customer = customer_id(conn, case.customer_email)?;
        let deadline = Deadline::for_receipt(case.received_at.date());
        let id: DisputeId = dispute::insert(
            conn,
            &dispute::NewDispute {
                reference: case.reference,
                customer_id: customer,
                ground: case.ground,
                statement: case.statement,
                status: case.status,
                received_at: case.received_at,
                due_on: deadline.due_on(),
                updated_at: case.received_at,
            },
            &case.events,
        )?;
        let history = |kind, staff, body, visible, at| {
            dispute_history::NewHistoryEntry::new(id, at, staff, kind, body, visible)
        };
        dispute_history::insert(
            conn,
            &history("received", None, None, true, case.received_at),
        )?;
        match case.status {
            crate::domain::DisputeStatus::InReview => {
                let assigned = case.received_at + Duration::hours(20);
                dispute::update(
                    conn,
                    id,
                    &dispute::DisputeChange {
                        assignee_id: Some(Some(analyst.0)),
                        ..Default::default()
                    },
                )?;
                dispute_history::insert(
                    conn,
                    &history(
                        "assigned",
                        Some(lead),
                        Some(DEMO_STAFF[0].name),
                        false,
                        assigned,
                    ),
                )?;
                dispute_history::insert(
                    conn,
                    &history("review_started", Some(analyst), None, true, assigned),
                )?;
            }
            crate::domain::DisputeStatus::Rejected => {
                let decided = case.received_at + Duration::days(12);
                let answer = "The access was made by the payments team while checking a refund you had requested on the same day (ticket T-20771). The reason was recorded correctly.";
                dispute::update(
                    conn,
                    id,
                    &dispute::DisputeChange {
                        decided_at: Some(decided),
                        decision_explanation: Some(answer),
                        assignee_id: Some(Some(lead.0)),
                        ..Default::default()
                    },
                )?;
                dispute_history::insert(
                    conn,
                    &history(
                        "review_started",
                        Some(analyst),
                        None,
                        true,
                        decided - Duration::days(10),
                    ),
                )?;
                dispute_history::insert(
                    conn,
                    &history("rejected", Some(lead), Some(answer), true, decided),
                )?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// SplitMix64: tiny, fast and stable forever, unlike a library RNG whose stream may change.
pub struct DemoRng(u64);

impl DemoRng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

struct Employee {
    id: String,
    role: &'static str,
    team: &'static str,
    country: &'static str,
}

/// (role code, department, label de, label en, description de, description en)
const ROLES: [(&str, &str, &str, &str, &str, &str); 21] = [
    ("cs_agent_t1", "support", "Kundenservice (1. Ebene)", "Customer service (first level)", "Beantwortet Ihre Anfragen per Telefon, E-Mail und Chat und sieht dafür Bestellungen und Kontaktdaten ein.", "Answers your questions by phone, email and chat, and looks at orders and contact details to do so."),
    ("cs_agent_t2", "support", "Kundenservice (2. Ebene)", "Customer service (second level)", "Übernimmt schwierigere Fälle von der ersten Ebene, etwa Erstattungen und Reklamationen.", "Takes over harder cases from the first level, such as refunds and complaints."),
    ("cs_team_lead", "support", "Teamleitung Kundenservice", "Customer service team lead", "Leitet ein Service-Team und prüft einzelne Fälle bei Eskalationen.", "Leads a service team and reviews individual cases when they are escalated."),
    ("cs_complaints", "support", "Beschwerdemanagement", "Complaints team", "Bearbeitet formelle Beschwerden und sieht dafür den gesamten Verlauf einer Bestellung ein.", "Handles formal complaints and looks at the whole history of an order to do so."),
    ("cs_chat_agent", "support", "Chat-Support", "Chat support", "Beantwortet Fragen im Live-Chat auf der Website und in der App.", "Answers questions in the live chat on the website and in the app."),
    ("wh_fulfilment_agent", "warehouse", "Versandabwicklung", "Order fulfilment", "Stellt Ihre Bestellungen im Lager zusammen und braucht dafür Artikel und Lieferadresse.", "Puts your orders together in the warehouse and needs the items and delivery address to do so."),
    ("wh_returns_agent", "warehouse", "Retourenbearbeitung", "Returns processing", "Prüft zurückgeschickte Artikel und veranlasst Erstattungen.", "Checks returned items and triggers refunds."),
    ("wh_shift_lead", "warehouse", "Schichtleitung Lager", "Warehouse shift lead", "Klärt Probleme bei Lieferungen, etwa beschädigte oder verlorene Pakete.", "Sorts out delivery problems such as damaged or lost parcels."),
    ("logistics_carrier_liaison", "warehouse", "Kontakt zu Paketdiensten", "Carrier liaison", "Klärt mit Paketdiensten den Verbleib von Sendungen.", "Works with parcel carriers to trace shipments."),
    ("pay_agent", "payments", "Zahlungsabwicklung", "Payments team", "Bearbeitet Zahlungen, Rechnungen und Erstattungen.", "Handles payments, invoices and refunds."),
    ("fraud_analyst", "payments", "Betrugsprävention", "Fraud prevention", "Prüft auffällige Bestellungen und Zahlungen, um Sie und uns vor Betrug zu schützen.", "Checks unusual orders and payments to protect you and us from fraud."),
    ("chargeback_agent", "payments", "Rückbuchungen", "Chargebacks", "Bearbeitet Rückbuchungen von Kartenzahlungen und Lastschriften.", "Handles reversed card payments and direct debits."),
    ("credit_risk_analyst", "payments", "Kreditprüfung", "Credit checks", "Prüft, ob Kauf auf Rechnung oder Ratenzahlung angeboten werden kann.", "Checks whether paying by invoice or in instalments can be offered."),
    ("legal_counsel", "legal", "Rechtsabteilung", "Legal department", "Bearbeitet Rechtsstreitigkeiten und rechtliche Anfragen zu Ihrem Konto.", "Handles legal disputes and legal questions about your account."),
    ("dpo_office", "legal", "Datenschutzteam", "Data protection team", "Beantwortet Datenschutzanfragen, zum Beispiel Auskunfts- und Löschersuchen.", "Answers data protection requests such as access and erasure requests."),
    ("compliance_officer", "legal", "Compliance", "Compliance", "Prüft die Einhaltung gesetzlicher Vorgaben, etwa bei Steuer- und Geldwäscheprüfungen.", "Checks that legal requirements are met, for example in tax and anti-money-laundering reviews."),
    ("law_enforcement_liaison", "legal", "Behördenanfragen", "Requests from authorities", "Beantwortet Auskunftsersuchen von Behörden, wenn das Gesetz es verlangt.", "Answers information requests from authorities where the law requires it."),
    ("sre_oncall", "engineering", "Technischer Bereitschaftsdienst", "On-call engineering", "Behebt Störungen unserer Systeme und sieht dabei manchmal einzelne Konten ein.", "Fixes outages of our systems and sometimes looks at individual accounts while doing so."),
    ("support_engineer", "engineering", "Anwendungsbetreuung", "Application support", "Untersucht Fehler, die Kundinnen und Kunden melden, direkt am betroffenen Konto.", "Investigates errors that customers report, directly on the affected account."),
    ("data_engineer", "engineering", "Datenplattform", "Data platform", "Betreut Datenexporte und Auswertungen; greift nur bei Fehlern auf einzelne Konten zu.", "Looks after data exports and analyses; accesses single accounts only to fix errors."),
    ("qa_analyst", "engineering", "Qualitätssicherung", "Quality assurance", "Prüft stichprobenartig die Qualität von Service-Gesprächen.", "Reviews samples of service conversations for quality."),
];

pub fn roles() -> Vec<RoleRow> {
    ROLES
        .iter()
        .map(
            |(code, department, label_de, label_en, description_de, description_en)| RoleRow {
                code: (*code).into(),
                department: (*department).into(),
                label_de: (*label_de).into(),
                label_en: (*label_en).into(),
                description_de: (*description_de).into(),
                description_en: (*description_en).into(),
            },
        )
        .collect()
}

pub fn categories() -> Vec<DataCategoryRow> {
    [
        ("purchase_history", "Bestellhistorie", "Purchase history"),
        ("addresses", "Adressen", "Addresses"),
        ("payment_methods", "Zahlungsdaten", "Payment details"),
        ("messages", "Nachrichten an uns", "Messages to us"),
        ("account_profile", "Kundenkonto", "Account details"),
        ("returns", "Retouren", "Returns"),
        ("invoices", "Rechnungen", "Invoices"),
        ("wishlist", "Wunschliste", "Wish list"),
        ("loyalty", "Bonusprogramm", "Loyalty programme"),
    ]
    .iter()
    .map(|(code, de, en)| DataCategoryRow {
        code: (*code).into(),
        label_de: (*de).into(),
        label_en: (*en).into(),
    })
    .collect()
}

pub fn systems() -> Vec<SourceSystemRow> {
    [
        ("support-console", "Support Console"),
        ("wms", "Warehouse Management"),
        ("payments-hub", "Payments Hub"),
        ("fraud-workbench", "Fraud Workbench"),
        ("legal-desk", "Legal Case Desk"),
        ("ops-console", "Ops Console"),
        ("data-warehouse", "Data Warehouse"),
    ]
    .iter()
    .map(|(code, label)| SourceSystemRow {
        code: (*code).into(),
        label: (*label).into(),
        covered_since: period_start(),
    })
    .collect()
}

fn employees() -> Vec<Employee> {
    // (role, team, country, how many)
    let staffing: [(&str, &str, &str, usize); 21] = [
        ("cs_agent_t1", "Support Berlin", "DE", 8),
        ("cs_agent_t1", "Support Leipzig", "DE", 6),
        ("cs_agent_t1", "Support Lisbon", "PT", 4),
        ("cs_agent_t2", "Support Berlin", "DE", 4),
        ("cs_team_lead", "Support Berlin", "DE", 2),
        ("cs_complaints", "Support Berlin", "DE", 2),
        ("cs_chat_agent", "Support Lisbon", "PT", 3),
        ("wh_fulfilment_agent", "Warehouse Erfurt", "DE", 6),
        ("wh_returns_agent", "Warehouse Erfurt", "DE", 3),
        ("wh_shift_lead", "Warehouse Erfurt", "DE", 2),
        ("logistics_carrier_liaison", "Logistics", "DE", 2),
        ("pay_agent", "Payments", "DE", 3),
        ("fraud_analyst", "Risk", "IE", 3),
        ("chargeback_agent", "Payments", "DE", 1),
        ("credit_risk_analyst", "Risk", "IE", 1),
        ("legal_counsel", "Legal", "DE", 1),
        ("dpo_office", "Privacy", "DE", 1),
        ("compliance_officer", "Compliance", "DE", 1),
        ("law_enforcement_liaison", "Legal", "DE", 1),
        ("sre_oncall", "Platform", "PL", 2),
        ("support_engineer", "Platform", "PL", 2),
    ];
    let mut staff = Vec::new();
    for (role, team, country, count) in staffing {
        for _ in 0..count {
            staff.push(Employee {
                id: format!("E-{}", 1001 + staff.len()),
                role,
                team,
                country,
            });
        }
    }
    // Two more to reach sixty: data platform and quality assurance.
    for (role, team) in [("data_engineer", "Data"), ("qa_analyst", "Quality")] {
        staff.push(Employee {
            id: format!("E-{}", 1001 + staff.len()),
            role,
            team,
            country: "DE",
        });
    }
    staff
}

const SUPPORT_REASONS: [&str; 10] = [
    "Kundin fragt nach dem Lieferstatus",
    "Rückfrage zur Rechnung",
    "Adressänderung gewünscht",
    "Paket als verloren gemeldet",
    "Erstattung wird geprüft",
    "Frage zu einer Gutschrift",
    "Artikel beschädigt angekommen",
    "Asked about a delayed parcel",
    "Wants to change the delivery slot",
    "Question about a voucher",
];

struct Generator {
    rng: DemoRng,
    staff: Vec<Employee>,
    events: Vec<NewAccessEvent>,
    next_ticket: u32,
    /// The business records behind the episodes, with when they were described.
    records: Vec<(ContextRecord, NaiveDateTime)>,
    record_keys: std::collections::HashSet<(String, String)>,
}

impl Generator {
    fn employee_with_role(&mut self, role: &str) -> usize {
        let candidates: Vec<usize> = self
            .staff
            .iter()
            .enumerate()
            .filter(|(_, e)| e.role == role)
            .map(|(i, _)| i)
            .collect();
        *self.rng.pick(&candidates)
    }

    /// A working-hours moment (06:00–17:59 UTC) on a random day of the period.
    fn daytime(&mut self) -> NaiveDateTime {
        let day = self.rng.below(PERIOD_DAYS as u64) as i64;
        let minute = 6 * 60 + self.rng.below(12 * 60) as i64;
        period_start()
            .date()
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            + Duration::days(day)
            + Duration::minutes(minute)
            + Duration::seconds(self.rng.below(60) as i64)
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        customer_ref: &str,
        employee: usize,
        at: NaiveDateTime,
        category: &str,
        action: &str,
        reason: &str,
        reason_text: Option<&str>,
        ticket: Option<String>,
        system: &str,
    ) {
        let employee = &self.staff[employee];
        let sequence = self.events.len() + 1;
        let mut event = NewAccessEvent {
            source: format!("/demo/{system}"),
            event_id: format!("demo-{sequence:06}"),
            occurred_at: at.min(period_end()),
            received_at: at.min(period_end()) + Duration::seconds(2 + (sequence % 40) as i64),
            customer_ref: customer_ref.into(),
            employee_id: employee.id.clone(),
            role_code: employee.role.into(),
            team: Some(employee.team.into()),
            office_country: Some(employee.country.into()),
            data_category: category.into(),
            action: action.into(),
            reason_code: reason.into(),
            reason_text: reason_text.map(str::to_owned),
            ticket_ref: ticket,
            system: Some(system.into()),
            content_sha256: String::new(),
            visible_from: None,
        };
        event.compute_content_hash();
        self.events.push(event);
    }

    /// A business record; the first one of a (kind, reference) counts, as in the retailer's
    /// systems.
    fn record(
        &mut self,
        kind: &str,
        reference: &str,
        customer_ref: &str,
        opened_at: NaiveDateTime,
        open_for: Duration,
        assigned: Option<usize>,
    ) {
        if !self
            .record_keys
            .insert((kind.to_owned(), reference.to_owned()))
        {
            return;
        }
        let closed_at = (opened_at + open_for).min(period_end());
        self.records.push((
            ContextRecord {
                kind: kind.to_owned(),
                reference: reference.to_owned(),
                customer: crate::domain::CustomerRef::parse(customer_ref).expect("demo reference"),
                opened_at,
                closed_at: Some(closed_at.max(opened_at)),
                assigned_team: assigned.map(|i| self.staff[i].team.to_owned()),
                assigned_employee_id: assigned.map(|i| self.staff[i].id.clone()),
            },
            closed_at.max(opened_at),
        ));
    }

    /// A reference derived from the next event's position: no randomness is drawn, so the
    /// accesses stay the same as without records.
    fn next_reference(&self, prefix: &str) -> String {
        format!("{prefix}-{}", 700_000 + self.events.len())
    }

    /// The planted snooper looks only at the VIP: a random pick that lands on them takes the
    /// next employee of the role instead (without drawing again).
    fn not_the_snooper(&self, picked: usize, role: &str) -> usize {
        if self.staff[picked].id != SNOOPING_EMPLOYEE {
            return picked;
        }
        (1..self.staff.len())
            .map(|step| (picked + step) % self.staff.len())
            .find(|&i| self.staff[i].role == role)
            .unwrap_or(picked)
    }

    fn ticket(&mut self) -> String {
        self.next_ticket += 1 + self.rng.below(40) as u32;
        format!("T-{}", self.next_ticket)
    }

    /// One realistic burst of accesses: an order, a support contact, a return, …
    fn episode(&mut self, customer_ref: &str) {
        let at = self.daytime();
        let minutes = |n: i64| Duration::minutes(n);
        match self.rng.below(100) {
            0..=34 => {
                let order = self.next_reference("O");
                self.record(
                    "order",
                    &order,
                    customer_ref,
                    at - minutes(30),
                    Duration::days(3),
                    None,
                );
                let picker = self.employee_with_role("wh_fulfilment_agent");
                self.push(
                    customer_ref,
                    picker,
                    at,
                    "purchase_history",
                    "view",
                    "order_fulfilment",
                    None,
                    None,
                    "wms",
                );
                self.push(
                    customer_ref,
                    picker,
                    at + minutes(3),
                    "addresses",
                    "view",
                    "order_fulfilment",
                    None,
                    None,
                    "wms",
                );
                let payments = self.employee_with_role("pay_agent");
                self.push(
                    customer_ref,
                    payments,
                    at + minutes(40),
                    "payment_methods",
                    "view",
                    "payment_and_fraud",
                    None,
                    None,
                    "payments-hub",
                );
                if self.rng.chance(15) {
                    let fraud = self.employee_with_role("fraud_analyst");
                    self.push(
                        customer_ref,
                        fraud,
                        at + minutes(55),
                        "payment_methods",
                        "view",
                        "payment_and_fraud",
                        Some("Automatische Prüfung: neue Lieferadresse"),
                        None,
                        "fraud-workbench",
                    );
                }
            }
            35..=64 => {
                let ticket = self.ticket();
                let text = *self.rng.pick(&SUPPORT_REASONS);
                let agent = if self.rng.chance(30) {
                    self.employee_with_role("cs_chat_agent")
                } else {
                    self.employee_with_role("cs_agent_t1")
                };
                self.record(
                    "support_ticket",
                    &ticket,
                    customer_ref,
                    at - minutes(10),
                    Duration::days(1),
                    Some(agent),
                );
                self.push(
                    customer_ref,
                    agent,
                    at,
                    "account_profile",
                    "search",
                    "customer_request",
                    Some(text),
                    Some(ticket.clone()),
                    "support-console",
                );
                self.push(
                    customer_ref,
                    agent,
                    at + minutes(1),
                    "purchase_history",
                    "view",
                    "customer_request",
                    Some(text),
                    Some(ticket.clone()),
                    "support-console",
                );
                self.push(
                    customer_ref,
                    agent,
                    at + minutes(2),
                    "messages",
                    "view",
                    "customer_request",
                    None,
                    Some(ticket.clone()),
                    "support-console",
                );
                if self.rng.chance(25) {
                    let second = self.employee_with_role("cs_agent_t2");
                    self.push(
                        customer_ref,
                        second,
                        at + minutes(90),
                        "purchase_history",
                        "view",
                        "customer_request",
                        Some("Eskalation: Erstattung prüfen"),
                        Some(ticket.clone()),
                        "support-console",
                    );
                    self.push(
                        customer_ref,
                        second,
                        at + minutes(95),
                        "invoices",
                        "view",
                        "customer_request",
                        None,
                        Some(ticket.clone()),
                        "support-console",
                    );
                }
                if self.rng.chance(20) {
                    let agent = self.employee_with_role("cs_agent_t1");
                    self.push(
                        customer_ref,
                        agent,
                        at + minutes(4),
                        "addresses",
                        "modify",
                        "customer_request",
                        Some("Adresse auf Wunsch geändert"),
                        Some(ticket),
                        "support-console",
                    );
                }
            }
            65..=77 => {
                let reference = self.next_reference("R");
                self.record(
                    "return",
                    &reference,
                    customer_ref,
                    at - Duration::days(2),
                    Duration::days(3),
                    None,
                );
                let returns = self.employee_with_role("wh_returns_agent");
                self.push(
                    customer_ref,
                    returns,
                    at,
                    "returns",
                    "view",
                    "order_fulfilment",
                    None,
                    None,
                    "wms",
                );
                self.push(
                    customer_ref,
                    returns,
                    at + minutes(5),
                    "purchase_history",
                    "view",
                    "order_fulfilment",
                    Some("Retoure geprüft"),
                    None,
                    "wms",
                );
                let payments = self.employee_with_role("pay_agent");
                self.push(
                    customer_ref,
                    payments,
                    at + minutes(120),
                    "invoices",
                    "modify",
                    "order_fulfilment",
                    Some("Erstattung gebucht"),
                    None,
                    "payments-hub",
                );
            }
            78..=84 => {
                let role = if self.rng.chance(60) {
                    "sre_oncall"
                } else {
                    "support_engineer"
                };
                let engineer = self.employee_with_role(role);
                let incident = format!("INC-{}", 2000 + self.rng.below(7000));
                self.push(
                    customer_ref,
                    engineer,
                    at,
                    "account_profile",
                    "view",
                    "technical_operations",
                    Some("Fehleranalyse nach Störung"),
                    Some(incident),
                    "ops-console",
                );
            }
            85..=89 => {
                let qa = self.employee_with_role("qa_analyst");
                self.push(
                    customer_ref,
                    qa,
                    at,
                    "messages",
                    "view",
                    "quality_assurance",
                    Some("Stichprobe Servicequalität"),
                    None,
                    "support-console",
                );
            }
            90..=92 => {
                let role = *self.rng.pick(&[
                    "compliance_officer",
                    "legal_counsel",
                    "law_enforcement_liaison",
                ]);
                let legal = self.employee_with_role(role);
                let case = format!("L-{}", 300 + self.rng.below(600));
                self.record(
                    "legal_request",
                    &case,
                    customer_ref,
                    at - Duration::days(1),
                    Duration::days(14),
                    None,
                );
                self.push(
                    customer_ref,
                    legal,
                    at,
                    "invoices",
                    "export",
                    "legal_obligation",
                    Some("Steuerprüfung: Rechnungsexport"),
                    Some(case),
                    "legal-desk",
                );
            }
            93..=95 => {
                let order = self.next_reference("O");
                self.record(
                    "order",
                    &order,
                    customer_ref,
                    at - minutes(5),
                    Duration::days(3),
                    None,
                );
                let credit = self.employee_with_role("credit_risk_analyst");
                self.push(
                    customer_ref,
                    credit,
                    at,
                    "payment_methods",
                    "view",
                    "payment_and_fraud",
                    Some("Prüfung Kauf auf Rechnung"),
                    None,
                    "fraud-workbench",
                );
            }
            _ => {
                // Planted: a look with no reason and no ticket.
                let role = *self.rng.pick(&[
                    "cs_agent_t1",
                    "cs_agent_t1",
                    "wh_fulfilment_agent",
                    "data_engineer",
                ]);
                let anyone = self.employee_with_role(role);
                let anyone = self.not_the_snooper(anyone, role);
                let system = if role == "data_engineer" {
                    "data-warehouse"
                } else {
                    "support-console"
                };
                self.push(
                    customer_ref,
                    anyone,
                    at,
                    "purchase_history",
                    "view",
                    "none",
                    None,
                    None,
                    system,
                );
            }
        }
    }

    /// Planted: one support agent looks at the VIP's orders and addresses late at night, again
    /// and again, without a ticket.
    fn night_browsing(&mut self, customer_ref: &str, looks: usize) {
        let snooper = self
            .staff
            .iter()
            .position(|e| e.id == SNOOPING_EMPLOYEE)
            .expect("snooper exists");
        for look in 0..looks {
            // 21:00–01:59 UTC, i.e. late evening to the small hours in Berlin.
            let day = 200 + (look as i64 * 7) + self.rng.below(5) as i64;
            let minute = 21 * 60 + self.rng.below(5 * 60) as i64;
            let at = period_start()
                .date()
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                + Duration::days(day)
                + Duration::minutes(minute);
            let category = if look % 3 == 0 {
                "addresses"
            } else {
                "purchase_history"
            };
            self.push(
                customer_ref,
                snooper,
                at,
                category,
                "view",
                "none",
                None,
                None,
                "support-console",
            );
        }
    }
}

pub fn generate_events() -> Vec<NewAccessEvent> {
    generate().0
}

/// The demo's accesses and the business records behind them.
pub fn generate() -> (Vec<NewAccessEvent>, Vec<(ContextRecord, NaiveDateTime)>) {
    let mut generator = Generator {
        rng: DemoRng::new(0x00E1_B11C),
        staff: employees(),
        events: Vec::new(),
        next_ticket: 48_000,
        records: Vec::new(),
        record_keys: std::collections::HashSet::new(),
    };
    for demo in &DEMO_CUSTOMERS {
        let start = generator.events.len();
        if demo.vip && demo.events > 0 {
            generator.night_browsing(demo.customer_ref, 40);
        }
        while generator.events.len() - start < demo.events {
            generator.episode(demo.customer_ref);
        }
        generator.events.truncate(start + demo.events);
    }
    let start = generator.events.len();
    while generator.events.len() - start < OTHER_CUSTOMER_EVENTS {
        let other = format!("C-2{:05}", generator.rng.below(90_000));
        generator.episode(&other);
    }
    generator.events.truncate(start + OTHER_CUSTOMER_EVENTS);
    (generator.events, generator.records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_events_are_the_same_on_every_run() {
        let (first, second) = (generate_events(), generate_events());
        assert_eq!(first.len(), second.len());
        assert!(first
            .iter()
            .zip(&second)
            .all(|(a, b)| a.content_sha256 == b.content_sha256));
    }

    #[test]
    fn demo_data_has_the_promised_shape() {
        let events = generate_events();
        assert!(
            (4500..=5500).contains(&events.len()),
            "{} events",
            events.len()
        );
        assert_eq!(employees().len(), 60);
        assert!(roles().len() >= 20);
        let night_looks = events
            .iter()
            .filter(|e| {
                e.employee_id == SNOOPING_EMPLOYEE
                    && e.customer_ref == "C-100001"
                    && e.reason_code == "none"
            })
            .count();
        assert!(night_looks >= 40);
        assert!(events.iter().filter(|e| e.reason_code == "none").count() > 50);
        assert!(events.iter().all(|e| e.occurred_at >= period_start()));
    }
}

#[cfg(test)]
mod listed {
    use super::*;

    #[test]
    fn the_demo_accounts_are_the_ones_a_server_refuses_without_the_demo() {
        let customers: Vec<&str> = DEMO_CUSTOMERS.iter().map(|c| c.email).collect();
        assert_eq!(customers, super::super::DEMO_CUSTOMER_EMAILS);
        let staff: Vec<&str> = DEMO_STAFF.iter().map(|s| s.email).collect();
        assert_eq!(staff, super::super::DEMO_STAFF_EMAILS);
    }
}
