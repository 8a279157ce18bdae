//! Listing and creating API keys, and the rules every key change shares (what a caller may see, which keys
//! keep an organisation from being locked out).

use std::time::{Duration, SystemTime};

use auth::{
    new_key_id, timestamp, AllowedIps, AuthError, Environment, KeyDerivation, Principal, Scope,
    Scopes,
};
use serde::Serialize;
use store::{ApiKeyRecord, Caller, EventType, KeyRoom, RequestFacts, Store, StoreError};

use crate::events::{actor_of, key_made, key_ref, new_event};
use crate::idempotency::{earlier_outcome, twin_outcome, Claim, IdempotencyKey, NewKey};
use crate::{validate, AccountError, ApiKeyView, CreatedKeyView, KeyListView};

/// The name of a key created without one, as documented.
pub const DEFAULT_KEY_NAME: &str = "Default Key";
const SECONDS_PER_DAY: u64 = 86_400;
/// How many times a change to an existing key (revoke, edit) re-reads and retries when a concurrent change
/// wins the race.
pub const REVOCATION_ATTEMPTS: usize = 5;
/// How many active keys (not revoked, not expired) an organisation may have in each environment: 100 live
/// and, apart, 100 test keys, so the sandbox can never use up the room of live keys. A rolled key in its
/// overlap is active and counts, so a roll with an overlap needs room as a creation does.
pub const MAX_ACTIVE_KEYS: usize = 100;
/// How many times a creation counts the organisation's keys again when concurrent creations used up the room
/// its count left (only near [`MAX_ACTIVE_KEYS`]).
pub const KEY_CREATION_ATTEMPTS: usize = 5;
/// The list's page size when `limit` is not given, and the largest `limit` accepted.
pub const DEFAULT_PAGE_LIMIT: usize = 100;
/// The largest `limit` a list request may ask for.
pub const MAX_PAGE_LIMIT: usize = 100;

/// POST /v1/account/api-keys's fields, types already checked; `None` takes the documented default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NewKeyInput {
    pub name: Option<String>,
    pub environment: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub expires_in_days: Option<i64>,
    /// Left out of the idempotency fingerprint when absent, so a request made before lists existed keeps its
    /// fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_ips: Option<Vec<String>>,
}

/// Whether a key's expiry has passed at `now` ([`auth::is_expired`] on the stored record).
pub(crate) fn is_expired(key: &ApiKeyRecord, now: SystemTime) -> bool {
    auth::is_expired(key.expires_at.as_deref(), now)
}

/// The sandbox rule (Stripe's): a `live` key sees and manages every key of its organisation; a `test` key
/// only `test` keys; to it, live keys do not exist.
pub(crate) fn visible_to(principal: &Principal, key_environment: Environment) -> bool {
    principal.environment == Environment::Live || key_environment == Environment::Test
}

/// A list request's paging parameters as they arrived (query string), checked here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: Option<String>,
    pub starting_after: Option<String>,
}

impl PageRequest {
    /// The page's size and cursor, checked, the one rule of every list (keys, events): `limit` a whole
    /// number from 1 to [`MAX_PAGE_LIMIT`] (default [`DEFAULT_PAGE_LIMIT`]), `starting_after` the id of a
    /// `kind` (`key`, `evt`) from the previous page, named `what` in the error.
    pub(crate) fn checked(
        &self,
        kind: &str,
        what: &str,
    ) -> Result<(usize, Option<String>), AccountError> {
        let limit = match self.limit.as_deref() {
            None => DEFAULT_PAGE_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|limit| (1..=MAX_PAGE_LIMIT).contains(limit))
                .ok_or_else(|| {
                    AccountError::invalid(
                        "limit",
                        format!("`limit` must be a whole number from 1 to {MAX_PAGE_LIMIT}."),
                    )
                })?,
        };
        let starting_after = self
            .starting_after
            .as_deref()
            .map(|raw| {
                canonical_id(&format!("{kind}_"), raw).ok_or_else(|| {
                    AccountError::invalid(
                        "starting_after",
                        format!(
                            "`starting_after` must be the `id` of {what} from the previous page ({kind}_...)."
                        ),
                    )
                })
            })
            .transpose()?;
        Ok((limit, starting_after))
    }
}

/// GET /v1/account/api-keys: a page of the keys of the caller's organisation the caller may see
/// ([`visible_to`]), newest first, revoked ones included; `has_more` says whether older keys remain, to be
/// asked for with `starting_after` set to this page's last id.
pub async fn list_keys(
    store: &Store,
    principal: &Principal,
    page: PageRequest,
    now: SystemTime,
) -> Result<KeyListView, AccountError> {
    let (limit, starting_after) = page.checked("key", "a key")?;
    // A test key sees test keys only: the filter is applied by DynamoDB, before the page is cut.
    let environment = (principal.environment == Environment::Test).then_some(Environment::Test);
    let page = store
        .list_keys_page(
            &principal.org_id,
            environment,
            starting_after.as_deref(),
            limit,
        )
        .await?;
    Ok(KeyListView {
        data: page
            .keys
            .iter()
            .map(|key| ApiKeyView::from_record(key, now))
            .collect(),
        has_more: page.has_more,
    })
}

