//! `Idempotency-Key` (Stripe's convention) for the two routes that create a key: a retry with the same header
//! and the same fields within 24 hours gets the same outcome, the full key included, and creates nothing more.
//!
//! The key is never stored: an idempotent request derives it ([`ApiKeySecret::derive`]) from the server's
//! secret, a random salt and the idempotency key, and stores the salt, the key's hash and the answer without
//! the key in an idempotency record, written in the same transaction as what it created. A retry finds the
//! record, derives the same key again, and answers as the first time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth::{random_bytes, timestamp, ApiKeySecret, DerivationSecret, Environment};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use store::{IdempotencyRecord, Store};

use crate::AccountError;

/// How long an outcome is kept for retries.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// Shortest accepted idempotency key: anyone who has it and the same fields within the window gets the same
/// answer, full key included, so it must be hard to guess (a UUID v4 is 36 characters).
pub const MIN_IDEMPOTENCY_KEY_CHARS: usize = 16;
/// Longest accepted idempotency key, as Stripe's.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;
const SALT_BYTES: usize = 32;

/// A client's `Idempotency-Key`, checked: 16 to 255 printable ASCII characters.
#[derive(Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl std::fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdempotencyKey(..)")
    }
}

impl IdempotencyKey {
    /// The header's value, if it is a usable idempotency key.
    pub fn parse(value: &str) -> Result<Self, AccountError> {
        let length_ok =
            (MIN_IDEMPOTENCY_KEY_CHARS..=MAX_IDEMPOTENCY_KEY_CHARS).contains(&value.len());
        if length_ok && value.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(value.to_owned()))
        } else {
            Err(AccountError::invalid(
                "Idempotency-Key",
                format!(
                    "`Idempotency-Key` must be {MIN_IDEMPOTENCY_KEY_CHARS} to {MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters without spaces: use a random UUID."
                ),
            ))
        }
    }
}

/// An idempotent request in progress: where its record lives and what identifies its fields.
pub(crate) struct Claim<'a> {
    key: &'a IdempotencyKey,
    secret: &'a DerivationSecret,
    /// The organisation the request acts for (`None` for a signup, whose answer names it).
    org_id: Option<&'a str>,
    record_id: String,
    fingerprint: String,
}

impl<'a> Claim<'a> {
    /// The claim of `key` within `scope` (who may replay it: the calling key, or signup) for a request
    /// whose route and parsed fields are `fields`.
    pub(crate) fn new(
        key: &'a IdempotencyKey,
        secret: &'a DerivationSecret,
        org_id: Option<&'a str>,
        scope: &str,
        fields: &impl Serialize,
    ) -> Result<Self, AccountError> {
        let fields = serde_json::to_string(fields).map_err(|err| {
            AccountError::Internal(format!("request fields not serialisable: {err}"))
        })?;
        Ok(Self {
            key,
            secret,
            org_id,
            record_id: sha256_hex(&[scope.as_bytes(), b"\n", key.0.as_bytes()]),
            fingerprint: sha256_hex(&[scope.as_bytes(), b"\n", fields.as_bytes()]),
        })
    }

    /// The outcome of an earlier request with this idempotency key, if there is one still in its window:
    /// the same answer with the same key, showing the key's state now (revoked, rolled or expired since,
    /// never dressed as the active key it was). The same key with other fields is
    /// [`AccountError::IdempotencyKeyReused`].
    pub(crate) async fn previous<V: Replayable>(
        &self,
        store: &Store,
        now: SystemTime,
    ) -> Result<Option<V>, AccountError> {
        let Some(record) = store.get_idempotency_record(&self.record_id).await? else {
            return Ok(None);
        };
        if record.expires_at_epoch <= unix_seconds(now) {
            // Past its window, waiting for DynamoDB's TTL to delete it: the key may be used again.
            return Ok(None);
        }
        if record.fingerprint != self.fingerprint {
            return Err(AccountError::IdempotencyKeyReused);
        }
        let mut outcome: V = serde_json::from_str(&record.outcome).map_err(|err| {
            AccountError::Internal(format!("idempotency record outcome unreadable: {err}"))
        })?;
        let salt = hex_decode(&record.salt).ok_or_else(|| {
            AccountError::Internal("idempotency record salt unreadable".to_owned())
        })?;
        let environment = outcome.environment().ok_or_else(|| {
            AccountError::Internal("idempotency record outcome has no known environment".to_owned())
        })?;
        let secret = ApiKeySecret::derive(environment, self.secret, &salt, &self.key.0);
        if secret.hash() != record.key_hash {
            // The derivation secret changed since the first request: the key cannot be shown again.
            return Err(AccountError::Internal(
                "re-derived key does not match the stored hash (KEY_DERIVATION_SECRET changed?)"
                    .to_owned(),
            ));
        }
        outcome.reveal(&secret);
        let current = match outcome.key_location(self.org_id) {
            Some((org_id, key_id)) => store.get_key(org_id, key_id).await?,
            None => None,
        };
        match current {
            Some(key) => outcome.present(&key, now),
            // Written in the same transaction as the record: gone only if its organisation was deleted.
            None => {
                return Err(AccountError::Internal(
                    "the key an idempotency record created is not stored".to_owned(),
                ))
            }
        }
        Ok(Some(outcome))
    }

