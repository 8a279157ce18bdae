//! The one place where an error becomes an HTTP answer. The domain crates (`auth`, `accounts`, `store`) return
//! domain errors and know nothing of statuses; every handler returns a [`Failure`], and [`ApiError::from`]
//! gives each its status, stable code and message, and logs the cause of every 5xx.

use accounts::AccountError;
use auth::AuthError;
use http_envelope::ApiError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use store::StoreError;

/// Anything a handler can fail with: a request the HTTP layer already refused, or a domain error.
#[derive(Debug)]
pub enum Failure {
    /// Refused before the domain was asked (route, method, body, header): already an HTTP answer.
    Request(ApiError),
    /// Who is calling, and may they.
    Auth(AuthError),
    /// The domain's rules, and the store beneath them.
    Account(AccountError),
}

/// What a handler returns; `http_envelope::dispatch` turns the failure into its JSON envelope.
pub type Outcome = Result<Response<Body>, Failure>;

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Self {
        Failure::Request(err)
    }
}

impl From<AuthError> for Failure {
    fn from(err: AuthError) -> Self {
        Failure::Auth(err)
    }
}

impl From<AccountError> for Failure {
    fn from(err: AccountError) -> Self {
        match err {
            // One route to each mapping: an auth failure met inside the domain is an auth failure.
            AccountError::Auth(err) => Failure::Auth(err),
            other => Failure::Account(other),
        }
    }
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        let answer = match &failure {
            Failure::Request(err) => err.clone(),
            Failure::Auth(err) => auth_error(err),
            Failure::Account(err) => account_error(err),
        };
        if answer.status.is_server_error() {
            tracing::error!(code = answer.code, cause = %Cause(&failure), "request failed");
        }
        answer
    }
}

/// The failure's own words, for the log line of a 5xx (never shown to the client).
struct Cause<'a>(&'a Failure);

impl std::fmt::Display for Cause<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Failure::Request(err) => write!(f, "{err}"),
            Failure::Auth(err) => write!(f, "{err}"),
            Failure::Account(err) => write!(f, "{err}"),
        }
    }
}

fn store_error(err: &StoreError) -> ApiError {
    match err {
        StoreError::Unavailable(_) => ApiError::unavailable(),
        // A stored item of the wrong shape, or a random id that collided: a bug or a one-in-2^119 event.
        StoreError::Corrupt(_) | StoreError::AlreadyExists => ApiError::internal(),
        StoreError::EmailTaken => email_taken(),
        StoreError::Contended | StoreError::IdempotencyKeyUsed | StoreError::KeyChanged => {
            contended()
        }
        StoreError::CallerRefused => auth_error(&AuthError::RevokedKey),
        StoreError::OrganizationInactive => auth_error(&AuthError::OrganizationInactive),
        // Met only by signup, which names its wait; elsewhere a bug.
        StoreError::SignupLimitReached => ApiError::internal(),
    }
}

fn email_taken() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "email_already_registered",
        "An account with this email address already exists.",
    )
    .with_param("email")
}

fn contended() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "concurrent_modification",
        "The organisation's keys were changed concurrently. Retry the request.",
    )
}

fn auth_error(err: &AuthError) -> ApiError {
    let unauthorized = |code, message: &str| ApiError::new(StatusCode::UNAUTHORIZED, code, message);
    match err {
        AuthError::MissingKey => unauthorized(
            "missing_api_key",
            "No API key. Send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`.",
        ),
        AuthError::MalformedAuthorization => unauthorized(
            "malformed_api_key",
            "The Authorization header must be `Bearer <key>`.",
        ),
        AuthError::MalformedKey => unauthorized(
            "malformed_api_key",
            "The API key is malformed: keys look like mem_live_... or mem_test_... .",
        ),
        AuthError::ConflictingKeys => ApiError::new(
            StatusCode::BAD_REQUEST,
            "conflicting_api_keys",
            "The Authorization and X-API-Key headers carry different keys. Send one key.",
        ),
        AuthError::UnknownKey => unauthorized("invalid_api_key", "The API key is not valid."),
        AuthError::RevokedKey => unauthorized("revoked_api_key", "The API key has been revoked."),
        AuthError::ExpiredKey => unauthorized("expired_api_key", "The API key has expired."),
        AuthError::InsufficientScope(scope) => ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!(
                "This API key lacks the `{}` scope this route requires.",
                scope.as_str()
            ),
        ),
        AuthError::OrganizationInactive => ApiError::new(
            StatusCode::FORBIDDEN,
            "organization_inactive",
            "The organisation this API key belongs to is deactivated.",
        ),
        AuthError::IpNotAllowed => ApiError::new(
            StatusCode::FORBIDDEN,
            "ip_not_allowed",
            "This API key may not be used from this address: it is not in the key's `allowed_ips`.",
        ),
        AuthError::Store(err) => store_error(err),
    }
}

