//! Signing up: an organisation, its email reserved, and its first (admin) key, written all at once.

use std::time::SystemTime;

use auth::{new_key_id, random_id, timestamp, Environment, KeyDerivation, Principal, Scopes};
use serde::Serialize;
use store::{ApiKeyRecord, OrganizationRecord, Store, StoreError};

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

/// Creates the organisation and its first key: a `live` key with every scope, shown in full this once.
/// A second signup with the same email (in any case) is [`AccountError::EmailTaken`] and writes nothing,
/// except a retry with the same `Idempotency-Key` and fields, which gets the first answer again.
pub async fn signup(
    store: &Store,
    input: SignupInput,
    idempotency: Option<&IdempotencyKey>,
    derivation: &KeyDerivation,
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
        email,
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
    };
    let signed_up = SignupView {
        account: AccountView::from_record(&org),
        api_key: CreatedKeyView::new(&key, secret),
    };
    let record = new_key.record(&signed_up, now)?;
    match store
        .create_organization(&org, &key, record.as_ref(), now)
        .await
    {
        Ok(()) => {
            telemetry::note_signed_up(&org.org_id, &key.key_id);
            Ok(signed_up)
        }
        Err(StoreError::IdempotencyKeyUsed) => twin_outcome(claim.as_ref(), store, now).await,
        Err(err) => Err(err.into()),
    }
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
