//! Times every DynamoDB call for the `DynamoDbLatency` metric, in one place: an SDK interceptor sees each
//! operation from its start to its end, retries included, whichever store function made it.

use std::time::Instant;

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

/// The interceptor the client is built with.
#[derive(Debug)]
pub(crate) struct CallTiming;

#[derive(Clone, Debug)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

impl Intercept for CallTiming {
    fn name(&self) -> &'static str {
        "CallTiming"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let (Some(Started(started)), Some(metadata)) =
            (cfg.load::<Started>(), cfg.load::<Metadata>())
        {
            telemetry::record_dynamodb_call(metadata.name(), started.elapsed());
        }
        Ok(())
    }
}
