//! Reads and writes of an organisation's existing keys: a page of the list, roll, edit, revoke.

use std::collections::HashMap;

use std::time::SystemTime;

use access::{AllowedIps, Environment, Scope, Scopes};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use crate::pages::NewestFirst;
use crate::records::{
    allowed_ips_value, key_sort, org_partition, scopes_value, ALLOWED_IPS_ATTRIBUTE,
    KEY_SORT_PREFIX, LEAKED_REASON, ORG_SORT,
};
use crate::schema::{PARTITION_KEY, SORT_KEY};
use crate::{
    build_error, ApiKeyRecord, Caller, EventRecord, IdempotencyRecord, KeyRoom, Leak, Refusal,
    RevocationGuard, Store, StoreError, Transaction, CALLER_CONDITION,
};

/// One page of an organisation's keys, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPage {
    pub keys: Vec<ApiKeyRecord>,
    /// Whether keys older than the last one on this page remain.
    pub has_more: bool,
}

/// A change to one existing key.
#[derive(Debug, Clone, Copy)]
pub enum KeyChange<'a> {
    /// Mark it inactive and stamp the time (the record stays, for the audit trail); only an active key.
    /// With a `leak`, the key is marked revoked as leaked, with where it was found.
    Revoke { at: &'a str, leak: Option<&'a Leak> },
    /// Rename it, set its scopes and/or its allowlist (anywhere removes it); only a key still active and
    /// unexpired at `at`.
    ///
    /// A new `name` or `allowed_ips` is written only while the key's is still `seen`'s, as scopes are (so the
    /// edit's event says truly what it changed from, even with edits racing).
    Edit {
        at: &'a str,
        seen: &'a ApiKeyRecord,
        name: Option<&'a str>,
        scopes: Option<ScopesChange<'a>>,
        allowed_ips: Option<&'a AllowedIps>,
    },
}

/// New scopes for a key, written only if its scopes are still those the change was decided on (so two
/// edits racing cannot widen a key between them).
#[derive(Debug, Clone, Copy)]
pub struct ScopesChange<'a> {
    pub seen: &'a Scopes,
    pub new: &'a Scopes,
}

/// A roll: the successor to store, and what happens to the key it replaces.
#[derive(Debug, Clone, Copy)]
pub struct Rolling<'a> {
    pub successor: &'a ApiKeyRecord,
    /// The key rolled: it must still be active, unexpired and never rolled.
    pub rolled_key_id: &'a str,
    /// When the rolled key stops working (its `expires_at` from now on).
    pub rolled_key_expires_at: &'a str,
    /// For a roll with an overlap (both keys work for a while, so the successor takes room under the key
    /// limit): the room the roll may take. `None` for a roll that stops the old key at once.
    pub room: Option<KeyRoom>,
}

