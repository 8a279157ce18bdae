//! DynamoDB access for the whole service, behind one small type: [`Store`].
//!
//! Every read and write the service makes is a method here, so the cost of a request (and every condition
//! that keeps the data consistent) can be read in one file.

mod client;
mod events;
mod lifecycle;
mod pages;
mod records;
pub mod schema;
mod timing;
mod usage;

use std::time::{Duration, SystemTime};

use access::{Environment, Scope};

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;

pub use access::RequestFacts;
pub use client::{
    aws_trust_context, build_client, client_config, connect_at_init, open_connection, sdk_config,
    ClientSettings, StoreConfig, TrustRoots, AWS_ROOT_CERTIFICATES, CONNECT_AT_INIT_BELOW_MB,
};
pub use events::{Actor, EventFilter, EventPage, EventRecord, EventType, KeyRef, EVENT_RETENTION};
pub use lifecycle::{KeyChange, KeyPage, Rolling, ScopesChange};
use records::{
    email_partition, idempotency_partition, key_sort, org_partition, EMAIL_SORT, IDEMPOTENCY_SORT,
    KEY_SORT_PREFIX, ORG_SORT,
};
pub use records::{ApiKeyRecord, IdempotencyRecord, Item, Leak, OrganizationRecord};
use schema::{EXPIRY_ATTRIBUTE, KEY_HASH_ATTRIBUTE, KEY_HASH_INDEX, PARTITION_KEY, SORT_KEY};
pub use usage::{UsageRecord, UsageTotals, USAGE_RETENTION, USAGE_WRITE_INTERVAL};

/// Why a store operation did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another organisation already registered this email address (in its normalised form).
    #[error("the email address is already registered")]
    EmailTaken,
    /// An item with this id exists already (a random id collided, or a retry repeated a write).
    #[error("an item with this id already exists")]
    AlreadyExists,
    /// A concurrent change to the same organisation won the race; read again and decide again.
    #[error("a concurrent change won the race")]
    Contended,
    /// The key making the change is no longer an active, unexpired key with the scope it needs (checked on
    /// its base item, inside the write's transaction).
    #[error("the calling key is no longer allowed to make this change")]
    CallerRefused,
    /// The organisation was deactivated (checked on its item, inside the write's transaction).
    #[error("the organisation is deactivated")]
    OrganizationInactive,
    /// An idempotency record with this id exists: the same request was (or is being) done already.
    #[error("the idempotency key was used already")]
    IdempotencyKeyUsed,
    /// DynamoDB could not be reached, timed out, throttled us or refused the call.
    #[error("DynamoDB is unavailable: {0}")]
    Unavailable(String),
    /// The key to be changed is no longer what the change was decided on (revoked, rolled or expired
    /// meanwhile): read it again to say why.
    #[error("the key changed before the write")]
    KeyChanged,
    /// A stored item does not have the shape this code writes.
    #[error("a stored item is malformed: {0}")]
    Corrupt(String),
    /// The source of a signup made as many signups this hour as it may ([`SignupAllowance`]).
    #[error("too many signups from this source this hour")]
    SignupLimitReached,
}

/// How many signups one source (a client's address, an IPv6 /64) may make in one UTC hour, counted in the
/// signup's own transaction on an item that DynamoDB's TTL deletes an hour after the hour ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignupAllowance<'a> {
    /// The source, as counted: `203.0.113.7`, `2001:db8:1:2::/64`.
    pub source: &'a str,
    /// The UTC hour counted in: `2026-12-07T05`.
    pub hour: &'a str,
    /// The most signups the source may make in the hour.
    pub per_hour: u64,
    /// Unix seconds after which the counter is void (TTL).
    pub expires_at_epoch: u64,
}

/// Turns an SDK failure into [`StoreError::Unavailable`], logging the detail that the client never sees.
pub(crate) fn unavailable(operation: &str, err: impl std::error::Error) -> StoreError {
    let detail = DisplayErrorContext(&err).to_string();
    tracing::error!(operation, error = %detail, "DynamoDB call failed");
    StoreError::Unavailable(format!("{operation} failed"))
}

/// A write that creates an item and never overwrites one (the new key's `PutItem` and signup's puts).
const NEW_ITEM_CONDITION: &str = "attribute_not_exists(#pk)";

/// What the calling key's base item must still say for its change to commit: active, holding the scope the
/// change needs (or `admin`), unexpired.
const CALLER_CONDITION: &str =
    "is_active = :true AND (contains(scopes, :scope) OR contains(scopes, :admin)) \
     AND (attribute_not_exists(expires_at) OR expires_at > :now)";

