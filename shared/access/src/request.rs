//! What the service knows about the request that made a change: kept with the change's event.

use std::net::IpAddr;

/// The request behind a change, as API Gateway saw it: its id, the address of the connection
/// (`requestContext.http.sourceIp`, never a header a client can set) and its `User-Agent`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFacts {
    pub request_id: String,
    pub source_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}
