//! The activity log: one item per change, written in the change's own transaction (so no change happens
//! without its event), under the organisation's partition, deleted by the table's TTL after
//! [`EVENT_RETENTION`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use access::Environment;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

use crate::pages::NewestFirst;
use crate::records::{corrupt, org_partition, Item};
use crate::schema::{EXPIRY_ATTRIBUTE, PARTITION_KEY, SORT_KEY};
use crate::{build_error, RequestFacts, Store, StoreError, NEW_ITEM_CONDITION};

/// How long an event is kept: 400 days, then DynamoDB's TTL deletes it (and the list stops showing it).
pub const EVENT_RETENTION: Duration = Duration::from_secs(400 * 86_400);

/// Which of an organisation's two event ranges (sort keys `EVENT#LIVE#<id>`, `EVENT#TEST#<id>`; ids sort by
/// time, so the newest is last) an event is kept in: those about test keys apart, so a test key's list (it
/// sees only those) is a key condition, never a filter reading past every other event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventRange {
    /// Events about live keys, and the organisation's own.
    Live,
    /// Events about test keys.
    Test,
}

impl EventRange {
    fn prefix(self) -> &'static str {
        match self {
            EventRange::Live => "EVENT#LIVE#",
            EventRange::Test => "EVENT#TEST#",
        }
    }

    fn sort(self, event_id: &str) -> String {
        format!("{}{event_id}", self.prefix())
    }
}

/// What happened. The names are the API's `type` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    Signup,
    KeyCreated,
    KeyEdited,
    KeyRolled,
    KeyRevoked,
    /// Revoked because the key was found in public (a secret-scanning report).
    KeyLeaked,
    /// A live admin key made by an operator for an organisation that lost its own.
    KeyMinted,
    OrganizationDeactivated,
    OrganizationReactivated,
}

impl EventType {
    /// Every type, in the order the API documents them.
    pub const ALL: [EventType; 9] = [
        EventType::Signup,
        EventType::KeyCreated,
        EventType::KeyEdited,
        EventType::KeyRolled,
        EventType::KeyRevoked,
        EventType::KeyLeaked,
        EventType::KeyMinted,
        EventType::OrganizationDeactivated,
        EventType::OrganizationReactivated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Signup => "signup",
            EventType::KeyCreated => "api_key.created",
            EventType::KeyEdited => "api_key.edited",
            EventType::KeyRolled => "api_key.rolled",
            EventType::KeyRevoked => "api_key.revoked",
            EventType::KeyLeaked => "api_key.leaked",
            EventType::KeyMinted => "api_key.minted",
            EventType::OrganizationDeactivated => "organization.deactivated",
            EventType::OrganizationReactivated => "organization.reactivated",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// A key as an event names it: enough to find it in the key list, never its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRef {
    pub key_id: String,
    pub key_prefix: String,
    pub environment: Environment,
}

/// Who made the change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The key that authenticated the request.
    ApiKey(KeyRef),
    /// A signed report from GitHub's secret scanning.
    GithubSecretScanning,
    /// Someone with access to the operator tool (and to the table).
    Operator,
    /// The public signup route: no key exists before it.
    Signup,
}

impl Actor {
    /// The API's `actor.type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::ApiKey(_) => "api_key",
            Actor::GithubSecretScanning => "github_secret_scanning",
            Actor::Operator => "operator",
            Actor::Signup => "signup",
        }
    }
}

/// One event of an organisation's activity log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// `evt_` and a time-sortable random part.
    pub event_id: String,
    pub org_id: String,
    pub event_type: EventType,
    pub occurred_at: String,
    pub actor: Actor,
    /// The key the change is about; `None` for the organisation's own events.
    pub subject: Option<KeyRef>,
    /// What changed, a JSON object written by the accounts crate (the store does not read it).
    pub changes: String,
    /// The request that made the change; `None` for an operator's.
    pub request: Option<RequestFacts>,
    /// Unix seconds after which DynamoDB's TTL deletes it.
    pub expires_at_epoch: u64,
}

impl EventRecord {
    /// Whether a test key may see it: only events about test keys (never the organisation's own).
    pub fn is_about_test_keys(&self) -> bool {
        self.subject
            .as_ref()
            .is_some_and(|key| key.environment == Environment::Test)
    }

