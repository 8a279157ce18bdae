//! Function binaries run as Lambda runs them: built, started against the Runtime API emulator with a
//! Lambda-like environment, their output collected.

use std::path::PathBuf;
use std::process::Stdio;

use crate::{dynamodb_endpoint, RuntimeApi};

/// Builds the function binary (debug) and returns its path.
pub fn built_binary(name: &str) -> PathBuf {
    built_binary_of(name, name)
}

/// Builds the binary `name` of the package `package` (debug) and returns its path.
pub fn built_binary_of(package: &str, name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .args(["build", "--quiet", "-p", package, "--bin", name])
        .current_dir(&root)
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build -p {package} --bin {name}");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    target.join("debug").join(name)
}

/// Everything a pipe carries until it closes.
async fn read_all(pipe: Option<impl tokio::io::AsyncRead + Unpin>) -> String {
    use tokio::io::AsyncReadExt;
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_end(&mut bytes).await;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A function process as Lambda runs one, its output drained while it runs (a full pipe would block its
/// logging, and with it the function).
pub struct RunningFunction {
    child: tokio::process::Child,
    stdout: tokio::task::JoinHandle<String>,
    stderr: tokio::task::JoinHandle<String>,
}

impl RunningFunction {
    /// Starts function `name` (built with [`built_binary`]) against `api`, on `table` of DynamoDB Local,
    /// with Lambda's environment variables and `extra` ones.
    pub fn start(name: &str, api: &RuntimeApi, table: &str, extra: &[(&str, &str)]) -> Self {
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
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the function");
        let stdout = tokio::spawn(read_all(child.stdout.take()));
        let stderr = tokio::spawn(read_all(child.stderr.take()));
        Self {
            child,
            stdout,
            stderr,
        }
    }

    /// Stops it as Lambda ends an instance (SIGTERM, then its exit within 10 s, or the test fails): its exit
    /// status, stdout and stderr.
    pub async fn stop_with_sigterm(mut self) -> (std::process::ExitStatus, String, String) {
        let exit = sigterm_and_wait(&mut self.child)
            .await
            .expect("the function exits within 10 s of SIGTERM");
        let (stdout, stderr) = self.output().await;
        (exit, stdout, stderr)
    }

    /// Waits (up to 10 s) for it to exit by itself, as a function whose init failed does: its stdout and
    /// stderr.
    pub async fn exit_output(mut self) -> (String, String) {
        let exited =
            tokio::time::timeout(std::time::Duration::from_secs(10), self.child.wait()).await;
        assert!(exited.is_ok(), "the function did not exit by itself");
        self.output().await
    }

    /// Kills it (no shutdown): its stdout and stderr.
    pub async fn kill(mut self) -> (String, String) {
        let _ = self.child.kill().await;
        self.output().await
    }

    async fn output(self) -> (String, String) {
        (
            self.stdout.await.expect("stdout"),
            self.stderr.await.expect("stderr"),
        )
    }
}

/// Sends `child` SIGTERM, as Lambda does to end an instance, and waits up to 10 s for it to exit: its exit
/// status, or `None` when it could not be signalled or did not exit in time.
pub async fn sigterm_and_wait(
    child: &mut tokio::process::Child,
) -> Option<std::process::ExitStatus> {
    let pid = child.id()?.to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .is_ok_and(|status| status.success());
    if !signalled {
        return None;
    }
    tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .ok()?
        .ok()
}
