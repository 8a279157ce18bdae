//! Authenticating a request: one index read on the key's hash, then the checks, in the order a client can
//! act on (who are you, is that key still good, may it be used from here, may it do this).

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use lambda_http::http::HeaderMap;
use store::{ApiKeyRecord, Store, StoreError};
use telemetry::Authentication;

use crate::{is_expired, presented_key, AuthCache, Environment, Scope, Scopes, UsageMeter};

/// `last_used_at` (and the key's usage counts) are written at most once per key per this interval per
/// instance, however busy the key.
pub const LAST_USED_RESOLUTION: Duration = store::USAGE_WRITE_INTERVAL;

/// Why a request is not let through. Each variant has its own status and code.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no API key was presented")]
    MissingKey,
    #[error("the Authorization header does not use the Bearer scheme")]
    MalformedAuthorization,
    #[error("the API key is not of the form mem_{{live|test}}_{{random}}")]
    MalformedKey,
    #[error("the Authorization and X-API-Key headers present different keys")]
    ConflictingKeys,
    #[error("no such API key")]
    UnknownKey,
    #[error("the API key was revoked")]
    RevokedKey,
    #[error("the API key expired")]
    ExpiredKey,
    #[error("the API key lacks the `{}` scope", .0.as_str())]
    InsufficientScope(Scope),
    #[error("the organisation is deactivated")]
    OrganizationInactive,
    /// The key has an allowlist and the request's source address is not in it (or is unknown).
    #[error("the API key may not be used from this address")]
    IpNotAllowed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a request asks of its key: a scope, and whether the key must be confirmed on its base item (strongly
/// consistent) rather than trusted as the eventually consistent key-hash index shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub scope: Scope,
    pub confirm_on_base_item: bool,
}

impl From<Scope> for Requirement {
    /// The scope's own rule ([`Scope::confirmed_on_base_item`]): `admin` and `delete` are confirmed.
    fn from(scope: Scope) -> Self {
        Self {
            scope,
            confirm_on_base_item: scope.confirmed_on_base_item(),
        }
    }
}

/// Who is calling, once their key has been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub org_id: String,
    pub key_id: String,
    /// The key's visible prefix: how the activity log names the key that made a change.
    pub key_prefix: String,
    pub environment: Environment,
    pub scopes: Scopes,
}

/// Checks the request's key, that it may be used from `source` (the connection's address as API Gateway saw
/// it, never a header; `None` when unknown, which a key with an allowlist refuses) and that it grants
/// `required`; counts its use (written at most once a minute).
///
/// One DynamoDB read for `read` and `write`: the key-hash index, whose items carry everything the checks need,
/// the organisation's active flag included. That index is eventually consistent, so a key revoked a moment
/// ago may still pass there; a [`Requirement`] to confirm (`admin` and `delete`, and any route another team
/// marks) therefore checks the key on its base item with a strongly consistent read and the same rules.
/// Malformed keys are refused before any read.
pub async fn authenticate(
    store: &Store,
    meter: &UsageMeter,
    cache: &AuthCache,
    headers: &HeaderMap,
    source: Option<IpAddr>,
    required: impl Into<Requirement>,
    now: SystemTime,
) -> Result<Principal, AuthError> {
    let required = required.into();
    let checked = check_presented_key(store, meter, cache, headers, source, required, now).await;
    match &checked {
        // Its ids were noted when the key was found (`check_presented_key`).
        Ok(_) => telemetry::note_authentication(Authentication::Allowed),
        // DynamoDB failed: nothing was decided about the key.
        Err(AuthError::Store(_)) => {}
        Err(_) => telemetry::note_authentication(Authentication::Refused),
    }
    checked
}

async fn check_presented_key(
    store: &Store,
    meter: &UsageMeter,
    cache: &AuthCache,
    headers: &HeaderMap,
    source: Option<IpAddr>,
    required: Requirement,
    now: SystemTime,
) -> Result<Principal, AuthError> {
    let key = presented_key(headers)?;
    let key_hash = key.hash();
    // A request confirmed on the base item never takes the cache's word (nor the index's alone).
    let cached = match required.confirm_on_base_item {
        true => None,
        false => cache.get(&key_hash, now),
    };
    let from_cache = cached.is_some();
    let indexed = match cached {
        Some(record) => record,
        None => store
            .find_key_by_hash(&key_hash)
            .await?
            .ok_or(AuthError::UnknownKey)?,
    };
    // The principal, if any, is this key: the line names it allowed or refused.
    telemetry::note_presented_key(&indexed.org_id, &indexed.key_id);
    let current = if required.confirm_on_base_item {
        // Refused on what the index says before paying for the second read.
        check(&indexed, source, required.scope, now)?;
        let base = store.get_key(&indexed.org_id, &indexed.key_id).await?;
        let confirmed = base
            .ok_or(AuthError::RevokedKey)
            .and_then(|base| check(&base, source, required.scope, now).map(|_| base));
        match confirmed {
            Ok(base) => base,
            Err(refused) => {
                // The base item refuses what the index (and any kept copy) still allows: forget the copy.
                cache.evict(&key_hash);
                return Err(refused);
            }
        }
    } else {
        indexed
    };
    // A kept copy is checked as a read one is, against this request's own source address.
    let principal = check(&current, source, required.scope, now)?;
    if !required.confirm_on_base_item && !from_cache {
        cache.keep(key_hash, current, now);
    }
    record_use(meter, &principal, now).await;
    Ok(principal)
}

/// The rules a key must pass to act, in the order a client can act on: revoked, expired, organisation
/// deactivated, source address (after the key is known good, so a revoked key from anywhere is told it is
/// revoked; before the scope, so a key used from outside its list learns nothing more about it), scope.
fn check(
    record: &ApiKeyRecord,
    source: Option<IpAddr>,
    required: Scope,
    now: SystemTime,
) -> Result<Principal, AuthError> {
    if !record.is_active {
        return Err(AuthError::RevokedKey);
    }
    if is_expired(record.expires_at.as_deref(), now) {
        return Err(AuthError::ExpiredKey);
    }
    if !record.org_is_active {
        return Err(AuthError::OrganizationInactive);
    }
    if !record.allowed_ips.permits(source) {
        return Err(AuthError::IpNotAllowed);
    }
    if !record.scopes.allows(required) {
        return Err(AuthError::InsufficientScope(required));
    }
    Ok(Principal {
        org_id: record.org_id.clone(),
        key_id: record.key_id.clone(),
        key_prefix: record.key_prefix.clone(),
        environment: record.environment,
        scopes: record.scopes.clone(),
    })
}

/// Counts the request for its key and day; the meter writes the counts with `last_used_at` at most once
/// a minute per key per instance. A failure here never fails the request (its counts are kept for the next
/// write).
async fn record_use(meter: &UsageMeter, principal: &Principal, now: SystemTime) {
    if let Err(err) = meter
        .record_use(
            &principal.org_id,
            &principal.key_id,
            principal.environment,
            now,
        )
        .await
    {
        tracing::warn!(key_id = %principal.key_id, error = %err, "could not record the key's use");
    }
}
