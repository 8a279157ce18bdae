//! The items the service keeps, and their conversion to and from DynamoDB attribute maps.

use std::collections::HashMap;

use access::{AllowedIps, Environment, Scopes};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::schema::{EXPIRY_ATTRIBUTE, KEY_HASH_ATTRIBUTE, PARTITION_KEY, SORT_KEY};
use crate::StoreError;

/// A DynamoDB item as the SDK hands it over.
pub type Item = HashMap<String, AttributeValue>;

/// An organisation: the tenant every key belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationRecord {
    pub org_id: String,
    pub name: String,
    /// As the user typed it (trimmed); uniqueness is checked on its lowercase form.
    pub email: String,
    pub plan_id: String,
    pub is_active: bool,
    pub created_at: String,
    /// Bumped by every revocation of an active admin key, so that two revocations racing for the last admin
    /// key cannot both succeed (optimistic concurrency on the organisation item).
    pub admin_revocations: u64,
    /// Bumped by every creation of a live key (a roll with an overlap included). A creation that counted `n`
    /// active live keys while this read `c` commits only while it is below `c + (limit − n)`, so creations
    /// racing near the live key limit cannot together pass it, and creations far from it never wait for each
    /// other. Absent on new items: 0.
    pub live_key_creations: u64,
    /// The same for test keys: a counter of their own, so the sandbox never contends with live creations.
    pub test_key_creations: u64,
}

impl OrganizationRecord {
    /// The creation counter of `environment`'s keys.
    pub fn key_creations(&self, environment: Environment) -> u64 {
        match environment {
            Environment::Live => self.live_key_creations,
            Environment::Test => self.test_key_creations,
        }
    }
}

/// The attribute of the organisation item that counts `environment`'s key creations.
pub(crate) fn key_creations_attribute(environment: Environment) -> &'static str {
    match environment {
        Environment::Live => "live_key_creations",
        Environment::Test => "test_key_creations",
    }
}

/// An API key's stored form: never the key itself, only its SHA-256.
///
/// `org_is_active` is a copy of the organisation's flag, so that authenticating a request needs only the one
/// index read that finds this item.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub key_id: String,
    pub org_id: String,
    pub name: String,
    pub key_prefix: String,
    pub environment: Environment,
    pub scopes: Scopes,
    pub key_hash: String,
    /// False once revoked; expiry is judged from `expires_at` at read time.
    pub is_active: bool,
    pub org_is_active: bool,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// The key this one was rolled from.
    pub replaces: Option<String>,
    /// The key this one was rolled into: a key is rolled once.
    pub replaced_by: Option<String>,
    /// Set when the key was revoked because it was found in public: where, as the report said.
    pub leak: Option<Leak>,
    /// Where the key may be used from; stored only when not anywhere (absent on items older than lists).
    pub allowed_ips: AllowedIps,
}

/// Where a leaked key was found, as a secret-scanning report said (GitHub signs the report, not these
/// values' meaning: shown as text, never followed by the service).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Leak {
    /// The public URL of the commit, issue or page the key was found in.
    pub url: Option<String>,
    /// The kind of place (`commit`, `issue_comment`, ...).
    pub source: Option<String>,
}

/// The `revoked_reason` attribute of a key revoked as leaked (absent: revoked on request).
pub(crate) const LEAKED_REASON: &str = "leaked";

impl std::fmt::Debug for ApiKeyRecord {
    // The hash stays out of logs and panic messages too.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyRecord")
            .field("key_id", &self.key_id)
            .field("org_id", &self.org_id)
            .field("key_prefix", &self.key_prefix)
            .field("environment", &self.environment)
            .field("scopes", &self.scopes)
            .field("is_active", &self.is_active)
            .field("allowed_ips", &self.allowed_ips)
            .finish_non_exhaustive()
    }
}

/// What an idempotent create (`Idempotency-Key`) did, kept for 24 hours so that a retry gets the same outcome.
///
/// Holds no key: only the random salt the key was derived with, its hash (to check a re-derivation), and the
/// answer without the key. Its id is a hash of the client's idempotency key and its scope, so the
/// idempotency key itself is not stored either.
#[derive(Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub record_id: String,
    /// SHA-256 of the request's route and parsed fields: the same idempotency key with another body is refused.
    pub fingerprint: String,
    /// Hex of the random bytes the created key was derived with.
    pub salt: String,
    /// The created key's SHA-256, the same value as on its key item.
    pub key_hash: String,
    /// The answer's JSON, with the full key left out.
    pub outcome: String,
    pub created_at: String,
    /// Unix seconds after which the record is void; DynamoDB's TTL deletes it some time later.
    pub expires_at_epoch: u64,
}

