//! `POST /v1/signup`: no authentication; creates an organisation and its first API key.

use std::time::SystemTime;

use accounts::{DerivationSecret, IdempotencyKey, SignupInput};
use api_errors::Outcome;
use http_envelope::{
    created, dispatch, header_text, json_object, ApiError, JsonObject, Route,
    IDEMPOTENCY_KEY_HEADER,
};
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use store::Store;

/// The routes this function serves.
pub const ROUTES: &[Route] = &[SIGNUP];
const SIGNUP: Route = Route {
    path: "/v1/signup",
    allow: "POST, OPTIONS",
};

/// Answers one request; `derivation` is the server's secret idempotent signups derive their key from.
pub async fn handle(
    store: &Store,
    derivation: &DerivationSecret,
    request: Request,
) -> Response<Body> {
    dispatch(request, ROUTES, |request| route(store, derivation, request)).await
}

async fn route(store: &Store, derivation: &DerivationSecret, request: Request) -> Outcome {
    if request.uri().path() != SIGNUP.path {
        return Err(ApiError::route_not_found(request.uri().path()).into());
    }
    if request.method() != Method::POST {
        return Err(ApiError::method_not_allowed(SIGNUP.allow).into());
    }
    let idempotency = header_text(&request, IDEMPOTENCY_KEY_HEADER)?
        .map(IdempotencyKey::parse)
        .transpose()?;
    let input = parse_signup(&request)?;
    let now = SystemTime::now();
    let account = accounts::signup(store, input, idempotency.as_ref(), derivation, now).await?;
    created(&account)
}

/// The request body as [`SignupInput`]: JSON, known fields only, right types (values are the domain's to
/// judge). Public for the fuzz target.
pub fn parse_signup(request: &Request) -> Result<SignupInput, ApiError> {
    let body = JsonObject::new(json_object(request)?, &["name", "email", "plan_id"])?;
    Ok(SignupInput {
        name: body.required_string("name")?,
        email: body.required_string("email")?,
        plan_id: body.optional_string("plan_id")?,
    })
}
