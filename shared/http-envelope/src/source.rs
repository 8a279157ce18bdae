//! The client's address: the one API Gateway saw the connection come from (`requestContext.http.sourceIp`),
//! never a header a client can set (`X-Forwarded-For`, `Forwarded`, `X-Real-IP`): any client can write
//! those, so a key bound to addresses, or a limit per address, would be bound to nothing.

use std::net::IpAddr;

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

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

fn parsed(source_ip: Option<&str>) -> Option<IpAddr> {
    source_ip?.parse().ok()
}
