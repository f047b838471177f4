//! `GET /staff/login/sso` and its callback `GET /staff/login/sso/callback`: staff sign in through
//! the company's identity provider. The groups in the configured claim decide the role
//! (`EINBLICK_OIDC_ROLE_MAP`, first match wins); accounts are made on first sign-in and updated
//! on every one. Someone whose groups map to no role is refused, and their sessions end.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use app::backend::Caller;

use super::oidc_flow::{self, Callback, Purpose};
use super::session::{self, SessionKind, SessionOwner};
use crate::config::StaffSsoSettings;
use crate::db::session::{self as session_table, SessionExtras};
use crate::db::staff_user::{self, NewStaffUser};
use crate::domain::{EmailAddress, StaffRole};
use crate::error::AppError;
use crate::oidc::Verified;
use crate::state::AppState;
use crate::web::{pages, see_other};

/// The role the first of the person's groups that the map names gives, if any.
pub fn role_for(settings: &StaffSsoSettings, verified: &Verified) -> Option<StaffRole> {
    let groups: Vec<String> = settings
        .roles_claims
        .iter()
        .flat_map(|claim| verified.list(claim))
        .collect();
    settings
        .role_map
        .iter()
        .find(|(group, _)| groups.contains(group))
        .map(|(_, role)| *role)
}

/// Why a verified person still gets no session.
enum Refusal {
    NoRole,
    Deactivated,
    NoEmail,
    EmailTaken,
}

pub async fn begin(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some(provider) = &state.staff_sso else {
        return Ok(oidc_flow::not_offered(&request, Purpose::Staff));
    };
    Ok(
        match oidc_flow::begin(
            &state,
            &Caller::of(&request),
            provider,
            Purpose::Staff,
            None,
        )
        .await?
        {
            Ok(redirect) => redirect,
            Err(error) => oidc_flow::unavailable_page(&request, Purpose::Staff, error),
        },
    )
}

pub async fn callback(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Callback>,
) -> Result<HttpResponse, AppError> {
    let (Some(provider), Some(settings)) = (&state.staff_sso, &state.settings.staff_sso) else {
        return Ok(oidc_flow::not_offered(&request, Purpose::Staff));
    };
    let verified = match oidc_flow::finish(
        &state,
        &Caller::of(&request),
        provider,
        Purpose::Staff,
        query.into_inner(),
    )
    .await?
    {
        Ok((verified, _)) => verified,
        Err(failure) => return Ok(oidc_flow::failure_page(&request, Purpose::Staff, &failure)),
    };
    let role = role_for(settings, &verified);
    let subject = format!("{}|{}", verified.issuer, verified.subject);
    let email = verified
        .text("email")
        .and_then(|e| EmailAddress::parse(&e).ok());
    let email_verified = verified.claims.get("email_verified") == Some(&serde_json::json!(true));
    let name = verified
        .text("name")
        .or_else(|| email.as_ref().map(|e| e.as_str().to_owned()))
        .unwrap_or_else(|| verified.subject.clone());
    let caller = Caller::of(&request);
    let previous = session::token_of(&caller, SessionKind::Staff);
    let limits = session::SessionLimits::of(&state.settings);
    let extras = SessionExtras {
        id_token: Some(verified.id_token.clone()),
        return_url: None,
    };
    let outcome = state
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let mut account = staff_user::find_by_sso_subject(conn, &subject)?;
            if account.is_none() {
                if let Some(email) = &email {
                    if let Some(local) = staff_user::find_by_email(conn, email)? {
                        // An existing account is taken over only on the provider's word that the
                        // address is this person's.
                        if local.sso_subject.is_some() || !email_verified {
                            return Ok(Err(Refusal::EmailTaken));
                        }
                        // From now on the provider alone lets this person in: a password
                        // would outlive their removal there.
                        staff_user::clear_password(conn, local.id())?;
                        tracing::info!(
                            staff_user = local.id,
                            "password account linked to single sign-on; its password is removed"
                        );
                        account = Some(local);
                    }
                }
            }
            let Some(role) = role else {
                if let Some(known) = &account {
                    let ended = session_table::delete_for_staff(conn, known.id())?;
                    tracing::warn!(
                        staff_user = known.id,
                        sessions_ended = ended,
                        "single sign-on without a mapped group: refused, sessions ended"
                    );
                } else {
                    tracing::warn!("single sign-on without a mapped group: refused");
                }
                return Ok(Err(Refusal::NoRole));
            };
            let id = match account {
                Some(known) if !known.is_active => return Ok(Err(Refusal::Deactivated)),
                Some(known) => {
                    if known.role() != role {
                        session_table::delete_for_staff(conn, known.id())?;
                        tracing::info!(
                            staff_user = known.id,
                            from = known.role().code(),
                            to = role.code(),
                            "role changed at the identity provider"
                        );
                    }
                    staff_user::update_from_provider(conn, known.id(), &subject, &name, role)?;
                    known.id()
                }
                None => {
                    let Some(email) = &email else {
                        return Ok(Err(Refusal::NoEmail));
                    };
                    staff_user::insert(
                        conn,
                        &NewStaffUser {
                            email: email.as_str(),
                            password_hash: None,
                            display_name: &name,
                            staff_role: role,
                            authority: None,
                            is_active: true,
                            created_at: now,
                            sso_subject: Some(&subject),
                        },
                    )?;
                    let made = staff_user::find_by_sso_subject(conn, &subject)?
                        .ok_or_else(|| AppError::internal("the new staff account is not there"))?;
                    tracing::info!(
                        staff_user = made.id,
                        role = role.code(),
                        "staff account made at first single sign-on"
                    );
                    made.id()
                }
            };
            let token = session::open(
                conn,
                SessionOwner::Staff(id),
                &extras,
                previous.as_deref(),
                &limits,
                now,
            )?;
            tracing::info!(
                staff_user = id.0,
                role = role.code(),
                "staff signed in through single sign-on"
            );
            Ok(Ok((token, role)))
        })
        .await?;
    let lang = app::lang_of_request(&request);
    let texts = lang.account();
    let (token, role) = match outcome {
        Ok(done) => done,
        Err(refusal) => {
            let (title, message) = match refusal {
                Refusal::NoRole => (texts.staff_no_role_title, texts.staff_no_role_body),
                Refusal::Deactivated => (texts.provider_error_title, texts.staff_deactivated),
                Refusal::NoEmail => (texts.provider_error_title, texts.staff_no_email),
                Refusal::EmailTaken => (texts.provider_error_title, texts.staff_email_taken),
            };
            return Ok(pages::message_page(
                &request,
                StatusCode::FORBIDDEN,
                title,
                message,
                "/staff/login",
            ));
        }
    };
    let mut response = see_other(role.home_path());
    response
        .add_cookie(&session::session_cookie(
            &caller,
            &state.settings,
            SessionKind::Staff,
            token,
        ))
        .map_err(|e| AppError::context("setting a cookie", e))?;
    Ok(response)
}
