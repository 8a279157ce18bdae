//! The authorizer of the Memory API's other routes: API Gateway hands it each request (payload 2.0) and it
//! answers `{"isAuthorized": ..., "context": ...}` after the same checks as this service's own routes: one
//! read of the key-hash index, the same rules, the same usage counting.

use std::time::SystemTime;

use api_errors::Failure;
use auth::{
    route_rule, scope_by_method, Gate, GateConfig, Principal, Requirement, RouteRule, Scope,
    ROUTE_SCOPES,
};
use config::{ConfigError, Variables};
use http_envelope::{authorizer_source_address, Access, ApiError, Route, TelemetryConfig, Verb};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_http::http::Method;
use serde::Serialize;

/// The function's configuration, read once in `main`.
#[derive(Clone, Debug)]
pub struct Config {
    pub telemetry: TelemetryConfig,
    pub gate: GateConfig,
}

impl Config {
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        Ok(Self {
            telemetry: TelemetryConfig::from_variables(variables)?,
            gate: GateConfig::from_variables(variables)?,
        })
    }
}

/// What the function holds for every request: built once per cold start.
#[derive(Clone, Debug)]
pub struct Service {
    pub gate: Gate,
}

impl Service {
    /// The gate `config` describes, started (call during init).
    pub async fn start(config: &Config) -> Self {
        Self {
            gate: Gate::start(&config.gate).await,
        }
    }
}

/// What a request asks of its key: [`requirement_in`] with the other teams' rules, [`ROUTE_SCOPES`].
pub fn requirement(route_key: &str, method: &str) -> Requirement {
    requirement_in(ROUTE_SCOPES, route_key, method)
}

/// What a request asks of its key, by `rules` (other teams' routes): the rule's scope, or else
/// [`required_scope`]; confirmed on the key's base item when the scope asks it (`admin`, `delete`) or the
/// rule marks the route.
pub fn requirement_in(rules: &[RouteRule], route_key: &str, method: &str) -> Requirement {
    let rule = route_rule(rules, route_key);
    let scope = rule
        .and_then(|rule| rule.scope)
        .unwrap_or_else(|| required_scope(route_key, method));
    let mut requirement = Requirement::from(scope);
    requirement.confirm_on_base_item |= rule.is_some_and(|rule| rule.confirm_on_base_item);
    requirement
}

/// The scope a request needs without another team's rule: should the authorizer ever guard this service's
/// own routes, what their route tables declare (`OPTIONS`, which the functions answer without a key, by
/// method; any other method they do not serve: `admin`, failing closed); else by method
/// ([`scope_by_method`]).
pub fn required_scope(route_key: &str, method: &str) -> Scope {
    if method.eq_ignore_ascii_case("OPTIONS") {
        return scope_by_method(method);
    }
    let path = route_key
        .split_once(' ')
        .map_or(route_key, |(_, path)| path);
    let verb = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .ok()
        .as_ref()
        .and_then(Verb::of);
    let own = own_route_access(account::ROUTES, path, verb)
        .or_else(|| own_route_access(api_keys::ROUTES, path, verb));
    match own {
        Some(Some(Access::Scope(scope))) => scope,
        Some(None) => Scope::Admin,
        Some(Some(Access::Public)) | None => scope_by_method(method),
    }
}

/// For a route template of `routes`: the access its table declares for `verb` (`None` inside: not served).
fn own_route_access<Op: Copy>(
    routes: &'static [Route<Op>],
    template: &str,
    verb: Option<Verb>,
) -> Option<Option<Access>> {
    let route = routes.iter().find(|route| route.path == template)?;
    Some(
        verb.and_then(|verb| route.endpoint(verb))
            .map(|endpoint| endpoint.access),
    )
}

/// API Gateway's simple response. A refusal carries no context: API Gateway answers the caller with its own
/// 403 body, so which of our codes applied is logged instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    #[serde(rename = "isAuthorized")]
    pub is_authorized: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<CallerContext>,
}

/// What the backend behind the authorizer learns about the caller (`requestContext.authorizer.lambda`):
/// never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallerContext {
    pub org_id: String,
    pub key_id: String,
    /// `live` (billable) or `test` (the sandbox: it must never reach live data).
    pub environment: String,
    /// The key's scopes, comma-separated (`read,write`).
    pub scopes: String,
}

/// Why the authorizer could not decide: API Gateway then answers 500, which a client retries, rather than a
/// 403 that would tell it its key is bad. `code` is the one our own routes would answer with
/// (`service_unavailable` when DynamoDB failed, `internal_error` for a key item of the wrong shape).
#[derive(Debug, thiserror::Error)]
#[error("the key could not be checked: {code}")]
pub struct Undecided {
    pub code: &'static str,
}

