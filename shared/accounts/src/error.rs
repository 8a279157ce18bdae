//! What can go wrong in the domain. Statuses and codes are not the domain's business: `api-errors` maps them.

use std::borrow::Cow;
use std::net::IpAddr;

use auth::{AuthError, KeyGenerationError};
use store::StoreError;

/// A domain failure; the `api-errors` crate gives each its status and stable code.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field's value breaks a rule (its type was right). `param` names the field, or the entry of a list
    /// field at fault (`allowed_ips[3]`).
    #[error("invalid `{param}`: {message}")]
    InvalidField {
        param: Cow<'static, str>,
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
    /// An allowlist on the last staying admin key that leaves out the address of the request setting it
    /// (`None`: the request's address is unknown): whoever set it could lock the organisation out.
    #[error("the last staying admin key's allowlist must include the address setting it")]
    LastAdminKeyOutsideAllowlist { address: Option<IpAddr> },
    /// Rolling the last staying admin key at once without an `Idempotency-Key`: a lost answer would leave
    /// the organisation without any admin key it can use.
    #[error("the last staying admin key cannot be rolled at once without an Idempotency-Key")]
    LastAdminKeyRolledBlind,
    /// The organisation has as many active keys as it may: see [`crate::MAX_ACTIVE_KEYS`].
    #[error("the organisation has reached its limit of active keys")]
    KeyLimitReached,
    /// The key was rolled already: a key has one successor.
    #[error("the API key was already rolled")]
    KeyAlreadyRolled,
    /// The key was revoked, so it cannot be rolled.
    #[error("the API key is revoked")]
    KeyRevoked,
    /// The key expired, so it cannot be rolled.
    #[error("the API key has expired")]
    KeyExpired,
    /// A `test` key asked for a `live` key.
    #[error("a test key cannot create a live key")]
    EnvironmentNotPermitted,
    /// An `Idempotency-Key` already used, within its window, for a request with other fields.
    #[error("the idempotency key was used for another request")]
    IdempotencyKeyReused,
    /// A state this code never writes (a stored outcome it cannot read, a derivation that does not match).
    #[error("internal error: {0}")]
    Internal(String),
    /// Concurrent changes kept winning the race; the client may retry.
    #[error("too many concurrent changes")]
    Contended,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Randomness(#[from] KeyGenerationError),
    /// This source made as many signups this hour as it may; it may try again after `retry_after`.
    #[error("too many signups from this address this hour")]
    TooManySignups { retry_after: std::time::Duration },
    /// The key-derivation secret could not be read (Secrets Manager did not answer).
    #[error(transparent)]
    DerivationUnavailable(#[from] auth::DerivationUnavailable),
}

impl From<StoreError> for AccountError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::EmailTaken => AccountError::EmailTaken,
            StoreError::Contended | StoreError::KeyChanged => AccountError::Contended,
            // Checked on the base item inside the write: the key or its organisation changed a moment ago.
            StoreError::CallerRefused => AccountError::Auth(AuthError::RevokedKey),
            StoreError::OrganizationInactive => AccountError::Auth(AuthError::OrganizationInactive),
            other => AccountError::Store(other),
        }
    }
}

impl AccountError {
    /// A 400 for a field whose value breaks a rule.
    pub fn invalid(param: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        AccountError::InvalidField {
            param: param.into(),
            message: message.into(),
        }
    }
}
