//! The activity log's events: made here, for every change, and written by the store in the change's own
//! transaction; read back by `GET /v1/account/events`.

use std::time::SystemTime;

use auth::{new_event_id, timestamp, Environment, Principal};
use serde::Serialize;
use serde_json::{json, Value};
use store::{
    Actor, ApiKeyRecord, EventFilter, EventRecord, EventType, KeyRef, RequestFacts, Store,
    EVENT_RETENTION,
};

use crate::{AccountError, PageRequest};

/// How an event names a key: its id, prefix and environment.
pub(crate) fn key_ref(key: &ApiKeyRecord) -> KeyRef {
    KeyRef {
        key_id: key.key_id.clone(),
        key_prefix: key.key_prefix.clone(),
        environment: key.environment,
    }
}

/// The calling key, as the actor of its changes.
pub(crate) fn actor_of(principal: &Principal) -> Actor {
    Actor::ApiKey(KeyRef {
        key_id: principal.key_id.clone(),
        key_prefix: principal.key_prefix.clone(),
        environment: principal.environment,
    })
}

/// A new event of `org_id`, happening `now`, kept for [`EVENT_RETENTION`].
pub(crate) fn new_event(
    org_id: &str,
    event_type: EventType,
    actor: Actor,
    subject: Option<KeyRef>,
    changes: Value,
    request: Option<&RequestFacts>,
    now: SystemTime,
) -> Result<EventRecord, AccountError> {
    let expires = now + EVENT_RETENTION;
    Ok(EventRecord {
        event_id: new_event_id(now)?,
        org_id: org_id.to_owned(),
        event_type,
        occurred_at: timestamp(now),
        actor,
        subject,
        changes: changes.to_string(),
        request: request.cloned(),
        expires_at_epoch: epoch_seconds(expires),
    })
}

fn epoch_seconds(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// What a key was made with, as `api_key.created`, `api_key.minted` and `signup` events say.
pub(crate) fn key_made(key: &ApiKeyRecord) -> Value {
    json!({
        "name": key.name,
        "environment": key.environment.as_str(),
        "scopes": key.scopes.names(),
        "expires_at": key.expires_at,
        "allowed_ips": key.allowed_ips.entries(),
    })
}

/// An event list's parameters as they arrived (query string), checked here: paged as the key list is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventListRequest {
    pub page: PageRequest,
    pub event_type: Option<String>,
}

/// A key as an event shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct EventKeyView {
    pub key_id: String,
    pub key_prefix: String,
    pub environment: String,
}

/// Who made the change: `type` is `api_key` (with the key), `github_secret_scanning`, `operator` or `signup`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ActorView {
    #[serde(rename = "type")]
    pub kind: String,
    pub key_id: Option<String>,
    pub key_prefix: Option<String>,
}

/// The request that made the change.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RequestView {
    pub id: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One event of the activity log.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EventView {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub occurred_at: String,
    pub actor: ActorView,
    /// The key the event is about; `null` for the organisation's own events.
    pub subject: Option<EventKeyView>,
    /// What changed, by field; its members depend on `type` (docs/api.md).
    pub changes: Value,
    /// `null` for an operator's change (for a secret-scanning report's, GitHub's request).
    pub request: Option<RequestView>,
}

/// A page of the activity log.
#[derive(Clone, Debug, PartialEq)]
pub struct EventListView {
    pub data: Vec<EventView>,
    pub has_more: bool,
}

impl EventView {
    /// The event as `viewer` may see it: to a test key, a live key that made a change about a test key is
    /// `api_key` without its id and prefix, and the request (a live key's address and user agent) is not
    /// shown: a test key learns nothing of live keys.
    fn from_record(event: &EventRecord, viewer: Environment) -> Self {
        let key_view = |key: &KeyRef| EventKeyView {
            key_id: key.key_id.clone(),
            key_prefix: key.key_prefix.clone(),
            environment: key.environment.as_str().to_owned(),
        };
        let actor_key = match &event.actor {
            Actor::ApiKey(key) => Some(key),
            _ => None,
        };
        let hidden = viewer == Environment::Test
            && actor_key.is_some_and(|key| key.environment == Environment::Live);
        let actor_key = actor_key.filter(|_| !hidden);
        Self {
            id: event.event_id.clone(),
            event_type: event.event_type.as_str().to_owned(),
            occurred_at: event.occurred_at.clone(),
            actor: ActorView {
                kind: event.actor.kind().to_owned(),
                key_id: actor_key.map(|key| key.key_id.clone()),
                key_prefix: actor_key.map(|key| key.key_prefix.clone()),
            },
            subject: event.subject.as_ref().map(key_view),
            // Written by this crate as a JSON object; an unreadable one is shown empty, not a failed page.
            changes: serde_json::from_str(&event.changes).unwrap_or_else(|_| json!({})),
            request: event
                .request
                .as_ref()
                .filter(|_| !hidden)
                .map(|request| RequestView {
                    id: request.request_id.clone(),
                    source_ip: request.source_ip.map(|ip| ip.to_string()),
                    user_agent: request.user_agent.clone(),
                }),
        }
    }
}

/// GET /v1/account/events: the organisation's activity log, newest first, paginated as the key list is
/// (`limit`, `starting_after`, `has_more`), filtered by `type` when given. A test key sees only events about
/// test keys (no organisation-level events), as it sees only test keys.
pub async fn list_events(
    store: &Store,
    principal: &Principal,
    request: EventListRequest,
    now: SystemTime,
) -> Result<EventListView, AccountError> {
    let (limit, starting_after) = request.page.checked("evt", "an event")?;
    let event_type = request
        .event_type
        .as_deref()
        .map(|name| {
            EventType::parse(name).ok_or_else(|| {
                let names: Vec<&str> = EventType::ALL.iter().map(|kind| kind.as_str()).collect();
                AccountError::invalid(
                    "type",
                    format!("`type` must be one of {}.", names.join(", ")),
                )
            })
        })
        .transpose()?;
    let filter = EventFilter {
        test_keys_only: principal.environment == Environment::Test,
        event_type,
        starting_after: starting_after.as_deref(),
        now_epoch: epoch_seconds(now),
    };
    let page = store
        .list_events_page(&principal.org_id, filter, limit)
        .await?;
    Ok(EventListView {
        data: page
            .events
            .iter()
            .map(|event| EventView::from_record(event, principal.environment))
            .collect(),
        has_more: page.has_more,
    })
}
