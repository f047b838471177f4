//! Polls every request's handler again at a short interval while it is pending.
//!
//! Leptos 0.8.23's server rendering can lose a wake-up under load: a page whose data is ready
//! is never polled again and the response never starts (seen in our test suite about once per
//! hundred concurrent page loads; upstream reports: leptos-rs/leptos#4851, #4673, #4647). A
//! future polled again finds its data and finishes, so a periodic extra poll turns a hang into
//! a delay of at most one interval. Polling a future more often than it asks for is always
//! allowed, so this costs a timer per pending request and nothing else.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::rt::time::{sleep, Instant, Sleep};
use actix_web::Error;

const REPOLL_INTERVAL: Duration = Duration::from_millis(100);

pub async fn wake_stalled_requests(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    Repoll {
        inner: Box::pin(next.call(request)),
        tick: Box::pin(sleep(REPOLL_INTERVAL)),
    }
    .await
}

struct Repoll<F> {
    inner: Pin<Box<F>>,
    tick: Pin<Box<Sleep>>,
}

impl<F: Future> Future for Repoll<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if let Poll::Ready(output) = self.inner.as_mut().poll(cx) {
            return Poll::Ready(output);
        }
        // Re-arm the timer so this task is woken again after the interval, whatever else
        // does or does not wake it.
        while self.tick.as_mut().poll(cx).is_ready() {
            self.tick.as_mut().reset(Instant::now() + REPOLL_INTERVAL);
        }
        Poll::Pending
    }
}
