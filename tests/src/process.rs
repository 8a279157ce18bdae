//! Function binaries run as Lambda runs them: built, started against the Runtime API emulator with a
//! Lambda-like environment, their output collected.

use std::path::PathBuf;
use std::process::Stdio;

use crate::{dynamodb_endpoint, RuntimeApi};

/// Builds the function binary (debug) and returns its path.
pub fn built_binary(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .args(["build", "--quiet", "-p", name, "--bin", name])
        .current_dir(&root)
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build -p {name}");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    target.join("debug").join(name)
}

/// Everything a pipe carries until it closes.
pub async fn read_all(pipe: Option<impl tokio::io::AsyncRead + Unpin>) -> String {
    use tokio::io::AsyncReadExt;
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_end(&mut bytes).await;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Starts function `name` (built with [`built_binary`]) against `api`, on `table` of DynamoDB Local, with
/// Lambda's environment variables and `extra` ones; its output is piped.
pub fn start_function(
    name: &str,
    api: &RuntimeApi,
    table: &str,
    extra: &[(&str, &str)],
) -> tokio::process::Child {
    let binary = built_binary(name);
    let mut command = tokio::process::Command::new(&binary);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_endpoint())
        .env("TABLE_NAME", table);
    for (name, value) in extra {
        command.env(name, value);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the function")
}

/// Stops a function as Lambda ends an instance: SIGTERM, then its exit (within 10 s, or the test fails).
pub async fn stop_with_sigterm(child: &mut tokio::process::Child) -> std::process::ExitStatus {
    let pid = child.id().expect("running").to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(signalled.success(), "kill -TERM {pid}");
    tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("the function exits after SIGTERM")
        .expect("exit status")
}
