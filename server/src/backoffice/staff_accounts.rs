//! Staff accounts, managed by admins: `GET /staff/admin/staff`, `POST /staff/admin/staff`
//! (fields `email`, `name`, `role`, `authority`, `password`) and
//! `POST /staff/admin/staff/{id}/deactivate|activate`.

use actix_web::{web, HttpRequest, HttpResponse};

use app::dto::admin::{StaffAccount, StaffAccounts};

use super::{staff_allowed, staff_post, viewer, Answer};
use crate::auth::password;
use crate::db::staff_user::{self, NewStaffUser};
use crate::disputes::form_value;
use crate::domain::{EmailAddress, StaffPermission, StaffRole, StaffUserId};
use crate::error::{AppError, ErrorKind};
use crate::http::AppState;

const PAGE: &str = "/staff/admin/staff";

pub async fn load(state: &AppState, token: Option<String>) -> Result<StaffAccounts, AppError> {
    let idle_minutes = state.settings.session_idle_minutes;
    state
        .db
        .run(move |conn| {
            let (staff, _) = staff_allowed(
                conn,
                token.as_deref(),
                idle_minutes,
                StaffPermission::ManageStaff,
            )?;
            let accounts = staff_user::list(conn)?
                .into_iter()
                .map(|row| StaffAccount {
                    id: row.id.to_string(),
                    is_viewer: row.id == staff.id,
                    name: row.display_name,
                    email: row.email,
                    role: row.staff_role,
                    authority: row.authority,
                    active: row.is_active == 1,
                    password_sign_in: row.password_hash.is_some(),
                })
                .collect();
            Ok(StaffAccounts {
                viewer: viewer(&staff),
                accounts,
            })
        })
        .await
}

pub async fn create(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let pairs = crate::disputes::form_pairs(&body);
    let field = |name: &str| {
        form_value(&pairs, name)
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let back = |code: &str| Answer::Redirect(format!("{PAGE}?error={code}"));
    let (email, name, role, authority) = (
        field("email"),
        field("name"),
        field("role"),
        field("authority"),
    );
    let typed_password = form_value(&pairs, "password")
        .unwrap_or_default()
        .to_owned();
    // Hashing is slow on purpose: do it before taking the write lock.
    let valid_password = (12..=256).contains(&typed_password.chars().count());
    let hash = if valid_password {
        Some(password::hash(&typed_password)?)
    } else {
        None
    };
    staff_post(
        request,
        state,
        StaffPermission::ManageStaff,
        body,
        move |conn, admin, _, now| {
            let Ok(email) = EmailAddress::parse(&email) else {
                return Ok(back("email"));
            };
            if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
                return Ok(back("name"));
            }
            let Ok(role) = StaffRole::parse(&role) else {
                return Ok(back("role"));
            };
            let authority = (!authority.is_empty()).then_some(authority);
            if role == StaffRole::Regulator && authority.is_none() {
                return Ok(back("authority"));
            }
            let Some(hash) = hash else {
                return Ok(back("password"));
            };
            if staff_user::find_by_email(conn, &email)?.is_some() {
                return Ok(back("exists"));
            }
            staff_user::insert(
                conn,
                &NewStaffUser {
                    email: email.as_str(),
                    password_hash: Some(&hash),
                    display_name: &name,
                    staff_role: role.code(),
                    authority: authority.as_deref(),
                    is_active: 1,
                    created_at: now,
                },
            )?;
            tracing::info!(
                admin = admin.id,
                role = role.code(),
                email_domain = email.domain(),
                "staff account created"
            );
            Ok(Answer::Redirect(format!("{PAGE}?notice=created")))
        },
    )
    .await
}

pub async fn deactivate(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    set_active(request, state, path.into_inner(), body, false).await
}

pub async fn activate(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    set_active(request, state, path.into_inner(), body, true).await
}

async fn set_active(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: i64,
    body: web::Bytes,
    active: bool,
) -> Result<HttpResponse, AppError> {
    staff_post(
        request,
        state,
        StaffPermission::ManageStaff,
        body,
        move |conn, admin, _, _| {
            if id == admin.id && !active {
                return Ok(Answer::Redirect(format!("{PAGE}?error=self")));
            }
            if staff_user::set_active(conn, StaffUserId(id), active)? == 0 {
                return Err(AppError::new(ErrorKind::NotFound));
            }
            tracing::info!(
                admin = admin.id,
                staff_user = id,
                active,
                "staff account changed"
            );
            Ok(Answer::Redirect(format!("{PAGE}?notice=saved")))
        },
    )
    .await
}
