//! Which scope a request needs, for the authorizer that guards the rest of the Memory API: by method, with
//! exceptions by route that another team writes here. This service's own routes are not listed: the
//! authorizer reads them from the functions' route tables.

use crate::Scope;

/// Other teams' routes whose scope is not their method's, by API Gateway route key (`METHOD /path` or
/// `ANY /path`, as declared). Another team adds its exceptions here (a route that needs `admin`, say).
pub const ROUTE_SCOPES: &[(&str, Scope)] = &[];

/// The exception [`ROUTE_SCOPES`] declares for `route_key`, if any.
pub fn route_exception(route_key: &str) -> Option<Scope> {
    ROUTE_SCOPES
        .iter()
        .find(|(route, _)| *route == route_key)
        .map(|(_, scope)| *scope)
}

/// The scope a method needs, as the documentation's scopes read: `GET`, `HEAD`, `OPTIONS` read; `POST`,
/// `PUT`, `PATCH` write; `DELETE` deletes. Any other method needs `admin` (fail closed).
pub fn scope_by_method(method: &str) -> Scope {
    match method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" | "OPTIONS" => Scope::Read,
        "POST" | "PUT" | "PATCH" => Scope::Write,
        "DELETE" => Scope::Delete,
        _ => Scope::Admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_map_to_the_documented_scopes() {
        for (method, scope) in [
            ("GET", Scope::Read),
            ("HEAD", Scope::Read),
            ("OPTIONS", Scope::Read),
            ("POST", Scope::Write),
            ("PUT", Scope::Write),
            ("PATCH", Scope::Write),
            ("DELETE", Scope::Delete),
            ("TRACE", Scope::Admin),
        ] {
            assert_eq!(scope_by_method(method), scope, "{method}");
        }
    }
}
