//! `POST /v1/signup`: no authentication; creates an organisation and its first API key.

use std::time::SystemTime;

use accounts::{IdempotencyKey, KeyDerivation, SignupInput, SignupOrigin};
use api_errors::Outcome;
use config::{ConfigError, Variables};
use http_envelope::{
    created, dispatch, header_text, json_object, source_address, Access, ApiError, Endpoint,
    HttpConfig, JsonObject, Route, TelemetryConfig, IDEMPOTENCY_KEY_HEADER,
};
use lambda_http::{Body, Request, Response};
use store::{Store, StoreConfig};

/// What a request of this function asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    SignUp,
}

/// The routes this function serves: the one declaration of their paths, methods, scopes and operations.
pub const ROUTES: &[Route<Operation>] = &[Route {
    path: "/v1/signup",
    endpoints: &[Endpoint::post(Access::Public, Operation::SignUp)],
}];

/// The function's configuration, read once in `main`.
#[derive(Clone, Debug)]
pub struct Config {
    pub telemetry: TelemetryConfig,
    pub http: HttpConfig,
    pub store: StoreConfig,
    pub derivation: KeyDerivation,
    /// `SIGNUPS_PER_ADDRESS_PER_HOUR`: the most organisations one source address (an IPv6 /64) may create
    /// in a UTC hour; unset, no limit (`make dev`, the tests).
    pub signups_per_address_per_hour: Option<u64>,
}

impl Config {
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        let store = StoreConfig::from_variables(variables)?;
        Ok(Self {
            telemetry: TelemetryConfig::from_variables(variables)?,
            http: HttpConfig::from_variables(variables)?,
            derivation: KeyDerivation::from_variables(variables, &store.client)?,
            store,
            signups_per_address_per_hour: variables.parsed(
                "SIGNUPS_PER_ADDRESS_PER_HOUR",
                "a whole number of signups, at least 1 (unset: no limit)",
                |value| value.parse::<u64>().ok().filter(|n| *n >= 1),
            )?,
        })
    }
}

/// What the function holds for every request: built once per cold start.
#[derive(Clone, Debug)]
pub struct Service {
    pub store: Store,
    pub http: HttpConfig,
    /// The server's secret idempotent signups derive their key from (read at its first use).
    pub derivation: KeyDerivation,
    /// The most signups one source address may make in a UTC hour (`None`: no limit).
    pub signups_per_address_per_hour: Option<u64>,
}

impl Service {
    /// Connects to the table `config` names.
    pub async fn start(config: &Config) -> Self {
        Self {
            store: Store::connect(&config.store).await,
            http: config.http,
            derivation: config.derivation.clone(),
            signups_per_address_per_hour: config.signups_per_address_per_hour,
        }
    }
}

/// Answers one request.
pub async fn handle(service: &Service, request: Request) -> Response<Body> {
    dispatch(
        request,
        ROUTES,
        service.http,
        |request, matched| async move {
            match matched.operation {
                Operation::SignUp => sign_up(service, request).await,
            }
        },
    )
    .await
}

async fn sign_up(service: &Service, request: Request) -> Outcome {
    let idempotency = header_text(&request, IDEMPOTENCY_KEY_HEADER)?
        .map(IdempotencyKey::parse)
        .transpose()?;
    let input = parse_signup(&request)?;
    let origin = SignupOrigin {
        address: source_address(&request),
        per_hour: service.signups_per_address_per_hour,
    };
    let now = SystemTime::now();
    let account = accounts::signup(
        &service.store,
        input,
        idempotency.as_ref(),
        &service.derivation,
        origin,
        now,
    )
    .await?;
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
