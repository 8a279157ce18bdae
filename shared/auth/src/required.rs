//! Which scope a request needs, for the authorizer that guards the rest of the Memory API: one table, by
//! method, with exceptions by route that another team extends here.

use crate::Scope;

/// Routes whose scope is not their method's, by API Gateway route key (`METHOD /path` or `ANY /path`, as
/// declared). Another team adds its exceptions here (a route that needs `admin`, say).
pub const ROUTE_SCOPES: &[(&str, Scope)] = &[
    // This service's own key management, should the authorizer ever guard it: admin, whatever the method.
    ("ANY /v1/account/api-keys", Scope::Admin),
    ("ANY /v1/account/api-keys/{key_id}", Scope::Admin),
    ("ANY /v1/account/api-keys/{key_id}/roll", Scope::Admin),
];

/// The scope a request needs: its route's exception if it has one, else by method as the documentation's
/// scopes read: `GET`, `HEAD`, `OPTIONS` read; `POST`, `PUT`, `PATCH` write; `DELETE` deletes. Any other
/// method needs `admin` (fail closed).
pub fn required_scope(route_key: &str, method: &str) -> Scope {
    if let Some((_, scope)) = ROUTE_SCOPES.iter().find(|(route, _)| *route == route_key) {
        return *scope;
    }
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
            assert_eq!(
                required_scope("ANY /v1/memories/{proxy+}", method),
                scope,
                "{method}"
            );
        }
    }

    #[test]
    fn a_route_exception_wins_over_the_method() {
        assert_eq!(
            required_scope("ANY /v1/account/api-keys", "GET"),
            Scope::Admin
        );
    }
}