/// How many times a transaction is sent again when concurrent transactions on the same items cancel it
/// (`TransactionConflict`: nothing was written), with a short, growing pause between.
pub const TRANSACTION_CONFLICT_ATTEMPTS: u64 = 4;
/// The pause before the n-th new try of a conflicted transaction is n times this.
pub const TRANSACTION_CONFLICT_PAUSE: Duration = Duration::from_millis(20);

/// What a failed condition on one item of a write transaction means, named where the item is added
/// ([`Transaction::push`]). When several items are refused at once, the first in this order is the
/// answer: a used idempotency key means a replay, whatever else failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Refusal {
    IdempotencyKeyUsed,
    // Before `EmailTaken`: past its limit, a client learns nothing, not even which emails are registered.
    SignupLimitReached,
    EmailTaken,
    KeyChanged,
    OrganizationInactive,
    CallerRefused,
    Contended,
    AlreadyExists,
}

impl From<Refusal> for StoreError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::IdempotencyKeyUsed => StoreError::IdempotencyKeyUsed,
            Refusal::SignupLimitReached => StoreError::SignupLimitReached,
            Refusal::EmailTaken => StoreError::EmailTaken,
            Refusal::KeyChanged => StoreError::KeyChanged,
            Refusal::OrganizationInactive => StoreError::OrganizationInactive,
            Refusal::CallerRefused => StoreError::CallerRefused,
            Refusal::Contended => StoreError::Contended,
            Refusal::AlreadyExists => StoreError::AlreadyExists,
        }
    }
}

/// The items of one write transaction, each with what its refusal means.
#[derive(Default)]
struct Transaction {
    items: Vec<TransactWriteItem>,
    refusals: Vec<Refusal>,
}

impl Transaction {
    fn push(&mut self, item: TransactWriteItem, refused_means: Refusal) {
        self.items.push(item);
        self.refusals.push(refused_means);
    }

    /// What the cancellation `reasons` (one per item, in order) mean: the first refusal by precedence.
    fn refusal(&self, reasons: &[String]) -> Refusal {
        reasons
            .iter()
            .zip(&self.refusals)
            .filter(|(reason, _)| reason.as_str() == "ConditionalCheckFailed")
            .map(|(_, refusal)| *refusal)
            .min()
            .unwrap_or(Refusal::Contended)
    }
}

/// A creation near the key limit: the creation commits only while the organisation's counter of
/// `environment`'s key creations is still below `below` (the caller counted the active keys, and may make at
/// most the room that count left).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRoom {
    pub environment: Environment,
    pub below: u64,
}

/// What a signup writes: the organisation, the reservation of its email (under `normalised_email`, the form
/// two addresses are compared in), its first key and its `signup` event.
#[derive(Clone, Copy, Debug)]
pub struct NewOrganization<'a> {
    pub org: &'a OrganizationRecord,
    pub normalised_email: &'a str,
    pub first_key: &'a ApiKeyRecord,
    pub event: &'a EventRecord,
}

/// Who is making a change, to be confirmed on their key's base item inside the change's transaction.
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    pub key_id: &'a str,
    /// The scope the change needs; the key must hold it (`admin` holds every scope).
    pub scope: Scope,
    /// Now, as stored timestamps are written: the key must expire after it.
    pub now: &'a str,
}

/// What [`Store::revoke_key`] must check about the organisation before it revokes an active admin key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationGuard {
    /// The key grants no admin access (or grants none any more): revoke it without touching the organisation.
    None,
    /// The key is an active admin key and another active admin key was seen while the organisation's
    /// `admin_revocations` counter was this value; the revocation commits only if it still is.
    AdminCounterIs(u64),
    /// The key is a staying admin key revoked whatever else holds (it leaked): the counter moves without a
    /// condition, so a guarded change that counted on this key as the other admin key reads again.
    BumpAdminCounter,
}