    /// The record that stores `outcome` (whose key is left out) for retries, to be written with it.
    fn record<V: Replayable>(
        &self,
        outcome: &V,
        secret: &ApiKeySecret,
        salt: &[u8],
        now: SystemTime,
    ) -> Result<IdempotencyRecord, AccountError> {
        let mut hidden = outcome.clone();
        hidden.hide();
        let outcome = serde_json::to_string(&hidden)
            .map_err(|err| AccountError::Internal(format!("outcome not serialisable: {err}")))?;
        Ok(IdempotencyRecord {
            record_id: self.record_id.clone(),
            fingerprint: self.fingerprint.clone(),
            salt: hex_encode(salt),
            key_hash: secret.hash(),
            outcome,
            created_at: timestamp(now),
            expires_at_epoch: unix_seconds(now + IDEMPOTENCY_WINDOW),
        })
    }
}

/// The answer an earlier request with this claim's idempotency key already got, if any: the create then
/// answers it again and writes nothing. Always `None` without a claim.
pub(crate) async fn earlier_outcome<V: Replayable>(
    claim: Option<&Claim<'_>>,
    store: &Store,
    now: SystemTime,
) -> Result<Option<V>, AccountError> {
    match claim {
        Some(claim) => claim.previous(store, now).await,
        None => Ok(None),
    }
}

/// What a create answers when its idempotency record was refused: a twin with the same idempotency key
/// committed while this one was being written, and this one gets the twin's answer, as a retry would.
pub(crate) async fn twin_outcome<V: Replayable>(
    claim: Option<&Claim<'_>>,
    store: &Store,
    now: SystemTime,
) -> Result<V, AccountError> {
    earlier_outcome(claim, store, now)
        .await?
        .ok_or(AccountError::Contended)
}

/// The full key a create makes: derived under an idempotency claim (so a retry can show it again), from the
/// OS CSPRNG without one.
pub(crate) struct NewKey<'a> {
    pub(crate) secret: ApiKeySecret,
    claim: Option<(&'a Claim<'a>, Vec<u8>)>,
}

impl<'a> NewKey<'a> {
    pub(crate) fn new(
        environment: Environment,
        claim: Option<&'a Claim<'a>>,
    ) -> Result<Self, AccountError> {
        Ok(match claim {
            Some(claim) => {
                let salt = random_bytes(SALT_BYTES)?;
                Self {
                    secret: ApiKeySecret::derive(environment, claim.secret, &salt, &claim.key.0),
                    claim: Some((claim, salt)),
                }
            }
            None => Self {
                secret: ApiKeySecret::generate(environment)?,
                claim: None,
            },
        })
    }

    /// The idempotency record to write with the create whose answer is `outcome`; none without a claim.
    pub(crate) fn record<V: Replayable>(
        &self,
        outcome: &V,
        now: SystemTime,
    ) -> Result<Option<IdempotencyRecord>, AccountError> {
        self.claim
            .as_ref()
            .map(|(claim, salt)| claim.record(outcome, &self.secret, salt, now))
            .transpose()
    }
}

/// An answer that carries a new key: it is stored without the key and shown again with it.
pub(crate) trait Replayable: Serialize + DeserializeOwned + Clone {
    /// The environment of the key the answer carries; `None` for a stored answer this code did not write.
    fn environment(&self) -> Option<Environment>;
    /// Where the key the answer carries is stored: its organisation (`caller_org` where the answer does not
    /// name one) and its id.
    fn key_location<'a>(&'a self, caller_org: Option<&'a str>) -> Option<(&'a str, &'a str)>;
    /// Shows the key's state as stored now.
    fn present(&mut self, key: &store::ApiKeyRecord, now: SystemTime);
    /// Leaves the full key out, for storage.
    fn hide(&mut self);
    /// Puts the full key back, for the answer.
    fn reveal(&mut self, secret: &ApiKeySecret);
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex_encode(&hasher.finalize())
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_sixteen_to_255_printable_characters() {
        assert!(IdempotencyKey::parse("3f1c2a9e-7b4d-4e8a-9c1f-2d3e4f5a6b7c").is_ok());
        assert!(IdempotencyKey::parse(&"a".repeat(255)).is_ok());
        for bad in ["", "short", "has a space in it!!", "tab\tinside-the-key-x"] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
        assert!(IdempotencyKey::parse(&"a".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("ünïcödé-is-not-ascii").is_err());
    }

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 127, 128, 255];
        assert_eq!(hex_decode(&hex_encode(&bytes)).as_deref(), Some(&bytes[..]));
        assert_eq!(hex_decode("abc"), None);
        assert_eq!(hex_decode("zz"), None);
    }

    #[test]
    fn the_record_id_depends_on_the_scope_and_the_fingerprint_on_the_fields() {
        let key = IdempotencyKey::parse("3f1c2a9e-7b4d-4e8a-9c1f").expect("valid");
        let secret = DerivationSecret::new([3u8; 32]).expect("secret");
        let a = Claim::new(&key, &secret, None, "key_a", &("x", 1)).expect("claim");
        let b = Claim::new(&key, &secret, None, "key_b", &("x", 1)).expect("claim");
        let c = Claim::new(&key, &secret, None, "key_a", &("x", 2)).expect("claim");
        assert_ne!(a.record_id, b.record_id);
        assert_eq!(a.record_id, c.record_id);
        assert_ne!(a.fingerprint, c.fingerprint);
    }
}
