//! Reading a page of one organisation's items of a kind, newest first: the one query loop of the key list
//! and the activity log.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::records::{org_partition, Item};
use crate::schema::{PARTITION_KEY, SORT_KEY};
use crate::{unavailable, Store, StoreError};

/// Which items a page reads: those of `org_id`'s partition whose sort key begins with `prefix`, after the
/// sort key `after` (a start key need not be an item), that pass `filter` (an expression over `names` and
/// `values`).
pub(crate) struct NewestFirst<'a> {
    pub org_id: &'a str,
    pub prefix: &'a str,
    pub after: Option<String>,
    pub filter: Option<String>,
    pub names: Vec<(&'static str, &'static str)>,
    pub values: Vec<(&'static str, AttributeValue)>,
    /// The operation's name in logs and errors.
    pub operation: &'static str,
}

impl Store {
    /// Up to `wanted` items of `page`, newest first (strongly consistent): each query asks for no more than
    /// are still wanted, and a filter that skips items reads on until `wanted` pass or none remain.
    pub(crate) async fn newest_first(
        &self,
        page: NewestFirst<'_>,
        wanted: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let partition = org_partition(page.org_id);
        let mut items = Vec::with_capacity(wanted);
        let mut start_key = page.after.map(|sort| {
            HashMap::from([
                (
                    PARTITION_KEY.to_owned(),
                    AttributeValue::S(partition.clone()),
                ),
                (SORT_KEY.to_owned(), AttributeValue::S(sort)),
            ])
        });
        while items.len() < wanted {
            let missing = wanted - items.len();
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .scan_index_forward(false)
                .limit(i32::try_from(missing).unwrap_or(i32::MAX))
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_values(":pk", AttributeValue::S(partition.clone()))
                .expression_attribute_values(":prefix", AttributeValue::S(page.prefix.to_owned()))
                .set_filter_expression(page.filter.clone())
                .set_exclusive_start_key(start_key.take());
            for (name, attribute) in &page.names {
                query = query.expression_attribute_names(*name, *attribute);
            }
            for (name, value) in &page.values {
                query = query.expression_attribute_values(*name, value.clone());
            }
            let output = query
                .send()
                .await
                .map_err(|err| unavailable(page.operation, err))?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(next) if !next.is_empty() => start_key = Some(next),
                _ => break,
            }
        }
        Ok(items)
    }
}
