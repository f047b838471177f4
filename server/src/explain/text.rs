//! An access's explanation in the customer's words: the state, and the business record that
//! explains it ("your support ticket T-1234, opened 3 March 2026"). Never the employee, never
//! which rule fired.

use std::collections::HashMap;

use chrono_tz::Tz;

use app::dto::ExplanationView;
use app::i18n::Lang;

use super::evaluate::OWN_LOOKS_SOURCE;
use crate::db::access_event::{ExplainedAccessRow, ShownAccessRow};
use crate::db::context::{self, ContextKindRow, RecordShown};
use crate::db::{explanation, AnyConnection};
use crate::domain::explanation::ExplanationState;
use crate::domain::time::local_date;
use crate::error::AppError;

/// The customer's view of one access's explanation.
pub fn view(
    event: &ShownAccessRow,
    state: Option<ExplanationState>,
    record: Option<(&RecordShown, &ContextKindRow)>,
    lang: Lang,
    zone: Tz,
) -> ExplanationView {
    let texts = lang.explanations();
    let (state, text) = match state {
        Some(ExplanationState::Explained) if event.source == OWN_LOOKS_SOURCE => {
            ("explained", texts.own_review.to_owned())
        }
        Some(ExplanationState::Explained) => {
            let what = match record {
                Some((record, kind)) => {
                    let phrase = if lang == Lang::De {
                        &kind.phrase_de
                    } else {
                        &kind.phrase_en
                    };
                    phrase.replace("{reference}", &record.reference).replace(
                        "{date}",
                        &lang.texts().long_date(local_date(record.opened_at, zone)),
                    )
                }
                None => String::new(),
            };
            ("explained", texts.explained.replace("{what}", &what))
        }
        Some(ExplanationState::Flagged) => ("flagged", texts.flagged.to_owned()),
        Some(ExplanationState::Appropriate) => ("appropriate", texts.appropriate.to_owned()),
        Some(ExplanationState::Violation) => ("violation", texts.violation.to_owned()),
        Some(ExplanationState::Unexplained) => ("unexplained", texts.unexplained.to_owned()),
        // Judged within seconds of arriving; until then it is not explained.
        Some(ExplanationState::Pending) | None => ("unexplained", texts.not_checked.to_owned()),
    };
    ExplanationView {
        state: state.to_owned(),
        text,
    }
}

/// The views of these accesses' explanations, by access id. `known_kinds`: the kinds of record
/// the caller has at hand (the lookup cache's); any other a record names is read. A kind's
/// label and phrase never change once stored, so a cached kind is never out of date for this.
pub fn views_for(
    conn: &mut AnyConnection,
    events: &[ShownAccessRow],
    lang: Lang,
    zone: Tz,
    known_kinds: &[ContextKindRow],
) -> Result<HashMap<i64, ExplanationView>, AppError> {
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let stored = explanation::shown_for_events(conn, &ids)?;
    let judged: Vec<Judged> = events
        .iter()
        .map(|event| {
            let found = stored.get(&event.id);
            Judged {
                event,
                state: found.map(|(state, _)| state.as_str()),
                record: found.and_then(|(_, record)| record.as_ref()),
            }
        })
        .collect();
    let views = views_of(conn, &judged, lang, zone, known_kinds)?;
    Ok(events.iter().map(|e| e.id).zip(views).collect())
}

/// The views of these accesses' explanations, in their order, the judgements read with them
/// (`access_event::explained_timeline_page`).
pub fn views_of_explained(
    conn: &mut AnyConnection,
    rows: &[ExplainedAccessRow],
    lang: Lang,
    zone: Tz,
    known_kinds: &[ContextKindRow],
) -> Result<Vec<ExplanationView>, AppError> {
    let judged: Vec<Judged> = rows
        .iter()
        .map(|row| Judged {
            event: &row.access,
            state: row.state.as_deref(),
            record: row.record.as_ref(),
        })
        .collect();
    views_of(conn, &judged, lang, zone, known_kinds)
}

/// An access with its stored judgement, if any: the state and the record that explains it.
struct Judged<'a> {
    event: &'a ShownAccessRow,
    state: Option<&'a str>,
    record: Option<&'a RecordShown>,
}

/// The views of `judged`, in their order; a kind of record not in `known_kinds` is read.
fn views_of(
    conn: &mut AnyConnection,
    judged: &[Judged],
    lang: Lang,
    zone: Tz,
    known_kinds: &[ContextKindRow],
) -> Result<Vec<ExplanationView>, AppError> {
    let is_known = |code: &str| known_kinds.iter().any(|kind| kind.code == code);
    let read_kinds = if judged
        .iter()
        .filter_map(|j| j.record)
        .any(|record| !is_known(&record.kind))
    {
        context::kinds(conn)?
    } else {
        Vec::new()
    };
    let kind_of = |code: &str| {
        known_kinds
            .iter()
            .chain(&read_kinds)
            .find(|kind| kind.code == code)
    };
    Ok(judged
        .iter()
        .map(|j| {
            let state = j.state.and_then(ExplanationState::parse);
            let record = j
                .record
                // A record moved to another customer since is not this customer's to read.
                .filter(|record| record.customer_ref == j.event.customer_ref)
                .and_then(|record| kind_of(&record.kind).map(|kind| (record, kind)));
            view(j.event, state, record, lang, zone)
        })
        .collect())
}
