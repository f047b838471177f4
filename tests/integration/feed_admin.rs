//! The admin side of the back office: feed tokens, ingest health, unknown codes, dead letters
//! and their replay, and staff accounts.

use diesel::prelude::*;
use einblick::db::schema::{access_events, dead_letters};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    an_admin_runs_the_feed_from_the_back_office,
    an_admin_manages_staff_accounts,
    only_admins_reach_the_admin_pages
);

fn event(id: &str, source: &str, role: &str) -> Value {
    json!({
        "specversion": "1.0", "id": id, "source": source, "type": "einblick.access.v1",
        "time": "2026-11-21T09:30:00Z",
        "data": {
            "customer_ref": ANNA_REF,
            "actor": { "employee_id": "E-7781", "role": role },
            "data_category": "purchase_history", "action": "view",
            "reason": { "code": "customer_request", "ticket": "T-99001" }
        }
    })
}

fn send(app: &TestApp, token: &str, events: &[Value]) -> Value {
    let body = serde_json::to_vec(events).unwrap();
    let response = app.client().post_raw(
        "/api/v1/feed/events",
        "application/cloudevents-batch+json",
        &body,
        &[("Authorization", &format!("Bearer {token}"))],
    );
    if response.status == 401 {
        return json!({ "status": 401 });
    }
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()
}

