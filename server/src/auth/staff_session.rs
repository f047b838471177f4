//! `StaffSession<P>`: the signed-in staff member, resolved once per request from the back
//! office's cookie, whose role allows `P`. Handlers take it as an argument: without a session the
//! request never reaches them, and with a role that may not do `P` it is refused (and logged:
//! the "not allowed" page tells staff that attempts are recorded).

use std::marker::PhantomData;

use crate::web::LocalBoxFuture;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use chrono::Utc;

use app::backend::Caller;
use app::dto::backoffice::StaffViewer;

use super::refusal::Refusal;
use super::session::{self, SessionKind};
use crate::db::staff_user::StaffUserRow;
use crate::domain::{StaffPermission, StaffRole, StaffUserId};
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;

/// What a handler needs the staff member's role to allow.
pub trait Permission: 'static {
    const PERMISSION: StaffPermission;
}

/// The permissions handlers ask for, as types: `StaffSession<may::DecideDisputes>`.
pub mod may {
    use super::{Permission, StaffPermission};

    macro_rules! permissions {
        ($($name:ident),+ $(,)?) => {
            $(
                #[derive(Debug)]
                pub struct $name;
                impl Permission for $name {
                    const PERMISSION: StaffPermission = StaffPermission::$name;
                }
            )+
        };
    }

    permissions!(
        ReviewDisputes,
        WorkOnDisputes,
        AssignDisputes,
        DecideDisputes,
        ExtendDeadlines,
        ManageStaff,
        ManageFeed,
        WorkOnRegulatorCases,
        ViewStatistics,
        Investigate,
        DecideInvestigations,
        ConfigureDetection,
    );
}

#[derive(Debug)]
pub struct StaffSession<P: Permission> {
    pub staff: StaffUserRow,
    pub role: StaffRole,
    allowed: PhantomData<P>,
}

impl<P: Permission> Clone for StaffSession<P> {
    fn clone(&self) -> Self {
        Self {
            staff: self.staff.clone(),
            role: self.role,
            allowed: PhantomData,
        }
    }
}

impl<P: Permission> StaffSession<P> {
    /// The staff member whose valid session the caller presents, if their role allows `P`.
    pub async fn resolve(state: &AppState, caller: &Caller) -> Result<Self, AppError> {
        let token = session::token_of(caller, SessionKind::Staff)
            .ok_or_else(|| AppError::new(ErrorKind::NotSignedIn))?;
        let limits = session::SessionLimits::of(&state.settings);
        let staff = state
            .db
            .run(move |conn| {
                session::staff_for_token(conn, &token, &limits, Utc::now().naive_utc())
            })
            .await?
            .ok_or_else(|| AppError::new(ErrorKind::NotSignedIn))?;
        let role = staff.role();
        if !role.may(P::PERMISSION) {
            tracing::warn!(
                staff_user = staff.id,
                role = role.code(),
                permission = ?P::PERMISSION,
                "staff action refused"
            );
            return Err(AppError::new(ErrorKind::Forbidden));
        }
        Ok(Self {
            staff,
            role,
            allowed: PhantomData,
        })
    }

    pub fn id(&self) -> StaffUserId {
        self.staff.id()
    }

    /// Whether the role also allows `permission` (for what a page offers).
    pub fn may(&self, permission: StaffPermission) -> bool {
        self.role.may(permission)
    }

    /// The name and role the page header shows.
    pub fn viewer(&self) -> StaffViewer {
        StaffViewer {
            name: self.staff.display_name.clone(),
            role: self.staff.staff_role.code().to_owned(),
        }
    }
}

impl<P: Permission> FromRequest for StaffSession<P> {
    type Error = Refusal;
    type Future = LocalBoxFuture<Result<Self, Refusal>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let refuse = |error| Refusal::new(&request, SessionKind::Staff, error);
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| refuse(AppError::internal("no application state")))?;
            Self::resolve(state, &Caller::of(&request))
                .await
                .map_err(refuse)
        })
    }
}
