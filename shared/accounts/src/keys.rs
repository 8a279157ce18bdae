//! The lifecycle of API keys: list, create, revoke.

use std::time::{Duration, SystemTime};

use auth::{random_id, timestamp, DerivationSecret, Environment, Principal, Scope, Scopes};
use serde::Serialize;
use store::{ApiKeyRecord, Caller, RevocationGuard, Store, StoreError};

use crate::idempotency::{earlier_outcome, twin_outcome, Claim, IdempotencyKey, NewKey};
use crate::{validate, AccountError, ApiKeyView, CreatedKeyView};

/// The name of a key created without one, as documented.
pub const DEFAULT_KEY_NAME: &str = "Default Key";
const SECONDS_PER_DAY: u64 = 86_400;
/// How many times a revocation re-reads and retries when a concurrent revocation wins the race.
pub const REVOCATION_ATTEMPTS: usize = 5;

/// POST /v1/account/api-keys's fields, types already checked; `None` takes the documented default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NewKeyInput {
    pub name: Option<String>,
    pub environment: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub expires_in_days: Option<i64>,
}

/// Whether a key's expiry has passed at `now` ([`auth::is_expired`] on the stored record).
pub(crate) fn is_expired(key: &ApiKeyRecord, now: SystemTime) -> bool {
    auth::is_expired(key.expires_at.as_deref(), now)
}

/// The sandbox rule (Stripe's): a `live` key sees and manages every key of its organisation; a `test` key
/// only `test` keys; to it, live keys do not exist.
pub(crate) fn visible_to(principal: &Principal, key_environment: &str) -> bool {
    principal.environment == Environment::Live || key_environment == Environment::Test.as_str()
}

/// GET /v1/account/api-keys: every key of the caller's organisation the caller may see ([`visible_to`]),
/// newest first, revoked ones included.
pub async fn list_keys(
    store: &Store,
    principal: &Principal,
    now: SystemTime,
) -> Result<Vec<ApiKeyView>, AccountError> {
    let mut keys = store.list_keys(&principal.org_id).await?;
    keys.retain(|key| visible_to(principal, &key.environment));
    keys.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.key_id.cmp(&b.key_id))
    });
    Ok(keys
        .iter()
        .map(|key| ApiKeyView::from_record(key, now))
        .collect())
}

