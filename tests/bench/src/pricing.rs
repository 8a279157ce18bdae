//! What a request costs on AWS, from what the bench measured: us-east-1 on-demand prices, checked in
//! November 2026. Free tiers are left out. The prices go into each run's figures, so an older run is costed
//! at the prices it was measured with.

use serde::{Deserialize, Serialize};

/// On-demand prices in dollars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Prices {
    /// Lambda on arm64, per GB-second (1 GB = 1024 MB), billed per 1 ms of duration.
    pub lambda_arm64_per_gb_second: f64,
    /// Lambda, per million requests.
    pub lambda_per_million_requests: f64,
    /// API Gateway HTTP API, per million requests (the first 300 million of a month).
    pub http_api_per_million_requests: f64,
    /// DynamoDB on-demand, per million read request units and per million write request units.
    pub dynamodb_per_million_read_units: f64,
    pub dynamodb_per_million_write_units: f64,
}

/// us-east-1, November 2026.
pub const US_EAST_1: Prices = Prices {
    lambda_arm64_per_gb_second: 0.000_013_333_4,
    lambda_per_million_requests: 0.20,
    http_api_per_million_requests: 1.00,
    dynamodb_per_million_read_units: 0.125,
    dynamodb_per_million_write_units: 0.625,
};

/// Lambda's billed duration of one request: rounded up to the next millisecond.
pub fn billed_ms(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 1e3).ceil().max(1.0)
}

impl Prices {
    /// The prices as BENCHMARKS.md states them.
    pub fn statement(&self) -> String {
        format!(
            "us-east-1 on-demand prices: Lambda arm64 ${} per GB-s (billed ms × memory / 1024) + ${:.2} per \
             million requests; API Gateway HTTP API ${:.2} per million; DynamoDB ${} per million read units \
             and ${} per million write units",
            self.lambda_arm64_per_gb_second,
            self.lambda_per_million_requests,
            self.http_api_per_million_requests,
            self.dynamodb_per_million_read_units,
            self.dynamodb_per_million_write_units
        )
    }

    /// Lambda's duration charge per million requests of `billed_ms` (mean) at `memory_mb`.
    pub fn duration_per_million(&self, billed_ms: f64, memory_mb: u32) -> f64 {
        billed_ms / 1e3 * f64::from(memory_mb) / 1024.0 * self.lambda_arm64_per_gb_second * 1e6
    }

    /// Everything else per million requests, whatever the memory size: Lambda's request charge, the HTTP
    /// API's, and DynamoDB's for `read_units` and `write_units` per request.
    pub fn fixed_per_million(&self, read_units: f64, write_units: f64) -> f64 {
        self.lambda_per_million_requests
            + self.http_api_per_million_requests
            + read_units * self.dynamodb_per_million_read_units
            + write_units * self.dynamodb_per_million_write_units
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn duration_is_billed_per_gb_second_and_rounded_up_to_the_millisecond() {
        // A million requests of 1 s at 1024 MB are a million GB-seconds.
        assert!((US_EAST_1.duration_per_million(1000.0, 1024) - 13.3334).abs() < 1e-9);
        assert_eq!(billed_ms(Duration::from_micros(1_001)), 2.0);
        assert_eq!(billed_ms(Duration::from_micros(150)), 1.0);
    }

    #[test]
    fn the_prices_are_stated_as_the_constants_say() {
        let text = US_EAST_1.statement();
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
        assert!((US_EAST_1.fixed_per_million(0.0, 0.0) - 1.20).abs() < 1e-9);
        assert!((US_EAST_1.fixed_per_million(1.5, 0.0) - 1.3875).abs() < 1e-9);
        assert!((US_EAST_1.fixed_per_million(0.0, 6.0) - 4.95).abs() < 1e-9);
    }
}
