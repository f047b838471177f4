//! Accesses as a notification email tells them: the customer's time zone and words, the
//! explanation as it stands, and links straight to the entry and to disputing it.

use std::collections::HashMap;

use chrono_tz::Tz;

use app::i18n::Lang;

use crate::db::access_event::{AccessEventRow, ShownAccessRow};
use crate::db::context::ContextKindRow;
use crate::db::{lookup, AnyConnection};
use crate::display::{timeline_entry, Labeller};
use crate::email::alert::AccessLine;
use crate::error::AppError;

/// Labels and explanations for telling `events` to one customer.
pub struct Teller {
    labels: Labeller,
    kinds: Vec<ContextKindRow>,
    lang: Lang,
    zone: Tz,
    public_url: String,
}

impl Teller {
    pub fn new(
        conn: &mut AnyConnection,
        lang: Lang,
        zone: Tz,
        public_url: &str,
    ) -> Result<Self, AppError> {
        let lookups = lookup::load_all(conn)?;
        Ok(Self {
            labels: Labeller::new(&lookups, lang),
            kinds: lookups.kinds,
            lang,
            zone,
            public_url: public_url.to_owned(),
        })
    }

    pub fn labels(&self) -> &Labeller {
        &self.labels
    }

    /// The lines for `events`, oldest first.
    pub fn lines(
        &self,
        conn: &mut AnyConnection,
        events: &[AccessEventRow],
    ) -> Result<Vec<AccessLine>, AppError> {
        let shown: Vec<ShownAccessRow> = events.iter().map(ShownAccessRow::from).collect();
        let mut explanations: HashMap<i64, app::dto::ExplanationView> =
            crate::explain::text::views_for(conn, &shown, self.lang, self.zone, &self.kinds)?;
        let mut ordered: Vec<&ShownAccessRow> = shown.iter().collect();
        ordered.sort_by_key(|e| (e.occurred_at, e.id));
        Ok(ordered
            .into_iter()
            .map(|row| {
                let entry = timeline_entry(row, &self.labels, self.zone);
                let explanation = explanations.remove(&row.id);
                let mut reason = entry.reason.label.clone();
                if let Some(text) = &entry.reason_text {
                    reason.push_str(&format!(" – „{text}“"));
                }
                if let Some(ticket) = &entry.ticket {
                    reason.push_str(&format!(" ({ticket})"));
                }
                let day = entry.local_date;
                AccessLine {
                    when: format!(
                        "{}, {} ({})",
                        self.lang.texts().long_date(day),
                        entry.local_time,
                        self.zone.name()
                    ),
                    what: format!(
                        "{} · {} · {}",
                        entry.role.label, entry.action.label, entry.data_category.label
                    ),
                    reason,
                    state: explanation
                        .as_ref()
                        .map_or("unexplained".to_owned(), |e| e.state.clone()),
                    explanation: explanation.map(|e| e.text).unwrap_or_default(),
                    timeline_link: format!(
                        "{}/timeline?from={day}&to={day}#entry-{}",
                        self.public_url, row.id
                    ),
                    dispute_link: format!("{}/disputes/new?event={}", self.public_url, row.id),
                }
            })
            .collect())
    }
}