impl std::fmt::Debug for IdempotencyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotencyRecord")
            .field("record_id", &self.record_id)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// The partition key of an idempotency record.
pub fn idempotency_partition(record_id: &str) -> String {
    format!("IDEMPOTENCY#{record_id}")
}

/// The sort key of an idempotency record.
pub const IDEMPOTENCY_SORT: &str = "IDEMPOTENCY";

/// The partition key of an organisation and of all its keys.
pub fn org_partition(org_id: &str) -> String {
    format!("ORG#{org_id}")
}

/// The sort key of the organisation item itself.
pub const ORG_SORT: &str = "ORG";

/// The sort key of one API key under its organisation.
pub fn key_sort(key_id: &str) -> String {
    format!("KEY#{key_id}")
}

/// The sort key prefix shared by all of an organisation's keys.
pub const KEY_SORT_PREFIX: &str = "KEY#";

/// The partition key of the item that reserves an email address, from the address's normalised form (the
/// accounts crate's `validate::email`, computed once there): two addresses are the same when it is.
pub fn email_partition(normalised_email: &str) -> String {
    format!("EMAIL#{normalised_email}")
}

/// The sort key of an email reservation.
pub const EMAIL_SORT: &str = "EMAIL";

/// The partition key of the counter of one source's signups in one UTC hour.
pub fn signup_counter_partition(source: &str, hour: &str) -> String {
    format!("SIGNUPS#{source}#{hour}")
}

/// The sort key of a signup counter.
pub const SIGNUP_COUNTER_SORT: &str = "SIGNUPS";

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

impl OrganizationRecord {
    pub(crate) fn to_item(&self) -> Item {
        HashMap::from([
            (PARTITION_KEY.to_owned(), s(&org_partition(&self.org_id))),
            (SORT_KEY.to_owned(), s(ORG_SORT)),
            ("org_id".to_owned(), s(&self.org_id)),
            ("name".to_owned(), s(&self.name)),
            ("email".to_owned(), s(&self.email)),
            ("plan_id".to_owned(), s(&self.plan_id)),
            ("is_active".to_owned(), AttributeValue::Bool(self.is_active)),
            ("created_at".to_owned(), s(&self.created_at)),
            (
                "admin_revocations".to_owned(),
                AttributeValue::N(self.admin_revocations.to_string()),
            ),
            (
                key_creations_attribute(Environment::Live).to_owned(),
                AttributeValue::N(self.live_key_creations.to_string()),
            ),
            (
                key_creations_attribute(Environment::Test).to_owned(),
                AttributeValue::N(self.test_key_creations.to_string()),
            ),
        ])
    }

    pub(crate) fn from_item(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            org_id: string(item, "org_id")?,
            name: string(item, "name")?,
            email: string(item, "email")?,
            plan_id: string(item, "plan_id")?,
            is_active: boolean(item, "is_active")?,
            created_at: string(item, "created_at")?,
            admin_revocations: number(item, "admin_revocations")?,
            live_key_creations: optional_number(item, key_creations_attribute(Environment::Live))?,
            test_key_creations: optional_number(item, key_creations_attribute(Environment::Test))?,
        })
    }
}

impl ApiKeyRecord {
    pub(crate) fn to_item(&self) -> Item {
        let mut item = HashMap::from([
            (PARTITION_KEY.to_owned(), s(&org_partition(&self.org_id))),
            (SORT_KEY.to_owned(), s(&key_sort(&self.key_id))),
            ("key_id".to_owned(), s(&self.key_id)),
            ("org_id".to_owned(), s(&self.org_id)),
            ("name".to_owned(), s(&self.name)),
            ("key_prefix".to_owned(), s(&self.key_prefix)),
            ("environment".to_owned(), s(self.environment.as_str())),
            ("scopes".to_owned(), scopes_value(&self.scopes)),
            (KEY_HASH_ATTRIBUTE.to_owned(), s(&self.key_hash)),
            ("is_active".to_owned(), AttributeValue::Bool(self.is_active)),
            (
                "org_is_active".to_owned(),
                AttributeValue::Bool(self.org_is_active),
            ),
            ("created_at".to_owned(), s(&self.created_at)),
        ]);
        for (name, value) in [
            ("expires_at", &self.expires_at),
            ("last_used_at", &self.last_used_at),
            ("revoked_at", &self.revoked_at),
            ("replaces", &self.replaces),
            ("replaced_by", &self.replaced_by),
        ] {
            if let Some(value) = value {
                item.insert(name.to_owned(), s(value));
            }
        }
        if let Some(leak) = &self.leak {
            item.insert("revoked_reason".to_owned(), s(LEAKED_REASON));
            for (name, value) in [("leak_url", &leak.url), ("leak_source", &leak.source)] {
                if let Some(value) = value {
                    item.insert(name.to_owned(), s(value));
                }
            }
        }
        if !self.allowed_ips.is_anywhere() {
            item.insert(
                ALLOWED_IPS_ATTRIBUTE.to_owned(),
                allowed_ips_value(&self.allowed_ips),
            );
        }
        item
    }

