//! The client's address: the one API Gateway saw the connection come from (`requestContext.http.sourceIp`),
//! never a header a client can set (`X-Forwarded-For`, `Forwarded`, `X-Real-IP`): any client can write
//! those, so a key bound to addresses, or a limit per address, would be bound to nothing.

use std::net::IpAddr;

use access::RequestFacts;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use crate::request_id;

/// A request's source address, `None` when API Gateway gave none (or one that is not an address).
pub fn source_address(request: &Request) -> Option<IpAddr> {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => parsed(context.http.source_ip.as_deref()),
        _ => None,
    }
}

/// The same for a request handed to the Lambda authorizer (payload 2.0).
pub fn authorizer_source_address(
    request: &ApiGatewayV2CustomAuthorizerV2Request,
) -> Option<IpAddr> {
    parsed(request.request_context.http.source_ip.as_deref())
}

/// The longest `User-Agent` kept with a change's event (longer ones are cut).
pub const MAX_USER_AGENT_CHARS: usize = 256;

/// What the activity log keeps of the request: its id, the address of its connection as API Gateway saw it
/// (`requestContext.http.sourceIp`, never a header a client can set, such as `X-Forwarded-For`) and its
/// `User-Agent`, cut to [`MAX_USER_AGENT_CHARS`].
pub fn request_facts(request: &Request) -> RequestFacts {
    RequestFacts {
        request_id: request_id(request),
        source_ip: source_address(request),
        user_agent: request
            .headers()
            .get(lambda_http::http::header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| {
                agent
                    .trim()
                    .chars()
                    .take(MAX_USER_AGENT_CHARS)
                    .collect::<String>()
            })
            .filter(|agent| !agent.is_empty()),
    }
}

fn parsed(source_ip: Option<&str>) -> Option<IpAddr> {
    source_ip?.parse().ok()
}
