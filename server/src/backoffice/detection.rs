//! The detection settings, for admins: `GET /staff/admin/detection`; `POST
//! /staff/admin/detection/rules` (for each rule `enabled_<code>` = `1` when on, and
//! `threshold_<code>`); `POST /staff/admin/detection/fit` (repeatable `fit` = `role:kind`, and
//! `before_<kind>`, `after_<kind>` in hours). A change marks every undecided access for judging
//! again, so history follows the new settings within seconds.

use std::collections::{HashMap, HashSet};

use actix_web::{web, HttpRequest, HttpResponse};

use app::dto::investigations::{DetectionSettings, KindSetting, RoleFit, RuleSetting};
use app::i18n::Lang;

use super::{staff_post, Answer};
use crate::auth::{may, StaffSession};
use crate::db::{context, explanation, lookup};
use crate::domain::explanation::Rule;
use crate::error::AppError;
use crate::explain::evaluate::department_defaults;
use crate::state::AppState;
use crate::web::forms::Form;

const PAGE: &str = "/staff/admin/detection";
/// The longest window an admin may set around a record (a year).
const MAX_HOURS: i32 = 24 * 366;

pub async fn load(
    state: &AppState,
    session: StaffSession<may::ConfigureDetection>,
    lang: Lang,
) -> Result<DetectionSettings, AppError> {
    let viewer = session.viewer();
    state
        .db
        .run(move |conn| {
            let stored: HashMap<String, (bool, Option<f64>)> = explanation::rules(conn)?
                .into_iter()
                .map(|r| (r.code, (r.enabled, r.threshold)))
                .collect();
            let rules = Rule::ALL
                .into_iter()
                .map(|rule| {
                    let (enabled, threshold) =
                        stored.get(rule.code()).copied().unwrap_or((false, None));
                    RuleSetting {
                        code: rule.code().to_owned(),
                        description: rule.describe(lang).to_owned(),
                        enabled,
                        threshold,
                        threshold_meaning: rule.threshold_meaning(lang).map(str::to_owned),
                    }
                })
                .collect();
            let kinds: Vec<KindSetting> = context::kinds(conn)?
                .into_iter()
                .map(|k| KindSetting {
                    label: if lang == Lang::De {
                        k.label_de
                    } else {
                        k.label_en
                    },
                    code: k.code,
                    hours_before: k.hours_before,
                    hours_after: k.hours_after,
                })
                .collect();
            let mut own: HashMap<String, Vec<String>> = HashMap::new();
            for (role, kind) in context::fit(conn)? {
                own.entry(role).or_default().push(kind);
            }
            let lookups = lookup::load_all(conn)?;
            let roles = lookups
                .roles
                .iter()
                .map(|role| {
                    let label = if lang == Lang::De {
                        role.label_de.clone()
                    } else {
                        role.label_en.clone()
                    };
                    match own.get(&role.code) {
                        Some(kinds) => RoleFit {
                            code: role.code.clone(),
                            label,
                            kinds: kinds.clone(),
                            own: true,
                        },
                        None => RoleFit {
                            code: role.code.clone(),
                            label,
                            kinds: department_defaults(&role.department)
                                .iter()
                                .map(|k| (*k).to_owned())
                                .collect(),
                            own: false,
                        },
                    }
                })
                .collect();
            Ok(DetectionSettings {
                viewer,
                rules,
                kinds,
                roles,
            })
        })
        .await
}

pub async fn save_rules(
    request: HttpRequest,
    session: StaffSession<may::ConfigureDetection>,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let explainer = state.explainer.clone();
    let answer = staff_post(
        request,
        session,
        state,
        form,
        move |conn, admin, form, now| {
            let mut settings = Vec::new();
            for rule in Rule::ALL {
                let enabled = form.get(&format!("enabled_{}", rule.code())) == Some("1");
                let raw = form
                    .get(&format!("threshold_{}", rule.code()))
                    .unwrap_or_default()
                    .trim()
                    .replace(',', ".");
                let threshold = if raw.is_empty() {
                    None
                } else {
                    match raw.parse::<f64>() {
                        Ok(value) if value.is_finite() && value > 0.0 && value <= 1000.0 => {
                            Some(value)
                        }
                        _ => return Ok(Answer::Redirect(format!("{PAGE}?error=threshold#rules"))),
                    }
                };
                settings.push((rule, enabled, threshold));
            }
            for (rule, enabled, threshold) in settings {
                explanation::set_rule(conn, rule.code(), enabled, threshold, admin.id, now)?;
            }
            let marked = explanation::mark_all_undecided(conn)?;
            tracing::info!(
                admin = admin.id,
                accesses = marked,
                "detection rules changed; judging history again"
            );
            Ok(Answer::Redirect(format!("{PAGE}?notice=saved")))
        },
    )
    .await;
    explainer.nudge();
    answer
}

pub async fn save_fit(
    request: HttpRequest,
    session: StaffSession<may::ConfigureDetection>,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let explainer = state.explainer.clone();
    let answer = staff_post(
        request,
        session,
        state,
        form,
        move |conn, admin, form, _| {
            let roles: Vec<String> = lookup::load_all(conn)?
                .roles
                .into_iter()
                .map(|r| r.code)
                .collect();
            let kinds = context::kinds(conn)?;
            let known_kinds: HashSet<&str> = kinds.iter().map(|k| k.code.as_str()).collect();
            let mut pairs = Vec::new();
            for value in form.all("fit") {
                let Some((role, kind)) = value.split_once(':') else {
                    return Ok(Answer::Redirect(format!("{PAGE}?error=fit#fit")));
                };
                if !roles.iter().any(|r| r == role) || !known_kinds.contains(kind) {
                    return Ok(Answer::Redirect(format!("{PAGE}?error=fit#fit")));
                }
                pairs.push((role.to_owned(), kind.to_owned()));
            }
            let mut windows = Vec::new();
            for kind in &kinds {
                let hours = |name: &str| -> Option<i32> {
                    form.get(&format!("{name}_{}", kind.code))
                        .and_then(|v| v.trim().parse::<i32>().ok())
                        .filter(|h| (0..=MAX_HOURS).contains(h))
                };
                match (hours("before"), hours("after")) {
                    (Some(before), Some(after)) => windows.push((kind.code.clone(), before, after)),
                    _ => return Ok(Answer::Redirect(format!("{PAGE}?error=window#fit"))),
                }
            }
            // Saving the matrix makes every role's fit the admin's own, as shown.
            context::replace_fit(conn, &roles, &pairs)?;
            for (code, before, after) in windows {
                context::set_window(conn, &code, before, after)?;
            }
            let marked = explanation::mark_all_undecided(conn)?;
            tracing::info!(
                admin = admin.id,
                accesses = marked,
                "explanation fit changed; judging history again"
            );
            Ok(Answer::Redirect(format!("{PAGE}?notice=saved")))
        },
    )
    .await;
    explainer.nudge();
    answer
}