/// An update expression with its condition, names and values: one form for `UpdateItem` and for a
/// transaction's `Update`.
struct Expression {
    update: String,
    condition: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl KeyChange<'_> {
    fn expression(&self) -> Expression {
        let mut names = HashMap::from([("#pk".to_owned(), PARTITION_KEY.to_owned())]);
        let mut values = HashMap::new();
        let mut condition = "attribute_exists(#pk)".to_owned();
        let update = match self {
            KeyChange::Revoke { at, leak } => {
                condition.push_str(" AND is_active = :true");
                values.insert(":true".to_owned(), AttributeValue::Bool(true));
                values.insert(":false".to_owned(), AttributeValue::Bool(false));
                values.insert(":now".to_owned(), AttributeValue::S((*at).to_owned()));
                let mut sets = vec!["is_active = :false", "revoked_at = :now"];
                if let Some(leak) = leak {
                    values.insert(
                        ":reason".to_owned(),
                        AttributeValue::S(LEAKED_REASON.to_owned()),
                    );
                    sets.push("revoked_reason = :reason");
                    for (set, placeholder, value) in [
                        ("leak_url = :leak_url", ":leak_url", &leak.url),
                        ("leak_source = :leak_source", ":leak_source", &leak.source),
                    ] {
                        if let Some(value) = value {
                            values.insert(placeholder.to_owned(), AttributeValue::S(value.clone()));
                            sets.push(set);
                        }
                    }
                }
                format!("SET {}", sets.join(", "))
            }
            KeyChange::Edit {
                at,
                seen,
                name,
                scopes,
                allowed_ips,
            } => {
                condition.push_str(
                    " AND is_active = :true AND (attribute_not_exists(expires_at) OR expires_at > :now)",
                );
                values.insert(":true".to_owned(), AttributeValue::Bool(true));
                values.insert(":now".to_owned(), AttributeValue::S((*at).to_owned()));
                let mut sets = Vec::new();
                if let Some(name) = name {
                    // `name` is a DynamoDB reserved word.
                    names.insert("#name".to_owned(), "name".to_owned());
                    values.insert(":name".to_owned(), AttributeValue::S((*name).to_owned()));
                    condition.push_str(" AND #name = :seen_name");
                    values.insert(
                        ":seen_name".to_owned(),
                        AttributeValue::S(seen.name.clone()),
                    );
                    sets.push("#name = :name");
                }
                if let Some(scopes) = scopes {
                    condition.push_str(" AND scopes = :seen");
                    values.insert(":seen".to_owned(), scopes_value(scopes.seen));
                    values.insert(":scopes".to_owned(), scopes_value(scopes.new));
                    sets.push("scopes = :scopes");
                }
                let mut removes = "";
                if let Some(list) = allowed_ips {
                    names.insert("#ips".to_owned(), ALLOWED_IPS_ATTRIBUTE.to_owned());
                    if seen.allowed_ips.is_anywhere() {
                        condition.push_str(" AND attribute_not_exists(#ips)");
                    } else {
                        condition.push_str(" AND #ips = :seen_ips");
                        values.insert(":seen_ips".to_owned(), allowed_ips_value(&seen.allowed_ips));
                    }
                    if list.is_anywhere() {
                        // Anywhere is stored as no list, as a new key without one is.
                        removes = " REMOVE #ips";
                    } else {
                        values.insert(":ips".to_owned(), allowed_ips_value(list));
                        sets.push("#ips = :ips");
                    }
                }
                match sets.is_empty() {
                    true => removes.trim_start().to_owned(),
                    false => format!("SET {}{removes}", sets.join(", ")),
                }
            }
        };
        Expression {
            update,
            condition,
            names,
            values,
        }
    }
}

