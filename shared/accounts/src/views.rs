//! The JSON shapes of the API's answers, as documented. Nothing here can hold a key hash, and only
//! [`CreatedKeyView`] holds a full key.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use store::{ApiKeyRecord, OrganizationRecord};

use auth::{ApiKeySecret, Environment};

use crate::idempotency::Replayable;
use crate::Plan;

/// `plan` inside the account.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlanView {
    pub id: String,
    pub name: String,
    pub base_price_cents: u64,
}

/// GET /v1/account.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountView {
    pub org_id: String,
    pub name: String,
    pub email: String,
    pub plan: PlanView,
    pub is_active: bool,
    pub created_at: String,
}

/// One key as listed and as returned by a revocation: metadata only.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    pub environment: String,
    pub scopes: Vec<String>,
    /// False once revoked or expired.
    pub is_active: bool,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    /// The key this one was rolled from.
    pub replaces: Option<String>,
    /// The key this one was rolled into (it stops working at `expires_at`).
    pub replaced_by: Option<String>,
    /// Why it was revoked: `requested` (by a key of the organisation) or `leaked` (found in public by
    /// secret scanning); `null` while not revoked.
    pub revoked_reason: Option<String>,
    /// Where a leaked key was found, as the report said; `null` unless `revoked_reason` is `leaked`.
    pub leak: Option<LeakView>,
    /// Where the key may be used from, normalised; empty: anywhere.
    pub allowed_ips: Vec<String>,
}

/// Where a leaked key was found.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LeakView {
    pub url: Option<String>,
    pub source: Option<String>,
}

/// A page of the key list, Stripe's way: `has_more` beside `data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyListView {
    pub data: Vec<ApiKeyView>,
    pub has_more: bool,
}

/// A key just created: the only answer that carries the full key.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CreatedKeyView {
    pub id: String,
    pub name: String,
    pub key: String,
    pub key_prefix: String,
    pub environment: String,
    pub scopes: Vec<String>,
    /// True when created; a replay of the creation (`Idempotency-Key`) shows the key's state now: false once
    /// revoked or expired.
    pub is_active: bool,
    pub created_at: String,
    pub expires_at: Option<String>,
    /// Set once revoked (a replay after a revocation says so).
    #[serde(default)]
    pub revoked_at: Option<String>,
    /// The key this one was rolled into, once rolled.
    #[serde(default)]
    pub replaced_by: Option<String>,
    /// On a roll's answer: the key this one replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// Where the key may be used from, normalised; empty: anywhere (as outcomes stored before lists read).
    #[serde(default)]
    pub allowed_ips: Vec<String>,
}

impl std::fmt::Debug for CreatedKeyView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKeyView")
            .field("id", &self.id)
            .field("key_prefix", &self.key_prefix)
            .finish_non_exhaustive()
    }
}

/// POST /v1/signup: the new organisation and its first key.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignupView {
    pub account: AccountView,
    pub api_key: CreatedKeyView,
}

impl AccountView {
    pub(crate) fn from_record(org: &OrganizationRecord) -> Self {
        let plan = Plan::find(&org.plan_id).map_or_else(
            || {
                tracing::error!(plan_id = %org.plan_id, "organisation has a plan missing from the catalogue");
                PlanView {
                    id: org.plan_id.clone(),
                    name: org.plan_id.clone(),
                    base_price_cents: 0,
                }
            },
            |plan| PlanView {
                id: plan.id.to_owned(),
                name: plan.name.to_owned(),
                base_price_cents: plan.base_price_cents,
            },
        );
        Self {
            org_id: org.org_id.clone(),
            name: org.name.clone(),
            email: org.email.clone(),
            plan,
            is_active: org.is_active,
            created_at: org.created_at.clone(),
        }
    }
}

impl ApiKeyView {
    pub(crate) fn from_record(key: &ApiKeyRecord, now: SystemTime) -> Self {
        Self {
            id: key.key_id.clone(),
            name: key.name.clone(),
            key_prefix: key.key_prefix.clone(),
            environment: key.environment.as_str().to_owned(),
            scopes: key.scopes.names(),
            is_active: key.is_active && !crate::keys::is_expired(key, now),
            created_at: key.created_at.clone(),
            last_used_at: key.last_used_at.clone(),
            expires_at: key.expires_at.clone(),
            revoked_at: key.revoked_at.clone(),
            replaces: key.replaces.clone(),
            replaced_by: key.replaced_by.clone(),
            revoked_reason: match (&key.leak, key.is_active) {
                (Some(_), _) => Some("leaked".to_owned()),
                (None, false) => Some("requested".to_owned()),
                (None, true) => None,
            },
            leak: key.leak.as_ref().map(|leak| LeakView {
                url: leak.url.clone(),
                source: leak.source.clone(),
            }),
            allowed_ips: key.allowed_ips.entries(),
        }
    }
}

impl CreatedKeyView {
    pub(crate) fn new(key: &ApiKeyRecord, secret: &ApiKeySecret) -> Self {
        Self {
            id: key.key_id.clone(),
            name: key.name.clone(),
            key: secret.expose().to_owned(),
            key_prefix: key.key_prefix.clone(),
            environment: key.environment.as_str().to_owned(),
            scopes: key.scopes.names(),
            is_active: true,
            created_at: key.created_at.clone(),
            expires_at: key.expires_at.clone(),
            revoked_at: None,
            replaced_by: None,
            replaces: key.replaces.clone(),
            allowed_ips: key.allowed_ips.entries(),
        }
    }
}

impl Replayable for CreatedKeyView {
    fn environment(&self) -> Option<Environment> {
        Environment::parse(&self.environment)
    }

    fn key_location<'a>(&'a self, caller_org: Option<&'a str>) -> Option<(&'a str, &'a str)> {
        caller_org.map(|org_id| (org_id, self.id.as_str()))
    }

    fn present(&mut self, key: &ApiKeyRecord, now: SystemTime) {
        self.is_active = key.is_active && !crate::keys::is_expired(key, now);
        self.expires_at.clone_from(&key.expires_at);
        self.revoked_at.clone_from(&key.revoked_at);
        self.replaced_by.clone_from(&key.replaced_by);
        self.allowed_ips = key.allowed_ips.entries();
    }

    fn hide(&mut self) {
        self.key.clear();
    }

    fn reveal(&mut self, secret: &ApiKeySecret) {
        secret.expose().clone_into(&mut self.key);
    }
}

impl Replayable for SignupView {
    fn environment(&self) -> Option<Environment> {
        self.api_key.environment()
    }

    fn key_location<'a>(&'a self, _caller_org: Option<&'a str>) -> Option<(&'a str, &'a str)> {
        Some((self.account.org_id.as_str(), self.api_key.id.as_str()))
    }

    fn present(&mut self, key: &ApiKeyRecord, now: SystemTime) {
        self.api_key.present(key, now);
    }

    fn hide(&mut self) {
        self.api_key.hide();
    }

    fn reveal(&mut self, secret: &ApiKeySecret) {
        self.api_key.reveal(secret);
    }
}
