//! `PrivateMessageHandler`: routing for account streams.

use ws_session::{InboundFrame, Outbox};

use crate::base::BaseMessageHandler;
use crate::error::HandlerError;
use crate::message_type::WebSocketMessageType;

/// The plan's `PrivateMessageHandler`: ORDER_UPDATE, POSITION_UPDATE, BALANCE_UPDATE and
/// EXECUTION_REPORT routed to their parsers, which call the `PrivateWebSocketMixin`.
pub trait PrivateMessageHandler: BaseMessageHandler {
    /// Every account push, when one decoder serves them all (venues whose frames say
    /// what they carry). The per-type parsers below call it unless overridden.
    /// Default: not supported.
    fn parse_account_push(
        &mut self,
        message_type: WebSocketMessageType,
        _frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        Err(HandlerError::Unsupported(message_type))
    }

    /// Order status change.
    fn parse_order_update(
        &mut self,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.parse_account_push(WebSocketMessageType::OrderUpdate, frame, out)
    }

    /// Our own fills.
    fn parse_execution_report(
        &mut self,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.parse_account_push(WebSocketMessageType::ExecutionReport, frame, out)
    }

    /// Balance change.
    fn parse_balance_update(
        &mut self,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.parse_account_push(WebSocketMessageType::BalanceUpdate, frame, out)
    }

    /// Position change (spot venues have none, and their decoders say so).
    fn parse_position_update(
        &mut self,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        self.parse_account_push(WebSocketMessageType::PositionUpdate, frame, out)
    }

    /// Acks, pongs, login answers, venue errors. Default: ignored.
    fn handle_control(
        &mut self,
        _message_type: WebSocketMessageType,
        _frame: InboundFrame<'_>,
        _out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        Ok(())
    }

    /// The routing table; call it from `route_message`.
    fn route_private(
        &mut self,
        message_type: WebSocketMessageType,
        frame: InboundFrame<'_>,
        out: &mut Outbox,
    ) -> Result<(), HandlerError> {
        match message_type {
            WebSocketMessageType::OrderUpdate => self.parse_order_update(frame, out),
            WebSocketMessageType::ExecutionReport => self.parse_execution_report(frame, out),
            WebSocketMessageType::BalanceUpdate => self.parse_balance_update(frame, out),
            WebSocketMessageType::PositionUpdate => self.parse_position_update(frame, out),
            WebSocketMessageType::Ping
            | WebSocketMessageType::Pong
            | WebSocketMessageType::Subscribe
            | WebSocketMessageType::Unsubscribe
            | WebSocketMessageType::Auth
            | WebSocketMessageType::Error => self.handle_control(message_type, frame, out),
            other => {
                self.handler_stats().unhandled += 1;
                tracing::debug!(
                    exchange = self.exchange_name(),
                    message_type = other.as_str(),
                    "unhandled private message type"
                );
                Ok(())
            }
        }
    }
}
