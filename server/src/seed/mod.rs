//! Demo data: deterministic, so every developer, test and screenshot sees the same portal. The
//! generator is compiled in with the `demo` feature only; recognising a demo database always is.

#[cfg(feature = "demo")]
pub mod demo;

use diesel::prelude::*;

use crate::db::schema::{customers, staff_users};
use crate::db::AnyConnection;
use crate::error::AppError;

/// The demo's sign-in addresses; their password is published in the README.
pub const DEMO_CUSTOMER_EMAILS: [&str; 4] = [
    "anna@example.com",
    "ben@example.com",
    "mara@example.com",
    "lena@example.com",
];
pub const DEMO_STAFF_EMAILS: [&str; 4] = [
    "analyst@einblick.example",
    "lead@einblick.example",
    "regulator@einblick.example",
    "admin@einblick.example",
];

/// Whether any demo account is in the database: a server must not serve them unless the demo
/// was asked for.
pub fn demo_accounts_present(conn: &mut AnyConnection) -> Result<bool, AppError> {
    let customers: i64 = customers::table
        .filter(customers::email.eq_any(DEMO_CUSTOMER_EMAILS))
        .count()
        .get_result(conn)?;
    let staff: i64 = staff_users::table
        .filter(staff_users::email.eq_any(DEMO_STAFF_EMAILS))
        .count()
        .get_result(conn)?;
    Ok(customers + staff > 0)
}