/// POST /v1/account/api-keys: a new key with the documented defaults (`"Default Key"`, `live`,
/// `["read", "write"]`, no expiry). A `test` key cannot create a `live` key.
///
/// One transaction writes the key and its `api_key.created` event only if the caller's key is still an active admin key and the
/// organisation is still active (on their base items), and, with an `Idempotency-Key`, only once: a retry
/// with the same idempotency key and fields gets the first answer again, full key included.
pub async fn create_key(
    store: &Store,
    principal: &Principal,
    input: NewKeyInput,
    idempotency: Option<&IdempotencyKey>,
    derivation: &KeyDerivation,
    request: &RequestFacts,
    now: SystemTime,
) -> Result<CreatedKeyView, AccountError> {
    // Read (from Secrets Manager, on AWS) only by an idempotent request: the first one pays for it.
    let secret = match idempotency {
        Some(_) => Some(derivation.secret().await?),
        None => None,
    };
    let claim = idempotency
        .zip(secret)
        .map(|(key, secret)| {
            Claim::new(
                key,
                secret,
                Some(&principal.org_id),
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
    // Never the last-admin rule: the organisation already keeps a staying admin key, and it is not this one.
    let allowed_ips = match input.allowed_ips {
        None => AllowedIps::anywhere(),
        Some(entries) => validate::allowed_ips(&entries)?,
    };
    if !visible_to(principal, environment) {
        return Err(AccountError::EnvironmentNotPermitted);
    }
    if let Some(previous) = earlier_outcome(claim.as_ref(), store, now).await? {
        return Ok(previous);
    }
    let new_key = NewKey::new(environment, claim.as_ref())?;
    let key = ApiKeyRecord {
        key_id: new_key_id(now)?,
        org_id: principal.org_id.clone(),
        name,
        key_prefix: new_key.secret.prefix(),
        environment,
        scopes,
        key_hash: new_key.secret.hash(),
        is_active: true,
        // The transaction below checks the organisation's own flag.
        org_is_active: true,
        created_at: timestamp(now),
        expires_at,
        last_used_at: None,
        revoked_at: None,
        replaces: None,
        replaced_by: None,
        leak: None,
        allowed_ips,
    };
    let event = new_event(
        &key.org_id,
        EventType::KeyCreated,
        actor_of(principal),
        Some(key_ref(&key)),
        key_made(&key),
        Some(request),
        now,
    )?;
    let created = CreatedKeyView::new(&key, &new_key.secret);
    let record = new_key.record(&created, now)?;
    let caller = Caller {
        key_id: &principal.key_id,
        scope: Scope::Admin,
        now: &timestamp(now),
    };
    for _ in 0..KEY_CREATION_ATTEMPTS {
        let room = key_room(store, &principal.org_id, environment, now).await?;
        match store
            .create_key(&key, &event, caller, room, record.as_ref(), now)
            .await
        {
            Ok(()) => {
                telemetry::note_action("api_key.created", Some(&key.key_id));
                return Ok(created);
            }
            Err(StoreError::IdempotencyKeyUsed) => {
                return twin_outcome(claim.as_ref(), store, now).await
            }
            // Concurrent creations used up the room (or the organisation was deactivated): count again.
            Err(StoreError::Contended) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(AccountError::Contended)
}

/// The room under [`MAX_ACTIVE_KEYS`] for one more active key of `environment`: the organisation's counter of
/// that environment's creations must still be below what it is now plus the keys still allowed, so creations
/// racing for the last places cannot together pass the limit. [`AccountError::KeyLimitReached`] when none is
/// left.
pub(crate) async fn key_room(
    store: &Store,
    org_id: &str,
    environment: Environment,
    now: SystemTime,
) -> Result<KeyRoom, AccountError> {
    let org = store
        .get_organization(org_id)
        .await?
        .ok_or(AccountError::AccountNotFound)?;
    if !org.is_active {
        return Err(AuthError::OrganizationInactive.into());
    }
    let active = store
        .list_keys(org_id)
        .await?
        .iter()
        .filter(|key| key.environment == environment && key.is_active && !is_expired(key, now))
        .count();
    if active >= MAX_ACTIVE_KEYS {
        return Err(AccountError::KeyLimitReached);
    }
    // At most `MAX_ACTIVE_KEYS - active` creations, this one included, may commit from this count on.
    Ok(KeyRoom {
        environment,
        below: org.key_creations(environment) + (MAX_ACTIVE_KEYS - active) as u64,
    })
}

/// Whether a key is one that keeps its organisation from being locked out, a *staying* admin key: live,
/// admin, active and without an expiry (a test admin key cannot make a live key; a key with an expiry will
/// stop by itself). Every organisation keeps one: revoking or narrowing the last is refused.
pub(crate) fn is_staying_admin(key: &ApiKeyRecord, now: SystemTime) -> bool {
    key.is_active
        && key.environment == Environment::Live
        && key.expires_at.is_none()
        && !is_expired(key, now)
        && key.scopes.is_admin()
}

/// The key id a path segment names, percent-decoded (API Gateway decodes path parameters, the local router
/// does not): `key_` and 1 to 64 base62 characters, or nothing, so `../`, slashes and the like find no key.
pub(crate) fn canonical_key_id(raw: &str) -> Option<String> {
    canonical_id("key_", raw)
}

/// The id of `prefix`'s kind (`key_`, `evt_`) a path segment or query value names, percent-decoded and
/// checked as [`canonical_key_id`] checks key ids.
pub(crate) fn canonical_id(prefix: &str, raw: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    let random = decoded.strip_prefix(prefix)?;
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