/// Decides one request, and ends it as every request of the service ends: one log line (the refusal's code
/// in it, never the key) and its metrics. The status logged is the one API Gateway answers: 200 when
/// allowed (the backend's own status is the backend's to log), 403 when refused, 500 when undecided.
pub async fn authorize(
    service: &Service,
    request: &ApiGatewayV2CustomAuthorizerV2Request,
    now: SystemTime,
) -> Result<Decision, Undecided> {
    let started = std::time::Instant::now();
    let route_key = request.route_key.as_deref().unwrap_or_default();
    let method = request.request_context.http.method.as_str();
    let ((decision, code), facts) =
        telemetry::within_request(Box::pin(decide(service, request, route_key, method, now))).await;
    let status = match &decision {
        Ok(Decision {
            is_authorized: true,
            ..
        }) => 200,
        Ok(_) => 403,
        Err(_) => 500,
    };
    let request_id = request
        .request_context
        .request_id
        .as_deref()
        .unwrap_or_default();
    telemetry::finish_request(
        &telemetry::RequestOutcome {
            route: route_key,
            method,
            status,
            code,
            request_id,
            latency: started.elapsed(),
        },
        &facts,
    );
    decision
}

/// The decision, and our code for why it was not an allowance.
async fn decide(
    service: &Service,
    request: &ApiGatewayV2CustomAuthorizerV2Request,
    route_key: &str,
    method: &str,
    now: SystemTime,
) -> (Result<Decision, Undecided>, Option<&'static str>) {
    let scope = requirement(route_key, method);
    let checked = service
        .gate
        .authenticate(
            &request.headers,
            authorizer_source_address(request),
            scope,
            now,
        )
        .await;
    let failure = match checked {
        Ok(principal) => {
            let allowed = Decision {
                is_authorized: true,
                context: Some(context(&principal)),
            };
            return (Ok(allowed), None);
        }
        Err(err) => Failure::Auth(err),
    };
    // The service's one mapping names the code, and logs the cause of anything it makes a 5xx.
    let answer = ApiError::from(failure);
    let code = answer.code;
    let decision = if answer.status.is_server_error() {
        Err(Undecided { code })
    } else {
        Ok(Decision {
            is_authorized: false,
            context: None,
        })
    };
    (decision, Some(code))
}

fn context(principal: &Principal) -> CallerContext {
    CallerContext {
        org_id: principal.org_id.clone(),
        key_id: principal.key_id.clone(),
        environment: principal.environment.as_str().to_owned(),
        scopes: principal.scopes.names().join(","),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_services_key_routes_need_admin_whatever_the_method() {
        for method in ["GET", "HEAD", "POST", "PATCH", "DELETE", "PUT"] {
            assert_eq!(
                required_scope("ANY /v1/account/api-keys", method),
                Scope::Admin,
                "{method}"
            );
        }
        assert_eq!(
            required_scope("ANY /v1/account/api-keys/{key_id}/roll", "GET"),
            Scope::Admin
        );
        assert_eq!(required_scope("ANY /v1/account", "GET"), Scope::Read);
        assert_eq!(required_scope("ANY /v1/account", "HEAD"), Scope::Read);
        assert_eq!(required_scope("ANY /v1/account", "OPTIONS"), Scope::Read);
        assert_eq!(required_scope("ANY /v1/account", "DELETE"), Scope::Admin);
    }

    #[test]
    fn other_routes_need_their_methods_scope() {
        assert_eq!(
            required_scope("ANY /v1/memories/{proxy+}", "DELETE"),
            Scope::Delete
        );
        assert_eq!(required_scope("GET /v1/query", "GET"), Scope::Read);
    }

    #[test]
    fn delete_and_admin_are_confirmed_on_the_base_item_and_read_and_write_ride_the_index() {
        let confirmed =
            |method| requirement("ANY /v1/memories/{proxy+}", method).confirm_on_base_item;
        assert!(confirmed("DELETE"));
        assert!(!confirmed("GET"));
        assert!(!confirmed("POST"));
        assert!(requirement("ANY /v1/account/api-keys", "GET").confirm_on_base_item);
    }

    #[test]
    fn another_team_marks_a_route_to_be_confirmed_or_to_need_another_scope() {
        const RULES: &[RouteRule] = &[
            RouteRule {
                route_key: "POST /v1/memories/purge",
                scope: None,
                confirm_on_base_item: true,
            },
            RouteRule {
                route_key: "GET /v1/exports",
                scope: Some(Scope::Admin),
                confirm_on_base_item: false,
            },
        ];
        let purge = requirement_in(RULES, "POST /v1/memories/purge", "POST");
        assert_eq!(
            (purge.scope, purge.confirm_on_base_item),
            (Scope::Write, true)
        );
        let exports = requirement_in(RULES, "GET /v1/exports", "GET");
        assert_eq!(
            (exports.scope, exports.confirm_on_base_item),
            (Scope::Admin, true)
        );
        let other = requirement_in(RULES, "POST /v1/memories", "POST");
        assert!(!other.confirm_on_base_item);
    }
}
