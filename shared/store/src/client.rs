//! The DynamoDB client: built once per cold start, with timeouts short enough that a request fails fast
//! (503) instead of hanging when DynamoDB is slow or unreachable.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use config::{ConfigError, Variables};
use rustls::pki_types::{pem::PemObject, CertificateDer};

use crate::schema::{PARTITION_KEY, SORT_KEY};

/// The root CAs every DynamoDB endpoint's certificate chains to (Amazon Trust Services, and the Starfield
/// root that cross-signs it). Trusting only these, compiled in, spares each cold start from reading and
/// parsing the system's whole CA bundle (2 to 7 ms of init measured with `make bench`), and narrows who
/// could impersonate DynamoDB. `DYNAMODB_TLS_ROOTS=native` trusts the system's roots instead.
pub const AWS_ROOT_CERTIFICATES: &[u8] = include_bytes!("../certs/aws-roots.pem");

/// Which certificate authorities the client trusts for DynamoDB's TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustRoots {
    /// Only [`AWS_ROOT_CERTIFICATES`] (the default).
    AwsOnly,
    /// The operating system's CA bundle.
    Native,
    /// Only the certificates of this PEM file, instead of the AWS roots: `make bench` reaches DynamoDB Local
    /// over TLS, as on AWS, through a terminator whose throwaway test CA is in this file.
    File(PathBuf),
}

impl TrustRoots {
    /// `DYNAMODB_TLS_ROOTS`: `native`, `file:<path of a PEM file>`, or unset for the AWS roots; anything else
    /// is refused.
    pub fn parse(setting: Option<&str>) -> Option<Self> {
        match setting {
            None => Some(Self::AwsOnly),
            Some("native") => Some(Self::Native),
            Some(value) => match value.strip_prefix("file:") {
                Some(path) if !path.is_empty() => Some(Self::File(PathBuf::from(path))),
                _ => None,
            },
        }
    }
}

/// Below this memory size (MB), [`crate::Store::from_env`] opens the DynamoDB connection during init
/// ([`open_connection`]) unless `DYNAMODB_CONNECT_AT_INIT` says otherwise. Measured by `make bench` under
/// Lambda's CPU model (BENCHMARKS.md, section 6): at 128 MB (7 % of a vCPU) the handshake and the SDK's
/// first-request set-up cost the throttled first request more than the round trip costs init; at 256 MB
/// the two were even, and from 512 MB on the round trip costs more than it saves (more still on AWS,
/// where DynamoDB answers slower than DynamoDB Local on loopback).
pub const CONNECT_AT_INIT_BELOW_MB: u32 = 256;

/// Whether to open the connection during init: `setting` (`DYNAMODB_CONNECT_AT_INIT`) when given, else
/// whether `memory_mb` (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, which Lambda sets) is below
/// [`CONNECT_AT_INIT_BELOW_MB`]; without either (not on Lambda), no.
pub fn connect_at_init(setting: Option<bool>, memory_mb: Option<u32>) -> bool {
    setting.unwrap_or_else(|| memory_mb.is_some_and(|memory| memory < CONNECT_AT_INIT_BELOW_MB))
}

/// Where the store works: its table and how its client reaches DynamoDB. Read once, in `main`.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// `TABLE_NAME`, required.
    pub table: String,
    pub client: ClientSettings,
}

impl StoreConfig {
    /// `TABLE_NAME` and the client's settings ([`ClientSettings::from_variables`]).
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        Ok(Self {
            table: variables.required("TABLE_NAME", "the name of the service's DynamoDB table")?,
            client: ClientSettings::from_variables(variables)?,
        })
    }
}

