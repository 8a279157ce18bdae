//! Changing an existing key: revoke it, roll it into a successor, rename it, narrow its scopes or set where
//! it may be used from.
//!
//! Each finds the key among those the caller may see (another organisation's key, or a live key asked for
//! by a test key, is the 404 of a key that does not exist), and none may leave the organisation without a
//! staying admin key (live, admin, active, no expiry: [`crate::keys::is_staying_admin`]). The one exception
//! to that guard is not here: a key found in public is revoked even when it is the last staying admin key
//! ([`crate::answer_leak_report`]; an operator then mints a new one).

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use auth::{
    new_key_id, parse_timestamp, timestamp, AllowedIps, AuthError, KeyDerivation, Principal, Scope,
    Scopes,
};
use serde::Serialize;
use serde_json::{json, Map, Value};
use store::{
    ApiKeyRecord, Caller, EventType, KeyChange, RequestFacts, RevocationGuard, Rolling,
    ScopesChange, Store, StoreError,
};

use crate::events::{actor_of, key_ref, new_event};
use crate::idempotency::{earlier_outcome, twin_outcome, Claim, IdempotencyKey, NewKey};
use crate::keys::{
    canonical_key_id, is_expired, is_staying_admin, key_room, visible_to, KEY_CREATION_ATTEMPTS,
    REVOCATION_ATTEMPTS,
};
use crate::{validate, AccountError, ApiKeyView, CreatedKeyView};

/// How long a rolled key keeps working when the roll does not say: a day, for a deploy to pick up its
/// successor.
pub const DEFAULT_ROLL_OVERLAP_HOURS: i64 = 24;
/// The longest overlap a roll may ask for: a week.
pub const MAX_ROLL_OVERLAP_HOURS: i64 = 168;
const SECONDS_PER_HOUR: u64 = 3_600;

/// POST /v1/account/api-keys/{key_id}/roll's fields, types already checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RollInput {
    pub expires_in_hours: Option<i64>,
}

/// A roll as asked: the key (its id as the path names it), the body's fields and the `Idempotency-Key`.
#[derive(Clone, Copy, Debug)]
pub struct RollRequest<'a> {
    pub key_id: &'a str,
    pub input: RollInput,
    pub idempotency: Option<&'a IdempotencyKey>,
}

/// PATCH /v1/account/api-keys/{key_id}'s fields, types already checked; `None` leaves the field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyEdit {
    pub name: Option<String>,
    pub scopes: Option<Vec<String>>,
    /// The new allowlist; an empty list allows any address again.
    pub allowed_ips: Option<Vec<String>>,
}

/// The caller's key, confirmed in the write's own transaction.
fn caller<'a>(principal: &'a Principal, now: &'a str) -> Caller<'a> {
    Caller {
        key_id: &principal.key_id,
        scope: Scope::Admin,
        now,
    }
}

/// The key `raw_key_id` names, if the caller may see it.
async fn find_visible(
    store: &Store,
    principal: &Principal,
    raw_key_id: &str,
) -> Result<ApiKeyRecord, AccountError> {
    let key_id = canonical_key_id(raw_key_id).ok_or(AccountError::KeyNotFound)?;
    store
        .get_key(&principal.org_id, &key_id)
        .await?
        .filter(|key| visible_to(principal, key.environment))
        .ok_or(AccountError::KeyNotFound)
}

/// What a change that takes admin access away from `key`, asked from `source`, must check: nothing when it is
/// not a staying admin key; otherwise that another staying admin key exists that `source` may use (its
/// `allowed_ips` let the address through), whichever key asks (one with an expiry would leave the
/// organisation locked out once it expires; one bound elsewhere, reachable only from somewhere the asker may
/// not be), under the organisation's counter (so two such changes racing for the last staying admin key
/// cannot both commit).
async fn admin_guard(
    store: &Store,
    key: &ApiKeyRecord,
    source: Option<IpAddr>,
    now: SystemTime,
) -> Result<RevocationGuard, AccountError> {
    another_staying_admin_guard(store, key, source, now)
        .await?
        .ok_or(AccountError::LastAdminKey)
}

/// What a new allowlist on `key` must check, set by a request from `source`: nothing when it lets that
/// request's address through (who sets it can still use it) or the key is not a staying admin key;
/// otherwise, as [`admin_guard`], that another staying admin key exists, under the organisation's counter
/// (so a racing revocation of that other key cannot leave the organisation with only this one).
async fn allowlist_guard(
    store: &Store,
    key: &ApiKeyRecord,
    allowed_ips: &AllowedIps,
    source: Option<IpAddr>,
    now: SystemTime,
) -> Result<RevocationGuard, AccountError> {
    if allowed_ips.permits(source) {
        return Ok(RevocationGuard::None);
    }
    another_staying_admin_guard(store, key, source, now)
        .await?
        .ok_or(AccountError::LastAdminKeyOutsideAllowlist { address: source })
}

