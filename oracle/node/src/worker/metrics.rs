//! The node's Prometheus metrics (prometheus-client), served on
//! `GET /metrics` by axum, the HTTP stack the local node serves on too.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The node's counters and gauges, registered once.
pub struct Metrics {
    registry: Registry,
    pub windows_processed: Counter,
    pub observations_landed: Counter,
    pub observations_refused: Counter,
    pub submit_retries: Counter,
    pub data_rejected: Counter,
    pub rounds_missed: Counter,
    pub early_rounds: Counter,
    pub last_round: Gauge,
    pub collateral_ratio: Gauge<f64, AtomicU64>,
    pub breach_probability: Gauge<f64, AtomicU64>,
    pub cycle_seconds: Gauge<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ballast_oracle");
        let metrics = Self {
            windows_processed: Counter::default(),
            observations_landed: Counter::default(),
            observations_refused: Counter::default(),
            submit_retries: Counter::default(),
            data_rejected: Counter::default(),
            rounds_missed: Counter::default(),
            early_rounds: Counter::default(),
            last_round: Gauge::default(),
            collateral_ratio: Gauge::default(),
            breach_probability: Gauge::default(),
            cycle_seconds: Gauge::default(),
            registry: Registry::default(),
        };
        // Counters get their `_total` suffix from the encoder.
        registry.register("windows_processed", "Market windows finished", metrics.windows_processed.clone());
        registry.register("observations_landed", "Observations that landed in their round", metrics.observations_landed.clone());
        registry.register("observations_refused", "Observations the program refused", metrics.observations_refused.clone());
        registry.register(
            "rounds_missed",
            "Rounds that closed before this node's observation landed",
            metrics.rounds_missed.clone(),
        );
        registry.register(
            "early_rounds",
            "Observations this node planned for a round it opened early on a trigger",
            metrics.early_rounds.clone(),
        );
        registry.register(
            "submit_retries",
            "Sends and reads retried after a transport error",
            metrics.submit_retries.clone(),
        );
        registry.register(
            "data_rejected",
            "Windows whose market data was malformed, stale or too uncertain",
            metrics.data_rejected.clone(),
        );
        registry.register("last_round", "The last round this node's observation landed in", metrics.last_round.clone());
        registry.register("collateral_ratio", "CR at the last decision", metrics.collateral_ratio.clone());
        registry.register(
            "breach_probability",
            "Monte Carlo P(CR < 1) at the last decision",
            metrics.breach_probability.clone(),
        );
        registry.register("cycle_seconds", "Duration of the last window's cycle", metrics.cycle_seconds.clone());
        Self { registry, ..metrics }
    }
}

impl Metrics {
    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

/// Serves `metrics` on `address` from a background thread; returns the bound
/// address (useful with port 0).
pub fn serve(address: &str, metrics: Arc<Metrics>) -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(address)?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new().name("metrics".into()).spawn(move || {
        runtime.block_on(async move {
            let app = Router::new().route(
                "/metrics",
                get(move || async move {
                    ([(CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], metrics.render())
                }),
            );
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => {
                    if let Err(error) = axum::serve(listener, app).await {
                        tracing::error!(%error, "the metrics server stopped");
                    }
                }
                Err(error) => tracing::error!(%error, "the metrics listener"),
            }
        })
    })?;
    Ok(bound)
}
