//! What a request learns about itself on its way through (who called, what it changed), kept per request
//! so the one log line at its end can say it.

use std::cell::RefCell;
use std::future::Future;

/// Who called and what the request did, as far as it got.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFacts {
    pub org_id: Option<String>,
    /// The id of the key that authenticated the request (never the key).
    pub key_id: Option<String>,
    /// The change the request made, for the audit trail: `api_key.created`, `api_key.revoked`, ...
    pub action: Option<&'static str>,
    /// The key that change was made to, when it is not the caller's own.
    pub subject_key_id: Option<String>,
    /// Whether the request's key was checked, and how that went.
    pub authentication: Option<Authentication>,
}

/// How a request's key check ended (a check DynamoDB could not make decided nothing, so is neither).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authentication {
    Allowed,
    /// Missing, malformed, unknown, revoked, expired, short of a scope...: the response's code says which.
    Refused,
}

tokio::task_local! {
    static FACTS: RefCell<RequestFacts>;
}

/// Runs one request's future with its own facts, and returns them with its output.
pub async fn within_request<F: Future>(request: F) -> (F::Output, RequestFacts) {
    FACTS
        .scope(RefCell::new(RequestFacts::default()), async {
            let output = request.await;
            let facts = FACTS.with(|facts| facts.take());
            (output, facts)
        })
        .await
}

/// Changes the running request's facts; outside a request (tests, tools, the shutdown flush), nothing.
fn update(change: impl FnOnce(&mut RequestFacts)) {
    let _ = FACTS.try_with(|facts| change(&mut facts.borrow_mut()));
}

/// The request presented this organisation's key (found by its hash): the line says whose key it was,
/// allowed or refused (a revoked key still in use is worth knowing).
pub fn note_presented_key(org_id: &str, key_id: &str) {
    update(|facts| {
        facts.org_id = Some(org_id.to_owned());
        facts.key_id = Some(key_id.to_owned());
    });
}

/// How the check of the request's key ended.
pub fn note_authentication(outcome: Authentication) {
    update(|facts| facts.authentication = Some(outcome));
}

/// The request signed up this organisation, with this first key.
pub fn note_signed_up(org_id: &str, key_id: &str) {
    update(|facts| {
        facts.org_id = Some(org_id.to_owned());
        facts.action = Some("organisation.signed_up");
        facts.subject_key_id = Some(key_id.to_owned());
    });
}

/// The request made this change (to `subject_key_id`, when a key).
pub fn note_action(action: &'static str, subject_key_id: Option<&str>) {
    update(|facts| {
        facts.action = Some(action);
        facts.subject_key_id = subject_key_id.map(str::to_owned);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn facts_noted_during_a_request_come_back_with_its_output() {
        let (output, facts) = within_request(async {
            note_presented_key("org_1", "key_1");
            note_authentication(Authentication::Allowed);
            note_action("api_key.revoked", Some("key_2"));
            7
        })
        .await;
        assert_eq!(output, 7);
        assert_eq!(facts.org_id.as_deref(), Some("org_1"));
        assert_eq!(facts.key_id.as_deref(), Some("key_1"));
        assert_eq!(facts.action, Some("api_key.revoked"));
        assert_eq!(facts.subject_key_id.as_deref(), Some("key_2"));
        assert_eq!(facts.authentication, Some(Authentication::Allowed));
    }

    #[tokio::test]
    async fn noting_outside_a_request_is_ignored() {
        note_presented_key("org_1", "key_1");
        let (_, facts) = within_request(async {}).await;
        assert_eq!(facts, RequestFacts::default());
    }
}
