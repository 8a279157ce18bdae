//! `POST /v1/secret-scanning/github`: GitHub's secret-scanning partner reports. No API key: GitHub signs the
//! raw body, and nothing is done with a report whose signature does not verify with a key GitHub lists.
//! Every token reported is labelled (ours are revoked by the domain) and the answer is GitHub's feedback
//! list, which holds the SHA-256 of each token GitHub sent, never the token.

mod error;
mod keys;
mod report;
mod signature;

use std::time::{Instant, SystemTime};

use accounts::{LeakLabel, ReportedToken};
use api_errors::Outcome;
use config::{ConfigError, Variables};
use http_envelope::{
    body_bytes, dispatch, header_text, json_without_envelope, request_facts, Access, ApiError,
    Endpoint, HttpConfig, Route, TelemetryConfig,
};
use lambda_http::http::{StatusCode, Uri};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use store::{Store, StoreConfig};

pub use error::ScanError;
pub use keys::{
    parse_keys_document, KeyRing, KeysError, PublicKeys, DEFAULT_KEYS_URL, FETCH_TIMEOUT,
    MAX_KEYS_DOCUMENT_BYTES, REFETCH_INTERVAL,
};
pub use report::{parse_report, ReportError, MAX_REPORT_BYTES, MAX_REPORT_TOKENS};
pub use signature::{
    decode_signature, verify, SignatureError, KEY_IDENTIFIER_HEADER, SIGNATURE_HEADER,
};

/// What a request of this function asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    GithubReport,
}

/// The routes this function serves: the one declaration of their paths, methods, scopes and operations.
pub const ROUTES: &[Route<Operation>] = &[Route {
    path: "/v1/secret-scanning/github",
    endpoints: &[Endpoint::post(Access::Public, Operation::GithubReport)],
}];

/// The function's configuration, read once in `main`.
#[derive(Clone, Debug)]
pub struct Config {
    pub telemetry: TelemetryConfig,
    pub http: HttpConfig,
    pub store: StoreConfig,
    /// `SECRET_SCANNING_KEYS_URL`: where GitHub's public keys document is fetched ([`DEFAULT_KEYS_URL`]
    /// when unset); http is accepted for `make dev` and the tests.
    pub keys_url: Uri,
}

impl Config {
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        let keys_url = variables
            .parsed(
                "SECRET_SCANNING_KEYS_URL",
                "an https:// (or http://) URL of GitHub's public keys document",
                parse_keys_url,
            )?
            .unwrap_or_else(|| Uri::from_static(DEFAULT_KEYS_URL));
        Ok(Self {
            telemetry: TelemetryConfig::from_variables(variables)?,
            http: HttpConfig::from_variables(variables)?,
            store: StoreConfig::from_variables(variables)?,
            keys_url,
        })
    }
}

/// An absolute http or https URL with a host.
fn parse_keys_url(text: &str) -> Option<Uri> {
    let uri: Uri = text.parse().ok()?;
    let scheme_ok = matches!(uri.scheme_str(), Some("https" | "http"));
    (scheme_ok && uri.host().is_some()).then_some(uri)
}

/// What the function holds for every request: built once per cold start.
#[derive(Debug)]
pub struct Service {
    pub store: Store,
    pub http: HttpConfig,
    /// GitHub's public keys: fetched at their first use, then cached.
    pub keys: PublicKeys,
}

impl Service {
    /// Connects to the table and builds the keys' HTTP client; fetches nothing yet.
    pub async fn start(config: &Config) -> Self {
        Self {
            store: Store::connect(&config.store).await,
            http: config.http,
            keys: PublicKeys::new(config.keys_url.clone()),
        }
    }
}

/// Answers one request.
pub async fn handle(service: &Service, request: Request) -> Response<Body> {
    dispatch(
        request,
        ROUTES,
        service.http,
        |request, matched| async move {
            match matched.operation {
                Operation::GithubReport => answer_report(service, request).await,
            }
        },
    )
    .await
}

/// One entry of GitHub's feedback list.
#[derive(Debug, Serialize)]
struct Feedback<'a> {
    /// SHA-256 of the token GitHub sent, lowercase hex (never the token).
    token_hash: String,
    token_type: &'a str,
    label: &'static str,
}

async fn answer_report(service: &Service, request: Request) -> Outcome {
    let tokens = verified_report(service, &request).await?;
    let facts = request_facts(&request);
    let labels =
        accounts::answer_leak_report(&service.store, &tokens, &facts, SystemTime::now()).await?;
    if labels.len() != tokens.len() {
        tracing::error!(
            tokens = tokens.len(),
            labels = labels.len(),
            "a label for each token"
        );
        return Err(ApiError::internal().into());
    }
    let ours = labels
        .iter()
        .filter(|label| **label == LeakLabel::TruePositive)
        .count();
    tracing::info!(
        tokens = tokens.len(),
        ours,
        "secret-scanning report answered"
    );
    let feedback: Vec<Feedback> = tokens
        .iter()
        .zip(&labels)
        .map(|(token, label)| feedback(token, *label))
        .collect();
    Ok(json_without_envelope(StatusCode::OK, &feedback))
}

/// The report's tokens, once its size is within bounds and its signature verifies with the key GitHub lists
/// under the named identifier; before that, nothing of the body is read.
async fn verified_report(
    service: &Service,
    request: &Request,
) -> Result<Vec<ReportedToken>, ApiError> {
    let body = body_bytes(request);
    if body.len() > MAX_REPORT_BYTES {
        return Err(ScanError::from(ReportError::TooLarge).into());
    }
    let identifier = header_text(request, KEY_IDENTIFIER_HEADER)?
        .filter(|text| !text.is_empty())
        .ok_or(ScanError::from(SignatureError::MissingHeader(
            KEY_IDENTIFIER_HEADER,
        )))?;
    let signature = header_text(request, SIGNATURE_HEADER)?.ok_or(ScanError::from(
        SignatureError::MissingHeader(SIGNATURE_HEADER),
    ))?;
    let signature = decode_signature(signature).map_err(ScanError::from)?;
    let key = service
        .keys
        .key(identifier, Instant::now())
        .await
        .inspect_err(|err| {
            if *err == KeysError::UnknownIdentifier {
                let shown: String = identifier.chars().take(80).collect();
                tracing::warn!(key_identifier = %shown, "a report named a key GitHub does not list");
            }
        })
        .map_err(ScanError::from)?;
    verify(&key, body, &signature).map_err(ScanError::from)?;
    Ok(parse_report(body).map_err(ScanError::from)?)
}

fn feedback(token: &ReportedToken, label: LeakLabel) -> Feedback<'_> {
    Feedback {
        token_hash: auth::token_hash(&token.token),
        token_type: &token.token_type,
        label: match label {
            LeakLabel::TruePositive => "true_positive",
            LeakLabel::FalsePositive => "false_positive",
        },
    }
}
