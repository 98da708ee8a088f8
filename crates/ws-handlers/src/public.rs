//! `PublicMessageHandler`: routing for market-data streams.

use ws_session::{InboundFrame, Outbox};

use crate::base::BaseMessageHandler;
use crate::error::HandlerError;
use crate::message_type::WebSocketMessageType;

/// The plan's `PublicMessageHandler`: ORDERBOOK, TRADE, TICKER (and best bid/ask), PING and
/// SUBSCRIBE routed to their parsers. Parsers deliver results to the handler's
/// `PublicWebSocketMixin` callbacks themselves, so nothing is boxed or collected.
pub trait PublicMessageHandler: BaseMessageHandler {
    /// Order book snapshot or delta.
    fn parse_orderbook_update(
        &mut self,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError>;

    /// Public trades.
    fn parse_trade_message(
        &mut self,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError>;

    /// 24 h ticker. Default: not supported by this handler.
    fn parse_ticker_update(
        &mut self,
        _frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        Err(HandlerError::Unsupported(WebSocketMessageType::Ticker))
    }

    /// Best bid/ask. Default: not supported by this handler.
    fn parse_book_ticker(
        &mut self,
        _frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        Err(HandlerError::Unsupported(WebSocketMessageType::BookTicker))
    }

    /// A venue ping. Default: nothing to answer (protocol pings are answered by the driver).
    fn handle_ping(
        &mut self,
        _frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        Ok(())
    }

    /// Acks, pongs, login answers and venue errors. Default: ignored.
    fn handle_control(
        &mut self,
        _message_type: WebSocketMessageType,
        _frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        Ok(())
    }

    /// The routing table; call it from `route_message`.
    fn route_public(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        match message_type {
            WebSocketMessageType::OrderBook => self.parse_orderbook_update(frame, out),
            WebSocketMessageType::Trade => self.parse_trade_message(frame, out),
            WebSocketMessageType::Ticker => self.parse_ticker_update(frame, out),
            WebSocketMessageType::BookTicker => self.parse_book_ticker(frame, out),
            WebSocketMessageType::Ping => self.handle_ping(frame, out),
            WebSocketMessageType::Pong
            | WebSocketMessageType::Subscribe
            | WebSocketMessageType::Unsubscribe
            | WebSocketMessageType::Auth
            | WebSocketMessageType::Error => self.handle_control(message_type, frame, out),
            other => {
                self.handler_stats().unhandled += 1;
                tracing::debug!(
                    exchange = self.exchange_name(),
                    message_type = other.as_str(),
                    "unhandled public message type"
                );
                Ok(())
            }
        }
    }
}
