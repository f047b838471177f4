//! Who is asking: sessions and their cookies, the `CustomerSession` and `StaffSession<P>`
//! extractors every handler takes, sign-in (one implementation for customers and staff),
//! sign-out and sign-in throttling.

pub mod customer_session;
pub mod login;
pub mod logout;
pub mod refusal;
pub mod session;
pub mod sign_in;
pub mod staff_session;
pub mod throttle;

pub use customer_session::CustomerSession;
pub use staff_session::{may, StaffSession};

use crate::web::routes::{Access, Routes};

pub fn routes(routes: &mut Routes) {
    routes.post("/login", Access::Public, login::customer_login);
    routes.post("/logout", Access::Public, logout::customer_logout);
    routes.post("/staff/login", Access::Public, login::staff_login);
    routes.post("/staff/logout", Access::Public, logout::staff_logout);
}
