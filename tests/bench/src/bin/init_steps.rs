//! Where a function's init goes: the DynamoDB client built as `main` builds it, with the system's CA bundle
//! and with the compiled-in AWS roots. Run it twice in a fresh process each (`make bench` prints both).

use std::time::Instant;

use store::{build_client, ClientSettings, TrustRoots};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let trust_roots = match std::env::args().nth(1).as_deref() {
        Some("native") => TrustRoots::Native,
        _ => TrustRoots::AwsOnly,
    };
    let started = Instant::now();
    let settings = match ClientSettings::from_variables(&config::Variables::from_process()) {
        Ok(settings) => settings,
        Err(err) => panic!("configuration refused: {err}"),
    };
    let client = build_client(&ClientSettings {
        trust_roots,
        ..settings
    })
    .await;
    println!("{:.3}", started.elapsed().as_secs_f64() * 1e3);
    drop(client);
}
