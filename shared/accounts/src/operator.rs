//! What an operator may do that no route offers: give an organisation a new admin key (it lost every one),
//! and deactivate or reactivate an organisation. Run through the `operator` binary, never from a request.

use std::time::SystemTime;

use auth::{new_key_id, timestamp, AllowedIps, ApiKeySecret, Environment, Scopes};
use serde_json::json;
use store::{Actor, ApiKeyRecord, EventType, Store};

use crate::events::{key_made, key_ref, new_event};
use crate::{AccountError, CreatedKeyView};

/// The name of a key an operator mints.
pub const OPERATOR_KEY_NAME: &str = "Operator Key";

/// A new live admin key with no expiry for the organisation `org_id`, shown this once (like every key at its
/// creation). It is stored only as its hash; the organisation's key limit does not apply (a way back in must
/// not be refused for being one key too many). Its `api_key.minted` event (actor `operator`) is written with
/// it, so the organisation sees where the key came from.
pub async fn mint_admin_key(
    store: &Store,
    org_id: &str,
    now: SystemTime,
) -> Result<CreatedKeyView, AccountError> {
    let org = store
        .get_organization(org_id)
        .await?
        .ok_or(AccountError::AccountNotFound)?;
    let secret = ApiKeySecret::generate(Environment::Live)?;
    let key = ApiKeyRecord {
        key_id: new_key_id(now)?,
        org_id: org.org_id.clone(),
        name: OPERATOR_KEY_NAME.to_owned(),
        key_prefix: secret.prefix(),
        environment: Environment::Live,
        scopes: Scopes::all(),
        key_hash: secret.hash(),
        is_active: true,
        org_is_active: org.is_active,
        created_at: timestamp(now),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
        replaces: None,
        replaced_by: None,
        leak: None,
        allowed_ips: AllowedIps::anywhere(),
    };
    let event = new_event(
        &key.org_id,
        EventType::KeyMinted,
        Actor::Operator,
        Some(key_ref(&key)),
        key_made(&key),
        None,
        now,
    )?;
    store.mint_key(&key, &event).await?;
    Ok(CreatedKeyView::new(&key, &secret))
}

/// Turns the organisation `org_id` off (every key refused with `organization_inactive`) or on again, with its
/// `organization.deactivated` / `organization.reactivated` event in the flag's own transaction (none when
/// it already was so).
pub async fn set_organization_active(
    store: &Store,
    org_id: &str,
    active: bool,
    now: SystemTime,
) -> Result<(), AccountError> {
    let event_type = match active {
        true => EventType::OrganizationReactivated,
        false => EventType::OrganizationDeactivated,
    };
    let event = new_event(
        org_id,
        event_type,
        Actor::Operator,
        None,
        json!({}),
        None,
        now,
    )?;
    if store
        .set_organization_active(org_id, active, &event)
        .await?
    {
        Ok(())
    } else {
        Err(AccountError::AccountNotFound)
    }
}
