//! Signing up: an organisation, its email reserved, and its first (admin) key, written all at once.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth::{
    new_key_id, random_id, timestamp, AllowedIps, Environment, KeyDerivation, Principal, Scopes,
};
use serde::Serialize;
use serde_json::json;
use store::{
    Actor, ApiKeyRecord, EventType, NewOrganization, OrganizationRecord, RequestFacts,
    SignupAllowance, Store, StoreError,
};

use crate::events::{key_made, key_ref, new_event};
use crate::idempotency::{earlier_outcome, twin_outcome, Claim, IdempotencyKey, NewKey};
use crate::{
    validate, AccountError, AccountView, CreatedKeyView, Plan, SignupView, DEFAULT_KEY_NAME,
    DEFAULT_PLAN_ID,
};

/// POST /v1/signup's fields, types already checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SignupInput {
    pub name: String,
    pub email: String,
    pub plan_id: Option<String>,
}

/// Where a signup comes from, and how many signups one source may make an hour (`None`: no limit).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignupOrigin {
    /// The request, its client's address as API Gateway saw it (`requestContext.http.sourceIp`, never a
    /// header): counted against the limit, kept with the `signup` event.
    pub request: RequestFacts,
    pub per_hour: Option<u64>,
}

/// The source a signup is counted under: an IPv4 address, or an IPv6 address's /64 (one subscriber's
/// allocation: counting whole addresses would let one client use 2^64 of them); an IPv4-mapped IPv6 address
/// counts as its IPv4 address; no address at all, one shared source.
pub fn signup_source(address: Option<IpAddr>) -> String {
    match address.map(|address| address.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        None => "unknown".to_owned(),
    }
}

/// Creates the organisation and its first key: a `live` key with every scope, shown in full this once.
/// A second signup with the same email (as [`validate::email`] compares them) is [`AccountError::EmailTaken`] and writes nothing,
/// except a retry with the same `Idempotency-Key` and fields, which gets the first answer again (and is not
/// counted again). Past `origin`'s limit for its source this UTC hour: [`AccountError::TooManySignups`].
pub async fn signup(
    store: &Store,
    input: SignupInput,
    idempotency: Option<&IdempotencyKey>,
    derivation: &KeyDerivation,
    origin: SignupOrigin,
    now: SystemTime,
) -> Result<SignupView, AccountError> {
    // Read (from Secrets Manager, on AWS) only by an idempotent request: the first one pays for it.
    let secret = match idempotency {
        Some(_) => Some(derivation.secret().await?),
        None => None,
    };
    let claim = idempotency
        .zip(secret)
        .map(|(key, secret)| Claim::new(key, secret, None, "signup", &("POST /v1/signup", &input)))
        .transpose()?;
    let name = validate::name("name", &input.name)?;
    let email = validate::email(&input.email)?;
    let plan_id = input.plan_id.as_deref().unwrap_or(DEFAULT_PLAN_ID);
    let plan = Plan::find(plan_id).ok_or_else(|| {
        let known: Vec<&str> = crate::PLANS.iter().map(|plan| plan.id).collect();
        AccountError::invalid(
            "plan_id",
            format!("Unknown plan. Available plans: {}.", known.join(", ")),
        )
    })?;
    if let Some(previous) = earlier_outcome(claim.as_ref(), store, now).await? {
        return Ok(previous);
    }
    let created_at = timestamp(now);
    let org = OrganizationRecord {
        org_id: random_id("org")?,
        name,
        email: email.address,
        plan_id: plan.id.to_owned(),
        is_active: true,
        created_at: created_at.clone(),
        admin_revocations: 0,
        live_key_creations: 0,
        test_key_creations: 0,
    };
    let new_key = NewKey::new(Environment::Live, claim.as_ref())?;
    let secret = &new_key.secret;
    let key = ApiKeyRecord {
        key_id: new_key_id(now)?,
        org_id: org.org_id.clone(),
        name: DEFAULT_KEY_NAME.to_owned(),
        key_prefix: secret.prefix(),
        environment: Environment::Live,
        scopes: Scopes::all(),
        key_hash: secret.hash(),
        is_active: true,
        org_is_active: true,
        created_at,
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
        replaces: None,
        replaced_by: None,
        leak: None,
        allowed_ips: AllowedIps::anywhere(),
    };
    let event = new_event(
        &org.org_id,
        EventType::Signup,
        Actor::Signup,
        Some(key_ref(&key)),
        json!({"organization": {"name": org.name, "plan_id": org.plan_id}, "key": key_made(&key)}),
        Some(&origin.request),
        now,
    )?;
    let signed_up = SignupView {
        account: AccountView::from_record(&org),
        api_key: CreatedKeyView::new(&key, secret),
    };
    let record = new_key.record(&signed_up, now)?;
    let source = signup_source(origin.request.source_ip);
    let (hour, next_hour) = utc_hour(now);
    let allowance = origin.per_hour.map(|per_hour| SignupAllowance {
        source: &source,
        hour: &hour,
        per_hour,
        // Kept an hour past its own hour (each hour has its own item; DynamoDB's TTL deletes it later).
        expires_at_epoch: next_hour + 3_600,
    });
    match store
        .create_organization(
            NewOrganization {
                org: &org,
                normalised_email: &email.normalised,
                first_key: &key,
                event: &event,
            },
            record.as_ref(),
            allowance,
            now,
        )
        .await
    {
        Ok(()) => {
            telemetry::note_signed_up(&org.org_id, &key.key_id);
            Ok(signed_up)
        }
        Err(StoreError::IdempotencyKeyUsed) => twin_outcome(claim.as_ref(), store, now).await,
        Err(StoreError::SignupLimitReached) => Err(too_many(now, next_hour)),
        // A refused attempt counts too, so emails cannot be probed past the limit: once the source is at
        // its limit, a taken email answers as any other signup would, 429.
        Err(StoreError::EmailTaken) => match allowance {
            Some(allowance) => match store.count_refused_signup(allowance).await {
                Ok(()) => Err(AccountError::EmailTaken),
                Err(StoreError::SignupLimitReached) => Err(too_many(now, next_hour)),
                Err(err) => Err(err.into()),
            },
            None => Err(AccountError::EmailTaken),
        },
        Err(err) => Err(err.into()),
    }
}

/// The 429 of a source at its limit, with the seconds to the next hour.
fn too_many(now: SystemTime, next_hour: u64) -> AccountError {
    let now_epoch = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    AccountError::TooManySignups {
        retry_after: Duration::from_secs(next_hour.saturating_sub(now_epoch).max(1)),
    }
}

/// The UTC hour of `now` as counted (`2026-12-07T05`), and the Unix second the next hour starts.
fn utc_hour(now: SystemTime) -> (String, u64) {
    let epoch = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let hour_start = epoch - epoch % 3_600;
    let stamp = timestamp(UNIX_EPOCH + Duration::from_secs(hour_start));
    (
        stamp.get(..13).unwrap_or(&stamp).to_owned(),
        hour_start + 3_600,
    )
}

/// GET /v1/account: the caller's organisation.
pub async fn get_account(
    store: &Store,
    principal: &Principal,
) -> Result<AccountView, AccountError> {
    let org = store
        .get_organization(&principal.org_id)
        .await?
        .ok_or(AccountError::AccountNotFound)?;
    Ok(AccountView::from_record(&org))
}
