//! GitHub's public keys document (`{"public_keys": [{"key_identifier", "key", "is_current"}]}`): fetched at
//! its first use, kept for an hour ([`MAX_DOCUMENT_AGE`]), and fetched again at most once a minute when a
//! report names a key it does not list (GitHub rotates keys; a flood of made-up identifiers must not become a flood of
//! fetches).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::Uri;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use p256::ecdsa::VerifyingKey;
use p256::pkcs8::DecodePublicKey;
use serde::Deserialize;
use tokio::sync::Mutex;

/// GitHub's document, unless `SECRET_SCANNING_KEYS_URL` names another (`make dev`, the tests).
pub const DEFAULT_KEYS_URL: &str = "https://api.github.com/meta/public_keys/secret_scanning";

/// The least time between two fetches the service makes for an identifier it does not know.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// The longest a fetched document is trusted: past it, the next report fetches it again (once, within
/// [`REFETCH_INTERVAL`] of the last try), so a key GitHub withdraws stops verifying within the hour; a failed
/// fetch keeps the keys known.
pub const MAX_DOCUMENT_AGE: Duration = Duration::from_secs(3_600);

/// The longest a fetch may take, well inside the request deadline (6 s).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// The largest document read (GitHub's is about 1 KiB).
pub const MAX_KEYS_DOCUMENT_BYTES: usize = 64 * 1024;

/// GitHub's API refuses requests without a User-Agent.
const USER_AGENT: &str = concat!("memory-api-secret-scanning/", env!("CARGO_PKG_VERSION"));

/// Why no key verified a report's signature.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeysError {
    /// The document could not be fetched or read (nothing is known to verify with): retryable.
    #[error("GitHub's public keys could not be fetched: {0}")]
    Unavailable(String),
    /// The document (fetched, or fetched within the last minute) does not list this identifier.
    #[error("GitHub's public keys do not list this identifier")]
    UnknownIdentifier,
}

/// Identifier to key, from the document's bytes. `is_current` is not read: GitHub may still sign with a key
/// it no longer marks current, and every listed key is GitHub's. An entry whose key is not a P-256 public
/// key in PEM is skipped (logged); a document with none usable is refused.
pub fn parse_keys_document(bytes: &[u8]) -> Result<HashMap<String, VerifyingKey>, String> {
    #[derive(Deserialize)]
    struct Document {
        public_keys: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        key_identifier: String,
        key: String,
    }
    let document: Document = serde_json::from_slice(bytes)
        .map_err(|err| format!("the keys document is not the expected JSON: {err}"))?;
    let mut keys = HashMap::new();
    for entry in document.public_keys {
        match VerifyingKey::from_public_key_pem(entry.key.trim()) {
            Ok(key) => {
                keys.insert(entry.key_identifier, key);
            }
            Err(err) => tracing::warn!(
                key_identifier = %entry.key_identifier,
                error = %err,
                "a key of GitHub's document is not a P-256 public key; skipped"
            ),
        }
    }
    if keys.is_empty() {
        return Err("the keys document lists no usable P-256 key".to_owned());
    }
    Ok(keys)
}

/// What the instance knows of GitHub's keys, and when it last asked.
#[derive(Debug, Default)]
pub struct KeyRing {
    keys: HashMap<String, VerifyingKey>,
    /// When the last fetch was made, and whether it gave a usable document.
    last_fetch: Option<(Instant, bool)>,
    /// When the keys held were fetched.
    fetched_at: Option<Instant>,
}

impl KeyRing {
    /// The key listed under `identifier`, if any.
    pub fn key(&self, identifier: &str) -> Option<&VerifyingKey> {
        self.keys.get(identifier)
    }

    /// Whether the keys held are older than [`MAX_DOCUMENT_AGE`] at `now`.
    pub fn is_stale(&self, now: Instant) -> bool {
        self.fetched_at
            .is_some_and(|at| now.saturating_duration_since(at) >= MAX_DOCUMENT_AGE)
    }

    /// Whether a fetch may be made at `now`: never fetched, or the last fetch a minute ago or more.
    pub fn may_fetch(&self, now: Instant) -> bool {
        self.last_fetch
            .is_none_or(|(at, _)| now.saturating_duration_since(at) >= REFETCH_INTERVAL)
    }

