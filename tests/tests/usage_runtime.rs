//! Usage is written after the response, through the real runtime loop: the authorizer binary registers an
//! internal extension subscribed to `INVOKE` with the Runtime API emulator (which follows Lambda's rules:
//! the next invocation is handed out only once the extension is back at `event/next`), and DynamoDB is
//! reached through a proxy that notes when each call arrived.

use std::time::Instant;

use serde_json::json;
use service_tests::{
    create_key, fresh_store, sign_up, Fault, FaultyProxy, Moment, RunningFunction, RuntimeApi,
};

fn authorizer_event(key: &str) -> Vec<u8> {
    let path = format!(
        "{}/../events/authorizer-allowed.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("{path}: {err}"))
        .replace("${API_KEY}", key)
        .into_bytes()
}

fn at(timeline: &[(Instant, Moment)], moment: &Moment) -> Instant {
    timeline
        .iter()
        .find(|(_, seen)| seen == moment)
        .map(|(when, _)| *when)
        .unwrap_or_else(|| panic!("{moment:?} never happened: {timeline:?}"))
}

#[tokio::test]
async fn the_usage_write_starts_after_the_response_is_posted_and_lands_before_the_next_event() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (reader, _) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let proxy = FaultyProxy::start().await;
    proxy.set(Fault::Observe);
    let mut api = RuntimeApi::start().await;
    let running = RunningFunction::start(
        "authorizer",
        &api,
        store.table(),
        &[("AWS_ENDPOINT_URL_DYNAMODB", proxy.endpoint.as_str())],
    );
    api.init_done().await.expect("the function asked for work");
    assert_eq!(
        api.invoke_extensions(),
        1,
        "the usage writer registered for INVOKE"
    );
    for _ in 0..2 {
        let (_, body) = api
            .invoke(authorizer_event(&reader))
            .await
            .expect("invocation");
        let decision: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(decision["isAuthorized"], true, "{decision}");
    }
    let timeline = api.timeline();
    let (_, stdout, stderr) = running.stop_with_sigterm().await;
    let first_id = timeline
        .iter()
        .find_map(|(_, moment)| match moment {
            Moment::HandedOut(id) => Some(id.clone()),
            _ => None,
        })
        .expect("an invocation");
    let second_id = timeline
        .iter()
        .filter_map(|(_, moment)| match moment {
            Moment::HandedOut(id) => Some(id.clone()),
            _ => None,
        })
        .nth(1)
        .expect("a second invocation");
    let responded = at(&timeline, &Moment::ResponsePosted(first_id));
    let next_handed_out = at(&timeline, &Moment::HandedOut(second_id));
    let writes: Vec<_> = proxy
        .calls()
        .into_iter()
        .filter(|call| call.operation == "updateitem")
        .collect();
    assert!(
        !writes.is_empty(),
        "the key's first use was written: {stdout}{stderr}"
    );
    // The key's first use: usage and last_used_at, after the first response, before the second event.
    let first_writes: Vec<_> = writes
        .iter()
        .filter(|call| call.arrived < next_handed_out)
        .collect();
    assert!(!first_writes.is_empty(), "written before the next event");
    for write in &first_writes {
        assert!(
            write.arrived > responded,
            "a write started before the response was posted"
        );
        assert!(
            write.answered < next_handed_out,
            "a write landed after the next event"
        );
    }
    let extension_back = timeline
        .iter()
        .filter(|(when, moment)| matches!(moment, Moment::ExtensionAtNext(_)) && *when > responded)
        .map(|(when, _)| *when)
        .min()
        .expect("the extension came back to next");
    assert!(first_writes
        .iter()
        .all(|write| write.answered <= extension_back));
    assert!(extension_back <= next_handed_out);
}