fn an_admin_runs_the_feed_from_the_back_office(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut admin = app.staff_signed_in(ADMIN);

    // A token is created in the staff area and shown once.
    let created = admin.post_form(
        "/staff/admin/feed/tokens",
        &[
            ("label", "Support console"),
            ("sources", "/crm/support-console\n"),
        ],
    );
    assert_eq!(created.status, 200);
    let token = created
        .body
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the new token is on the page")
        .to_owned();
    assert!(token.starts_with("ebf_"));
    let bad_sources = admin.post_form(
        "/staff/admin/feed/tokens",
        &[("label", "x"), ("sources", "has space")],
    );
    assert!(bad_sources
        .header("location")
        .unwrap()
        .contains("error=sources"));

    // Traffic: one good event with an unknown role code, one malformed, one forged source.
    let report = send(
        &app,
        &token,
        &[
            event("adm-1", "/crm/support-console", "night_shift_lead"),
            json!({ "specversion": "1.0", "id": "adm-2", "source": "/crm/support-console" }),
            event("adm-3", "/warehouse/scanner", "cs_agent_t1"),
        ],
    );
    assert_eq!(
        (report["accepted"].as_u64(), report["rejected"].as_u64()),
        (Some(1), Some(2))
    );

    let page = admin.get("/staff/admin/feed");
    assert_eq!(page.status, 200);
    // Leptos marks hydration points with `<!>`; a person never sees them.
    let body = page.body.replace("<!>", "");
    let row = body
        .split("data-source=\"/crm/support-console\"")
        .nth(1)
        .expect("source row");
    assert!(
        row.contains("<td class=\"accepted-last-hour\">1</td>"),
        "{row}"
    );
    assert!(
        row.contains("<td class=\"rejected-last-day\">1</td>"),
        "{row}"
    );
    assert!(
        page.body.contains("night_shift_lead"),
        "unknown code listed"
    );
    assert!(page.body.contains("Support console"), "token listed");

    // Inspect and replay: the malformed one stays rejected, and so does the forged one: a
    // replay is judged by the policy of the token it came in with, so no admin can vouch for
    // another system's source.
    let letters: Vec<(i64, Option<String>)> = app
        .with_connection(|conn| {
            dead_letters::table
                .order(dead_letters::id)
                .select((dead_letters::id, dead_letters::event_id))
                .load(conn)
        })
        .unwrap();
    assert_eq!(letters.len(), 2);
    let (malformed, forged) = (letters[0].0, letters[1].0);
    let inspect = admin.get(&format!("/staff/admin/dead-letters/{malformed}"));
    assert_eq!(inspect.status, 200);
    assert!(inspect.body.contains("adm-2"));
    for refused in [malformed, forged] {
        let again = admin.post_form(&format!("/staff/admin/dead-letters/{refused}/replay"), &[]);
        assert!(again
            .header("location")
            .unwrap()
            .contains("error=still_rejected"));
    }
    // A letter an operator's import kept (say, refused by a parser bug since fixed) is
    // replayed under the import's trust.
    let imported = {
        use base64::Engine;
        let raw = event("adm-5", "/warehouse/scanner", "cs_agent_t1").to_string();
        let letter = einblick::db::dead_letter::NewDeadLetter {
            received_at: chrono::Utc::now().naive_utc(),
            transport: "import".into(),
            source: Some("/warehouse/scanner".into()),
            event_id: Some("adm-5".into()),
            reason: "refused by an older version".into(),
            raw_base64: base64::engine::general_purpose::STANDARD.encode(raw),
            allowed_sources: None,
        };
        app.with_connection(|conn| {
            einblick::db::dead_letter::insert_many(conn, &[letter]).unwrap();
            dead_letters::table
                .select(diesel::dsl::max(dead_letters::id))
                .first::<Option<i64>>(conn)
                .unwrap()
                .unwrap()
        })
    };
    let replayed = admin.post_form(&format!("/staff/admin/dead-letters/{imported}/replay"), &[]);
    assert_eq!(
        replayed.header("location").as_deref(),
        Some(format!("/staff/admin/dead-letters/{imported}?notice=stored").as_str())
    );
    let twice = admin.post_form(&format!("/staff/admin/dead-letters/{imported}/replay"), &[]);
    assert!(twice
        .header("location")
        .unwrap()
        .ends_with("notice=duplicate"));
    let stored: i64 = app
        .with_connection(|conn| {
            access_events::table
                .filter(access_events::event_id.eq_any(["adm-1", "adm-3", "adm-5"]))
                .count()
                .get_result(conn)
        })
        .unwrap();
    assert_eq!(stored, 2);
    let (letters_after, replayed_marks): (i64, i64) = app.with_connection(|conn| {
        (
            dead_letters::table.count().get_result(conn).unwrap(),
            dead_letters::table
                .filter(dead_letters::replayed_at.is_not_null())
                .count()
                .get_result(conn)
                .unwrap(),
        )
    });
    assert_eq!(
        (letters_after, replayed_marks),
        (3, 1),
        "a replay adds no dead letters"
    );

    // Revoking in the staff area locks the sender out.
    let token_id: i64 = app
        .with_connection(|conn| {
            einblick::db::schema::feed_tokens::table
                .select(einblick::db::schema::feed_tokens::id)
                .first(conn)
        })
        .unwrap();
    let revoked = admin.post_form(&format!("/staff/admin/feed/tokens/{token_id}/revoke"), &[]);
    assert_eq!(
        revoked.header("location").as_deref(),
        Some("/staff/admin/feed?notice=revoked")
    );
    assert_eq!(
        send(
            &app,
            &token,
            &[event("adm-4", "/crm/support-console", "cs_agent_t1")]
        )["status"],
        401
    );
}

