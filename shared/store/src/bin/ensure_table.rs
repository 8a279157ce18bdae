//! Creates the service's table in DynamoDB Local (or wherever `AWS_ENDPOINT_URL_DYNAMODB` points) unless it
//! exists, from the same schema the code uses: `make dev` and the tests run it.

use store::{build_client, schema, ClientSettings};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let Some(table) = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("TABLE_NAME").ok())
    else {
        eprintln!("usage: ensure-table <table name> (or set TABLE_NAME)");
        return std::process::ExitCode::from(2);
    };
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .unwrap_or_else(|_| "http://127.0.0.1:8000".to_owned());
    let client = build_client(&ClientSettings::local(endpoint.clone())).await;
    match schema::ensure_table(&client, &table).await {
        Ok(true) => println!("created table {table} at {endpoint}"),
        Ok(false) => println!("table {table} already exists at {endpoint}"),
        Err(err) => {
            eprintln!("could not ensure table {table} at {endpoint}: {err}");
            return std::process::ExitCode::FAILURE;
        }
    }
    std::process::ExitCode::SUCCESS
}
