//! `GET /v1/account`: the caller's organisation; `GET /v1/account/usage`: its requests per day and key (scope
//! `read`).

use std::time::SystemTime;

use accounts::UsageQuery;
use api_errors::Outcome;
use auth::{authenticate, AuthCache, Scope, UsageMeter, UsageWrites};
use config::{ConfigError, Variables};
use http_envelope::{
    dispatch, ok, query_parameter, Access, Endpoint, HttpConfig, Matched, Route, TelemetryConfig,
};
use lambda_http::{Body, Request, Response};
use store::{Store, StoreConfig};

/// What a request of this function asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    GetAccount,
    GetUsage,
}

const READ: Access = Access::Scope(Scope::Read);

/// The routes this function serves: the one declaration of their paths, methods, scopes and operations.
pub const ROUTES: &[Route<Operation>] = &[
    Route {
        path: "/v1/account",
        endpoints: &[Endpoint::get(READ, Operation::GetAccount)],
    },
    Route {
        path: "/v1/account/usage",
        endpoints: &[Endpoint::get(READ, Operation::GetUsage)],
    },
];

/// The function's configuration, read once in `main`.
#[derive(Clone, Debug)]
pub struct Config {
    pub telemetry: TelemetryConfig,
    pub http: HttpConfig,
    pub store: StoreConfig,
    /// `USAGE_WRITES`: after the response (Lambda) or inline (`make dev`).
    pub usage_writes: UsageWrites,
    /// `AUTH_CACHE_TTL`: how long a successful authentication is kept (default 1 s; 0: off).
    pub auth_cache: AuthCache,
}

impl Config {
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        Ok(Self {
            telemetry: TelemetryConfig::from_variables(variables)?,
            http: HttpConfig::from_variables(variables)?,
            store: StoreConfig::from_variables(variables)?,
            usage_writes: UsageWrites::from_variables(variables)?,
            auth_cache: AuthCache::from_variables(variables)?,
        })
    }
}

/// What the function holds for every request: built once per cold start.
#[derive(Clone, Debug)]
pub struct Service {
    pub store: Store,
    pub meter: UsageMeter,
    /// Busy keys' authentications, kept for a moment.
    pub cache: AuthCache,
    pub http: HttpConfig,
}

impl Service {
    /// Connects to the table `config` names, with an empty usage meter whose writer is started
    /// ([`auth::start_usage_writer`]: call during init).
    pub async fn start(config: &Config) -> Self {
        let store = Store::connect(&config.store).await;
        let meter = UsageMeter::with_writes(store.clone(), config.usage_writes);
        Self {
            meter: auth::start_usage_writer(meter).await,
            cache: config.auth_cache.clone(),
            store,
            http: config.http,
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
    let principal = authenticate(
        &service.store,
        &service.meter,
        &service.cache,
        request.headers(),
        matched.required_scope()?,
        now,
    )
    .await?;
    match matched.operation {
        Operation::GetAccount => ok(&accounts::get_account(&service.store, &principal).await?),
        Operation::GetUsage => {
            let query = UsageQuery {
                from: query_parameter(&request, "from")?,
                to: query_parameter(&request, "to")?,
            };
            ok(&accounts::usage(&service.store, &principal, query, now).await?)
        }
    }
}
