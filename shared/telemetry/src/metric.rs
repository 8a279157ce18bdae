//! The service's metrics, each defined here once, written as CloudWatch EMF by `metrics_cloudwatch_embedded`.
//! Until [`init_metrics`] runs (tests, tools) every recording is a no-op.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::Unit;
use metrics_cloudwatch_embedded::Collector;

/// The CloudWatch namespace of every metric (the template's alarms read `AuthRefusals` here).
pub const NAMESPACE: &str = "MemoryApi/Accounts";

static COLLECTOR: OnceLock<&'static Collector> = OnceLock::new();

/// Installs the EMF recorder for `function` (the `Function` dimension of every metric). Call once in `main`;
/// a failure leaves the function serving without metrics, and says so.
pub fn init_metrics(function: &'static str) {
    let built = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(NAMESPACE)
        .with_dimension("Function", function)
        .init();
    match built {
        Ok(collector) => {
            let _ = COLLECTOR.set(collector);
            describe();
        }
        Err(err) => tracing::warn!(error = %err, "metrics are off: the EMF recorder did not start"),
    }
}

fn describe() {
    metrics::describe_counter!(
        "Requests",
        Unit::Count,
        "requests answered, by route and status class"
    );
    metrics::describe_histogram!("Latency", Unit::Milliseconds, "time to answer, by route");
    metrics::describe_counter!("Responses", Unit::Count, "requests answered, by function");
    metrics::describe_counter!(
        "ServerErrors",
        Unit::Count,
        "5xx answers (the authorizer: undecided), by function"
    );
    metrics::describe_counter!("ColdStarts", Unit::Count, "first requests of an instance");
    metrics::describe_counter!(
        "AuthOutcomes",
        Unit::Count,
        "authentications by outcome (allowed or our code)"
    );
    metrics::describe_counter!(
        "AuthRefusals",
        Unit::Count,
        "refused authentications, all codes"
    );
    metrics::describe_histogram!(
        "DynamoDbLatency",
        Unit::Milliseconds,
        "DynamoDB calls, by operation, retries included"
    );
    metrics::describe_counter!(
        "UsageFlushes",
        Unit::Count,
        "usage writes at instance shutdown"
    );
    metrics::describe_counter!(
        "UsageFlushedKeys",
        Unit::Count,
        "keys whose usage a shutdown flush wrote"
    );
}

/// Writes the metrics recorded since the last flush to stdout, one EMF document per dimension set, where
/// Lambda sends them to CloudWatch Logs. A write error loses those figures, never the request.
pub fn flush_metrics() {
    if let Some(collector) = COLLECTOR.get() {
        let _ = collector.flush(std::io::stdout().lock());
    }
}

/// A request answered: counted by route and status class, timed by route; a cold start counted.
pub(crate) fn record_request(route: &str, status: u16, latency_ms: f64, cold_start: bool) {
    let route = route.to_owned();
    let class = match status {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::counter!("Requests", "Route" => route.clone(), "StatusClass" => class).increment(1);
    metrics::histogram!("Latency", "Route" => route).record(latency_ms);
    // By function alone, for the template's 5xx-rate alarm per function (two metrics per alarm).
    metrics::counter!("Responses").increment(1);
    if status >= 500 {
        metrics::counter!("ServerErrors").increment(1);
    }
    if cold_start {
        metrics::counter!("ColdStarts").increment(1);
    }
}

/// An authentication's outcome: `allowed`, or the code it was refused with (also counted, all codes
/// together, as `AuthRefusals`, which an alarm watches on the authorizer).
pub(crate) fn record_auth_outcome(outcome: &str) {
    metrics::counter!("AuthOutcomes", "Outcome" => outcome.to_owned()).increment(1);
    if outcome != "allowed" {
        metrics::counter!("AuthRefusals").increment(1);
    }
}

/// One DynamoDB call (`GetItem`, `Query`, ...), its retries included.
pub fn record_dynamodb_call(operation: &str, elapsed: Duration) {
    metrics::histogram!("DynamoDbLatency", "Operation" => operation.to_owned())
        .record(elapsed.as_secs_f64() * 1000.0);
}

/// The usage an instance still held, written at its shutdown for `keys` keys; flushed at once, as no
/// request follows.
pub fn record_usage_flush(keys: usize) {
    metrics::counter!("UsageFlushes").increment(1);
    metrics::counter!("UsageFlushedKeys").increment(keys as u64);
    flush_metrics();
}
