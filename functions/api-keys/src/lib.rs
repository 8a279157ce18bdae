//! `/v1/account/api-keys` and `/v1/account/api-keys/{key_id}`: list, create and revoke keys (scope `admin`).

use std::time::SystemTime;

use accounts::{DerivationSecret, IdempotencyKey, NewKeyInput};
use api_errors::{Failure, Outcome};
use auth::{authenticate, Principal, Scope};
use http_envelope::{
    created, dispatch, header_text, json_object, ok, ApiError, JsonObject, Route,
    IDEMPOTENCY_KEY_HEADER,
};
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use store::Store;

/// The routes this function serves.
pub const ROUTES: &[Route] = &[COLLECTION, ONE_KEY];
const COLLECTION: Route = Route {
    path: "/v1/account/api-keys",
    allow: "GET, POST",
};
const ONE_KEY: Route = Route {
    path: "/v1/account/api-keys/{key_id}",
    allow: "DELETE",
};

/// Answers one request; `derivation` is the server's secret idempotent creations derive their key from.
pub async fn handle(
    store: &Store,
    derivation: &DerivationSecret,
    request: Request,
) -> Response<Body> {
    dispatch(request, |request| route(store, derivation, request)).await
}

async fn route(store: &Store, derivation: &DerivationSecret, request: Request) -> Outcome {
    let path = request.uri().path();
    let Some(rest) = path.strip_prefix(COLLECTION.path) else {
        return Err(ApiError::route_not_found(path).into());
    };
    if rest.is_empty() {
        return match *request.method() {
            Method::GET => {
                let (principal, now) = admin(store, &request).await?;
                ok(&accounts::list_keys(store, &principal, now).await?)
            }
            Method::POST => {
                let (principal, now) = admin(store, &request).await?;
                let idempotency = header_text(&request, IDEMPOTENCY_KEY_HEADER)?
                    .map(IdempotencyKey::parse)
                    .transpose()?;
                let input = parse_new_key(&request)?;
                let key = accounts::create_key(
                    store,
                    &principal,
                    input,
                    idempotency.as_ref(),
                    derivation,
                    now,
                )
                .await?;
                created(&key)
            }
            _ => Err(ApiError::method_not_allowed(COLLECTION.allow).into()),
        };
    }
    match rest.strip_prefix('/') {
        Some(key_id) if !key_id.is_empty() && !key_id.contains('/') => match *request.method() {
            Method::DELETE => {
                let (principal, now) = admin(store, &request).await?;
                ok(&accounts::revoke_key(store, &principal, key_id, now).await?)
            }
            _ => Err(ApiError::method_not_allowed(ONE_KEY.allow).into()),
        },
        _ => Err(ApiError::route_not_found(path).into()),
    }
}

/// The request body as [`NewKeyInput`]: JSON, known fields only, right types (values are the domain's to
/// judge). Public for the fuzz target.
pub fn parse_new_key(request: &Request) -> Result<NewKeyInput, ApiError> {
    let body = JsonObject::new(
        json_object(request)?,
        &["name", "environment", "scopes", "expires_in_days"],
    )?;
    Ok(NewKeyInput {
        name: body.optional_string("name")?,
        environment: body.optional_string("environment")?,
        scopes: body.optional_string_array("scopes")?,
        expires_in_days: body.optional_integer("expires_in_days")?,
    })
}

async fn admin(store: &Store, request: &Request) -> Result<(Principal, SystemTime), Failure> {
    let now = SystemTime::now();
    Ok((
        authenticate(store, request.headers(), Scope::Admin, now).await?,
        now,
    ))
}