/// POST /v1/account/api-keys: a new key with the documented defaults (`"Default Key"`, `live`,
/// `["read", "write"]`, no expiry). A `test` key cannot create a `live` key.
///
/// One transaction writes the key only if the caller's key is still an active admin key and the
/// organisation is still active (on their base items), and, with an `Idempotency-Key`, only once: a retry
/// with the same idempotency key and fields gets the first answer again, full key included.
pub async fn create_key(
    store: &Store,
    principal: &Principal,
    input: NewKeyInput,
    idempotency: Option<&IdempotencyKey>,
    derivation: &DerivationSecret,
    now: SystemTime,
) -> Result<CreatedKeyView, AccountError> {
    let claim = idempotency
        .map(|key| {
            Claim::new(
                key,
                derivation,
                &principal.key_id,
                &("POST /v1/account/api-keys", &input),
            )
        })
        .transpose()?;
    let name = match input.name {
        Some(name) => validate::name("name", &name)?,
        None => DEFAULT_KEY_NAME.to_owned(),
    };
    let environment = match input.environment.as_deref() {
        None => Environment::Live,
        Some(name) => Environment::parse(name).ok_or_else(|| {
            AccountError::invalid("environment", "`environment` must be \"live\" or \"test\".")
        })?,
    };
    let scopes = match input.scopes {
        None => Scopes::default_for_new_key(),
        Some(names) => Scopes::parse(&names).map_err(|err| {
            AccountError::invalid(
                "scopes",
                format!("{err}: `scopes` must be a non-empty list of read, write, delete, admin."),
            )
        })?,
    };
    let expires_at = match input.expires_in_days {
        None => None,
        Some(days) => {
            let days = validate::expires_in_days(days)?;
            Some(timestamp(now + Duration::from_secs(days * SECONDS_PER_DAY)))
        }
    };
    if !visible_to(principal, environment.as_str()) {
        return Err(AccountError::EnvironmentNotPermitted);
    }
    if let Some(previous) = earlier_outcome(claim.as_ref(), store, now).await? {
        return Ok(previous);
    }
    let new_key = NewKey::new(environment, claim.as_ref())?;
    let key = ApiKeyRecord {
        key_id: random_id("key")?,
        org_id: principal.org_id.clone(),
        name,
        key_prefix: new_key.secret.prefix(),
        environment: environment.as_str().to_owned(),
        scopes: scopes.names(),
        key_hash: new_key.secret.hash(),
        is_active: true,
        // The transaction below checks the organisation's own flag.
        org_is_active: true,
        created_at: timestamp(now),
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    let created = CreatedKeyView::new(&key, &new_key.secret);
    let record = new_key.record(&created, now)?;
    let caller = Caller {
        key_id: &principal.key_id,
        scope: Scope::Admin.as_str(),
        now: &timestamp(now),
    };
    match store.create_key(&key, caller, record.as_ref()).await {
        Ok(()) => {
            tracing::info!(org_id = %key.org_id, key_id = %key.key_id, created_by = %principal.key_id, "API key created");
            Ok(created)
        }
        Err(StoreError::IdempotencyKeyUsed) => twin_outcome(claim.as_ref(), store, now).await,
        Err(err) => Err(err.into()),
    }
}

/// DELETE /v1/account/api-keys/{key_id}: revokes the key (the record stays) and returns its metadata.
///
/// Revoking a revoked key returns it unchanged. A key of another organisation, and a live key asked for by a
/// test key, are not found, exactly like a key that does not exist. The organisation's last active live
/// admin key cannot be revoked (test keys never count: they cannot make live keys), even by two revocations
/// racing each other: see [`RevocationGuard`].
pub async fn revoke_key(
    store: &Store,
    principal: &Principal,
    raw_key_id: &str,
    now: SystemTime,
) -> Result<ApiKeyView, AccountError> {
    let key_id = canonical_key_id(raw_key_id).ok_or(AccountError::KeyNotFound)?;
    let org_id = principal.org_id.as_str();
    let revoked_at = timestamp(now);
    for _ in 0..REVOCATION_ATTEMPTS {
        let key = store
            .get_key(org_id, &key_id)
            .await?
            .filter(|key| visible_to(principal, &key.environment))
            .ok_or(AccountError::KeyNotFound)?;
        if !key.is_active {
            return Ok(ApiKeyView::from_record(&key, now));
        }
        let guard = if grants_live_admin(&key, now) {
            let org = store
                .get_organization(org_id)
                .await?
                .ok_or(AccountError::AccountNotFound)?;
            let another_admin = store
                .list_keys(org_id)
                .await?
                .iter()
                .any(|other| other.key_id != key.key_id && grants_live_admin(other, now));
            if !another_admin {
                return Err(AccountError::LastAdminKey);
            }
            RevocationGuard::AdminCounterIs(org.admin_revocations)
        } else {
            RevocationGuard::None
        };
        match store.revoke_key(org_id, &key_id, &revoked_at, guard).await {
            Ok(Some(revoked)) => {
                tracing::info!(org_id, key_id = %key_id, revoked_by = %principal.key_id, "API key revoked");
                return Ok(ApiKeyView::from_record(&revoked, now));
            }
            // Revoked meanwhile, or a concurrent revocation moved the counter: read again, decide again.
            Ok(None) | Err(StoreError::Contended) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(AccountError::Contended)
}

/// Whether a key currently opens the admin routes for live keys: the keys that keep an organisation from
/// being locked out (a test admin key cannot make a live key).
fn grants_live_admin(key: &ApiKeyRecord, now: SystemTime) -> bool {
    key.is_active
        && key.environment == Environment::Live.as_str()
        && !is_expired(key, now)
        && Scopes::parse(&key.scopes).is_ok_and(|s| s.is_admin())
}

/// The key id a path segment names, percent-decoded (API Gateway decodes path parameters, the local router
/// does not): `key_` and 1 to 64 base62 characters, or nothing, so `../`, slashes and the like find no key.
fn canonical_key_id(raw: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    let random = decoded.strip_prefix("key_")?;
    let ok = (1..=64).contains(&random.len()) && random.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::canonical_key_id;

    #[test]
    fn key_ids_are_decoded_then_checked() {
        assert_eq!(
            canonical_key_id("key_abc123").as_deref(),
            Some("key_abc123")
        );
        assert_eq!(
            canonical_key_id("key%5Fabc123").as_deref(),
            Some("key_abc123")
        );
        for bad in [
            "",
            "key_",
            "abc",
            "key_a%2Fb",
            "..%2Fkey_a",
            "key_a/../b",
            "key_%00",
            "KEY_abc",
            "key_ab-c",
        ] {
            assert_eq!(canonical_key_id(bad), None, "{bad}");
        }
    }
}