    fn range(&self) -> EventRange {
        match self.is_about_test_keys() {
            true => EventRange::Test,
            false => EventRange::Live,
        }
    }

    pub(crate) fn to_item(&self) -> Item {
        let s = |value: &str| AttributeValue::S(value.to_owned());
        let mut item = HashMap::from([
            (PARTITION_KEY.to_owned(), s(&org_partition(&self.org_id))),
            (SORT_KEY.to_owned(), s(&self.range().sort(&self.event_id))),
            ("event_id".to_owned(), s(&self.event_id)),
            ("org_id".to_owned(), s(&self.org_id)),
            ("event_type".to_owned(), s(self.event_type.as_str())),
            ("occurred_at".to_owned(), s(&self.occurred_at)),
            ("actor_type".to_owned(), s(self.actor.kind())),
            ("changes".to_owned(), s(&self.changes)),
            (
                EXPIRY_ATTRIBUTE.to_owned(),
                AttributeValue::N(self.expires_at_epoch.to_string()),
            ),
        ]);
        let mut put_key = |role: &str, key: &KeyRef| {
            item.insert(format!("{role}_key_id"), s(&key.key_id));
            item.insert(format!("{role}_key_prefix"), s(&key.key_prefix));
            item.insert(format!("{role}_environment"), s(key.environment.as_str()));
        };
        if let Actor::ApiKey(key) = &self.actor {
            put_key("actor", key);
        }
        if let Some(key) = &self.subject {
            put_key("subject", key);
        }
        if let Some(request) = &self.request {
            item.insert("request_id".to_owned(), s(&request.request_id));
            if let Some(ip) = request.source_ip {
                item.insert("source_ip".to_owned(), s(&ip.to_string()));
            }
            if let Some(agent) = &request.user_agent {
                item.insert("user_agent".to_owned(), s(agent));
            }
        }
        item
    }

    pub(crate) fn from_item(item: &Item) -> Result<Self, StoreError> {
        let text = |name: &str| match item.get(name) {
            Some(AttributeValue::S(value)) => Ok(value.clone()),
            _ => Err(corrupt(name)),
        };
        let optional = |name: &str| match item.get(name) {
            None => Ok(None),
            Some(AttributeValue::S(value)) => Ok(Some(value.clone())),
            _ => Err(corrupt(name)),
        };
        let key = |role: &str| -> Result<Option<KeyRef>, StoreError> {
            let Some(key_id) = optional(&format!("{role}_key_id"))? else {
                return Ok(None);
            };
            let environment_attribute = format!("{role}_environment");
            Ok(Some(KeyRef {
                key_id,
                key_prefix: text(&format!("{role}_key_prefix"))?,
                environment: Environment::parse(&text(&environment_attribute)?)
                    .ok_or_else(|| corrupt(&environment_attribute))?,
            }))
        };
        let actor = match text("actor_type")?.as_str() {
            "api_key" => Actor::ApiKey(key("actor")?.ok_or_else(|| corrupt("actor_key_id"))?),
            "github_secret_scanning" => Actor::GithubSecretScanning,
            "operator" => Actor::Operator,
            "signup" => Actor::Signup,
            _ => return Err(corrupt("actor_type")),
        };
        let request = match optional("request_id")? {
            None => None,
            Some(request_id) => Some(RequestFacts {
                request_id,
                source_ip: optional("source_ip")?
                    .map(|ip| ip.parse::<IpAddr>().map_err(|_| corrupt("source_ip")))
                    .transpose()?,
                user_agent: optional("user_agent")?,
            }),
        };
        let expires_at_epoch = match item.get(EXPIRY_ATTRIBUTE) {
            Some(AttributeValue::N(value)) => {
                value.parse().map_err(|_| corrupt(EXPIRY_ATTRIBUTE))?
            }
            _ => return Err(corrupt(EXPIRY_ATTRIBUTE)),
        };
        Ok(Self {
            event_id: text("event_id")?,
            org_id: text("org_id")?,
            event_type: EventType::parse(&text("event_type")?)
                .ok_or_else(|| corrupt("event_type"))?,
            occurred_at: text("occurred_at")?,
            actor,
            subject: key("subject")?,
            changes: text("changes")?,
            request,
            expires_at_epoch,
        })
    }
}

