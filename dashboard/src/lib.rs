//! `ballast dashboard`: a transparency page and a versioned JSON API over
//! the chain. A watcher thread reads the chain every poll and records each
//! read in the dashboard's own SQLite history; the web server only serves
//! what the watcher last read, so a chain that stops answering shows as an
//! error with the time of the last good read, never as a blank page.
//! Every asset the page needs is in the binary (`web/`), so it works offline.

pub mod events;
pub mod history;
pub mod nodes;
pub mod read;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ballast_sdk::{Chain, Pubkey};
use serde_json::{json, Value};

use history::History;
use read::Snapshot;

/// The most history points one request may ask for.
pub const MAX_HISTORY_POINTS: usize = 10_000;

pub struct DashboardOptions {
    pub addr: SocketAddr,
    /// The SQLite file the history is kept in (created if missing).
    pub history: PathBuf,
    pub poll: Duration,
    /// Asset symbols by mint, where known: from the deployment file, or
    /// filled in later by whoever deploys (the demo).
    pub symbols: Symbols,
    /// Oracle nodes' audit files to show (`/api/v1/nodes`).
    pub audits: Vec<PathBuf>,
}

/// Asset symbols by mint, shared with the watcher so they can be learnt
/// after it starts.
pub type Symbols = Arc<RwLock<HashMap<Pubkey, String>>>;

/// What the watcher last saw.
#[derive(Default)]
struct Watch {
    latest: Option<Arc<Snapshot>>,
    /// Unix seconds of the last good read.
    last_good_read: Option<u64>,
    /// Why the last read failed, while the chain is not answering.
    error: Option<String>,
}

#[derive(Clone)]
struct Shared {
    watch: Arc<Mutex<Watch>>,
    history: Arc<Mutex<History>>,
    audits: Arc<Vec<PathBuf>>,
}

/// A running dashboard: its address, until [`Running::stop`].
pub struct Running {
    pub address: SocketAddr,
    stop: Arc<AtomicBool>,
    watcher: std::thread::JoinHandle<()>,
    server: std::thread::JoinHandle<Result<()>>,
    shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn stop(self) -> Result<()> {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.shutdown.send(());
        self.watcher.join().map_err(|_| anyhow::anyhow!("the dashboard's watcher panicked"))?;
        self.server.join().map_err(|_| anyhow::anyhow!("the dashboard's server panicked"))?
    }

    /// Serves until the server ends (ctrl-c or SIGTERM).
    pub fn wait(self) -> Result<()> {
        let result = self.server.join().map_err(|_| anyhow::anyhow!("the dashboard's server panicked"))?;
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.watcher.join();
        result
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Starts the watcher over `chain` and the server on `options.addr`.
pub fn start(mut chain: Box<dyn Chain + Send>, options: DashboardOptions) -> Result<Running> {
    let history = History::open(&options.history).with_context(|| format!("history file {}", options.history.display()))?;
    let shared = Shared { watch: Arc::default(), history: Arc::new(Mutex::new(history)), audits: Arc::new(options.audits) };
    let listener = std::net::TcpListener::bind(options.addr).with_context(|| format!("binding {}", options.addr))?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));

    let (watched, stopping) = (shared.clone(), stop.clone());
    let (poll, symbols) = (options.poll, options.symbols);
    let watcher = std::thread::spawn(move || {
        let mut previous: Option<Arc<Snapshot>> = None;
        while !stopping.load(Ordering::SeqCst) {
            let known = symbols.read().expect("symbols lock").clone();
            let outcome = read::read(chain.as_mut(), &known, unix_now());
            if let Ok(snapshot) = &outcome {
                let seen = previous.as_deref().map(|before| events::between(before, snapshot)).unwrap_or_default();
                let history = watched.history.lock().expect("history lock");
                if let Err(error) = history.record(snapshot).and_then(|()| history.record_events(&seen)) {
                    tracing::warn!(%error, "history not recorded");
                }
            }
            let mut watch = watched.watch.lock().expect("watch lock");
            match outcome {
                Ok(snapshot) => {
                    let snapshot = Arc::new(snapshot);
                    watch.last_good_read = Some(snapshot.read_at);
                    watch.latest = Some(snapshot.clone());
                    watch.error = None;
                    previous = Some(snapshot);
                }
                Err(error) => {
                    tracing::warn!(%error, "chain read failed");
                    watch.error = Some(error.to_string());
                }
            }
            drop(watch);
            std::thread::sleep(poll);
        }
    });

