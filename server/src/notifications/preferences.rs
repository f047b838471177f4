//! `/settings/notifications`: what the page shows, and `POST /settings/notifications` (form
//! fields `mode`, repeatable `always_category`, `quiet_weeks`) which stores the choice at once.

use actix_web::{web, HttpResponse};
use chrono::Utc;

use app::dto::notifications::NotificationSettings;
use app::i18n::Lang;

use crate::auth::CustomerSession;
use crate::db::{email_outbox, lookup, notification, AnyConnection};
use crate::display::Labeller;
use crate::domain::notification::NotificationMode;
use crate::domain::time::local;
use crate::domain::CustomerId;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Form;
use crate::web::see_other;

/// What the settings page shows the signed-in customer.
pub async fn load(
    state: &AppState,
    session: CustomerSession,
    lang: Lang,
) -> Result<NotificationSettings, AppError> {
    let viewer = session.viewer();
    let customer = session.customer;
    let window_minutes = state.settings.alert_window_minutes;
    state
        .db
        .run(move |conn| {
            let chosen = notification::preferences_of(conn, customer.id())?;
            let lookups = lookup::load_all(conn)?;
            let labels = Labeller::new(&lookups, lang);
            let categories = lookups
                .categories
                .iter()
                .map(|c| labels.category(&c.code))
                .collect();
            let changed_at = chosen.changed_at.map(|at| {
                let at = local(at, customer.time_zone());
                format!(
                    "{}, {}",
                    lang.texts().long_date(at.date_naive()),
                    at.format("%H:%M")
                )
            });
            Ok(NotificationSettings {
                viewer,
                mode: chosen.mode.code().to_owned(),
                always: chosen.always,
                quiet_weeks: chosen.quiet_weeks,
                categories,
                changed_at,
                email: customer.email.clone(),
                window_minutes,
            })
        })
        .await
}

/// A choice as the form sends it, checked against what exists.
pub struct Choice {
    pub mode: NotificationMode,
    pub always: Vec<String>,
    pub quiet_weeks: bool,
}

/// Why a form was refused: the field to point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidField(pub &'static str);

impl Choice {
    pub fn parse(form: &Form, known_categories: &[String]) -> Result<Self, InvalidField> {
        let mode = form
            .get("mode")
            .and_then(NotificationMode::parse)
            .ok_or(InvalidField("mode"))?;
        let mut always = Vec::new();
        for code in form.all("always_category") {
            let code = code.trim();
            if !known_categories.iter().any(|known| known == code) {
                return Err(InvalidField("always_category"));
            }
            if !always.iter().any(|c| c == code) {
                always.push(code.to_owned());
            }
        }
        Ok(Self {
            mode,
            always,
            quiet_weeks: form.get("quiet_weeks").is_some_and(|v| v == "on"),
        })
    }
}

/// Stores `choice` for `customer`; turning everything off also drops what was waiting to be
/// told and cancels what was queued and not yet sent.
pub fn store(
    conn: &mut AnyConnection,
    customer: CustomerId,
    choice: &Choice,
) -> Result<(), AppError> {
    let now = Utc::now().naive_utc();
    crate::db::write_transaction(conn, |conn| {
        notification::save_preferences(
            conn,
            customer,
            choice.mode,
            &choice.always,
            choice.quiet_weeks,
            now,
        )?;
        if choice.mode == NotificationMode::Off && choice.always.is_empty() {
            notification::forget_all_waiting(conn, customer)?;
            email_outbox::cancel_unsent(conn, customer, now)?;
        }
        Ok(())
    })
}

#[tracing::instrument(skip_all)]
pub async fn save(
    session: CustomerSession,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let customer = session.customer.id();
    let saved = state
        .db
        .write(move |conn| {
            let known: Vec<String> = lookup::load_all(conn)?
                .categories
                .into_iter()
                .map(|c| c.code)
                .collect();
            match Choice::parse(&form, &known) {
                Ok(choice) => store(conn, customer, &choice).map(|()| Ok(())),
                Err(invalid) => Ok(Err(invalid)),
            }
        })
        .await?;
    Ok(match saved {
        Ok(()) => see_other("/settings/notifications?notice=saved"),
        Err(InvalidField(field)) => see_other(&format!("/settings/notifications?error={field}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        vec!["purchase_history".into(), "payment_methods".into()]
    }

    #[test]
    fn a_form_with_a_mode_and_known_categories_is_a_choice() {
        let form = Form::parse(
            b"mode=unexplained_only&always_category=payment_methods&always_category=payment_methods&quiet_weeks=on",
        );
        let choice = Choice::parse(&form, &known()).unwrap();
        assert_eq!(choice.mode, NotificationMode::UnexplainedOnly);
        assert_eq!(choice.always, vec!["payment_methods".to_owned()]);
        assert!(choice.quiet_weeks);
    }

    #[test]
    fn an_unknown_mode_or_category_is_refused_by_field() {
        assert_eq!(
            Choice::parse(&Form::parse(b"mode=hourly"), &known()).err(),
            Some(InvalidField("mode"))
        );
        assert_eq!(
            Choice::parse(&Form::parse(b""), &known()).err(),
            Some(InvalidField("mode"))
        );
        assert_eq!(
            Choice::parse(
                &Form::parse(b"mode=off&always_category=%3Cscript%3E"),
                &known()
            )
            .err(),
            Some(InvalidField("always_category"))
        );
    }
}
