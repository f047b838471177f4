//! The HTTP layer: composes the features' routes with the middleware and the Leptos pages, and
//! starts the server. It holds no feature's logic.

pub mod backend;
pub mod compression;
pub mod cross_origin;
pub mod security_headers;
pub mod site_assets;
pub mod stall_guard;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, OnceLock};

use actix_files::Files;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_actix::{generate_route_list, ActixRouteListing, LeptosRoutes};

use app::backend::{PortalBackendHandle, SignOutTargets};

use crate::config::Settings;
use crate::state::AppState;
use crate::web::routes::Routes;
use crate::{
    auth, backoffice, disputes, ingest, notifications, ops, portal, public_log, regulators,
    reports, statistics, transparency,
};

/// Every route the features serve (the Leptos pages and server functions come on top).
pub fn route_table() -> Routes {
    let mut routes = Routes::default();
    auth::routes(&mut routes);
    crate::accounts::routes(&mut routes);
    crate::web::language::routes(&mut routes);
    portal::routes(&mut routes);
    disputes::routes(&mut routes);
    backoffice::routes(&mut routes);
    regulators::routes(&mut routes);
    reports::routes(&mut routes);
    statistics::routes(&mut routes);
    ingest::routes(&mut routes);
    public_log::routes(&mut routes);
    ops::routes(&mut routes);
    notifications::routes(&mut routes);
    routes
}

/// The Leptos pages, listed once per process. Listing them renders the app with resource loading
/// switched off process-wide (leptos-rs/leptos#4773); a page rendered by another server of the
/// same process at that moment would wait forever. Test processes start many servers, so the list
/// is made once, before the first server serves anything, and shared.
pub fn page_routes() -> Vec<ActixRouteListing> {
    static PAGES: OnceLock<Vec<ActixRouteListing>> = OnceLock::new();
    PAGES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// A started server and the address it really listens on (port 0 picks a free one).
pub struct Started {
    pub server: Server,
    pub addr: SocketAddr,
    /// The NATS consumer, when configured: it ends after `AppState::shutdown` has begun and its
    /// batch in hand is stored and acknowledged.
    pub nats_consumer: Option<actix_web::rt::task::JoinHandle<()>>,
}

/// Binds and starts the server (and the NATS consumer, the judge of new accesses and the
/// checkpoint cadence). Must run
/// inside an actix system.
pub fn start(state: AppState) -> std::io::Result<Started> {
    let nats_consumer = state
        .settings
        .nats
        .clone()
        .map(|nats| actix_web::rt::spawn(crate::ingest::nats::run(state.clone(), nats)));
    actix_web::rt::spawn(state.explainer.clone().run(state.db.clone()));
    actix_web::rt::spawn(notifications::run(state.clone()));
    actix_web::rt::spawn(crate::ingest::partitions::keep_partitions_ready(
        state.db.clone(),
        state.log_keys.clone(),
        state.settings.retention,
    ));
    actix_web::rt::spawn(transparency::checkpoint::run_cadence(
        state.db.clone(),
        state.settings.transparency.clone(),
        state.log_keys.clone(),
        state.witnessing.clone(),
    ));
    let listener = TcpListener::bind(state.settings.site_addr)?;
    let addr = listener.local_addr()?;
    let options = leptos_options(&state.settings, addr);
    let pages = page_routes();
    let routes = Arc::new(route_table());
    let pkg_dir = format!("{}/{}", options.site_root, options.site_pkg_dir);
    let site_assets = Arc::new(site_assets::SiteAssets::load(
        std::path::Path::new(&pkg_dir),
        &format!("/{}", options.site_pkg_dir),
        &options.output_name,
    ));

    let sign_out_targets = SignOutTargetsOf::new(&state);
    let server = HttpServer::new(move || {
        let backend = PortalBackendHandle(Arc::new(backend::Portal::new(state.clone())));
        let sign_out_targets = sign_out_targets.clone();
        let asset_urls = site_assets.urls().clone();
        let site_assets = site_assets.clone();
        let routes = routes.clone();
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(web::Data::new(options.clone()))
            .wrap(from_fn(cross_origin::refuse_cross_origin_writes))
            .wrap(from_fn(security_headers::add_security_headers))
            .wrap(from_fn(compression::compress_responses))
            .wrap(from_fn(stall_guard::guard_against_stalls))
            .configure(move |cfg| routes.configure(cfg))
            .configure(|cfg| site_assets.configure(cfg))
            .service(Files::new(
                &format!("/{}", options.site_pkg_dir),
                pkg_dir.clone(),
            ))
            .leptos_routes_with_context(
                pages.clone(),
                move || {
                    provide_context(backend.clone());
                    provide_context(sign_out_targets.now());
                },
                move || app::shell(asset_urls.clone()),
            )
    })
    // A page streams out in several writes; with Nagle's algorithm on, the kernel held each one
    // back until the previous was acknowledged, which a client delaying its acknowledgement
    // answered 40 ms later (Linux; 200 ms on Windows).
    .tcp_nodelay(true)
    .listen(listener)?
    .run();
    Ok(Started {
        server,
        addr,
        nats_consumer,
    })
}

/// Where a sign-out may lead on to: the identity providers' origins, and their logout endpoints'
/// once discovery found them (they may be on another host, as with a provider behind a custom
/// domain). Read per page, as discovery happens after start.
#[derive(Clone)]
struct SignOutTargetsOf {
    issuers: Vec<String>,
    providers: Vec<crate::oidc::OidcProvider>,
}

impl SignOutTargetsOf {
    fn new(state: &AppState) -> Self {
        let issuers = [
            state.settings.staff_sso.as_ref().map(|s| &s.oidc.issuer),
            state
                .settings
                .customer_oidc
                .as_ref()
                .map(|c| &c.oidc.issuer),
        ]
        .into_iter()
        .flatten()
        .filter_map(|issuer| url::Url::parse(issuer).ok())
        .map(|url| url.origin().ascii_serialization())
        .collect();
        let providers = [state.staff_sso.clone(), state.customer_oidc.clone()]
            .into_iter()
            .flatten()
            .collect();
        Self { issuers, providers }
    }

    fn now(&self) -> SignOutTargets {
        let mut origins = self.issuers.clone();
        for origin in self.providers.iter().filter_map(|p| p.logout_origin()) {
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        SignOutTargets(origins)
    }
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
