//! Busy keys from memory: a successful authentication kept for a moment per key hash, so a key sending
//! thousands of requests a second does not send them all to the one partition that holds its index item.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use config::{ConfigError, Variables};
use store::ApiKeyRecord;

/// How many keys an instance keeps at most (about 1 KB each): a busy instance's working set, bounded.
pub const AUTH_CACHE_ENTRIES: usize = 10_000;
/// How long a key is kept when `AUTH_CACHE_TTL` does not say.
pub const AUTH_CACHE_DEFAULT_TTL: Duration = Duration::from_secs(1);
/// The longest `AUTH_CACHE_TTL` accepted: every second of it is added to the revocation window of the
/// requests that use it.
pub const AUTH_CACHE_MAX_TTL: Duration = Duration::from_secs(60);

/// Key items as the key-hash index showed them, by key hash, for at most the TTL. Only what passed the
/// checks is kept (a refusal never is: a key that starts working works at once), only for requests that
/// accept the index's lag (never one confirmed on the key's base item), and every request still runs the
/// checks (revoked, expired, organisation, source address, scope) on what is kept. Clones share the entries.
#[derive(Clone, Debug)]
pub struct AuthCache {
    ttl: Duration,
    entries: Arc<Mutex<HashMap<String, (SystemTime, ApiKeyRecord)>>>,
}

impl AuthCache {
    /// A cache keeping each key for `ttl` (zero: keeps nothing).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Arc::default(),
        }
    }

    /// No cache: every request reads the index.
    pub fn off() -> Self {
        Self::new(Duration::ZERO)
    }

    /// `AUTH_CACHE_TTL`: seconds, from 0 (off) to 60, fractions allowed; [`AUTH_CACHE_DEFAULT_TTL`] when
    /// unset.
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        let ttl = variables.parsed(
            "AUTH_CACHE_TTL",
            "seconds from 0 (off) to 60, e.g. 1 or 0.5",
            |value| {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|seconds| (0.0..=AUTH_CACHE_MAX_TTL.as_secs_f64()).contains(seconds))
                    .map(Duration::from_secs_f64)
            },
        )?;
        Ok(Self::new(ttl.unwrap_or(AUTH_CACHE_DEFAULT_TTL)))
    }

    /// How long a key is kept.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (SystemTime, ApiKeyRecord)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The key item kept for `key_hash`, if kept less than the TTL before `now` (the request's time, the
    /// wall clock: a kept key never outlives the TTL in real time; a clock gone backwards counts as
    /// expired).
    pub(crate) fn get(&self, key_hash: &str, now: SystemTime) -> Option<ApiKeyRecord> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.lock();
        let (kept_at, record) = entries.get(key_hash)?;
        fresh(*kept_at, now, self.ttl).then(|| record.clone())
    }

    /// Keeps `record`, which just passed the checks, for the TTL.
    pub(crate) fn keep(&self, key_hash: String, record: ApiKeyRecord, now: SystemTime) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= AUTH_CACHE_ENTRIES && !entries.contains_key(&key_hash) {
            let ttl = self.ttl;
            entries.retain(|_, (kept_at, _)| fresh(*kept_at, now, ttl));
            if entries.len() >= AUTH_CACHE_ENTRIES {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, (kept_at, _))| *kept_at)
                    .map(|(hash, _)| hash.clone());
                if let Some(oldest) = oldest {
                    entries.remove(&oldest);
                }
            }
        }
        entries.insert(key_hash, (now, record));
    }

    /// Forgets `key_hash`: its key was refused on its base item.
    pub(crate) fn evict(&self, key_hash: &str) {
        self.lock().remove(key_hash);
    }

    /// How many keys are kept now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether an entry kept at `kept_at` is still fresh at `now`.
fn fresh(kept_at: SystemTime, now: SystemTime, ttl: Duration) -> bool {
    now.duration_since(kept_at)
        .is_ok_and(|elapsed| elapsed < ttl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ttl_is_read_in_seconds_from_zero_to_sixty_and_defaults_to_one() {
        let ttl = |value: &str| {
            AuthCache::from_variables(&Variables::from_pairs([("AUTH_CACHE_TTL", value)]))
                .map(|cache| cache.ttl())
        };
        assert_eq!(ttl("0"), Ok(Duration::ZERO));
        assert_eq!(ttl("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(ttl("60"), Ok(Duration::from_secs(60)));
        assert_eq!(
            AuthCache::from_variables(&Variables::default()).map(|cache| cache.ttl()),
            Ok(AUTH_CACHE_DEFAULT_TTL)
        );
        for bad in ["-1", "61", "1s", "soon"] {
            assert_eq!(
                ttl(bad).expect_err("refused").name,
                "AUTH_CACHE_TTL",
                "{bad}"
            );
        }
    }
}
