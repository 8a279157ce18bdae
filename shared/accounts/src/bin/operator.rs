//! The operator's tool: what no route offers, run by a person with access to the table (its configuration
//! is read as the functions read theirs: `TABLE_NAME`, the DynamoDB client's variables).
//!
//! ```text
//! operator mint-admin-key <org_id>   a new live admin key with no expiry, shown once
//! operator deactivate <org_id>       every key of the organisation refused (organization_inactive)
//! operator reactivate <org_id>
//! ```

use std::process::ExitCode;
use std::time::SystemTime;

use accounts::operator::{mint_admin_key, set_organization_active};
use config::Variables;
use store::{Store, StoreConfig};

const USAGE: &str = "usage: operator mint-admin-key|deactivate|reactivate <org_id>";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [command, org_id] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let config = match StoreConfig::from_variables(&Variables::from_process()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("configuration refused: {err}");
            return ExitCode::from(2);
        }
    };
    let store = Store::connect(&config).await;
    let done = match command.as_str() {
        "mint-admin-key" => mint_admin_key(&store, org_id, SystemTime::now())
            .await
            .map(|key| {
                println!("key_id: {}", key.id);
                println!("key:    {}", key.key);
                eprintln!(
                    "Shown once and stored only as its hash: hand it to the organisation's owner now."
                );
            }),
        "deactivate" | "reactivate" => {
            let active = command == "reactivate";
            set_organization_active(&store, org_id, active, SystemTime::now())
                .await
                .map(|()| println!("{org_id}: {command}d"))
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{command} {org_id}: {err}");
            ExitCode::FAILURE
        }
    }
}
