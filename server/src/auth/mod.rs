//! Who is asking: sessions and their cookies, the `CustomerSession` and `StaffSession<P>`
//! extractors every handler takes, sign-in (one implementation for customers and staff),
//! sign-out and sign-in throttling.

pub mod customer_oidc;
pub mod customer_session;
pub mod login;
pub mod logout;
pub mod oidc_flow;
pub mod refusal;
pub mod service_token;
pub mod session;
pub mod sign_in;
pub mod staff_session;
pub mod staff_sso;
pub mod throttle;

pub use customer_session::CustomerSession;
pub use staff_session::{may, StaffSession};

use crate::web::routes::{Access, Routes};

pub fn routes(routes: &mut Routes) {
    routes.post("/login", Access::Public, login::customer_login);
    routes.post("/logout", Access::Public, logout::customer_logout);
    routes.get("/login/oidc", Access::Public, customer_oidc::begin);
    routes.get(
        "/login/oidc/callback",
        Access::Public,
        customer_oidc::callback,
    );
    routes.post("/staff/login", Access::Public, login::staff_login);
    routes.get("/staff/login/sso", Access::Public, staff_sso::begin);
    routes.get(
        "/staff/login/sso/callback",
        Access::Public,
        staff_sso::callback,
    );
    routes.post("/staff/logout", Access::Public, logout::staff_logout);
}
