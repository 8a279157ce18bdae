//! `GET /v1/account`: the caller's organisation; `GET /v1/account/usage`: its requests per day and key (scope
//! `read`); `GET /v1/account/events`: its activity log (scope `admin`).

use std::time::SystemTime;

use accounts::{EventListRequest, PageRequest, UsageQuery};
use api_errors::Outcome;
use auth::{Gate, GateConfig, Scope};
use config::{ConfigError, Variables};
use http_envelope::{
    dispatch, ok, ok_page, query_parameter, source_address, Access, Endpoint, HttpConfig, Matched,
    Route, TelemetryConfig,
};
use lambda_http::{Body, Request, Response};

/// What a request of this function asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    GetAccount,
    GetUsage,
    ListEvents,
}

const READ: Access = Access::Scope(Scope::Read);
const ADMIN: Access = Access::Scope(Scope::Admin);

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
    Route {
        path: "/v1/account/events",
        endpoints: &[Endpoint::get(ADMIN, Operation::ListEvents)],
    },
];

/// The function's configuration, read once in `main`.
#[derive(Clone, Debug)]
pub struct Config {
    pub telemetry: TelemetryConfig,
    pub http: HttpConfig,
    pub gate: GateConfig,
}

impl Config {
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        Ok(Self {
            telemetry: TelemetryConfig::from_variables(variables)?,
            http: HttpConfig::from_variables(variables)?,
            gate: GateConfig::from_variables(variables)?,
        })
    }
}

/// What the function holds for every request: built once per cold start.
#[derive(Clone, Debug)]
pub struct Service {
    pub gate: Gate,
    pub http: HttpConfig,
}

impl Service {
    /// The gate `config` describes, started (call during init).
    pub async fn start(config: &Config) -> Self {
        Self {
            gate: Gate::start(&config.gate).await,
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
    let principal = service
        .gate
        .authenticate(
            request.headers(),
            source_address(&request),
            matched.required_scope()?,
            now,
        )
        .await?;
    let store = &service.gate.store;
    match matched.operation {
        Operation::GetAccount => ok(&accounts::get_account(store, &principal).await?),
        Operation::GetUsage => {
            let query = UsageQuery {
                from: query_parameter(&request, "from")?,
                to: query_parameter(&request, "to")?,
            };
            ok(&accounts::usage(store, &principal, query, now).await?)
        }
        Operation::ListEvents => {
            let request = EventListRequest {
                page: PageRequest {
                    limit: query_parameter(&request, "limit")?,
                    starting_after: query_parameter(&request, "starting_after")?,
                },
                event_type: query_parameter(&request, "type")?,
            };
            let page = accounts::list_events(store, &principal, request, now).await?;
            ok_page(&page.data, page.has_more)
        }
    }
}