    /// The answer for an unknown identifier when no fetch may be made: unavailable if the last fetch failed
    /// (nothing may be known), else unknown.
    pub fn refusal(&self) -> KeysError {
        match self.last_fetch {
            Some((_, false)) => {
                KeysError::Unavailable("the last fetch, under a minute ago, failed".to_owned())
            }
            _ => KeysError::UnknownIdentifier,
        }
    }

    /// Records a fetch made at `now`: a usable document replaces every key (a key GitHub withdrew goes);
    /// a failed one keeps what was known.
    pub fn record(&mut self, fetched: Result<HashMap<String, VerifyingKey>, String>, now: Instant) {
        let usable = match fetched {
            Ok(keys) => {
                self.keys = keys;
                self.fetched_at = Some(now);
                true
            }
            Err(err) => {
                tracing::error!(error = %err, "GitHub's public keys could not be fetched");
                false
            }
        };
        self.last_fetch = Some((now, usable));
    }
}

type HttpsClient = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// GitHub's public keys, fetched over HTTPS (or plain HTTP, for `make dev` and the tests) and cached.
#[derive(Debug)]
pub struct PublicKeys {
    url: Uri,
    client: HttpsClient,
    ring: Mutex<KeyRing>,
}

impl PublicKeys {
    /// The keys at `url`, fetched at their first use. Builds the HTTP client (rustls on ring, the system's
    /// roots): once per cold start.
    pub fn new(url: Uri) -> Self {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config())
            .https_or_http()
            .enable_http1()
            .build();
        Self {
            url,
            client: Client::builder(TokioExecutor::new()).build(connector),
            ring: Mutex::new(KeyRing::default()),
        }
    }

    /// The key GitHub lists under `identifier`: from the cache, else from a fetch if one may be made at
    /// `now` (the lock is held through the fetch, so concurrent requests wait for its outcome and never
    /// fetch twice).
    pub async fn key(&self, identifier: &str, now: Instant) -> Result<VerifyingKey, KeysError> {
        let mut ring = self.ring.lock().await;
        let fresh = !ring.is_stale(now);
        if let Some(key) = ring.key(identifier).filter(|_| fresh) {
            return Ok(*key);
        }
        if !ring.may_fetch(now) {
            // A stale key is still used until a fetch may be made again.
            return ring.key(identifier).copied().ok_or_else(|| ring.refusal());
        }
        let fetched = self.fetch().await;
        let failure = fetched.as_ref().err().cloned();
        ring.record(fetched, now);
        match (ring.key(identifier), failure) {
            (Some(key), _) => Ok(*key),
            (None, Some(err)) => Err(KeysError::Unavailable(err)),
            (None, None) => Err(KeysError::UnknownIdentifier),
        }
    }

    /// One fetch of the document, within [`FETCH_TIMEOUT`] and [`MAX_KEYS_DOCUMENT_BYTES`].
    async fn fetch(&self) -> Result<HashMap<String, VerifyingKey>, String> {
        let request = hyper::Request::get(self.url.clone())
            .header(hyper::header::USER_AGENT, USER_AGENT)
            .header(hyper::header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|err| format!("the request could not be built: {err}"))?;
        let bytes = tokio::time::timeout(FETCH_TIMEOUT, async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|err| format!("{}: {err}", self.url))?;
            if !response.status().is_success() {
                return Err(format!("{} answered {}", self.url, response.status()));
            }
            Limited::new(response.into_body(), MAX_KEYS_DOCUMENT_BYTES)
                .collect()
                .await
                .map(|body| body.to_bytes())
                .map_err(|err| format!("{}: the body could not be read: {err}", self.url))
        })
        .await
        .map_err(|_| format!("{}: no answer within {FETCH_TIMEOUT:?}", self.url))??;
        parse_keys_document(&bytes)
    }
}