    /// The key as stored; an environment, scope list or allowlist this code does not write is
    /// [`StoreError::Corrupt`], here, once, rather than wherever the key is used.
    pub(crate) fn from_item(item: &Item) -> Result<Self, StoreError> {
        let scopes = match item.get("scopes") {
            Some(AttributeValue::L(values)) => string_list(values, "scopes")?,
            _ => return Err(corrupt("scopes")),
        };
        let scopes = Scopes::parse(&scopes).map_err(|_| corrupt("scopes"))?;
        let allowed_ips = match item.get(ALLOWED_IPS_ATTRIBUTE) {
            None => AllowedIps::anywhere(),
            Some(AttributeValue::L(values)) => {
                AllowedIps::parse(&string_list(values, ALLOWED_IPS_ATTRIBUTE)?)
                    .map_err(|_| corrupt(ALLOWED_IPS_ATTRIBUTE))?
            }
            Some(_) => return Err(corrupt(ALLOWED_IPS_ATTRIBUTE)),
        };
        let environment = Environment::parse(&string(item, "environment")?)
            .ok_or_else(|| corrupt("environment"))?;
        Ok(Self {
            key_id: string(item, "key_id")?,
            org_id: string(item, "org_id")?,
            name: string(item, "name")?,
            key_prefix: string(item, "key_prefix")?,
            environment,
            scopes,
            key_hash: string(item, KEY_HASH_ATTRIBUTE)?,
            is_active: boolean(item, "is_active")?,
            org_is_active: boolean(item, "org_is_active")?,
            created_at: string(item, "created_at")?,
            expires_at: optional_string(item, "expires_at")?,
            last_used_at: optional_string(item, "last_used_at")?,
            revoked_at: optional_string(item, "revoked_at")?,
            replaces: optional_string(item, "replaces")?,
            replaced_by: optional_string(item, "replaced_by")?,
            leak: match optional_string(item, "revoked_reason")?.as_deref() {
                None => None,
                Some(LEAKED_REASON) => Some(Leak {
                    url: optional_string(item, "leak_url")?,
                    source: optional_string(item, "leak_source")?,
                }),
                Some(_) => return Err(corrupt("revoked_reason")),
            },
            allowed_ips,
        })
    }
}

impl IdempotencyRecord {
    pub(crate) fn to_item(&self) -> Item {
        HashMap::from([
            (
                PARTITION_KEY.to_owned(),
                s(&idempotency_partition(&self.record_id)),
            ),
            (SORT_KEY.to_owned(), s(IDEMPOTENCY_SORT)),
            ("record_id".to_owned(), s(&self.record_id)),
            ("fingerprint".to_owned(), s(&self.fingerprint)),
            ("salt".to_owned(), s(&self.salt)),
            // Not `key_hash`: that name would put this item in the key-hash index.
            ("created_key_hash".to_owned(), s(&self.key_hash)),
            ("outcome".to_owned(), s(&self.outcome)),
            ("created_at".to_owned(), s(&self.created_at)),
            (
                EXPIRY_ATTRIBUTE.to_owned(),
                AttributeValue::N(self.expires_at_epoch.to_string()),
            ),
        ])
    }

    pub(crate) fn from_item(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            record_id: string(item, "record_id")?,
            fingerprint: string(item, "fingerprint")?,
            salt: string(item, "salt")?,
            key_hash: string(item, "created_key_hash")?,
            outcome: string(item, "outcome")?,
            created_at: string(item, "created_at")?,
            expires_at_epoch: number(item, EXPIRY_ATTRIBUTE)?,
        })
    }
}

/// A key's scopes as stored: a list of their names, in order.
pub(crate) fn scopes_value(scopes: &Scopes) -> AttributeValue {
    AttributeValue::L(scopes.iter().map(|scope| s(scope.as_str())).collect())
}

/// The attribute of a key item that holds its allowlist.
pub(crate) const ALLOWED_IPS_ATTRIBUTE: &str = "allowed_ips";

/// A key's allowlist as stored: its normalised entries, in order.
pub(crate) fn allowed_ips_value(allowed_ips: &AllowedIps) -> AttributeValue {
    AttributeValue::L(allowed_ips.entries().iter().map(|entry| s(entry)).collect())
}

