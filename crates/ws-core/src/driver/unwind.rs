//! Panics in connection tasks become reports, so a bug in a handler ends the connection in
//! `ERROR` instead of leaving it half alive.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs `future` to completion; a panic while polling it becomes `Err` with its message.
/// The future is dropped after a panic and never polled again, so unwind safety is not a
/// concern for it; shared state it touched is behind a mutex whose poisoning is ignored.
pub(super) async fn catch_panic<F: Future>(future: F) -> Result<F::Output, String> {
    CatchPanic {
        inner: Some(Box::pin(future)),
    }
    .await
}

struct CatchPanic<F> {
    inner: Option<Pin<Box<F>>>,
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Pending;
        };
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => {
                self.inner = None;
                Poll::Ready(Ok(output))
            }
            Err(payload) => {
                self.inner = None;
                Poll::Ready(Err(panic_message(payload.as_ref())))
            }
        }
    }
}

/// The text of a panic payload (`panic!` with a literal or a formatted message).
pub(super) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passes_results_through_and_turns_panics_into_errors() {
        assert_eq!(catch_panic(async { 7 }).await, Ok(7));
        let n = 3;
        let caught = catch_panic(async move {
            if n == 3 {
                panic!("boom {n}");
            }
        })
        .await;
        assert_eq!(caught, Err("boom 3".to_string()));
    }
}