/// TLS for api.github.com: the system's roots (GitHub's CA is not AWS's, whose roots the DynamoDB client
/// trusts alone). Without any, plain http still works and an https fetch fails (503), as the log says.
fn tls_config() -> rustls::ClientConfig {
    let native = rustls_native_certs::load_native_certs();
    for err in &native.errors {
        tracing::warn!(error = %err, "a system TLS root could not be read");
    }
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(native.certs);
    if added == 0 {
        tracing::error!("no system TLS roots: https fetches of GitHub's keys will fail");
    }
    rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::tests::{dev_signing_key, other_signing_key};
    use p256::pkcs8::{EncodePublicKey, LineEnding};

    const DEV_DOCUMENT: &str =
        include_str!("../../../dev/secret-scanning/TEST-ONLY-public-keys.json");

    fn pem(key: &VerifyingKey) -> String {
        key.to_public_key_pem(LineEnding::LF).expect("PEM")
    }

    #[test]
    fn the_document_gives_each_identifier_its_key() {
        let keys = parse_keys_document(DEV_DOCUMENT.as_bytes()).expect("parsed");
        assert_eq!(keys.len(), 1);
        assert_eq!(
            keys.get("test-only-local-dev-key"),
            Some(dev_signing_key().verifying_key())
        );
    }

    #[test]
    fn every_listed_key_is_kept_whether_current_or_not() {
        let document = serde_json::json!({"public_keys": [
            {"key_identifier": "old", "key": pem(other_signing_key().verifying_key()), "is_current": false},
            {"key_identifier": "new", "key": pem(dev_signing_key().verifying_key()), "is_current": true},
        ]});
        let keys = parse_keys_document(document.to_string().as_bytes()).expect("parsed");
        assert_eq!(keys.get("old"), Some(other_signing_key().verifying_key()));
        assert_eq!(keys.get("new"), Some(dev_signing_key().verifying_key()));
    }

    #[test]
    fn an_unusable_key_is_skipped_and_a_document_without_keys_refused() {
        let document = serde_json::json!({"public_keys": [
            {"key_identifier": "bad", "key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
            {"key_identifier": "good", "key": pem(dev_signing_key().verifying_key())},
        ]});
        let keys = parse_keys_document(document.to_string().as_bytes()).expect("parsed");
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["good"]);
        assert!(parse_keys_document(br#"{"public_keys": []}"#).is_err());
        assert!(parse_keys_document(b"<html>").is_err());
    }

    #[test]
    fn an_unknown_identifier_may_be_fetched_once_then_is_refused_within_the_minute() {
        let start = Instant::now();
        let mut ring = KeyRing::default();
        assert!(ring.may_fetch(start), "never fetched");
        ring.record(parse_keys_document(DEV_DOCUMENT.as_bytes()), start);
        assert!(ring.key("test-only-local-dev-key").is_some());
        assert!(ring.key("rotated-in").is_none());
        assert!(!ring.may_fetch(start + Duration::from_secs(59)));
        assert_eq!(ring.refusal(), KeysError::UnknownIdentifier);
        assert!(ring.may_fetch(start + REFETCH_INTERVAL));
    }

    #[test]
    fn a_failed_fetch_keeps_the_known_keys_and_waits_the_minute_too() {
        let start = Instant::now();
        let mut ring = KeyRing::default();
        ring.record(Err("connection refused".to_owned()), start);
        assert!(!ring.may_fetch(start + Duration::from_secs(1)));
        assert!(matches!(ring.refusal(), KeysError::Unavailable(_)));
        ring.record(
            parse_keys_document(DEV_DOCUMENT.as_bytes()),
            start + REFETCH_INTERVAL,
        );
        let later = start + REFETCH_INTERVAL * 2;
        ring.record(Err("timed out".to_owned()), later);
        assert!(ring.key("test-only-local-dev-key").is_some(), "kept");
    }

    #[test]
    fn keys_are_stale_after_an_hour_and_a_failed_refresh_keeps_them() {
        let start = Instant::now();
        let mut ring = KeyRing::default();
        assert!(!ring.is_stale(start), "nothing held yet");
        ring.record(parse_keys_document(DEV_DOCUMENT.as_bytes()), start);
        assert!(!ring.is_stale(start + MAX_DOCUMENT_AGE - Duration::from_secs(1)));
        let later = start + MAX_DOCUMENT_AGE;
        assert!(ring.is_stale(later));
        ring.record(Err("timed out".to_owned()), later);
        assert!(ring.key("test-only-local-dev-key").is_some(), "kept");
        assert!(ring.is_stale(later), "still the old document");
        ring.record(
            parse_keys_document(DEV_DOCUMENT.as_bytes()),
            later + REFETCH_INTERVAL,
        );
        assert!(!ring.is_stale(later + REFETCH_INTERVAL));
    }
}