/// [`RevocationGuard::None`] when `key` is not a staying admin key; the organisation's counter when another
/// staying admin key exists that `source` may use; `None` when `key` is the last one (for `source`).
async fn another_staying_admin_guard(
    store: &Store,
    key: &ApiKeyRecord,
    source: Option<IpAddr>,
    now: SystemTime,
) -> Result<Option<RevocationGuard>, AccountError> {
    if !is_staying_admin(key, now) {
        return Ok(Some(RevocationGuard::None));
    }
    let org = store
        .get_organization(&key.org_id)
        .await?
        .ok_or(AccountError::AccountNotFound)?;
    let another_admin = store.list_keys(&key.org_id).await?.iter().any(|other| {
        other.key_id != key.key_id
            && is_staying_admin(other, now)
            && other.allowed_ips.permits(source)
    });
    Ok(another_admin.then_some(RevocationGuard::AdminCounterIs(org.admin_revocations)))
}

/// DELETE /v1/account/api-keys/{key_id}: revokes the key (the record stays) and returns its metadata.
///
/// Revoking a revoked key returns it unchanged. The organisation's last staying admin key cannot be revoked
/// (409 `last_admin_key`; test keys and keys with an expiry never count), even by two revocations racing.
pub async fn revoke_key(
    store: &Store,
    principal: &Principal,
    raw_key_id: &str,
    request: &RequestFacts,
    now: SystemTime,
) -> Result<ApiKeyView, AccountError> {
    let revoked_at = timestamp(now);
    for _ in 0..REVOCATION_ATTEMPTS {
        let key = find_visible(store, principal, raw_key_id).await?;
        if !key.is_active {
            return Ok(ApiKeyView::from_record(&key, now));
        }
        let guard = admin_guard(store, &key, request.source_ip, now).await?;
        let change = KeyChange::Revoke {
            at: &revoked_at,
            leak: None,
        };
        let event = new_event(
            &key.org_id,
            EventType::KeyRevoked,
            actor_of(principal),
            Some(key_ref(&key)),
            json!({}),
            Some(request),
            now,
        )?;
        match store
            .change_key(&key.org_id, &key.key_id, change, guard, &event)
            .await
        {
            Ok(Some(revoked)) => {
                telemetry::note_action("api_key.revoked", Some(&key.key_id));
                return Ok(ApiKeyView::from_record(&revoked, now));
            }
            // Revoked meanwhile, or a concurrent revocation moved the counter: read again, decide again.
            Ok(None) | Err(StoreError::Contended) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(AccountError::Contended)
}

/// PATCH /v1/account/api-keys/{key_id}: renames the key, narrows its scopes and/or sets its allowlist, and
/// returns it.
///
/// Scopes may only be narrowed ([`Scopes::narrows`]); taking `admin` from the organisation's last staying
/// admin key is refused as its revocation would be, and so is an allowlist on it that leaves out the address
/// of the request setting it (409 `last_admin_key`). A revoked or expired key cannot be edited
/// (409 `key_revoked` / `key_expired`, as a roll is refused), not even by an empty edit; an empty edit of a
/// working key returns it unchanged.
pub async fn edit_key(
    store: &Store,
    principal: &Principal,
    raw_key_id: &str,
    edit: KeyEdit,
    request: &RequestFacts,
    now: SystemTime,
) -> Result<ApiKeyView, AccountError> {
    let name = edit
        .name
        .as_deref()
        .map(|name| validate::name("name", name))
        .transpose()?;
    let requested = edit
        .scopes
        .as_deref()
        .map(|names| {
            Scopes::parse(names).map_err(|err| {
                AccountError::invalid(
                    "scopes",
                    format!(
                        "{err}: `scopes` must be a non-empty list of read, write, delete, admin."
                    ),
                )
            })
        })
        .transpose()?;
    let allowed_ips = edit
        .allowed_ips
        .as_deref()
        .map(validate::allowed_ips)
        .transpose()?;
    for _ in 0..REVOCATION_ATTEMPTS {
        let key = find_visible(store, principal, raw_key_id).await?;
        refuse_uneditable(&key, now)?;
        if name.is_none() && requested.is_none() && allowed_ips.is_none() {
            return Ok(ApiKeyView::from_record(&key, now));
        }
        let mut guard = RevocationGuard::None;
        if let Some(requested) = &requested {
            let current = &key.scopes;
            if !requested.narrows(current) {
                return Err(AccountError::invalid(
                    "scopes",
                    format!(
                        "Scopes can only be narrowed: this key has {:?}. Create a new key for wider access.",
                        current.names()
                    ),
                ));
            }
            if !requested.is_admin() {
                guard = admin_guard(store, &key, request.source_ip, now).await?;
            }
        }
        // A key losing `admin` here no longer keeps the organisation: its new list needs no guard of its own.
        let stays_admin = requested.as_ref().is_none_or(Scopes::is_admin);
        if let Some(allowed_ips) = allowed_ips.as_ref().filter(|_| stays_admin) {
            guard = allowlist_guard(store, &key, allowed_ips, request.source_ip, now).await?;
        }
        let mut changes = Map::new();
        if let Some(name) = &name {
            changes.insert("name".to_owned(), json!({"from": key.name, "to": name}));
        }
        if let Some(requested) = &requested {
            changes.insert(
                "scopes".to_owned(),
                json!({"from": key.scopes.names(), "to": requested.names()}),
            );
        }
        if let Some(allowed_ips) = &allowed_ips {
            changes.insert(
                "allowed_ips".to_owned(),
                json!({"from": key.allowed_ips.entries(), "to": allowed_ips.entries()}),
            );
        }
        let event = new_event(
            &key.org_id,
            EventType::KeyEdited,
            actor_of(principal),
            Some(key_ref(&key)),
            Value::Object(changes),
            Some(request),
            now,
        )?;
        let now_text = timestamp(now);
        let change = KeyChange::Edit {
            at: &now_text,
            seen: &key,
            name: name.as_deref(),
            scopes: requested.as_ref().map(|new| ScopesChange {
                seen: &key.scopes,
                new,
            }),
            allowed_ips: allowed_ips.as_ref(),
        };
        match store
            .change_key(&key.org_id, &key.key_id, change, guard, &event)
            .await
        {
            Ok(Some(edited)) => {
                telemetry::note_action("api_key.edited", Some(&key.key_id));
                return Ok(ApiKeyView::from_record(&edited, now));
            }
            // Its scopes changed meanwhile, or a concurrent change moved the counter: read again.
            Ok(None) | Err(StoreError::Contended) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(AccountError::Contended)
}

/// POST /v1/account/api-keys/{key_id}/roll: a successor with the same name, environment, scopes and
/// allowlist (and, when the key had an expiry, the same lifetime from now), shown in full this once; the
/// rolled key keeps working for `expires_in_hours` (0 to 168, default 24; never longer than it would have) and then fails as
/// expired. A key is rolled once: a second roll, or a roll of a revoked or expired key, is a 409.
///
/// With an `Idempotency-Key`, a retry gets the same successor again, as for creation.
pub async fn roll_key(
    store: &Store,
    principal: &Principal,
    roll: RollRequest<'_>,
    derivation: &KeyDerivation,
    request: &RequestFacts,
    now: SystemTime,
) -> Result<CreatedKeyView, AccountError> {
    let RollRequest {
        key_id: raw_key_id,
        input,
        idempotency,
    } = roll;
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
                &(
                    "POST /v1/account/api-keys/{key_id}/roll",
                    raw_key_id,
                    &input,
                ),
            )
        })
        .transpose()?;
    let hours = input.expires_in_hours.unwrap_or(DEFAULT_ROLL_OVERLAP_HOURS);
    if !(0..=MAX_ROLL_OVERLAP_HOURS).contains(&hours) {
        return Err(AccountError::invalid(
            "expires_in_hours",
            format!("`expires_in_hours` must be between 0 and {MAX_ROLL_OVERLAP_HOURS} (0 stops the old key at once)."),
        ));
    }
    if let Some(previous) = earlier_outcome(claim.as_ref(), store, now).await? {
        return Ok(previous);
    }
    let rolled = find_visible(store, principal, raw_key_id).await?;
    refuse_unrollable(&rolled, principal, now)?;
    if hours == 0 && claim.is_none() && is_staying_admin(&rolled, now) {
        // The old key stops at once: if this answer were lost, the successor's key would be lost with it, and
        // with no other staying admin key the organisation would be locked out.
        let another = store
            .list_keys(&rolled.org_id)
            .await?
            .iter()
            .any(|other| other.key_id != rolled.key_id && is_staying_admin(other, now));
        if !another {
            return Err(AccountError::LastAdminKeyRolledBlind);
        }
    }
    let overlap_end = timestamp(now + Duration::from_secs(hours.unsigned_abs() * SECONDS_PER_HOUR));
    let rolled_key_expires_at = match &rolled.expires_at {
        Some(expiry) if *expiry < overlap_end => expiry.clone(),
        _ => overlap_end,
    };
    let new_key = NewKey::new(rolled.environment, claim.as_ref())?;
    let successor = ApiKeyRecord {
        key_id: new_key_id(now)?,
        org_id: rolled.org_id.clone(),
        name: rolled.name.clone(),
        key_prefix: new_key.secret.prefix(),
        environment: rolled.environment,
        scopes: rolled.scopes.clone(),
        key_hash: new_key.secret.hash(),
        is_active: true,
        // The transaction checks the organisation's own flag.
        org_is_active: true,
        created_at: timestamp(now),
        expires_at: successor_expiry(&rolled, now)?,
        last_used_at: None,
        revoked_at: None,
        replaces: Some(rolled.key_id.clone()),
        replaced_by: None,
        leak: None,
        allowed_ips: rolled.allowed_ips.clone(),
    };
    let event = new_event(
        &rolled.org_id,
        EventType::KeyRolled,
        actor_of(principal),
        Some(key_ref(&rolled)),
        json!({
            "successor": {"key_id": successor.key_id, "key_prefix": successor.key_prefix},
            "expires_at": {"from": rolled.expires_at, "to": rolled_key_expires_at},
        }),
        Some(request),
        now,
    )?;
    let created = CreatedKeyView::new(&successor, &new_key.secret);
    let record = new_key.record(&created, now)?;
    let now_text = timestamp(now);
    // With an overlap both keys work for a while: the successor needs room under the key limit, as a new
    // key does. Without one the old key stops as the successor starts: the count does not move.
    let overlaps = hours > 0;
    for _ in 0..KEY_CREATION_ATTEMPTS {
        let room = match overlaps {
            true => Some(key_room(store, &rolled.org_id, rolled.environment, now).await?),
            false => None,
        };
        let rolling = Rolling {
            successor: &successor,
            rolled_key_id: &rolled.key_id,
            rolled_key_expires_at: &rolled_key_expires_at,
            room,
        };
        match store
            .roll_key(
                rolling,
                &event,
                caller(principal, &now_text),
                record.as_ref(),
                now,
            )
            .await
        {
            Ok(()) => {
                telemetry::note_action("api_key.rolled", Some(&rolled.key_id));
                return Ok(created);
            }
            Err(StoreError::IdempotencyKeyUsed) => {
                return twin_outcome(claim.as_ref(), store, now).await
            }
            Err(StoreError::KeyChanged) => {
                // Revoked, rolled or expired since it was read (a racing roll, most likely): say which.
                let current = find_visible(store, principal, &rolled.key_id).await?;
                refuse_unrollable(&current, principal, now)?;
                return Err(AccountError::Contended);
            }
            // Concurrent creations used up the room the count left: count again.
            Err(StoreError::Contended) if overlaps => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(AccountError::Contended)
}

/// Why `key` cannot be edited at `now`, if it cannot: revoked, or expired.
fn refuse_uneditable(key: &ApiKeyRecord, now: SystemTime) -> Result<(), AccountError> {
    if !key.is_active {
        return Err(AccountError::KeyRevoked);
    }
    if is_expired(key, now) {
        return Err(AccountError::KeyExpired);
    }
    Ok(())
}

/// Why `key` cannot be rolled, if it cannot: revoked, rolled already, expired. When it is the caller's own
/// key, revoked and expired are the caller's authentication failing.
fn refuse_unrollable(
    key: &ApiKeyRecord,
    principal: &Principal,
    now: SystemTime,
) -> Result<(), AccountError> {
    let own = key.key_id == principal.key_id;
    if !key.is_active {
        return Err(if own {
            AuthError::RevokedKey.into()
        } else {
            AccountError::KeyRevoked
        });
    }
    if key.replaced_by.is_some() {
        return Err(AccountError::KeyAlreadyRolled);
    }
    if is_expired(key, now) {
        return Err(if own {
            AuthError::ExpiredKey.into()
        } else {
            AccountError::KeyExpired
        });
    }
    Ok(())
}

/// A successor's expiry: none when the rolled key had none; otherwise the rolled key's whole lifetime
/// (`expires_at` − `created_at`), counted from now, so a 90-day key rolls into a 90-day key. Timestamps
/// this code did not write fail the roll rather than make a key that never expires.
fn successor_expiry(
    rolled: &ApiKeyRecord,
    now: SystemTime,
) -> Result<Option<String>, AccountError> {
    let Some(expires_at) = rolled.expires_at.as_deref() else {
        return Ok(None);
    };
    let unreadable =
        || AccountError::Internal(format!("key {} has unreadable timestamps", rolled.key_id));
    let expires_at = parse_timestamp(expires_at).ok_or_else(unreadable)?;
    let created_at = parse_timestamp(&rolled.created_at).ok_or_else(unreadable)?;
    let lifetime = expires_at
        .duration_since(created_at)
        .map_err(|_| unreadable())?;
    Ok(Some(timestamp(now + lifetime)))
}
