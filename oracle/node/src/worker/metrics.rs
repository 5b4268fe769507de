//! Prometheus metrics in the text exposition format, served on `GET /metrics`.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The worker's counters and gauges; gauges hold f64 bits.
#[derive(Default)]
pub struct Metrics {
    pub windows_processed: AtomicU64,
    pub updates_confirmed: AtomicU64,
    pub updates_rejected: AtomicU64,
    pub submit_retries: AtomicU64,
    pub data_rejected: AtomicU64,
    pub last_nonce: AtomicU64,
    collateral_ratio: AtomicU64,
    breach_probability: AtomicU64,
    cycle_seconds: AtomicU64,
}

impl Metrics {
    pub fn increment(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn set_collateral_ratio(&self, value: f64) {
        self.collateral_ratio.store(value.to_bits(), Ordering::Relaxed);
    }

    pub fn set_breach_probability(&self, value: f64) {
        self.breach_probability.store(value.to_bits(), Ordering::Relaxed);
    }

    pub fn set_cycle_seconds(&self, value: f64) {
        self.cycle_seconds.store(value.to_bits(), Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let gauge = |g: &AtomicU64| f64::from_bits(g.load(Ordering::Relaxed));
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"));
        };
        metric(
            "ballast_oracle_windows_processed_total",
            "counter",
            "Settlement windows finished.",
            count(&self.windows_processed).to_string(),
        );
        metric(
            "ballast_oracle_updates_confirmed_total",
            "counter",
            "Oracle updates confirmed on chain.",
            count(&self.updates_confirmed).to_string(),
        );
        metric(
            "ballast_oracle_updates_rejected_total",
            "counter",
            "Oracle updates refused by the program or expired.",
            count(&self.updates_rejected).to_string(),
        );
        metric(
            "ballast_oracle_submit_retries_total",
            "counter",
            "Sends and reads retried after a transport error.",
            count(&self.submit_retries).to_string(),
        );
        metric(
            "ballast_oracle_data_rejected_total",
            "counter",
            "Windows whose market data was malformed.",
            count(&self.data_rejected).to_string(),
        );
        metric(
            "ballast_oracle_last_nonce",
            "gauge",
            "Nonce of the last confirmed update.",
            count(&self.last_nonce).to_string(),
        );
        metric(
            "ballast_oracle_collateral_ratio",
            "gauge",
            "CR at the last decision.",
            gauge(&self.collateral_ratio).to_string(),
        );
        metric(
            "ballast_oracle_breach_probability",
            "gauge",
            "Monte Carlo P(CR < 1) at the last decision.",
            gauge(&self.breach_probability).to_string(),
        );
        metric(
            "ballast_oracle_cycle_seconds",
            "gauge",
            "Duration of the last window's cycle.",
            gauge(&self.cycle_seconds).to_string(),
        );
        out
    }
}

/// Serves `metrics` on `address` from a background thread; returns the bound
/// address (useful with port 0).
pub fn serve(address: &str, metrics: Arc<Metrics>) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(address)?;
    let bound = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Err(error) = respond(stream, &metrics) {
                tracing::debug!(%error, "metrics request failed");
            }
        }
    });
    Ok(bound)
}

fn respond(stream: TcpStream, metrics: &Metrics) -> std::io::Result<()> {
    let mut request_line = String::new();
    BufReader::new(&stream).read_line(&mut request_line)?;
    let (status, body) = match request_line.split_whitespace().nth(1) {
        Some("/metrics") => ("200 OK", metrics.render()),
        _ => ("404 Not Found", "not found\n".to_owned()),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
