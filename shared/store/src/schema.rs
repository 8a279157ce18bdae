//! The table's shape, in one place: the local set-up creates the table from it and a test checks that
//! `template.yaml` declares the same keys and index.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;

use crate::{unavailable, StoreError};

/// Partition key of every item: `ORG#<org_id>` or `EMAIL#<lowercased email>`.
pub const PARTITION_KEY: &str = "pk";
/// Sort key: `ORG`, `KEY#<key_id>` or `EMAIL`.
pub const SORT_KEY: &str = "sk";
/// The SHA-256 (hex) of an API key, the only form in which a key is stored.
pub const KEY_HASH_ATTRIBUTE: &str = "key_hash";
/// The global secondary index that finds a key item by its hash in one read.
pub const KEY_HASH_INDEX: &str = "key_hash-index";

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
        Ok(_) => Ok(true),
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
