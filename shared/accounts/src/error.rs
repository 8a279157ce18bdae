//! What can go wrong in the domain, and the status and code each one is answered with.

use auth::{AuthError, KeyGenerationError};
use http_envelope::ApiError;
use lambda_http::http::StatusCode;
use store::StoreError;

/// A domain failure; [`ApiError::from`] gives each its status and stable code.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field's value breaks a rule (its type was right).
    #[error("invalid `{param}`: {message}")]
    InvalidField {
        param: &'static str,
        message: String,
    },
    #[error("the email address is already registered")]
    EmailTaken,
    #[error("the account does not exist")]
    AccountNotFound,
    /// No key with this id in the caller's organisation: also what another organisation's key looks like.
    #[error("no such API key")]
    KeyNotFound,
    /// Revoking this key would leave the organisation without an active admin key: no way back in.
    #[error("the last active admin key cannot be revoked")]
    LastAdminKey,
    /// A `test` key asked for a `live` key.
    #[error("a test key cannot create a live key")]
    EnvironmentNotPermitted,
    /// Concurrent changes kept winning the race; the client may retry.
    #[error("too many concurrent changes")]
    Contended,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Randomness(#[from] KeyGenerationError),
}

impl From<StoreError> for AccountError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::EmailTaken => AccountError::EmailTaken,
            StoreError::Contended => AccountError::Contended,
            other => AccountError::Store(other),
        }
    }
}

impl AccountError {
    /// A 400 for a field whose value breaks a rule.
    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        AccountError::InvalidField {
            param,
            message: message.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::InvalidField { param, message } => {
                ApiError::invalid("invalid_value", param, message)
            }
            AccountError::EmailTaken => ApiError::new(
                StatusCode::CONFLICT,
                "email_already_registered",
                "An account with this email address already exists.",
            )
            .with_param("email"),
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
                "This is the organisation's last active admin key; create another admin key before revoking it.",
            ),
            AccountError::EnvironmentNotPermitted => ApiError::new(
                StatusCode::FORBIDDEN,
                "environment_not_permitted",
                "A test key cannot create a live key. Use a live admin key.",
            )
            .with_param("environment"),
            AccountError::Contended => ApiError::new(
                StatusCode::CONFLICT,
                "concurrent_modification",
                "The organisation's keys were changed concurrently. Retry the request.",
            ),
            AccountError::Auth(err) => err.into(),
            AccountError::Store(StoreError::Corrupt(detail)) => {
                tracing::error!(%detail, "stored item is malformed");
                ApiError::internal()
            }
            AccountError::Store(StoreError::AlreadyExists) => ApiError::internal(),
            AccountError::Store(_) => ApiError::unavailable(),
            AccountError::Randomness(_) => ApiError::internal(),
        }
    }
}