    let (shutdown, shutdown_signal) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || -> Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, router(shared))
                .with_graceful_shutdown(async move {
                    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
                    let terminated = async move {
                        match terminate.as_mut() {
                            Some(signal) => signal.recv().await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        _ = shutdown_signal => {}
                        _ = tokio::signal::ctrl_c() => {}
                        _ = terminated => {}
                    }
                })
                .await?;
            Ok(())
        })
    });
    Ok(Running { address, stop, watcher, server, shutdown })
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", include_str!("../web/index.html")) }))
        .route("/app.js", get(|| async { asset("text/javascript; charset=utf-8", include_str!("../web/app.js")) }))
        .route("/style.css", get(|| async { asset("text/css; charset=utf-8", include_str!("../web/style.css")) }))
        .route("/api/v1/health", get(health))
        .route("/api/v1/snapshot", get(|State(shared): State<Shared>| async move { part(&shared, |s| json!(s)) }))
        .route("/api/v1/reserve", get(|State(shared): State<Shared>| async move { part(&shared, |s| json!(s.reserve)) }))
        .route("/api/v1/safety", get(|State(shared): State<Shared>| async move { part(&shared, |s| json!(s.safety)) }))
        .route("/api/v1/oracle", get(|State(shared): State<Shared>| async move { part(&shared, |s| json!(s.oracle)) }))
        .route("/api/v1/governance", get(|State(shared): State<Shared>| async move { part(&shared, |s| json!(s.governance)) }))
        .route("/api/v1/history", get(history_points))
        .route("/api/v1/events", get(recent_events))
        .route("/api/v1/nodes", get(|State(shared): State<Shared>| async move {
            let nodes = nodes::read(&shared.audits);
            let chain = chain_state(&shared.watch.lock().expect("watch lock"));
            Json(json!({ "chain": chain, "data": nodes }))
        }))
        .fallback(not_found)
        .with_state(shared)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// The chain's state as the watcher knows it: whether its last read
/// succeeded, when the last good one was and why the last one failed.
fn chain_state(watch: &Watch) -> Value {
    json!({
        "ok": watch.error.is_none() && watch.latest.is_some(),
        "last_good_read": watch.last_good_read,
        "error": watch.error,
        "slot": watch.latest.as_ref().map(|s| s.slot),
    })
}

async fn health(State(shared): State<Shared>) -> Json<Value> {
    Json(chain_state(&shared.watch.lock().expect("watch lock")))
}

/// `{"chain": ..., "data": ...}` with the part of the last snapshot that
/// `pick` selects; 503 while nothing has been read yet.
fn part(shared: &Shared, pick: impl Fn(&Snapshot) -> Value) -> Response {
    let watch = shared.watch.lock().expect("watch lock");
    let chain = chain_state(&watch);
    match &watch.latest {
        Some(snapshot) => Json(json!({ "chain": chain, "slot": snapshot.slot, "read_at": snapshot.read_at, "data": pick(snapshot) })).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "chain": chain, "data": null }))).into_response(),
    }
}

/// The `limit` query parameter of `route` (the only one it takes), or a
/// 400 that names what was wrong.
fn limit_param(query: &HashMap<String, String>, route: &str, default: usize) -> Result<usize, Response> {
    let bad = |message: String| (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response();
    if let Some(unknown) = query.keys().find(|k| k.as_str() != "limit") {
        return Err(bad(format!("unknown query parameter `{unknown}`: {route} takes only `limit`")));
    }
    match query.get("limit").map(|text| (text, text.parse::<usize>())) {
        None => Ok(default),
        Some((_, Ok(limit))) if (1..=MAX_HISTORY_POINTS).contains(&limit) => Ok(limit),
        Some((text, _)) => Err(bad(format!("query parameter `limit`: `{text}` is not a whole number from 1 to {MAX_HISTORY_POINTS}"))),
    }
}

/// `{"chain": ..., "data": ...}` with what `load` reads from the history file.
fn from_history<T: serde::Serialize>(shared: &Shared, load: impl FnOnce(&History) -> rusqlite::Result<T>) -> Response {
    let chain = chain_state(&shared.watch.lock().expect("watch lock"));
    match load(&shared.history.lock().expect("history lock")) {
        Ok(data) => Json(json!({ "chain": chain, "data": data })).into_response(),
        Err(error) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "chain": chain, "error": format!("history: {error}") }))).into_response(),
    }
}

async fn history_points(State(shared): State<Shared>, Query(query): Query<HashMap<String, String>>) -> Response {
    match limit_param(&query, "/api/v1/history", 1_000) {
        Ok(limit) => from_history(&shared, |history| history.latest(limit)),
        Err(bad) => bad,
    }
}

async fn recent_events(State(shared): State<Shared>, Query(query): Query<HashMap<String, String>>) -> Response {
    match limit_param(&query, "/api/v1/events", 100) {
        Ok(limit) => from_history(&shared, |history| history.latest_events(limit)),
        Err(bad) => bad,
    }
}

async fn not_found(uri: Uri) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": format!("no such route: {}", uri.path()) }))).into_response()
}