/// The service's DynamoDB table, with a client built once per cold start.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    /// Wraps a client and the table name it works on.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Builds the client for `config` (read once, in `main`), and opens its connection during init when the
    /// function is small enough for that to shorten its cold start ([`connect_at_init`]).
    pub async fn connect(config: &StoreConfig) -> Self {
        let client = build_client(&config.client).await;
        if config.client.connect_at_init {
            open_connection(&client, &config.table, config.client.attempt_timeout).await;
        }
        Self::new(client, config.table.clone())
    }

    /// The underlying client, for set-up and tests.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The table this store reads and writes.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Writes a new organisation ([`NewOrganization`]), for an idempotent signup its
    /// idempotency record and, under an `allowance`, one more signup on its source's counter for the hour
    /// (refused at the limit: [`StoreError::SignupLimitReached`]), in one transaction: all or none, so a
    /// replay or a refused signup counts nothing.
    pub async fn create_organization(
        &self,
        signup: NewOrganization<'_>,
        idempotency: Option<&IdempotencyRecord>,
        allowance: Option<SignupAllowance<'_>>,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let NewOrganization {
            org,
            normalised_email,
            first_key,
            event,
        } = signup;
        let email_item = Item::from([
            (
                PARTITION_KEY.to_owned(),
                AttributeValue::S(email_partition(normalised_email)),
            ),
            (
                SORT_KEY.to_owned(),
                AttributeValue::S(EMAIL_SORT.to_owned()),
            ),
            ("org_id".to_owned(), AttributeValue::S(org.org_id.clone())),
        ]);
        let mut transaction = Transaction::default();
        transaction.push(self.put_new(org.to_item())?, Refusal::AlreadyExists);
        transaction.push(self.put_new(email_item)?, Refusal::EmailTaken);
        transaction.push(self.put_new(first_key.to_item())?, Refusal::AlreadyExists);
        transaction.push(self.put_event(event)?, Refusal::AlreadyExists);
        if let Some(record) = idempotency {
            transaction.push(
                self.put_idempotency_record(record, now)?,
                Refusal::IdempotencyKeyUsed,
            );
        }
        if let Some(allowance) = allowance {
            transaction.push(self.signup_counter(allowance)?, Refusal::SignupLimitReached);
        }
        self.transact("TransactWriteItems(signup)", transaction)
            .await
    }

    /// Counts a signup attempt that the transaction refused for another reason (its email is taken) against
    /// `allowance`, so that refused attempts use up the hour's allowance too (probing emails costs the same as
    /// signing up); [`StoreError::SignupLimitReached`] when the source was already at its limit.
    pub async fn count_refused_signup(
        &self,
        allowance: SignupAllowance<'_>,
    ) -> Result<(), StoreError> {
        let counted = self
            .client
            .transact_write_items()
            .transact_items(self.signup_counter(allowance)?)
            .send()
            .await;
        match counted {
            Ok(_) => Ok(()),
            Err(err) => match cancellation_reasons(&err) {
                Some(reasons) if reasons.iter().any(|r| r == "ConditionalCheckFailed") => {
                    Err(StoreError::SignupLimitReached)
                }
                _ => Err(unavailable("TransactWriteItems(signup count)", err)),
            },
        }
    }

    /// A transaction's count of one more signup from `allowance.source` this hour, refused at the limit.
    fn signup_counter(
        &self,
        allowance: SignupAllowance<'_>,
    ) -> Result<TransactWriteItem, StoreError> {
        let counter = Update::builder()
            .table_name(&self.table)
            .key(
                PARTITION_KEY,
                AttributeValue::S(records::signup_counter_partition(
                    allowance.source,
                    allowance.hour,
                )),
            )
            .key(
                SORT_KEY,
                AttributeValue::S(records::SIGNUP_COUNTER_SORT.to_owned()),
            )
            .update_expression("ADD signups :one SET #expiry = :expires")
            .condition_expression("attribute_not_exists(signups) OR signups < :limit")
            .expression_attribute_names("#expiry", EXPIRY_ATTRIBUTE)
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .expression_attribute_values(
                ":limit",
                AttributeValue::N(allowance.per_hour.to_string()),
            )
            .expression_attribute_values(
                ":expires",
                AttributeValue::N(allowance.expires_at_epoch.to_string()),
            )
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(counter).build())
    }

    /// Stores a new key and its event, in one transaction with what makes it allowed: the calling key is still active,
    /// unexpired and holds `caller.scope` (on its base item, so a revocation the key-hash index has not seen
    /// yet still stops it), the organisation is active and its counter of the key's environment's
    /// creations, which the write bumps, is still below `room.below` (so creations racing near the key limit
    /// cannot pass it together: [`StoreError::Contended`], count again), and, for an idempotent request, its
    /// record is new.
    pub async fn create_key(
        &self,
        key: &ApiKeyRecord,
        event: &EventRecord,
        caller: Caller<'_>,
        room: KeyRoom,
        idempotency: Option<&IdempotencyRecord>,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let counter = self.creation_counter(&key.org_id, room)?;
        let mut transaction = Transaction::default();
        transaction.push(self.put_new(key.to_item())?, Refusal::AlreadyExists);
        transaction.push(self.put_event(event)?, Refusal::AlreadyExists);
        transaction.push(
            self.caller_check(&key.org_id, caller)?,
            Refusal::CallerRefused,
        );
        // Deactivated, or creations since the caller counted used up its room: it counts again.
        transaction.push(counter, Refusal::Contended);
        if let Some(record) = idempotency {
            transaction.push(
                self.put_idempotency_record(record, now)?,
                Refusal::IdempotencyKeyUsed,
            );
        }
        self.transact("TransactWriteItems(create key)", transaction)
            .await
    }

    /// A transaction's bump of the organisation's counter of `room.environment`'s key creations, refused
    /// unless the organisation is active and the counter is below `room.below`.
    fn creation_counter(
        &self,
        org_id: &str,
        room: KeyRoom,
    ) -> Result<TransactWriteItem, StoreError> {
        let counter = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, AttributeValue::S(org_partition(org_id)))
            .key(SORT_KEY, AttributeValue::S(ORG_SORT.to_owned()))
            .update_expression("SET #count = if_not_exists(#count, :zero) + :one")
            .condition_expression(
                "is_active = :true AND (attribute_not_exists(#count) OR #count < :bound)",
            )
            .expression_attribute_names(
                "#count",
                records::key_creations_attribute(room.environment),
            )
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":zero", AttributeValue::N("0".to_owned()))
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .expression_attribute_values(":bound", AttributeValue::N(room.below.to_string()))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(counter).build())
    }

    /// A transaction's check that the calling key is still active, unexpired and holds `caller.scope`, on
    /// its base item.
    fn caller_check(
        &self,
        org_id: &str,
        caller: Caller<'_>,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, AttributeValue::S(org_partition(org_id)))
            .key(SORT_KEY, AttributeValue::S(key_sort(caller.key_id)))
            .condition_expression(CALLER_CONDITION)
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(
                ":scope",
                AttributeValue::S(caller.scope.as_str().to_owned()),
            )
            .expression_attribute_values(
                ":admin",
                AttributeValue::S(Scope::Admin.as_str().to_owned()),
            )
            .expression_attribute_values(":now", AttributeValue::S(caller.now.to_owned()))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// A transaction's check that the organisation's flag, on its item, is still `active`.
    fn organization_flag_check(
        &self,
        org_id: &str,
        active: bool,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, AttributeValue::S(org_partition(org_id)))
            .key(SORT_KEY, AttributeValue::S(ORG_SORT.to_owned()))
            .condition_expression("is_active = :active")
            .expression_attribute_values(":active", AttributeValue::Bool(active))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Reads an idempotency record (strongly consistent: its request may have committed a moment ago).
    pub async fn get_idempotency_record(
        &self,
        record_id: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.get_item(&idempotency_partition(record_id), IDEMPOTENCY_SORT)
            .await?
            .map(|item| IdempotencyRecord::from_item(&item))
            .transpose()
    }

    /// Reads an organisation (strongly consistent: it may have been written a moment ago).
    pub async fn get_organization(
        &self,
        org_id: &str,
    ) -> Result<Option<OrganizationRecord>, StoreError> {
        self.get_item(&org_partition(org_id), ORG_SORT)
            .await?
            .map(|item| OrganizationRecord::from_item(&item))
            .transpose()
    }

    /// Finds the key with this SHA-256 hash: the one read that authenticates a request.
    ///
    /// Eventually consistent (a global secondary index cannot be read any other way): a key revoked a moment
    /// ago can still be found with its old state for as long as the index takes to catch up.
    pub async fn find_key_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(KEY_HASH_INDEX)
            .key_condition_expression("#hash = :hash")
            .expression_attribute_names("#hash", KEY_HASH_ATTRIBUTE)
            .expression_attribute_values(":hash", AttributeValue::S(key_hash.to_owned()))
            .limit(1)
            .send()
            .await
            .map_err(|err| unavailable("Query(key_hash)", err))?;
        output
            .items()
            .first()
            .map(ApiKeyRecord::from_item)
            .transpose()
    }

    /// Reads one key of one organisation; a key of another organisation is simply not found.
    pub async fn get_key(
        &self,
        org_id: &str,
        key_id: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.get_item(&org_partition(org_id), &key_sort(key_id))
            .await?
            .map(|item| ApiKeyRecord::from_item(&item))
            .transpose()
    }

    /// Every key of an organisation, revoked ones included (strongly consistent, all pages).
    pub async fn list_keys(&self, org_id: &str) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let mut keys = Vec::new();
        let mut start_key = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_values(":pk", AttributeValue::S(org_partition(org_id)))
                .expression_attribute_values(
                    ":prefix",
                    AttributeValue::S(KEY_SORT_PREFIX.to_owned()),
                )
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(|err| unavailable("Query(keys)", err))?;
            for item in output.items() {
                keys.push(ApiKeyRecord::from_item(item)?);
            }
            match output.last_evaluated_key {
                Some(next) if !next.is_empty() => start_key = Some(next),
                _ => return Ok(keys),
            }
        }
    }

    /// Stores a key as it is, with no check but that it is new: the tests' states no route can make; the
    /// routes create keys with [`Store::create_key`], an operator with [`Store::mint_key`].
    pub async fn insert_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key.to_item()))
            .condition_expression(NEW_ITEM_CONDITION)
            .expression_attribute_names("#pk", PARTITION_KEY)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::AlreadyExists)
            }
            Err(err) => Err(unavailable("PutItem(key)", err)),
        }
    }

    /// Stores an operator's minted key with its event, in one transaction, while the organisation's flag is
    /// still the copy the key carries (`org_is_active`): a deactivation racing the mint is
    /// [`StoreError::Contended`], never a working key in a deactivated organisation.
    pub async fn mint_key(
        &self,
        key: &ApiKeyRecord,
        event: &EventRecord,
    ) -> Result<(), StoreError> {
        let mut transaction = Transaction::default();
        transaction.push(self.put_new(key.to_item())?, Refusal::AlreadyExists);
        transaction.push(self.put_event(event)?, Refusal::AlreadyExists);
        transaction.push(
            self.organization_flag_check(&key.org_id, key.org_is_active)?,
            Refusal::Contended,
        );
        self.transact("TransactWriteItems(mint key)", transaction)
            .await
    }

    /// Turns an organisation on or off: its item's flag with `event` in one transaction (when the flag
    /// changes; none when it already was so), then the copy each of its keys carries (always, so a run
    /// stopped half-way is finished by the next). `false` when there is no such organisation.
    ///
    /// There is no public route for this: it is an operator's action (the `operator` tool, and the tests'),
    /// kept here so that the copy on the keys can never be forgotten.
    pub async fn set_organization_active(
        &self,
        org_id: &str,
        active: bool,
        event: &EventRecord,
    ) -> Result<bool, StoreError> {
        let Some(org) = self.get_organization(org_id).await? else {
            return Ok(false);
        };
        if org.is_active != active {
            let flag = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, AttributeValue::S(org_partition(org_id)))
                .key(SORT_KEY, AttributeValue::S(ORG_SORT.to_owned()))
                .update_expression("SET is_active = :flag")
                .condition_expression("attribute_exists(#pk) AND is_active <> :flag")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_values(":flag", AttributeValue::Bool(active))
                .build()
                .map_err(build_error)?;
            let mut transaction = Transaction::default();
            // Refused: another operator made the same change a moment ago (with its own event).
            transaction.push(
                TransactWriteItem::builder().update(flag).build(),
                Refusal::Contended,
            );
            transaction.push(self.put_event(event)?, Refusal::AlreadyExists);
            match self
                .transact("TransactWriteItems(organisation flag)", transaction)
                .await
            {
                Ok(()) | Err(StoreError::Contended) => {}
                Err(err) => return Err(err),
            }
        }
        for key in self.list_keys(org_id).await? {
            self.client
                .update_item()
                .table_name(&self.table)
                .key(PARTITION_KEY, AttributeValue::S(org_partition(org_id)))
                .key(SORT_KEY, AttributeValue::S(key_sort(&key.key_id)))
                .update_expression("SET org_is_active = :flag")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_values(":flag", AttributeValue::Bool(active))
                .send()
                .await
                .map_err(|err| unavailable("UpdateItem(active)", err))?;
        }
        Ok(true)
    }

    async fn get_item(&self, partition: &str, sort: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .consistent_read(true)
            .key(PARTITION_KEY, AttributeValue::S(partition.to_owned()))
            .key(SORT_KEY, AttributeValue::S(sort.to_owned()))
            .send()
            .await
            .map_err(|err| unavailable("GetItem", err))?;
        Ok(output.item)
    }

    /// A transaction's put of an idempotency record: refused while a record with its id is in its window,
    /// allowed over one past it (DynamoDB's TTL deletes expired items only within a day or two).
    fn put_idempotency_record(
        &self,
        record: &IdempotencyRecord,
        now: SystemTime,
    ) -> Result<TransactWriteItem, StoreError> {
        let now = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(record.to_item()))
            .condition_expression("attribute_not_exists(#pk) OR #expiry <= :now")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#expiry", EXPIRY_ATTRIBUTE)
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A transaction's put that refuses to overwrite an existing item.
    fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(NEW_ITEM_CONDITION)
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Sends a write transaction, again (up to [`TRANSACTION_CONFLICT_ATTEMPTS`] times) while concurrent
    /// transactions on the same items cancel it: nothing was written then. A refused condition is the
    /// [`StoreError`] its item was pushed with.
    ///
    /// Each send is one SDK operation, for which the SDK fills in one `ClientRequestToken`: its own retries
    /// of an attempt whose answer was lost carry the same token, and DynamoDB answers them with the first
    /// attempt's success instead of applying (or refusing) the transaction twice (`faults.rs` shows it).
    async fn transact(
        &self,
        operation: &'static str,
        transaction: Transaction,
    ) -> Result<(), StoreError> {
        for attempt in 0..TRANSACTION_CONFLICT_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(TRANSACTION_CONFLICT_PAUSE * attempt as u32).await;
            }
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(transaction.items.clone()))
                .send()
                .await;
            match sent {
                Ok(_) => return Ok(()),
                Err(err) => match cancellation_reasons(&err) {
                    Some(reasons) if reasons.iter().any(|r| r == "ConditionalCheckFailed") => {
                        return Err(transaction.refusal(&reasons).into())
                    }
                    Some(reasons) if reasons.iter().any(|r| r == "TransactionConflict") => {}
                    _ => return Err(unavailable(operation, err)),
                },
            }
        }
        Err(StoreError::Contended)
    }
}

