//! The HTTP layer: routes, middleware and the server's start-up.

pub mod api;
pub mod cross_origin;
pub mod language;
pub mod metrics;
pub mod security_headers;
pub mod stall_guard;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_files::Files;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpResponse, HttpServer};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_actix::{generate_route_list, LeptosRoutes};

use app::backend::PortalBackendHandle;

use crate::auth::{login::login, logout::logout};
use crate::backoffice;
use crate::config::Settings;
use crate::db::Database;
use crate::portal::Portal;
use crate::transparency::{self, LogKeys};

/// Shared by every request handler.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub metrics: Arc<metrics::Metrics>,
    /// The verifiable log's signing and customer-hash keys, loaded (or created) at start.
    pub log_keys: Arc<LogKeys>,
}

impl AppState {
    /// Fails when the log's keys can neither be read nor created (the message names the file).
    pub fn new(db: Database, settings: Settings) -> Result<Self, String> {
        let log_keys = LogKeys::load_or_create(
            &settings.transparency.key_dir,
            &settings.transparency.origin,
        )
        .map_err(|e| e.to_string())?;
        Ok(Self {
            db,
            settings: Arc::new(settings),
            metrics: Arc::default(),
            log_keys: Arc::new(log_keys),
        })
    }
}

/// A started server and the address it really listens on (port 0 picks a free one).
pub struct Started {
    pub server: Server,
    pub addr: SocketAddr,
}

/// Binds and starts the server (and the NATS consumer, when configured). Must run inside an actix
/// system.
pub fn start(state: AppState) -> std::io::Result<Started> {
    if let Some(nats) = state.settings.nats.clone() {
        actix_web::rt::spawn(crate::ingest::nats::run(state.clone(), nats));
    }
    actix_web::rt::spawn(transparency::checkpoint::run_cadence(
        state.clone(),
        state.log_keys.clone(),
    ));
    let listener = TcpListener::bind(state.settings.site_addr)?;
    let addr = listener.local_addr()?;
    let options = leptos_options(&state.settings, addr);
    let routes = generate_route_list(app::App);
    let pkg_dir = format!("{}/{}", options.site_root, options.site_pkg_dir);

    let server = HttpServer::new(move || {
        let backend = PortalBackendHandle(Arc::new(Portal::new(state.clone())));
        let shell_options = options.clone();
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(web::Data::new(options.clone()))
            .wrap(from_fn(cross_origin::refuse_cross_origin_writes))
            .wrap(from_fn(security_headers::add_security_headers))
            .wrap(Compress::default())
            .wrap(from_fn(stall_guard::guard_against_stalls))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/language", web::post().to(language::set_language))
            .route("/disputes", web::post().to(crate::disputes::file::file))
            .route(
                "/disputes/{reference}/messages",
                web::post().to(crate::disputes::reply::reply),
            )
            .route(
                "/disputes/{reference}/withdraw",
                web::post().to(crate::disputes::withdraw::withdraw),
            )
            .route("/staff/login", web::post().to(backoffice::login::login))
            .route(
                "/staff/admin/staff",
                web::post().to(backoffice::staff_accounts::create),
            )
            .route(
                "/staff/admin/staff/{id}/deactivate",
                web::post().to(backoffice::staff_accounts::deactivate),
            )
            .route(
                "/staff/admin/staff/{id}/activate",
                web::post().to(backoffice::staff_accounts::activate),
            )
            .route(
                "/staff/admin/feed/tokens",
                web::post().to(backoffice::feed_tokens::create),
            )
            .route(
                "/staff/admin/feed/tokens/{id}/revoke",
                web::post().to(backoffice::feed_tokens::revoke),
            )
            .route(
                "/staff/admin/dead-letters/{id}/replay",
                web::post().to(backoffice::replay::replay),
            )
            .route("/staff/logout", web::post().to(backoffice::login::logout))
            .route(
                "/staff/disputes/{reference}/review",
                web::post().to(backoffice::review::review),
            )
            .route(
                "/staff/disputes/{reference}/assign",
                web::post().to(backoffice::assign::assign),
            )
            .route(
                "/staff/disputes/{reference}/request-info",
                web::post().to(backoffice::request_info::request_info),
            )
            .route(
                "/staff/disputes/{reference}/message",
                web::post().to(backoffice::message::message),
            )
            .route(
                "/staff/disputes/{reference}/note",
                web::post().to(backoffice::note::note),
            )
            .route(
                "/staff/disputes/{reference}/extend",
                web::post().to(backoffice::extend::extend),
            )
            .route(
                "/staff/disputes/{reference}/decide",
                web::post().to(backoffice::decide::decide),
            )
            .route(
                "/api/v1/me/access-events",
                web::get().to(api::me_access_events::list),
            )
            .route(
                "/api/v1/feed/events",
                web::post().to(crate::ingest::http::receive),
            )
            .route(
                "/staff/regulator/cases",
                web::post().to(crate::regulators::open::open),
            )
            .route(
                "/staff/regulator/cases/{id}/close",
                web::post().to(crate::regulators::close::close),
            )
            .route(
                "/staff/regulator/cases/{id}/report",
                web::get().to(crate::regulators::report::download),
            )
            .route(
                "/staff/statistics/export",
                web::get().to(crate::statistics::export::export),
            )
            .route(
                "/reports/access",
                web::get().to(crate::reports::download::download),
            )
            .route(
                "/timeline/{entry}/proof",
                web::get().to(transparency::http::entry_proof),
            )
            .route(
                "/log/checkpoint",
                web::get().to(transparency::http::checkpoint),
            )
            .route("/log/key", web::get().to(transparency::http::public_key))
            .route(
                "/log/consistency",
                web::get().to(transparency::http::consistency),
            )
            .route(
                "/log/tile/{path:.*}",
                web::get().to(transparency::http::tile),
            )
            .route("/healthz", web::get().to(health))
            .route("/metrics", web::get().to(metrics::metrics))
            .route("/api/v1/openapi.json", web::get().to(openapi))
            .route(
                "/api/v1/schemas/access-event-data.json",
                web::get().to(event_data_schema),
            )
            .route(
                "/api/v1/schemas/access-report.json",
                web::get().to(access_report_schema),
            )
            .service(Files::new(
                &format!("/{}", options.site_pkg_dir),
                pkg_dir.clone(),
            ))
            .leptos_routes_with_context(
                routes.clone(),
                move || provide_context(backend.clone()),
                move || app::shell(shell_options.clone()),
            )
    })
    .listen(listener)?
    .run();
    Ok(Started { server, addr })
}