/// Which of an organisation's events a list asks for.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventFilter<'a> {
    /// Only events about test keys (what a test key may see).
    pub test_keys_only: bool,
    pub event_type: Option<EventType>,
    /// Only events after this one (the last id of the previous page).
    pub starting_after: Option<&'a str>,
    /// Unix seconds now: events past their retention are not shown, even before the TTL deletes them.
    pub now_epoch: u64,
}

/// One page of an organisation's events, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<EventRecord>,
    pub has_more: bool,
}

impl Store {
    /// A transaction's put of a new event (refused only if its id exists: a random id collided).
    pub(crate) fn put_event(&self, event: &EventRecord) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(event.to_item()))
            .condition_expression(NEW_ITEM_CONDITION)
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Up to `limit` of an organisation's events that pass `filter`, newest first (strongly consistent:
    /// a change's event is listed as soon as its change answered). A test key's list reads the range of
    /// events about test keys alone; any other reads both ranges, a page of each, and merges them by id.
    pub async fn list_events_page(
        &self,
        org_id: &str,
        filter: EventFilter<'_>,
        limit: usize,
    ) -> Result<EventPage, StoreError> {
        let ranges: &[EventRange] = match filter.test_keys_only {
            true => &[EventRange::Test],
            false => &[EventRange::Live, EventRange::Test],
        };
        let mut events = Vec::with_capacity(2 * (limit + 1));
        for range in ranges {
            events.extend(self.range_page(org_id, *range, filter, limit + 1).await?);
        }
        // Each range gave its newest `limit + 1` after the cursor: their merge's newest `limit + 1` are the
        // organisation's.
        events.sort_unstable_by(|a, b| b.event_id.cmp(&a.event_id));
        let has_more = events.len() > limit;
        events.truncate(limit);
        Ok(EventPage { events, has_more })
    }

    /// Up to `wanted` events of one range that pass `filter`, newest first, after the cursor (which may be
    /// an event of the other range: a start key need not be an item).
    async fn range_page(
        &self,
        org_id: &str,
        range: EventRange,
        filter: EventFilter<'_>,
        wanted: usize,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let mut page = NewestFirst {
            org_id,
            prefix: range.prefix(),
            after: filter.starting_after.map(|event_id| range.sort(event_id)),
            filter: Some("#expiry > :now".to_owned()),
            names: vec![("#expiry", EXPIRY_ATTRIBUTE)],
            values: vec![(":now", AttributeValue::N(filter.now_epoch.to_string()))],
            operation: "Query(events page)",
        };
        if let Some(kind) = filter.event_type {
            page.filter = Some("#expiry > :now AND event_type = :type".to_owned());
            page.values
                .push((":type", AttributeValue::S(kind.as_str().to_owned())));
        }
        self.newest_first(page, wanted)
            .await?
            .iter()
            .map(EventRecord::from_item)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(environment: Environment) -> KeyRef {
        KeyRef {
            key_id: "key_1".to_owned(),
            key_prefix: "mem_live_AbCdEf...".to_owned(),
            environment,
        }
    }

    fn event(actor: Actor, request: Option<RequestFacts>) -> EventRecord {
        EventRecord {
            event_id: "evt_1".to_owned(),
            org_id: "org_1".to_owned(),
            event_type: EventType::KeyLeaked,
            occurred_at: "2026-12-07T00:00:00Z".to_owned(),
            actor,
            subject: Some(key(Environment::Test)),
            changes: r#"{"url":"https://github.com/o/r"}"#.to_owned(),
            request,
            expires_at_epoch: 1_800_000_000,
        }
    }

    #[test]
    fn an_event_item_reads_back_as_the_record_it_was_written_from() {
        let request = RequestFacts {
            request_id: "req".to_owned(),
            source_ip: Some("2001:db8::1".parse().expect("address")),
            user_agent: Some("curl/8".to_owned()),
        };
        for record in [
            event(Actor::ApiKey(key(Environment::Live)), Some(request)),
            event(Actor::GithubSecretScanning, None),
            event(Actor::Operator, None),
            event(Actor::Signup, Some(RequestFacts::default())),
        ] {
            assert_eq!(EventRecord::from_item(&record.to_item()).ok(), Some(record));
        }
    }

    #[test]
    fn every_event_type_reads_back_from_its_name() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventType::parse("api_key.deleted"), None);
    }
}