impl Store {
    /// Up to `limit` keys of an organisation, newest first (key ids sort by creation), starting after the
    /// key `starting_after`, only those of `environment` when given (strongly consistent). One query per
    /// DynamoDB page read, with no more than `limit + 1` keys asked for each.
    pub async fn list_keys_page(
        &self,
        org_id: &str,
        environment: Option<Environment>,
        starting_after: Option<&str>,
        limit: usize,
    ) -> Result<KeyPage, StoreError> {
        let mut page = NewestFirst {
            org_id,
            prefix: KEY_SORT_PREFIX,
            after: starting_after.map(key_sort),
            filter: None,
            names: Vec::new(),
            values: Vec::new(),
            operation: "Query(keys page)",
        };
        if let Some(environment) = environment {
            page.filter = Some("environment = :environment".to_owned());
            page.values.push((
                ":environment",
                AttributeValue::S(environment.as_str().to_owned()),
            ));
        }
        let mut keys = self
            .newest_first(page, limit + 1)
            .await?
            .iter()
            .map(ApiKeyRecord::from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let has_more = keys.len() > limit;
        keys.truncate(limit);
        Ok(KeyPage { keys, has_more })
    }

    /// Rolls a key in one transaction: stores its successor and the roll's event, sets the rolled key's `expires_at` and
    /// `replaced_by` only if it is still active, unexpired and never rolled, and checks the calling key
    /// (active admin, on its base item; folded into the rolled key's own condition when it rolls itself),
    /// the organisation (active) and, for an idempotent request, that its record is new.
    pub async fn roll_key(
        &self,
        rolling: Rolling<'_>,
        event: &EventRecord,
        caller: Caller<'_>,
        idempotency: Option<&IdempotencyRecord>,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let org_id = rolling.successor.org_id.as_str();
        let rolls_itself = caller.key_id == rolling.rolled_key_id;
        // The rolled key must be active, unexpired and never rolled; when it is the caller, it must also
        // still hold the caller's scope (one item, so one condition: a transaction names an item once).
        let condition = if rolls_itself {
            format!("attribute_exists(#pk) AND attribute_not_exists(replaced_by) AND {CALLER_CONDITION}")
        } else {
            "attribute_exists(#pk) AND attribute_not_exists(replaced_by) AND is_active = :true \
             AND (attribute_not_exists(expires_at) OR expires_at > :now)"
                .to_owned()
        };
        let mut rolled = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, AttributeValue::S(org_partition(org_id)))
            .key(SORT_KEY, AttributeValue::S(key_sort(rolling.rolled_key_id)))
            .update_expression("SET expires_at = :expires, replaced_by = :successor")
            .condition_expression(condition)
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":now", AttributeValue::S(caller.now.to_owned()))
            .expression_attribute_values(
                ":expires",
                AttributeValue::S(rolling.rolled_key_expires_at.to_owned()),
            )
            .expression_attribute_values(
                ":successor",
                AttributeValue::S(rolling.successor.key_id.clone()),
            );
        if rolls_itself {
            rolled = rolled
                .expression_attribute_values(
                    ":scope",
                    AttributeValue::S(caller.scope.as_str().to_owned()),
                )
                .expression_attribute_values(
                    ":admin",
                    AttributeValue::S(Scope::Admin.as_str().to_owned()),
                );
        }
        let mut transaction = Transaction::default();
        transaction.push(
            self.put_new(rolling.successor.to_item())?,
            Refusal::AlreadyExists,
        );
        transaction.push(self.put_event(event)?, Refusal::AlreadyExists);
        transaction.push(
            TransactWriteItem::builder()
                .update(rolled.build().map_err(build_error)?)
                .build(),
            Refusal::KeyChanged,
        );
        // The organisation must be active: checked by the creation counter's condition when the roll takes
        // room (a transaction names an item once), else by a check of its own.
        match rolling.room {
            Some(room) => {
                transaction.push(self.creation_counter(org_id, room)?, Refusal::Contended)
            }
            None => transaction.push(
                self.organization_flag_check(org_id, true)?,
                Refusal::OrganizationInactive,
            ),
        }
        if !rolls_itself {
            transaction.push(self.caller_check(org_id, caller)?, Refusal::CallerRefused);
        }
        if let Some(record) = idempotency {
            transaction.push(
                self.put_idempotency_record(record, now)?,
                Refusal::IdempotencyKeyUsed,
            );
        }
        self.transact("TransactWriteItems(roll)", transaction).await
    }

    /// Changes one key, with its event in the same transaction, and returns its new state.
    ///
    /// Returns `Ok(None)` when the key is not in the state the change was decided on (gone, revoked
    /// meanwhile, its scopes changed) and [`StoreError::Contended`] when the guard's counter moved: the
    /// caller reads again and decides again. With [`RevocationGuard::AdminCounterIs`] (the change takes
    /// admin access away from a key), the organisation's `admin_revocations` counter moves in the same
    /// transaction, so two such changes racing for the last admin key cannot both commit.
    pub async fn change_key(
        &self,
        org_id: &str,
        key_id: &str,
        change: KeyChange<'_>,
        guard: RevocationGuard,
        event: &EventRecord,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let expression = change.expression();
        let key_update = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, AttributeValue::S(org_partition(org_id)))
            .key(SORT_KEY, AttributeValue::S(key_sort(key_id)))
            .update_expression(expression.update)
            .condition_expression(expression.condition)
            .set_expression_attribute_names(Some(expression.names))
            .set_expression_attribute_values(Some(expression.values));
        let mut transaction = Transaction::default();
        transaction.push(
            TransactWriteItem::builder()
                .update(key_update.build().map_err(build_error)?)
                .build(),
            Refusal::KeyChanged,
        );
        transaction.push(self.put_event(event)?, Refusal::AlreadyExists);
        let counter = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, AttributeValue::S(org_partition(org_id)))
            .key(SORT_KEY, AttributeValue::S(ORG_SORT.to_owned()))
            .update_expression("SET admin_revocations = admin_revocations + :one")
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()));
        let counter = match guard {
            RevocationGuard::None => None,
            RevocationGuard::AdminCounterIs(seen) => Some(
                counter
                    .condition_expression("admin_revocations = :seen")
                    .expression_attribute_values(":seen", AttributeValue::N(seen.to_string())),
            ),
            RevocationGuard::BumpAdminCounter => Some(counter),
        };
        if let Some(counter) = counter {
            transaction.push(
                TransactWriteItem::builder()
                    .update(counter.build().map_err(build_error)?)
                    .build(),
                Refusal::Contended,
            );
        }
        match self
            .transact("TransactWriteItems(key change)", transaction)
            .await
        {
            Ok(()) => self.get_key(org_id, key_id).await,
            Err(StoreError::KeyChanged) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Marks an active key revoked (the record stays, for the audit trail) and returns its new state; see
    /// [`Store::change_key`] for `Ok(None)` and the guard.
    pub async fn revoke_key(
        &self,
        org_id: &str,
        key_id: &str,
        revoked_at: &str,
        guard: RevocationGuard,
        event: &EventRecord,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let change = KeyChange::Revoke {
            at: revoked_at,
            leak: None,
        };
        self.change_key(org_id, key_id, change, guard, event).await
    }
}
