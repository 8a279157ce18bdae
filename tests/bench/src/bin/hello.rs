//! The baseline: the smallest `lambda_http` function, built with the same release profile as ours.

use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_request: Request| async {
        Ok::<_, Error>(Response::new(Body::Text(
            r#"{"success":true,"data":{"hello":"world"}}"#.to_owned(),
        )))
    }))
    .await
}