/// A list attribute whose members must all be strings.
fn string_list<'a>(values: &'a [AttributeValue], name: &str) -> Result<Vec<&'a str>, StoreError> {
    values
        .iter()
        .map(|value| match value {
            AttributeValue::S(text) => Ok(text.as_str()),
            _ => Err(corrupt(name)),
        })
        .collect()
}

pub(crate) fn corrupt(attribute: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "attribute `{attribute}` is missing or of the wrong type"
    ))
}

fn string(item: &Item, name: &str) -> Result<String, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value.clone()),
        _ => Err(corrupt(name)),
    }
}

fn optional_string(item: &Item, name: &str) -> Result<Option<String>, StoreError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(value)) => Ok(Some(value.clone())),
        _ => Err(corrupt(name)),
    }
}

fn boolean(item: &Item, name: &str) -> Result<bool, StoreError> {
    match item.get(name) {
        Some(AttributeValue::Bool(value)) => Ok(*value),
        _ => Err(corrupt(name)),
    }
}

/// A count that is 0 while absent.
fn optional_number(item: &Item, name: &str) -> Result<u64, StoreError> {
    match item.get(name) {
        None => Ok(0),
        Some(_) => number(item, name),
    }
}

fn number(item: &Item, name: &str) -> Result<u64, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value.parse().map_err(|_| corrupt(name)),
        _ => Err(corrupt(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ApiKeyRecord {
        ApiKeyRecord {
            key_id: "key_1".to_owned(),
            org_id: "org_1".to_owned(),
            name: "Default Key".to_owned(),
            key_prefix: "mem_live_AbCdEf...".to_owned(),
            environment: Environment::Live,
            scopes: Scopes::parse(&["read", "write"]).expect("scopes"),
            key_hash: "0".repeat(64),
            is_active: true,
            org_is_active: true,
            created_at: "2026-12-07T00:00:00Z".to_owned(),
            expires_at: None,
            last_used_at: None,
            revoked_at: None,
            replaces: None,
            replaced_by: None,
            leak: None,
            allowed_ips: AllowedIps::anywhere(),
        }
    }

    #[test]
    fn a_key_item_reads_back_as_the_record_it_was_written_from() {
        assert_eq!(ApiKeyRecord::from_item(&key().to_item()).ok(), Some(key()));
        let leaked = ApiKeyRecord {
            is_active: false,
            leak: Some(Leak {
                url: Some("https://github.com/o/r/blob/main/.env".to_owned()),
                source: None,
            }),
            ..key()
        };
        assert_eq!(
            ApiKeyRecord::from_item(&leaked.to_item()).ok(),
            Some(leaked)
        );
    }

    #[test]
    fn a_key_item_with_an_allowlist_reads_back_as_written() {
        let bound = ApiKeyRecord {
            allowed_ips: AllowedIps::parse(&["203.0.113.7", "2001:db8::/32"]).expect("valid"),
            ..key()
        };
        assert_eq!(ApiKeyRecord::from_item(&bound.to_item()).ok(), Some(bound));
    }

    #[test]
    fn a_key_item_without_an_allowlist_works_from_anywhere_and_an_unreadable_one_is_corrupt() {
        let item = key().to_item();
        assert!(
            !item.contains_key(ALLOWED_IPS_ATTRIBUTE),
            "anywhere is not stored"
        );
        for bad in [
            AttributeValue::L(vec![s("not-an-address")]),
            AttributeValue::L(vec![AttributeValue::N("1".to_owned())]),
            s("203.0.113.7"),
        ] {
            let mut item = key().to_item();
            item.insert(ALLOWED_IPS_ATTRIBUTE.to_owned(), bad);
            assert!(matches!(
                ApiKeyRecord::from_item(&item),
                Err(StoreError::Corrupt(detail)) if detail.contains("allowed_ips")
            ));
        }
    }

    #[test]
    fn a_key_item_with_an_unknown_environment_or_scope_is_corrupt_where_it_is_read() {
        let mut item = key().to_item();
        item.insert("environment".to_owned(), s("prod"));
        assert!(matches!(
            ApiKeyRecord::from_item(&item),
            Err(StoreError::Corrupt(detail)) if detail.contains("environment")
        ));
        let mut item = key().to_item();
        item.insert("scopes".to_owned(), AttributeValue::L(vec![s("superuser")]));
        assert!(matches!(
            ApiKeyRecord::from_item(&item),
            Err(StoreError::Corrupt(detail)) if detail.contains("scopes")
        ));
        let mut item = key().to_item();
        item.insert("scopes".to_owned(), AttributeValue::L(Vec::new()));
        assert!(matches!(
            ApiKeyRecord::from_item(&item),
            Err(StoreError::Corrupt(_))
        ));
    }
}
