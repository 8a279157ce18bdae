//! What an operator sees of each request, defined in one place: one `info` log line per request (route,
//! method, status, error code, `org_id`, `key_id`, latency, cold start, request id) and the service's metrics
//! in CloudWatch Embedded Metric Format (EMF), which CloudWatch Logs turns into metrics with no API call and
//! no agent. Never a key or its hash: the line and the metrics carry ids, route templates and codes only.
//!
//! No metric has an organisation or key dimension: each distinct dimension value is a metric CloudWatch bills
//! every month, so dimensions are bounded sets (function, route template, status class, code, operation).
//! Per-organisation figures are in the log lines (`org_id`), for CloudWatch Logs Insights.

mod facts;
mod metric;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

pub use facts::{
    note_action, note_authentication, note_presented_key, note_signed_up, within_request,
    Authentication, RequestFacts,
};
pub use metric::{
    flush_metrics, init_metrics, record_dynamodb_call, record_usage_flush, NAMESPACE,
};

/// How the request line is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogStyle {
    /// On Lambda: every fact of the request as a structured field, for CloudWatch Logs Insights.
    Lambda,
    /// Under `make dev`: one short line a developer reads (`GET /v1/account 200 2.1 ms`, and the error code).
    Dev,
}

static STYLE: OnceLock<LogStyle> = OnceLock::new();

/// Chooses the request line's style, once, at init (the default is [`LogStyle::Lambda`]).
pub fn set_log_style(style: LogStyle) {
    let _ = STYLE.set(style);
}

/// True until the instance's first request has been logged: that request paid the cold start.
static COLD_START: AtomicBool = AtomicBool::new(true);

/// How one request ended, as the function saw it.
#[derive(Clone, Debug)]
pub struct RequestOutcome<'a> {
    /// The route template (`/v1/account/api-keys/{key_id}`), never the path: a path can hold anything a
    /// caller typed, a key included, and its values would be unbounded metric dimensions.
    pub route: &'a str,
    pub method: &'a str,
    pub status: u16,
    /// Our error code (`revoked_api_key`) when the request failed.
    pub code: Option<&'a str>,
    pub request_id: &'a str,
    pub latency: Duration,
}

/// Ends a request: its one log line at `info`, its metrics, and the EMF flush of everything the request
/// recorded (so a metric reaches CloudWatch with the invocation that made it).
pub fn finish_request(outcome: &RequestOutcome<'_>, facts: &RequestFacts) {
    let cold_start = COLD_START.swap(false, Ordering::Relaxed);
    let latency_ms = outcome.latency.as_secs_f64() * 1000.0;
    if STYLE.get() == Some(&LogStyle::Dev) {
        // Straight to stdout: a log event would carry the runtime's span (request and trace ids) in front.
        println!(
            "{} {} {} {latency_ms:.1} ms{}",
            outcome.method,
            outcome.route,
            outcome.status,
            outcome
                .code
                .map(|code| format!(" {code}"))
                .unwrap_or_default()
        );
    } else {
        log_request_line(outcome, facts, latency_ms, cold_start);
    }
    metric::record_request(outcome.route, outcome.status, latency_ms, cold_start);
    match facts.authentication {
        Some(Authentication::Allowed) => metric::record_auth_outcome("allowed"),
        Some(Authentication::Refused) => {
            metric::record_auth_outcome(outcome.code.unwrap_or("refused"))
        }
        None => {}
    }
    flush_metrics();
}

/// The request line with every fact as a field.
fn log_request_line(
    outcome: &RequestOutcome<'_>,
    facts: &RequestFacts,
    latency_ms: f64,
    cold_start: bool,
) {
    tracing::info!(
        route = outcome.route,
        method = outcome.method,
        status = outcome.status,
        code = outcome.code,
        org_id = facts.org_id.as_deref(),
        key_id = facts.key_id.as_deref(),
        action = facts.action,
        subject_key_id = facts.subject_key_id.as_deref(),
        latency_ms,
        cold_start,
        request_id = outcome.request_id,
        "request"
    );
}