/// A server running on its own thread and actix system; stops when dropped.
/// For tests and benchmarks that drive the real server over HTTP.
pub struct BackgroundServer {
    pub addr: SocketAddr,
    system: actix_web::rt::System,
    handle: actix_web::dev::ServerHandle,
}

impl BackgroundServer {
    pub fn start(state: AppState) -> std::io::Result<BackgroundServer> {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match start(state) {
                    Ok(started) => {
                        let _ = sender.send(Ok((
                            started.addr,
                            actix_web::rt::System::current(),
                            started.server.handle(),
                        )));
                        let _ = started.server.await;
                    }
                    Err(e) => {
                        let _ = sender.send(Err(e));
                    }
                }
            })
        });
        let (addr, system, handle) = receiver.recv().map_err(std::io::Error::other)??;
        Ok(BackgroundServer {
            addr,
            system,
            handle,
        })
    }
}

impl Drop for BackgroundServer {
    /// Stops the listener and the workers (so the port, the threads and the database pool are
    /// released), then the actix system. The stop command is sent at once; nothing waits here.
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        self.system.stop();
    }
}

fn leptos_options(settings: &Settings, addr: SocketAddr) -> LeptosOptions {
    let mut options = leptos::config::get_configuration(None)
        .map(|conf| conf.leptos_options)
        .unwrap_or_else(|_| LeptosOptions::builder().output_name("einblick").build());
    // Built outside cargo-leptos, the output name is unknown at compile time; it is fixed here.
    if options.output_name.is_empty() {
        options.output_name = "einblick".into();
    }
    options.site_root = settings.site_root.to_string_lossy().into_owned().into();
    options.site_addr = addr;
    options
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    match state
        .db
        .run(|conn| Ok(crate::db::customer::count(conn)?))
        .await
    {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })),
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "database unavailable" })),
    }
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(include_str!("../../contract/openapi.json"))
}

async fn access_report_schema() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/schema+json")
        .body(include_str!("../../contract/access-report.schema.json"))
}

async fn event_data_schema() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/schema+json")
        .body(include_str!("../../contract/access-event-data.schema.json"))
}

/// 303 See Other: after a form post, the browser follows with a GET.
/// A request's URL query, looked up by parameter name (the first value wins).
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn of(request: &actix_web::HttpRequest) -> Self {
        Self(
            url::form_urlencoded::parse(request.query_string().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// A redirect target from user input, accepted only if it stays on this site.
pub fn local_redirect_target(raw: &str) -> Option<String> {
    let on_this_site = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.starts_with("/\\")
        && raw.len() <= 2048
        && !raw.chars().any(|c| c.is_control());
    on_this_site.then(|| raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::local_redirect_target;

    #[test]
    fn redirects_never_leave_the_site() {
        assert_eq!(
            local_redirect_target("/timeline?role=x").as_deref(),
            Some("/timeline?role=x")
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "timeline",
            "/a\nb",
        ] {
            assert_eq!(local_redirect_target(bad), None, "{bad}");
        }
    }
}
