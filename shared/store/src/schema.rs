//! The table's shape, in one place: the local set-up creates the table from it and a test checks that
//! `template.yaml` declares the same keys and index.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use crate::{unavailable, StoreError};

/// Partition key of every item: `ORG#<org_id>`, `EMAIL#<normalised email>` or `IDEMPOTENCY#<record id>`.
pub const PARTITION_KEY: &str = "pk";
/// Sort key: `ORG`, `KEY#<key_id>`, `EMAIL` or `IDEMPOTENCY`.
pub const SORT_KEY: &str = "sk";
/// The SHA-256 (hex) of an API key, the only form in which a key is stored.
pub const KEY_HASH_ATTRIBUTE: &str = "key_hash";
/// The global secondary index that finds a key item by its hash in one read.
pub const KEY_HASH_INDEX: &str = "key_hash-index";
/// The table's TTL attribute (Unix seconds): DynamoDB deletes an item some time after it (within days, at no
/// cost). Only idempotency records carry it; readers still check it themselves, since deletion lags.
pub const EXPIRY_ATTRIBUTE: &str = "expires_at_epoch";

/// Creates the table (on-demand, with the key-hash index) unless it exists; returns whether it created it.
pub async fn ensure_table(client: &Client, table: &str) -> Result<bool, StoreError> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => return Ok(false),
        Err(err) => {
            let not_found = err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception());
            if !not_found {
                return Err(unavailable("DescribeTable", err));
            }
        }
    }
    let string_attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    };
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    };
    let index = GlobalSecondaryIndex::builder()
        .index_name(KEY_HASH_INDEX)
        .key_schema(key(KEY_HASH_ATTRIBUTE, KeyType::Hash)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute(PARTITION_KEY)?)
        .attribute_definitions(string_attribute(SORT_KEY)?)
        .attribute_definitions(string_attribute(KEY_HASH_ATTRIBUTE)?)
        .key_schema(key(PARTITION_KEY, KeyType::Hash)?)
        .key_schema(key(SORT_KEY, KeyType::Range)?)
        .global_secondary_indexes(index)
        .send()
        .await;
    match created {
        Ok(_) => {
            let ttl = TimeToLiveSpecification::builder()
                .attribute_name(EXPIRY_ATTRIBUTE)
                .enabled(true)
                .build()
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            client
                .update_time_to_live()
                .table_name(table)
                .time_to_live_specification(ttl)
                .send()
                .await
                .map_err(|err| unavailable("UpdateTimeToLive", err))?;
            Ok(true)
        }
        // Another process created it between our two calls: that is what we wanted.
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            Ok(false)
        }
        Err(err) => Err(unavailable("CreateTable", err)),
    }
}
