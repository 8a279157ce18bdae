//! When the meter's writes happen on Lambda: after each response, by an internal extension, and at shutdown.
//!
//! Lambda keeps an instance running after the runtime has posted its response until every registered
//! extension asks for its next event, and hands out the next invocation only then: an internal extension
//! subscribed to `INVOKE` writes what is due in that time, billed but never waited for by the caller. Any
//! registered extension also makes Lambda send SIGTERM before it ends the instance (an internal extension
//! cannot subscribe to `SHUTDOWN`): the flush of whatever is left happens there.

use std::convert::Infallible;
use std::time::{Duration, SystemTime};

use lambda_extension::{service_fn, Extension, LambdaEvent, NextEvent};

use crate::{UsageMeter, UsageWrites};

/// The events the writer subscribes to.
const EVENTS: &[&str] = &["INVOKE"];

/// Starts writing `meter`'s counts as it says ([`UsageWrites`]): after each response through an internal
/// extension, or inline (then only the shutdown flush is set up, through `lambda_runtime`'s graceful-shutdown
/// helper). Either way the counts left at SIGTERM are written. Call once in `main`, before the runtime loop
/// (an extension registers during init). A failed registration is logged and the function falls back to
/// writing inline, never to not counting.
pub async fn start_usage_writer(meter: UsageMeter) -> UsageMeter {
    if meter.writes() == UsageWrites::AfterResponse {
        match register_writer(meter.clone()).await {
            Ok(()) => return meter,
            Err(err) => {
                tracing::error!(error = %err, "the usage writer could not register: writing inline");
            }
        }
    }
    let inline = meter.inline();
    let at_shutdown = inline.clone();
    lambda_runtime::spawn_graceful_shutdown_handler(move || flush_at_shutdown(at_shutdown)).await;
    inline
}

async fn register_writer(meter: UsageMeter) -> Result<(), lambda_extension::Error> {
    let writer = meter.clone();
    let events = service_fn(move |event: LambdaEvent| {
        let meter = writer.clone();
        async move {
            if let NextEvent::Invoke(invoke) = event.next {
                // The INVOKE event comes as the invocation starts: wait for the function's answer (never
                // past the invocation's deadline), let the runtime post it, then write.
                let deadline = std::time::UNIX_EPOCH + Duration::from_millis(invoke.deadline_ms);
                let left = deadline
                    .duration_since(SystemTime::now())
                    .unwrap_or_default();
                if tokio::time::timeout(left, meter.answered()).await.is_err() {
                    tracing::warn!("no answer before the invocation's deadline");
                }
                tokio::task::yield_now().await;
                // Never an error: an extension that fails ends the instance. A failed write keeps its
                // counts for the next one.
                if let Err(err) = meter.write_due(SystemTime::now()).await {
                    tracing::warn!(error = %err, "usage could not be written after the response");
                }
            }
            Ok::<(), Infallible>(())
        }
    });
    let registered = Extension::new()
        .with_events(EVENTS)
        .with_events_processor(events)
        .with_extension_name("memory-api-usage-writer")
        .register()
        .await?;
    tokio::spawn(async move {
        let shutdown = async {
            use tokio::signal::unix::{signal, SignalKind};
            match (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) {
                (Ok(mut terminate), Ok(mut interrupt)) => {
                    tokio::select! {
                        _ = terminate.recv() => {},
                        _ = interrupt.recv() => {},
                    }
                    flush_at_shutdown(meter).await;
                    std::process::exit(0);
                }
                _ => {
                    tracing::error!("no SIGTERM handler: usage left at shutdown is lost");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            biased;
            () = shutdown => {},
            ended = registered.run() => {
                if let Err(err) = ended {
                    tracing::error!(error = %err, "the usage writer stopped");
                }
            }
        }
    });
    Ok(())
}

/// Writes every count the meter still holds: before Lambda ends the instance (SIGTERM, about 500 ms ahead).
async fn flush_at_shutdown(meter: UsageMeter) {
    match meter.flush(SystemTime::now()).await {
        Ok(keys) => {
            tracing::info!(keys, "usage written at shutdown");
            telemetry::record_usage_flush(keys);
        }
        Err(err) => tracing::error!(error = %err, "usage could not be written at shutdown"),
    }
}
