//! `/v1/account/api-keys`, `/v1/account/api-keys/{key_id}` and `.../{key_id}/roll`: list, create, edit, revoke
//! and roll keys (scope `admin`).

use std::time::SystemTime;

use accounts::{
    IdempotencyKey, KeyDerivation, KeyEdit, NewKeyInput, PageRequest, RollInput, RollRequest,
};
use api_errors::{Failure, Outcome};
use auth::{Gate, GateConfig, Principal, Scope};
use config::{ConfigError, Variables};
use http_envelope::{
    created, dispatch, header_text, json_object, ok, ok_page, query_parameter, request_facts,
    Access, ApiError, Endpoint, HttpConfig, JsonObject, Matched, Route, TelemetryConfig,
    IDEMPOTENCY_KEY_HEADER,
};
use lambda_http::{Body, Request, Response};
use store::RequestFacts;

/// What a request of this function asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    ListKeys,
    CreateKey,
    EditKey,
    RevokeKey,
    RollKey,
}

const ADMIN: Access = Access::Scope(Scope::Admin);

/// The routes this function serves: the one declaration of their paths, methods, scopes and operations.
pub const ROUTES: &[Route<Operation>] = &[
    Route {
        path: "/v1/account/api-keys",
        endpoints: &[
            Endpoint::get(ADMIN, Operation::ListKeys),
            Endpoint::post(ADMIN, Operation::CreateKey),
        ],
    },
    Route {
        path: "/v1/account/api-keys/{key_id}",
        endpoints: &[
            Endpoint::patch(ADMIN, Operation::EditKey),
            Endpoint::delete(ADMIN, Operation::RevokeKey),
        ],
    },
    Route {
        path: "/v1/account/api-keys/{key_id}/roll",
        endpoints: &[Endpoint::post(ADMIN, Operation::RollKey)],
    },
];

/// The function's configuration, read once in `main`.
#[derive(Clone, Debug)]
pub struct Config {
    pub telemetry: TelemetryConfig,
    pub http: HttpConfig,
    pub gate: GateConfig,
    pub derivation: KeyDerivation,
}

impl Config {
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        let gate = GateConfig::from_variables(variables)?;
        Ok(Self {
            telemetry: TelemetryConfig::from_variables(variables)?,
            http: HttpConfig::from_variables(variables)?,
            derivation: KeyDerivation::from_variables(variables, &gate.store.client)?,
            gate,
        })
    }
}

/// What the function holds for every request: built once per cold start.
#[derive(Clone, Debug)]
pub struct Service {
    pub gate: Gate,
    pub http: HttpConfig,
    /// The server's secret idempotent creations derive their key from (read at its first use).
    pub derivation: KeyDerivation,
}

impl Service {
    /// The gate `config` describes, started (call during init).
    pub async fn start(config: &Config) -> Self {
        Self {
            gate: Gate::start(&config.gate).await,
            http: config.http,
            derivation: config.derivation.clone(),
        }
    }
}

/// Answers one request.
pub async fn handle(service: &Service, request: Request) -> Response<Body> {
    dispatch(request, ROUTES, service.http, |request, matched| {
        answer(service, request, matched)
    })
    .await
}

async fn answer(service: &Service, request: Request, matched: Matched<Operation>) -> Outcome {
    let now = SystemTime::now();
    let facts = request_facts(&request);
    let principal = caller(service, &request, &matched, &facts, now).await?;
    let store = &service.gate.store;
    match matched.operation {
        Operation::ListKeys => {
            let page = PageRequest {
                limit: query_parameter(&request, "limit")?,
                starting_after: query_parameter(&request, "starting_after")?,
            };
            let list = accounts::list_keys(store, &principal, page, now).await?;
            ok_page(&list.data, list.has_more)
        }
        Operation::CreateKey => {
            let idempotency = idempotency_key(&request)?;
            let input = parse_new_key(&request)?;
            let key = accounts::create_key(
                store,
                &principal,
                input,
                idempotency.as_ref(),
                &service.derivation,
                &facts,
                now,
            )
            .await?;
            created(&key)
        }
        Operation::EditKey => {
            let edit = parse_key_edit(&request)?;
            let key_id = matched.parameter("key_id")?;
            ok(&accounts::edit_key(store, &principal, key_id, edit, &facts, now).await?)
        }
        Operation::RevokeKey => {
            let key_id = matched.parameter("key_id")?;
            ok(&accounts::revoke_key(store, &principal, key_id, &facts, now).await?)
        }
        Operation::RollKey => {
            let idempotency = idempotency_key(&request)?;
            let input = parse_roll(&request)?;
            let roll = RollRequest {
                key_id: matched.parameter("key_id")?,
                input,
                idempotency: idempotency.as_ref(),
            };
            let key = accounts::roll_key(store, &principal, roll, &service.derivation, &facts, now)
                .await?;
            created(&key)
        }
    }
}

/// The calling key, checked for the scope the matched route declares, from the request's source address.
async fn caller(
    service: &Service,
    request: &Request,
    matched: &Matched<Operation>,
    facts: &RequestFacts,
    now: SystemTime,
) -> Result<Principal, Failure> {
    Ok(service
        .gate
        .authenticate(
            request.headers(),
            facts.source_ip,
            matched.required_scope()?,
            now,
        )
        .await?)
}

fn idempotency_key(request: &Request) -> Result<Option<IdempotencyKey>, Failure> {
    Ok(header_text(request, IDEMPOTENCY_KEY_HEADER)?
        .map(IdempotencyKey::parse)
        .transpose()?)
}

/// The PATCH body as [`KeyEdit`]: JSON, `name`, `scopes` and/or `allowed_ips` only.
pub fn parse_key_edit(request: &Request) -> Result<KeyEdit, ApiError> {
    let body = JsonObject::new(json_object(request)?, &["name", "scopes", "allowed_ips"])?;
    Ok(KeyEdit {
        name: body.optional_string("name")?,
        scopes: body.optional_string_array("scopes")?,
        allowed_ips: body.optional_string_entries("allowed_ips")?,
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
        &[
            "name",
            "environment",
            "scopes",
            "expires_in_days",
            "allowed_ips",
        ],
    )?;
    Ok(NewKeyInput {
        name: body.optional_string("name")?,
        environment: body.optional_string("environment")?,
        scopes: body.optional_string_array("scopes")?,
        expires_in_days: body.optional_integer("expires_in_days")?,
        allowed_ips: body.optional_string_entries("allowed_ips")?,
    })
}
