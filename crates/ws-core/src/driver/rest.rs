//! REST requests on behalf of the session: a bounded backlog, a concurrency limit, and the
//! answers fed back to the session.

use tokio::sync::mpsc;
use tracing::{Instrument, debug, warn};

use super::socket::reporting_panics;
use super::supervisor::Supervisor;
use super::{Event, Outgoing};
use ws_session::{RestFailure, RestRequest, RestResponse, Session, Timestamp};

impl<S: Session> Supervisor<S> {
    pub(super) fn start_rest(&mut self, request: RestRequest) {
        let id = request.id;
        let events = self.events_tx.clone();
        if self.rest_in_flight >= REST_BACKLOG {
            warn!(?request, "REST backlog full; request refused");
            let _ = events.try_send(Event::RestDone(RestResponse {
                id,
                result: Err(RestFailure::Overloaded),
            }));
            return;
        }
        self.rest_in_flight += 1;
        self.shared.lock().counters.rest_requests += 1;
        debug!(?request, "REST request");
        let permits = self.rest_permits.clone();
        let tls = self.tls.clone();
        let timeout = self.config.rest_timeout;
        let max_body = self.config.max_rest_body;
        let panics = events.clone();
        tokio::spawn(
            reporting_panics("rest", panics, async move {
                let response = match permits.acquire_owned().await {
                    Ok(_permit) => crate::rest::perform(request, tls, timeout, max_body).await,
                    Err(_) => RestResponse {
                        id,
                        result: Err(RestFailure::Overloaded),
                    },
                };
                let _ = events.send(Event::RestDone(response)).await;
            })
            .in_current_span(),
        );
    }
    pub(super) async fn deliver_rest(
        &mut self,
        response: RestResponse,
        override_out: Option<&mpsc::Sender<Outgoing>>,
    ) {
        self.rest_in_flight = self.rest_in_flight.saturating_sub(1);
        if response.result.is_err() {
            self.shared.lock().counters.rest_failures += 1;
        }
        self.run_session_call(0, override_out, |session, now, out| {
            session.on_rest_response(response, now, out)
        })
        .await;
    }
    pub(super) async fn drain_rest_for_close(&mut self) {
        let deadline = tokio::time::Instant::now() + self.config.close_timeout / 2;
        while self.rest_in_flight > 0 {
            match tokio::time::timeout_at(deadline, self.events_rx.recv()).await {
                Ok(Some(Event::RestDone(response))) => {
                    self.rest_in_flight = self.rest_in_flight.saturating_sub(1);
                    let mut core = self.shared.lock();
                    let core = &mut *core;
                    core.session
                        .on_rest_response(response, Timestamp::now(), &mut core.outbox);
                    core.outbox.clear();
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
}

/// REST requests in flight (or waiting for a permit) before new ones are refused.
const REST_BACKLOG: usize = 256;
