//! Customer authentication: password hashing, sessions, sign-in throttling and the
//! `/login` and `/logout` endpoints.

pub mod login;
pub mod logout;
pub mod password;
pub mod session;
pub mod throttle;
