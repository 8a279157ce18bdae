//! `/v1/account/api-keys`, `/v1/account/api-keys/{key_id}` and `.../{key_id}/roll`: list, create, edit, revoke
//! and roll keys (scope `admin`).

use std::time::SystemTime;

use accounts::{DerivationSecret, IdempotencyKey, KeyEdit, NewKeyInput, PageRequest, RollInput};
use api_errors::{Failure, Outcome};
use auth::{authenticate, Principal, Scope};
use http_envelope::{
    created, dispatch, header_text, json_object, ok, ok_page, query_parameter, ApiError,
    JsonObject, Route, IDEMPOTENCY_KEY_HEADER,
};
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use store::Store;

/// The routes this function serves.
pub const ROUTES: &[Route] = &[COLLECTION, ONE_KEY, ROLL];
const COLLECTION: Route = Route {
    path: "/v1/account/api-keys",
    allow: "GET, HEAD, POST, OPTIONS",
};
const ONE_KEY: Route = Route {
    path: "/v1/account/api-keys/{key_id}",
    allow: "PATCH, DELETE, OPTIONS",
};
const ROLL: Route = Route {
    path: "/v1/account/api-keys/{key_id}/roll",
    allow: "POST, OPTIONS",
};

/// Answers one request; `derivation` is the server's secret idempotent creations derive their key from.
pub async fn handle(
    store: &Store,
    derivation: &DerivationSecret,
    request: Request,
) -> Response<Body> {
    dispatch(request, ROUTES, |request| route(store, derivation, request)).await
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
                let page = PageRequest {
                    limit: query_parameter(&request, "limit")?,
                    starting_after: query_parameter(&request, "starting_after")?,
                };
                let list = accounts::list_keys(store, &principal, page, now).await?;
                ok_page(&list.data, list.has_more)
            }
            Method::POST => {
                let (principal, now) = admin(store, &request).await?;
                let idempotency = idempotency_key(&request)?;
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
    let segments: Vec<&str> = rest.split('/').skip(1).collect();
    match segments.as_slice() {
        [key_id] if !key_id.is_empty() => match *request.method() {
            Method::DELETE => {
                let (principal, now) = admin(store, &request).await?;
                ok(&accounts::revoke_key(store, &principal, key_id, now).await?)
            }
            Method::PATCH => {
                let (principal, now) = admin(store, &request).await?;
                let edit = parse_key_edit(&request)?;
                ok(&accounts::edit_key(store, &principal, key_id, edit, now).await?)
            }
            _ => Err(ApiError::method_not_allowed(ONE_KEY.allow).into()),
        },
        [key_id, "roll"] if !key_id.is_empty() => match *request.method() {
            Method::POST => {
                let (principal, now) = admin(store, &request).await?;
                let idempotency = idempotency_key(&request)?;
                let input = parse_roll(&request)?;
                let key = accounts::roll_key(
                    store,
                    &principal,
                    key_id,
                    input,
                    idempotency.as_ref(),
                    derivation,
                    now,
                )
                .await?;
                created(&key)
            }
            _ => Err(ApiError::method_not_allowed(ROLL.allow).into()),
        },
        _ => Err(ApiError::route_not_found(path).into()),
    }
}

fn idempotency_key(request: &Request) -> Result<Option<IdempotencyKey>, Failure> {
    Ok(header_text(request, IDEMPOTENCY_KEY_HEADER)?
        .map(IdempotencyKey::parse)
        .transpose()?)
}

/// The PATCH body as [`KeyEdit`]: JSON, `name` and/or `scopes` only.
pub fn parse_key_edit(request: &Request) -> Result<KeyEdit, ApiError> {
    let body = JsonObject::new(json_object(request)?, &["name", "scopes"])?;
    Ok(KeyEdit {
        name: body.optional_string("name")?,
        scopes: body.optional_string_array("scopes")?,
    })
}

/// The roll body as [`RollInput`]: JSON (or none), `expires_in_hours` only.
pub fn parse_roll(request: &Request) -> Result<RollInput, ApiError> {
    let body = JsonObject::new(json_object(request)?, &["expires_in_hours"])?;
    Ok(RollInput {
        expires_in_hours: body.optional_integer("expires_in_hours")?,
    })
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
