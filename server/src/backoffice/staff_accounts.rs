//! Staff accounts, managed by admins: `GET /staff/admin/staff`, `POST /staff/admin/staff`
//! (fields `email`, `name`, `role`, `authority`, `password`) and
//! `POST /staff/admin/staff/{id}/deactivate|activate`.

use actix_web::{web, HttpRequest, HttpResponse};

use app::dto::admin::{StaffAccount, StaffAccounts};

use super::{staff_post, Answer};
use app::dto::ids::StaffAccountId;

use crate::auth::{may, StaffSession};
use crate::db::staff_user::{self, NewStaffUser};
use crate::domain::{EmailAddress, StaffRole, StaffUserId};
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::web::forms::Form;

const PAGE: &str = "/staff/admin/staff";

pub async fn load(
    state: &AppState,
    session: StaffSession<may::ManageStaff>,
) -> Result<StaffAccounts, AppError> {
    let viewer = session.viewer();
    let staff = session.staff;
    state
        .db
        .run(move |conn| {
            let accounts = staff_user::list(conn)?
                .into_iter()
                .map(|row| StaffAccount {
                    id: StaffAccountId(row.id),
                    is_viewer: row.id == staff.id,
                    name: row.display_name,
                    email: row.email,
                    role: row.staff_role.code().to_owned(),
                    authority: row.authority,
                    active: row.is_active,
                    password_sign_in: row.password_hash.is_some(),
                    sso: row.sso_subject.is_some(),
                    last_signed_in_at: row.last_signed_in_at.map(super::feed_admin::berlin),
                })
                .collect();
            Ok(StaffAccounts { viewer, accounts })
        })
        .await
}

pub async fn create(
    request: HttpRequest,
    session: StaffSession<may::ManageStaff>,
    state: web::Data<AppState>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    let back = |code: &str| Answer::Redirect(format!("{PAGE}?error={code}"));
    let (email, name, role, authority) = (
        form.trimmed("email"),
        form.trimmed("name"),
        form.trimmed("role"),
        form.trimmed("authority"),
    );
    let typed_password = form.get("password").unwrap_or_default().to_owned();
    // Only an admin's post gets this far (the session is checked first), and the hash runs on
    // the bounded hashing pool before the write lock is taken.
    let valid_password = (12..=256).contains(&typed_password.chars().count());
    let hash = if valid_password {
        Some(state.passwords.hash(typed_password).await?)
    } else {
        None
    };
    staff_post(request, session, state, form, move |conn, admin, _, now| {
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
                staff_role: role,
                authority: authority.as_deref(),
                is_active: true,
                created_at: now,
                sso_subject: None,
            },
        )?;
        tracing::info!(
            admin = admin.id,
            role = role.code(),
            email_domain = email.domain(),
            "staff account created"
        );
        Ok(Answer::Redirect(format!("{PAGE}?notice=created")))
    })
    .await
}

pub async fn deactivate(
    request: HttpRequest,
    session: StaffSession<may::ManageStaff>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    set_active(request, session, state, path.into_inner(), form, false).await
}

pub async fn activate(
    request: HttpRequest,
    session: StaffSession<may::ManageStaff>,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: Form,
) -> Result<HttpResponse, AppError> {
    set_active(request, session, state, path.into_inner(), form, true).await
}

async fn set_active(
    request: HttpRequest,
    session: StaffSession<may::ManageStaff>,
    state: web::Data<AppState>,
    id: i64,
    form: Form,
    active: bool,
) -> Result<HttpResponse, AppError> {
    staff_post(request, session, state, form, move |conn, admin, _, _| {
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
    })
    .await
}
