//! The usage an instance counted is written when Lambda shuts it down: the built `account` binary runs the
//! real `lambda_runtime` loop (with its graceful-shutdown extension) against the Runtime API emulator, serves
//! requests, gets SIGTERM as Lambda sends it, and the table then holds every request.

use std::time::SystemTime;

use service_tests::{fresh_store, gateway_event, sign_up, RunningFunction, RuntimeApi};

#[tokio::test]
async fn usage_counted_in_memory_is_written_when_the_instance_gets_sigterm() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let mut api = RuntimeApi::start().await;
    let function = RunningFunction::start("account", &api, store.table(), &[]);
    api.init_done().await.expect("the function asked for work");

    const REQUESTS: u64 = 25;
    for _ in 0..REQUESTS {
        let (_, body) = api
            .invoke(gateway_event(
                "GET",
                "/v1/account",
                Some(&org.admin_key),
                None,
            ))
            .await
            .expect("invocation");
        assert!(String::from_utf8_lossy(&body).contains("200"), "{body:?}");
    }
    let today = auth::timestamp(SystemTime::now())[..10].to_owned();
    let written = |records: Vec<store::UsageRecord>| -> u64 {
        records
            .iter()
            .filter(|record| record.key_id == org.admin_key_id)
            .map(|record| record.requests)
            .sum()
    };
    // Only the first request was written; the rest wait in the instance.
    let before = written(
        store
            .usage(&org.org_id, &today, &today)
            .await
            .expect("usage"),
    );
    assert!(before < REQUESTS, "{before} written before shutdown");

    let (exit, stdout, stderr) = function.stop_with_sigterm().await;
    let logs = format!("{stdout}{stderr}");
    assert!(exit.success(), "{exit:?}\n{logs}");
    assert!(logs.contains("usage written at shutdown"), "{logs}");
    let after = written(
        store
            .usage(&org.org_id, &today, &today)
            .await
            .expect("usage"),
    );
    assert_eq!(after, REQUESTS, "{logs}");
    println!(
        "shutdown: {before} of {REQUESTS} requests written while running, {after} after SIGTERM"
    );
}