/// How the client reaches DynamoDB and how long it waits.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// `Some` for DynamoDB Local; `None` lets the SDK resolve the endpoint (and `AWS_ENDPOINT_URL_DYNAMODB`).
    pub endpoint: Option<String>,
    /// `Some` pins a region and static credentials (DynamoDB Local, tests); `None` uses the SDK's chain.
    pub local_region: Option<String>,
    /// `AWS_REGION` where the credentials are in the environment too (`AWS_ACCESS_KEY_ID`, as on Lambda):
    /// the configuration is then built from them directly, skipping aws-config's provider chains.
    pub environment_region: Option<String>,
    /// Limit for one attempt (connect + call).
    pub attempt_timeout: Duration,
    /// Limit for the whole operation, retries included.
    pub operation_timeout: Duration,
    /// Attempts per operation, the first included.
    pub max_attempts: u32,
    /// The CAs trusted for TLS.
    pub trust_roots: TrustRoots,
    /// Whether [`crate::Store::from_env`] opens the connection during init ([`open_connection`]).
    pub connect_at_init: bool,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            endpoint: None,
            local_region: None,
            environment_region: None,
            attempt_timeout: Duration::from_millis(1_000),
            operation_timeout: Duration::from_millis(2_500),
            max_attempts: 3,
            trust_roots: TrustRoots::AwsOnly,
            connect_at_init: false,
        }
    }
}

