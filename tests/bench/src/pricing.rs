//! What a request costs on AWS, from what the bench measured: us-east-1 on-demand prices, checked in
//! November 2026. Free tiers are left out.

/// Lambda on arm64, per GB-second (1 GB = 1024 MB), billed per 1 ms of duration.
const LAMBDA_ARM64_PER_GB_SECOND: f64 = 0.000_013_333_4;
/// Lambda, per million requests.
pub const LAMBDA_PER_MILLION_REQUESTS: f64 = 0.20;
/// API Gateway HTTP API, per million requests (the first 300 million of a month).
pub const HTTP_API_PER_MILLION_REQUESTS: f64 = 1.00;
/// DynamoDB on-demand, per million read request units and per million write request units.
const DYNAMODB_PER_MILLION_READ_UNITS: f64 = 0.125;
const DYNAMODB_PER_MILLION_WRITE_UNITS: f64 = 0.625;

/// The prices as BENCHMARKS.md states them.
pub fn prices() -> String {
    format!(
        "us-east-1 on-demand prices: Lambda arm64 ${LAMBDA_ARM64_PER_GB_SECOND} per GB-s (billed ms × \
         memory / 1024) + ${LAMBDA_PER_MILLION_REQUESTS:.2} per million requests; API Gateway HTTP API \
         ${HTTP_API_PER_MILLION_REQUESTS:.2} per million; DynamoDB ${DYNAMODB_PER_MILLION_READ_UNITS} per \
         million read units and ${DYNAMODB_PER_MILLION_WRITE_UNITS} per million write units"
    )
}

/// Lambda's billed duration of one request: rounded up to the next millisecond.
pub fn billed_ms(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 1e3).ceil().max(1.0)
}

/// Lambda's duration charge per million requests of `billed_ms` (mean) at `memory_mb`.
pub fn duration_per_million(billed_ms: f64, memory_mb: u32) -> f64 {
    billed_ms / 1e3 * f64::from(memory_mb) / 1024.0 * LAMBDA_ARM64_PER_GB_SECOND * 1e6
}

/// Everything else per million requests, whatever the memory size: Lambda's request charge, the HTTP
/// API's, and DynamoDB's for `read_units` and `write_units` per request.
pub fn fixed_per_million(read_units: f64, write_units: f64) -> f64 {
    LAMBDA_PER_MILLION_REQUESTS
        + HTTP_API_PER_MILLION_REQUESTS
        + read_units * DYNAMODB_PER_MILLION_READ_UNITS
        + write_units * DYNAMODB_PER_MILLION_WRITE_UNITS
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn duration_is_billed_per_gb_second_and_rounded_up_to_the_millisecond() {
        // A million requests of 1 s at 1024 MB are a million GB-seconds.
        assert!((duration_per_million(1000.0, 1024) - 13.3334).abs() < 1e-9);
        assert_eq!(billed_ms(Duration::from_micros(1_001)), 2.0);
        assert_eq!(billed_ms(Duration::from_micros(150)), 1.0);
    }

    #[test]
    fn the_prices_are_stated_as_the_constants_say() {
        let text = prices();
        for price in [
            "$0.0000133334 per GB-s",
            "$0.20 per million requests",
            "$1.00 per million;",
        ] {
            assert!(text.contains(price), "{price}: {text}");
        }
        assert!(text.contains("$0.125 per million read units and $0.625 per million write units"));
    }

    #[test]
    fn the_fixed_charges_are_the_requests_and_the_capacity_units() {
        assert!((fixed_per_million(0.0, 0.0) - 1.20).abs() < 1e-9);
        assert!((fixed_per_million(1.5, 0.0) - 1.3875).abs() < 1e-9);
        assert!((fixed_per_million(0.0, 6.0) - 4.95).abs() < 1e-9);
    }
}
