//! The route table: each feature adds its routes with who may call them, `http` registers them
//! all, and a test walks the same table to prove every non-public route refuses a request
//! without a session (a route added without a guard fails it).

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::web::ServiceConfig;
use actix_web::{web, FromRequest, Handler, Responder};

/// Who a route is for. The guard itself is the handler's session extractor (or the feed and
/// metrics token checks); this label is what the route-guard test expects of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: sign-in forms, the language switch, the public log, health, schemas.
    Public,
    /// A signed-in customer (`CustomerSession`).
    Customer,
    /// A signed-in staff member whose role allows the action (`StaffSession<P>`).
    Staff,
    /// A system with a bearer token (feed tokens, the metrics token).
    Token,
}

type Register = Arc<dyn Fn(&mut ServiceConfig) + Send + Sync>;

pub struct RouteEntry {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    register: Register,
}

#[derive(Default)]
pub struct Routes {
    entries: Vec<RouteEntry>,
}

impl Routes {
    pub fn add<F, Args>(&mut self, method: Method, path: &'static str, access: Access, handler: F)
    where
        F: Handler<Args> + Clone + Send + Sync + 'static,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let route_method = method.clone();
        self.entries.push(RouteEntry {
            method,
            path,
            access,
            register: Arc::new(move |cfg: &mut ServiceConfig| {
                cfg.route(path, web::method(route_method.clone()).to(handler.clone()));
            }),
        });
    }

    pub fn get<F, Args>(&mut self, path: &'static str, access: Access, handler: F)
    where
        F: Handler<Args> + Clone + Send + Sync + 'static,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, access, handler);
    }

    pub fn post<F, Args>(&mut self, path: &'static str, access: Access, handler: F)
    where
        F: Handler<Args> + Clone + Send + Sync + 'static,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, access, handler);
    }

    /// Registers every route with actix.
    pub fn configure(&self, cfg: &mut ServiceConfig) {
        for entry in &self.entries {
            (entry.register)(cfg);
        }
    }

    pub fn entries(&self) -> &[RouteEntry] {
        &self.entries
    }
}