fn build_error(err: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(format!("request could not be built: {err}"))
}

/// The per-item reasons of a cancelled transaction (`"None"`, `"ConditionalCheckFailed"`, ...), if it was one.
fn cancellation_reasons<R>(
    err: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, R>,
) -> Option<Vec<String>> {
    match err.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(
            cancelled
                .cancellation_reasons()
                .iter()
                .map(|reason| reason.code().unwrap_or("None").to_owned())
                .collect(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transaction(refusals: &[Refusal]) -> Transaction {
        let mut transaction = Transaction::default();
        for refusal in refusals {
            transaction.push(TransactWriteItem::builder().build(), *refusal);
        }
        transaction
    }

    fn reasons(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|code| (*code).to_owned()).collect()
    }

    #[test]
    fn a_refused_item_is_answered_by_what_it_was_added_with_not_by_its_position() {
        let signup = transaction(&[
            Refusal::AlreadyExists,
            Refusal::EmailTaken,
            Refusal::AlreadyExists,
        ]);
        assert_eq!(
            signup.refusal(&reasons(&["None", "ConditionalCheckFailed", "None"])),
            Refusal::EmailTaken
        );
        assert_eq!(
            signup.refusal(&reasons(&["None", "None", "ConditionalCheckFailed"])),
            Refusal::AlreadyExists
        );
    }

    #[test]
    fn a_used_idempotency_key_outranks_every_other_refusal_of_the_same_transaction() {
        let create = transaction(&[
            Refusal::AlreadyExists,
            Refusal::CallerRefused,
            Refusal::Contended,
            Refusal::IdempotencyKeyUsed,
        ]);
        let all_refused = reasons(&[
            "ConditionalCheckFailed",
            "ConditionalCheckFailed",
            "ConditionalCheckFailed",
            "ConditionalCheckFailed",
        ]);
        assert_eq!(create.refusal(&all_refused), Refusal::IdempotencyKeyUsed);
        assert_eq!(
            create.refusal(&reasons(&[
                "None",
                "ConditionalCheckFailed",
                "ConditionalCheckFailed",
                "None"
            ])),
            Refusal::CallerRefused
        );
        assert!(matches!(
            StoreError::from(Refusal::CallerRefused),
            StoreError::CallerRefused
        ));
    }
}