fn an_admin_manages_staff_accounts(backend: Backend) {
    let app = TestApp::spawn(backend);
    let mut admin = app.staff_signed_in(ADMIN);
    let create = |admin: &mut Client, email: &str, role: &str, password: &str| {
        admin
            .post_form(
                "/staff/admin/staff",
                &[
                    ("email", email),
                    ("name", "Nora Neu"),
                    ("role", role),
                    ("authority", ""),
                    ("password", password),
                ],
            )
            .header("location")
            .unwrap()
    };
    assert!(create(
        &mut admin,
        "nora@einblick.example",
        "privacy_analyst",
        "short"
    )
    .ends_with("error=password"));
    assert!(create(
        &mut admin,
        "not-an-email",
        "privacy_analyst",
        "long enough password"
    )
    .ends_with("error=email"));
    assert!(create(
        &mut admin,
        "nora@einblick.example",
        "root",
        "long enough password"
    )
    .ends_with("error=role"));
    assert!(create(
        &mut admin,
        "ines2@einblick.example",
        "regulator",
        "long enough password"
    )
    .ends_with("error=authority"));
    assert!(create(
        &mut admin,
        ANALYST,
        "privacy_analyst",
        "long enough password"
    )
    .ends_with("error=exists"));
    assert!(create(
        &mut admin,
        "nora@einblick.example",
        "privacy_analyst",
        "long enough password"
    )
    .ends_with("notice=created"));

    let mut nora = app.client();
    let signed_in = nora.post_form(
        "/staff/login",
        &[
            ("email", "nora@einblick.example"),
            ("password", "long enough password"),
        ],
    );
    assert_eq!(signed_in.header("location").as_deref(), Some("/staff"));
    assert_eq!(nora.get("/staff").status, 200);

    let list = admin.get("/staff/admin/staff");
    assert!(list.body.contains("nora@einblick.example"));
    let nora_id: i64 = app
        .with_connection(|conn| {
            einblick::db::schema::staff_users::table
                .filter(einblick::db::schema::staff_users::email.eq("nora@einblick.example"))
                .select(einblick::db::schema::staff_users::id)
                .first(conn)
        })
        .unwrap();
    let deactivated = admin.post_form(&format!("/staff/admin/staff/{nora_id}/deactivate"), &[]);
    assert_eq!(
        deactivated.header("location").as_deref(),
        Some("/staff/admin/staff?notice=saved")
    );
    assert_eq!(nora.get("/staff").status, 302, "her session ended");
    let again = app.client().post_form(
        "/staff/login",
        &[
            ("email", "nora@einblick.example"),
            ("password", "long enough password"),
        ],
    );
    assert_eq!(
        again.header("location").as_deref(),
        Some("/staff/login?error=invalid")
    );

    let admin_id: i64 = app
        .with_connection(|conn| {
            einblick::db::schema::staff_users::table
                .filter(einblick::db::schema::staff_users::email.eq(ADMIN))
                .select(einblick::db::schema::staff_users::id)
                .first(conn)
        })
        .unwrap();
    let own = admin.post_form(&format!("/staff/admin/staff/{admin_id}/deactivate"), &[]);
    assert_eq!(
        own.header("location").as_deref(),
        Some("/staff/admin/staff?error=self")
    );
}

fn only_admins_reach_the_admin_pages(backend: Backend) {
    let app = TestApp::spawn(backend);
    for email in [ANALYST, LEAD, REGULATOR] {
        let mut staff = app.staff_signed_in(email);
        for page in [
            "/staff/admin/feed",
            "/staff/admin/staff",
            "/staff/admin/dead-letters/1",
        ] {
            assert_eq!(staff.get(page).status, 403, "{email} {page}");
        }
        for (action, fields) in [
            (
                "/staff/admin/staff",
                vec![
                    ("email", "x@einblick.example"),
                    ("name", "X"),
                    ("role", "admin"),
                    ("password", "long enough password"),
                ],
            ),
            (
                "/staff/admin/feed/tokens",
                vec![("label", "x"), ("sources", "/x")],
            ),
            ("/staff/admin/feed/tokens/1/revoke", vec![]),
            ("/staff/admin/dead-letters/1/replay", vec![]),
            ("/staff/admin/staff/1/deactivate", vec![]),
        ] {
            assert_eq!(
                staff.post_form(action, &fields).status,
                403,
                "{email} {action}"
            );
        }
    }
    // A customer session is no staff session.
    let mut anna = app.signed_in(ANNA);
    assert_eq!(anna.get("/staff/admin/feed").status, 302);
    assert_eq!(
        anna.post_form(
            "/staff/admin/feed/tokens",
            &[("label", "x"), ("sources", "/x")]
        )
        .header("location")
        .as_deref(),
        Some("/staff/login?notice=session")
    );
    let staff_count: i64 = app
        .with_connection(|conn| {
            einblick::db::schema::staff_users::table
                .count()
                .get_result(conn)
        })
        .unwrap();
    assert_eq!(staff_count, 4, "no account was created");
}
