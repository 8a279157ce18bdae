//! A leaked key's way out: a secret-scanning report (GitHub's, signature already checked by the function)
//! names tokens found in public; each of ours is revoked at once, whatever its environment and scopes, and
//! the organisation's activity log says where it was found.

use std::time::SystemTime;

use auth::{timestamp, ApiKeySecret};
use futures_util::stream::{self, StreamExt};
use serde_json::json;
use store::{Actor, EventType, KeyChange, Leak, RequestFacts, RevocationGuard, Store, StoreError};

use crate::events::{key_ref, new_event};
use crate::keys::{is_staying_admin, REVOCATION_ATTEMPTS};
use crate::AccountError;

/// How many tokens of one report are looked up and revoked at once: the key-hash index cannot be read in a
/// batch (one query per token), so a report of hundreds runs this many at a time, well inside the deadline,
/// without a burst DynamoDB would throttle.
pub const LEAK_LOOKUPS_AT_ONCE: usize = 16;
/// The longest `url` kept with a leaked key (longer ones are cut): a URL of a commit or an issue is far
/// shorter.
pub const MAX_LEAK_URL_CHARS: usize = 2_048;
/// The longest `source` (`commit`, `issue_comment`, ...) and `type` kept.
pub const MAX_LEAK_SOURCE_CHARS: usize = 64;

/// One token of a secret-scanning report, as GitHub sent it.
#[derive(Clone, PartialEq, Eq)]
pub struct ReportedToken {
    pub token: String,
    pub token_type: String,
    pub url: Option<String>,
    pub source: Option<String>,
}

impl std::fmt::Debug for ReportedToken {
    // The token stays out of logs and panic messages: it may be a working key until revoked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportedToken")
            .field("token_type", &self.token_type)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// What the service answers GitHub about one token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeakLabel {
    /// One of our keys: revoked (now, or before).
    TruePositive,
    /// Not one of ours: not of our format, its checksum wrong, or no key has its hash (a key created a
    /// moment ago may not be in the key-hash index yet, and is then labelled so too).
    FalsePositive,
}

/// Labels each token (in the order given) and revokes ours, as leaked, each with its `api_key.leaked` event
/// in the revocation's own transaction. A repeated report finds the key revoked and writes nothing: one
/// event per leak. The organisation's last staying admin key is revoked too (a public key is worse than a
/// lost one): the one exception to the last-admin guard; an operator then mints a new one.
pub async fn answer_leak_report(
    store: &Store,
    tokens: &[ReportedToken],
    request: &RequestFacts,
    now: SystemTime,
) -> Result<Vec<LeakLabel>, AccountError> {
    // By index: a closure over `&ReportedToken` would not be general enough for a `Send` future.
    stream::iter(0..tokens.len())
        .map(|index| label_and_revoke(store, &tokens[index], request, now))
        .buffered(LEAK_LOOKUPS_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

async fn label_and_revoke(
    store: &Store,
    reported: &ReportedToken,
    request: &RequestFacts,
    now: SystemTime,
) -> Result<LeakLabel, AccountError> {
    // Not of our format or a wrong checksum: no read at all.
    let Some(secret) = ApiKeySecret::parse(&reported.token) else {
        return Ok(LeakLabel::FalsePositive);
    };
    let Some(indexed) = store.find_key_by_hash(&secret.hash()).await? else {
        return Ok(LeakLabel::FalsePositive);
    };
    let leak = Leak {
        url: reported
            .url
            .as_deref()
            .map(|url| cut(url, MAX_LEAK_URL_CHARS)),
        source: reported
            .source
            .as_deref()
            .map(|source| cut(source, MAX_LEAK_SOURCE_CHARS)),
    };
    let revoked_at = timestamp(now);
    for _ in 0..REVOCATION_ATTEMPTS {
        // The base item, not the index's copy: it may have been revoked a moment ago.
        let Some(key) = store.get_key(&indexed.org_id, &indexed.key_id).await? else {
            return Ok(LeakLabel::FalsePositive);
        };
        if !key.is_active {
            return Ok(LeakLabel::TruePositive);
        }
        // A guarded change that counted on this key as "another staying admin key" must read again.
        let guard = match is_staying_admin(&key, now) {
            true => RevocationGuard::BumpAdminCounter,
            false => RevocationGuard::None,
        };
        let event = new_event(
            &key.org_id,
            EventType::KeyLeaked,
            Actor::GithubSecretScanning,
            Some(key_ref(&key)),
            json!({
                "url": leak.url,
                "source": leak.source,
                "token_type": cut(&reported.token_type, MAX_LEAK_SOURCE_CHARS),
            }),
            Some(request),
            now,
        )?;
        let change = KeyChange::Revoke {
            at: &revoked_at,
            leak: Some(&leak),
        };
        match store
            .change_key(&key.org_id, &key.key_id, change, guard, &event)
            .await
        {
            Ok(Some(_)) => {
                telemetry::note_action("api_key.leaked", Some(&key.key_id));
                tracing::warn!(org_id = %key.org_id, key_id = %key.key_id, "revoked a leaked key");
                return Ok(LeakLabel::TruePositive);
            }
            // Changed meanwhile (revoked by another report of the same token, most likely): read again.
            Ok(None) | Err(StoreError::Contended) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(AccountError::Contended)
}

/// The first `max` characters of `text`.
fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