impl ClientSettings {
    /// `DYNAMODB_ATTEMPT_TIMEOUT_MS`, `DYNAMODB_OPERATION_TIMEOUT_MS` and `DYNAMODB_MAX_ATTEMPTS` (the
    /// defaults when unset), `DYNAMODB_TLS_ROOTS` ([`TrustRoots::parse`]), `DYNAMODB_CONNECT_AT_INIT` and
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` ([`connect_at_init`]), `AWS_ENDPOINT_URL_DYNAMODB`, and `AWS_REGION`
    /// with `AWS_ACCESS_KEY_ID`. A value set but unusable is refused.
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let connect_setting = variables.flag("DYNAMODB_CONNECT_AT_INIT")?;
        let memory_mb = variables.parsed(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "the function's memory size in MB",
            |value| value.parse::<u32>().ok(),
        )?;
        let region = variables.text("AWS_REGION").map(str::to_owned);
        Ok(Self {
            endpoint: variables
                .text("AWS_ENDPOINT_URL_DYNAMODB")
                .map(str::to_owned),
            local_region: None,
            environment_region: region.filter(|_| variables.text("AWS_ACCESS_KEY_ID").is_some()),
            attempt_timeout: variables
                .millis("DYNAMODB_ATTEMPT_TIMEOUT_MS", defaults.attempt_timeout)?,
            operation_timeout: variables
                .millis("DYNAMODB_OPERATION_TIMEOUT_MS", defaults.operation_timeout)?,
            max_attempts: variables
                .parsed(
                    "DYNAMODB_MAX_ATTEMPTS",
                    "a whole number, at least 1",
                    |value| value.parse::<u32>().ok().filter(|n| *n >= 1),
                )?
                .unwrap_or(defaults.max_attempts),
            trust_roots: variables
                .parsed(
                    "DYNAMODB_TLS_ROOTS",
                    "native, or file:<path of a PEM file> (unset: the AWS roots)",
                    |value| TrustRoots::parse(Some(value)),
                )?
                .unwrap_or(TrustRoots::AwsOnly),
            connect_at_init: connect_at_init(connect_setting, memory_mb),
        })
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
/// On Lambda the region and credentials are in the environment ([`ClientSettings::environment_region`]):
/// the configuration is then built from them directly, skipping aws-config's provider chains and profile
/// files (measured by `make bench`). Anywhere else, aws-config's default chain is used.
pub async fn client_config(settings: &ClientSettings) -> aws_sdk_dynamodb::config::Builder {
    let mut config = aws_sdk_dynamodb::config::Builder::from(&sdk_config(settings).await)
        .interceptor(crate::timing::CallTiming);
    if let Some(endpoint) = &settings.endpoint {
        config = config.endpoint_url(endpoint);
    }
    config
}

/// What every AWS client of the service shares (DynamoDB's, and Secrets Manager's for the key-derivation
/// secret): the region and credentials (see [`client_config`]), one TLS stack trusting `settings`'s roots, the
/// timeouts and retries of `settings`.
pub async fn sdk_config(settings: &ClientSettings) -> SdkConfig {
    let builder = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
    let http_client = match trust_context(&settings.trust_roots) {
        Some(context) => builder.tls_context(context).build_https(),
        None => builder.build_https(),
    };
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(settings.attempt_timeout)
        .operation_attempt_timeout(settings.attempt_timeout)
        .operation_timeout(settings.operation_timeout)
        .build();
    let retries = RetryConfig::standard().with_max_attempts(settings.max_attempts);
    let fixed = |region: &str, credentials: SharedCredentialsProvider| {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .credentials_provider(credentials)
            .http_client(http_client.clone())
            .timeout_config(timeouts.clone())
            .retry_config(retries.clone())
            .build()
    };
    match (&settings.local_region, &settings.environment_region) {
        (Some(region), _) => fixed(
            region,
            SharedCredentialsProvider::new(Credentials::new("local", "local", None, None, "local")),
        ),
        (None, Some(region)) => fixed(
            region,
            SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()),
        ),
        _ => {
            aws_config::defaults(BehaviorVersion::latest())
                .http_client(http_client)
                .timeout_config(timeouts)
                .retry_config(retries)
                .load()
                .await
        }
    }
}

/// The TLS context for `roots`; `None` for the SDK's own, which trusts the system's roots.
fn trust_context(roots: &TrustRoots) -> Option<TlsContext> {
    let aws = || match aws_trust_context() {
        Ok(context) => Some(context),
        Err(err) => {
            tracing::error!(error = %err, "embedded AWS roots unusable; trusting the system's roots");
            None
        }
    };
    match roots {
        TrustRoots::AwsOnly => aws(),
        TrustRoots::Native => None,
        // A file that cannot be used falls back to the AWS roots, never to more trust than asked for.
        TrustRoots::File(path) => match file_trust_context(path) {
            Ok(context) => Some(context),
            Err(err) => {
                tracing::error!(path = %path.display(), error = %err, "DYNAMODB_TLS_ROOTS file unusable; trusting the AWS roots");
                aws()
            }
        },
    }
}

/// A TLS context that trusts the certificates of the PEM file at `path` and nothing else. The file is
/// checked here, as rustls will check it, because the SDK panics on a certificate it cannot parse.
fn file_trust_context(path: &Path) -> Result<TlsContext, String> {
    let pem = std::fs::read(path).map_err(|err| err.to_string())?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| format!("not PEM certificates: {err}"))?;
    let (added, ignored) = rustls::RootCertStore::empty().add_parsable_certificates(certificates);
    if added == 0 || ignored > 0 {
        return Err(format!(
            "{added} usable certificate(s), {ignored} unparsable"
        ));
    }
    TlsContext::builder()
        .with_trust_store(
            TrustStore::empty()
                .with_native_roots(false)
                .with_pem_certificate(pem),
        )
        .build()
        .map_err(|err| err.to_string())
}

/// The key [`open_connection`] reads: no item ever has it (every partition key the service writes starts
/// with a letter).
const CONNECTION_PROBE_KEY: &str = "#connect";

/// Opens the client's connection to DynamoDB (DNS, TCP, TLS, and the SDK's first-request set-up) with one
/// eventually consistent `GetItem` of a key that cannot exist: 0.5 read unit per cold start. On Lambda,
/// init runs with more CPU than a small function's invocations get, so the first request of a cold start
/// no longer pays the handshake at its throttled share (measured by `make bench`). A failure is logged and
/// left to the first request, which would meet it anyway; it waits at most `limit`.
pub async fn open_connection(client: &Client, table: &str, limit: Duration) {
    let started = Instant::now();
    let probe = client
        .get_item()
        .table_name(table)
        .key(
            PARTITION_KEY,
            AttributeValue::S(CONNECTION_PROBE_KEY.to_owned()),
        )
        .key(SORT_KEY, AttributeValue::S(CONNECTION_PROBE_KEY.to_owned()))
        .projection_expression("#pk")
        .expression_attribute_names("#pk", PARTITION_KEY)
        .send();
    match tokio::time::timeout(limit, probe).await {
        Ok(Ok(_)) => tracing::debug!(
            elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
            "DynamoDB connection opened during init"
        ),
        Ok(Err(err)) => tracing::warn!(
            error = %aws_sdk_dynamodb::error::DisplayErrorContext(&err),
            "DynamoDB connection not opened during init"
        ),
        Err(_) => tracing::warn!(
            ?limit,
            "DynamoDB connection not opened during init: timed out"
        ),
    }
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

    #[test]
    fn the_trust_roots_setting_names_native_roots_or_a_file_and_anything_else_is_refused() {
        assert_eq!(TrustRoots::parse(None), Some(TrustRoots::AwsOnly));
        assert_eq!(TrustRoots::parse(Some("native")), Some(TrustRoots::Native));
        assert_eq!(
            TrustRoots::parse(Some("file:/tmp/bench ca.pem")),
            Some(TrustRoots::File(PathBuf::from("/tmp/bench ca.pem")))
        );
        for other in ["file:", "NATIVE", "aws", "/tmp/ca.pem", "file"] {
            assert_eq!(TrustRoots::parse(Some(other)), None, "{other:?}");
            let variables = Variables::from_pairs([("DYNAMODB_TLS_ROOTS", other)]);
            let err = ClientSettings::from_variables(&variables).expect_err("refused");
            assert_eq!(err.name, "DYNAMODB_TLS_ROOTS", "{other:?}");
        }
    }

    #[test]
    fn a_trust_roots_file_that_is_missing_or_holds_no_certificate_is_refused() {
        let dir = std::env::temp_dir().join(format!("store-roots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (good, bad) = (dir.join("good.pem"), dir.join("bad.pem"));
        std::fs::write(&good, AWS_ROOT_CERTIFICATES).expect("write");
        std::fs::write(
            &bad,
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        assert!(file_trust_context(&good).is_ok());
        assert!(file_trust_context(&bad).is_err());
        assert!(file_trust_context(&dir.join("missing.pem")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn small_functions_connect_at_init_unless_the_setting_says_otherwise() {
        for memory in [Some(128), Some(192), Some(255)] {
            assert!(connect_at_init(None, memory), "{memory:?}");
            assert!(!connect_at_init(Some(false), memory), "{memory:?}");
        }
        for memory in [Some(256), Some(512), Some(1769), None] {
            assert!(!connect_at_init(None, memory), "{memory:?}");
            assert!(connect_at_init(Some(true), memory), "{memory:?}");
        }
        let read = |pairs: &[(&str, &str)]| {
            ClientSettings::from_variables(&Variables::from_pairs(pairs.iter().copied()))
                .map(|settings| settings.connect_at_init)
        };
        assert_eq!(
            read(&[("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")]),
            Ok(true)
        );
        assert_eq!(
            read(&[
                ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
                ("DYNAMODB_CONNECT_AT_INIT", "0")
            ]),
            Ok(false)
        );
        assert_eq!(read(&[("DYNAMODB_CONNECT_AT_INIT", "true")]), Ok(true));
    }

    #[test]
    fn a_connect_at_init_setting_or_memory_size_that_is_not_one_is_refused() {
        for (name, value) in [
            ("DYNAMODB_CONNECT_AT_INIT", "yes"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "lots"),
            ("DYNAMODB_ATTEMPT_TIMEOUT_MS", "1s"),
            ("DYNAMODB_OPERATION_TIMEOUT_MS", "0"),
            ("DYNAMODB_MAX_ATTEMPTS", "0"),
        ] {
            let variables = Variables::from_pairs([(name, value)]);
            let err = ClientSettings::from_variables(&variables).expect_err("refused");
            assert_eq!((err.name, err.value.as_deref()), (name, Some(value)));
        }
    }

    #[test]
    fn a_missing_table_name_fails_the_init_naming_it() {
        let err = StoreConfig::from_variables(&Variables::default()).expect_err("refused");
        assert_eq!(err.name, "TABLE_NAME");
        assert_eq!(
            err.to_string(),
            "TABLE_NAME is not set: expected the name of the service's DynamoDB table"
        );
    }
}