fn account_error(err: &AccountError) -> ApiError {
    match err {
        AccountError::InvalidField { param, message } => {
            ApiError::invalid("invalid_value", param.clone(), message.clone())
        }
        AccountError::EmailTaken => email_taken(),
        AccountError::AccountNotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "account_not_found",
            "The account this key belongs to does not exist.",
        ),
        AccountError::KeyNotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "api_key_not_found",
            "No API key with this id exists in your organisation.",
        )
        .with_param("key_id"),
        AccountError::LastAdminKey => ApiError::new(
            StatusCode::CONFLICT,
            "last_admin_key",
            "This is the organisation's last staying admin key (live, admin, no expiry) usable from this request's address; create another (or let one's allowed_ips include this address) before revoking or narrowing it.",
        ),
        AccountError::LastAdminKeyOutsideAllowlist { address } => ApiError::new(
            StatusCode::CONFLICT,
            "last_admin_key",
            format!(
                "This is the organisation's last staying admin key (live, admin, no expiry): its `allowed_ips` must include the address this request comes from ({}), or the organisation could lock itself out. Include it, or create another staying admin key first.",
                address.map_or_else(|| "unknown".to_owned(), |address| address.to_string())
            ),
        )
        .with_param("allowed_ips"),
        AccountError::LastAdminKeyRolledBlind => ApiError::new(
            StatusCode::CONFLICT,
            "last_admin_key",
            "This is the organisation's last staying admin key: rolling it at once (`expires_in_hours: 0`) needs an Idempotency-Key, so that a lost answer can be retried into the same successor. Send one, or roll with an overlap.",
        ),
        AccountError::KeyLimitReached => ApiError::new(
            StatusCode::CONFLICT,
            "key_limit_reached",
            format!(
                "The organisation has {} active keys of this environment, the most it may have (a rolled key counts until its overlap ends). Revoke a key it no longer uses, or roll with `expires_in_hours: 0`.",
                accounts::MAX_ACTIVE_KEYS
            ),
        ),
        AccountError::KeyAlreadyRolled => ApiError::new(
            StatusCode::CONFLICT,
            "key_already_rolled",
            "This key was already rolled; its successor is listed as `replaced_by`. Roll the successor instead.",
        )
        .with_param("key_id"),
        AccountError::KeyRevoked => ApiError::new(
            StatusCode::CONFLICT,
            "key_revoked",
            "This key is revoked: it cannot be rolled or edited. Create a new key instead.",
        )
        .with_param("key_id"),
        AccountError::KeyExpired => ApiError::new(
            StatusCode::CONFLICT,
            "key_expired",
            "This key has expired: it cannot be rolled or edited. Create a new key instead.",
        )
        .with_param("key_id"),
        AccountError::EnvironmentNotPermitted => ApiError::new(
            StatusCode::FORBIDDEN,
            "environment_not_permitted",
            "A test key cannot create a live key. Use a live admin key.",
        )
        .with_param("environment"),
        AccountError::IdempotencyKeyReused => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "This Idempotency-Key was used in the last 24 hours for a request with other fields. Use a new key for a new request.",
        )
        .with_param("Idempotency-Key"),
        AccountError::Contended => contended(),
        AccountError::Auth(err) => auth_error(err),
        AccountError::Store(err) => store_error(err),
        AccountError::Randomness(_) | AccountError::Internal(_) => ApiError::internal(),
        AccountError::DerivationUnavailable(_) => ApiError::unavailable(),
        AccountError::TooManySignups { retry_after } => ApiError {
            retry_after: Some(retry_after.as_secs()),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!(
                    "Too many signups from this address this hour. Retry after {} seconds.",
                    retry_after.as_secs()
                ),
            )
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Maps `failure` with a log capture around it; returns the answer and what was logged.
    fn mapped(failure: Failure) -> (ApiError, String) {
        let logs = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .finish();
        let answer = tracing::subscriber::with_default(subscriber, || ApiError::from(failure));
        let text = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
        (answer, text)
    }

    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut buffer) = self.0.lock() {
                buffer.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn corrupt() -> StoreError {
        StoreError::Corrupt("attribute `scopes` is missing".to_owned())
    }

    #[test]
    fn a_corrupt_item_is_the_same_logged_500_whether_authentication_or_the_domain_met_it() {
        for failure in [
            Failure::from(AuthError::Store(corrupt())),
            Failure::from(AccountError::Store(corrupt())),
            Failure::from(AccountError::Auth(AuthError::Store(corrupt()))),
        ] {
            let (answer, logs) = mapped(failure);
            assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(answer.code, "internal_error");
            assert!(logs.contains("request failed"), "{logs}");
            assert!(logs.contains("attribute `scopes` is missing"), "{logs}");
        }
    }

    #[test]
    fn dynamodb_unavailable_is_the_same_logged_503_on_every_path() {
        for failure in [
            Failure::from(AuthError::Store(StoreError::Unavailable(
                "Query failed".into(),
            ))),
            Failure::from(AccountError::Store(StoreError::Unavailable(
                "GetItem failed".into(),
            ))),
        ] {
            let (answer, logs) = mapped(failure);
            assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(answer.code, "service_unavailable");
            assert!(
                logs.contains("request failed") && logs.contains("failed"),
                "{logs}"
            );
        }
    }

    #[test]
    fn client_errors_are_not_logged_as_failures() {
        let (answer, logs) = mapped(Failure::from(AuthError::RevokedKey));
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.code, "revoked_api_key");
        assert!(logs.is_empty(), "{logs}");
    }

    #[test]
    fn a_key_used_from_outside_its_list_is_a_403_ip_not_allowed_not_logged_as_a_failure() {
        let (answer, logs) = mapped(Failure::from(AuthError::IpNotAllowed));
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.code, "ip_not_allowed");
        assert!(logs.is_empty(), "{logs}");
    }

    #[test]
    fn an_auth_error_met_inside_the_domain_maps_as_an_auth_error() {
        let (direct, _) = mapped(Failure::from(AuthError::ExpiredKey));
        let (wrapped, _) = mapped(Failure::from(AccountError::Auth(AuthError::ExpiredKey)));
        assert_eq!(direct, wrapped);
    }
}
