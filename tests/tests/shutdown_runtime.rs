//! The usage an instance counted is written when Lambda shuts it down: the built `account` binary runs the
//! real `lambda_runtime` loop (with its graceful-shutdown extension) against the Runtime API emulator, serves
//! requests, gets SIGTERM as Lambda sends it, and the table then holds every request.

use std::time::SystemTime;

use service_tests::{
    fresh_store, gateway_event, read_all, sign_up, start_function, stop_with_sigterm, RuntimeApi,
};

#[tokio::test]
async fn usage_counted_in_memory_is_written_when_the_instance_gets_sigterm() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let mut api = RuntimeApi::start().await;
    let mut child = start_function("account", &api, store.table(), &[]);
    let stdout = tokio::spawn(read_all(child.stdout.take()));
    let stderr = tokio::spawn(read_all(child.stderr.take()));
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

    let exit = stop_with_sigterm(&mut child).await;
    let logs = format!(
        "{}{}",
        stdout.await.expect("stdout"),
        stderr.await.expect("stderr")
    );
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
