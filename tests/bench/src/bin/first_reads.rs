//! The floor a function's first request adds to a cold start: `first_reads ROUTE KEY_HASH` builds the
//! DynamoDB client as `main` does (from the process's variables: TABLE_NAME, AWS_ENDPOINT_URL_DYNAMODB, ...),
//! then makes the route's own reads with it (`account`: the key-hash index `Query`, then `GetItem` of the
//! organisation; `authorizer`: the `Query` alone) and prints their time in ms: a fresh client in a fresh
//! process, its connection opened by the first read, over the transport the functions use.

use std::time::Instant;

use store::{build_client, StoreConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut arguments = std::env::args().skip(1);
    let (Some(route), Some(hash)) = (arguments.next(), arguments.next()) else {
        eprintln!("usage: first_reads account|authorizer KEY_HASH");
        std::process::exit(2);
    };
    let config = StoreConfig::from_variables(&config::Variables::from_process())
        .unwrap_or_else(|err| panic!("configuration refused: {err}"));
    let client = build_client(&config.client).await;
    let store = store::Store::new(client, config.table);
    let started = Instant::now();
    let key = store
        .find_key_by_hash(&hash)
        .await
        .expect("query")
        .expect("the key");
    if route == "account" {
        store
            .get_organization(&key.org_id)
            .await
            .expect("get the organisation");
    }
    println!("{:.3}", started.elapsed().as_secs_f64() * 1e3);
}
