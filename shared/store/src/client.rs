//! The DynamoDB client: built once per cold start, with timeouts short enough that a request fails fast
//! (503) instead of hanging when DynamoDB is slow or unreachable.

use std::time::Duration;

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};

/// The root CAs every DynamoDB endpoint's certificate chains to (Amazon Trust Services, and the Starfield
/// root that cross-signs it). Trusting only these, compiled in, spares each cold start from reading and
/// parsing the system's whole CA bundle (2 to 7 ms of init measured with `make bench`), and narrows who
/// could impersonate DynamoDB. `DYNAMODB_TLS_ROOTS=native` trusts the system's roots instead.
pub const AWS_ROOT_CERTIFICATES: &[u8] = include_bytes!("../certs/aws-roots.pem");

/// Which certificate authorities the client trusts for DynamoDB's TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustRoots {
    /// Only [`AWS_ROOT_CERTIFICATES`] (the default).
    AwsOnly,
    /// The operating system's CA bundle.
    Native,
}

/// How the client reaches DynamoDB and how long it waits.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// `Some` for DynamoDB Local; `None` lets the SDK resolve the endpoint (and `AWS_ENDPOINT_URL_DYNAMODB`).
    pub endpoint: Option<String>,
    /// `Some` pins a region and static credentials (DynamoDB Local, tests); `None` uses the SDK's chain.
    pub local_region: Option<String>,
    /// Limit for one attempt (connect + call).
    pub attempt_timeout: Duration,
    /// Limit for the whole operation, retries included.
    pub operation_timeout: Duration,
    /// Attempts per operation, the first included.
    pub max_attempts: u32,
    /// The CAs trusted for TLS.
    pub trust_roots: TrustRoots,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            endpoint: None,
            local_region: None,
            attempt_timeout: Duration::from_millis(1_000),
            operation_timeout: Duration::from_millis(2_500),
            max_attempts: 3,
            trust_roots: TrustRoots::AwsOnly,
        }
    }
}

impl ClientSettings {
    /// Reads `DYNAMODB_ATTEMPT_TIMEOUT_MS`, `DYNAMODB_OPERATION_TIMEOUT_MS` and `DYNAMODB_MAX_ATTEMPTS`,
    /// keeping the defaults for any that is unset or not a number.
    pub fn from_env() -> Self {
        let defaults = Self::default();
        let millis = |name: &str, default: Duration| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .map(Duration::from_millis)
                .unwrap_or(default)
        };
        Self {
            endpoint: None,
            local_region: None,
            attempt_timeout: millis("DYNAMODB_ATTEMPT_TIMEOUT_MS", defaults.attempt_timeout),
            operation_timeout: millis("DYNAMODB_OPERATION_TIMEOUT_MS", defaults.operation_timeout),
            max_attempts: std::env::var("DYNAMODB_MAX_ATTEMPTS")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n >= 1)
                .unwrap_or(defaults.max_attempts),
            trust_roots: match std::env::var("DYNAMODB_TLS_ROOTS").as_deref() {
                Ok("native") => TrustRoots::Native,
                _ => TrustRoots::AwsOnly,
            },
        }
    }

    /// Settings for DynamoDB Local at `endpoint`: fixed region, dummy credentials.
    pub fn local(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: Some(endpoint.into()),
            local_region: Some("us-east-1".to_owned()),
            ..Self::default()
        }
    }
}

/// Builds the client: rustls on ring (one TLS stack), the timeouts and retries of `settings`.
pub async fn build_client(settings: &ClientSettings) -> Client {
    Client::from_conf(client_config(settings).await.build())
}

/// The client's configuration, for callers that add to it (the tests' operation counter).
///
/// On Lambda the region and credentials are in the environment (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, ...):
/// the configuration is then built from them directly, skipping aws-config's provider chains and profile
/// files (measured by `make bench`). Anywhere else, aws-config's default chain is used.
pub async fn client_config(settings: &ClientSettings) -> aws_sdk_dynamodb::config::Builder {
    let builder = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
    let http_client = match (settings.trust_roots, aws_trust_context()) {
        (TrustRoots::AwsOnly, Ok(context)) => builder.tls_context(context).build_https(),
        (TrustRoots::AwsOnly, Err(err)) => {
            tracing::error!(error = %err, "embedded AWS roots unusable; trusting the system's roots");
            builder.build_https()
        }
        (TrustRoots::Native, _) => builder.build_https(),
    };
    let environment_region = std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty());
    let environment_credentials = std::env::var_os("AWS_ACCESS_KEY_ID").is_some();
    let mut config = match (&settings.local_region, environment_region) {
        (Some(region), _) => aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.clone()))
            .credentials_provider(Credentials::new("local", "local", None, None, "local")),
        (None, Some(region)) if environment_credentials => aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region))
            .credentials_provider(EnvironmentVariableCredentialsProvider::new()),
        _ => aws_sdk_dynamodb::config::Builder::from(
            &aws_config::defaults(BehaviorVersion::latest())
                .http_client(http_client.clone())
                .load()
                .await,
        ),
    };
    config = config
        .http_client(http_client)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(settings.attempt_timeout)
                .operation_attempt_timeout(settings.attempt_timeout)
                .operation_timeout(settings.operation_timeout)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts))
        .interceptor(crate::timing::CallTiming);
    let endpoint = settings
        .endpoint
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_DYNAMODB").ok())
        .filter(|url| !url.is_empty());
    if let Some(endpoint) = endpoint {
        config = config.endpoint_url(endpoint);
    }
    config
}

/// A TLS context that trusts [`AWS_ROOT_CERTIFICATES`] and nothing else.
pub fn aws_trust_context() -> Result<TlsContext, aws_smithy_http_client::HttpClientError> {
    TlsContext::builder()
        .with_trust_store(
            TrustStore::empty()
                .with_native_roots(false)
                .with_pem_certificate(AWS_ROOT_CERTIFICATES),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_aws_roots_are_five_certificates_that_build_a_tls_context() {
        let text = String::from_utf8_lossy(AWS_ROOT_CERTIFICATES);
        assert_eq!(text.matches("-----BEGIN CERTIFICATE-----").count(), 5);
        assert!(aws_trust_context().is_ok());
    }

    #[test]
    fn aws_roots_are_the_default_and_native_roots_are_opt_in() {
        assert_eq!(ClientSettings::default().trust_roots, TrustRoots::AwsOnly);
    }
}
