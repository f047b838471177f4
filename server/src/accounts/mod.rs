//! Customer accounts: the shop opens portal sessions for its signed-in customers, customers are
//! imported for sign-in with a password, and they set or reset that password with a link.

pub mod enter;
pub mod forgot_password;
pub mod import;
pub mod password_links;
pub mod password_rules;
pub mod portal_session;
pub mod set_password;

use crate::web::routes::{Access, Routes};

pub fn routes(routes: &mut Routes) {
    routes.post(
        "/api/v1/portal-sessions",
        Access::Token,
        portal_session::create,
    );
    routes.get("/portal/enter/{token}", Access::Public, enter::enter);
    routes.post(
        "/account/forgot-password",
        Access::Public,
        forgot_password::request,
    );
    routes.post("/account/set-password", Access::Public, set_password::set);
}
