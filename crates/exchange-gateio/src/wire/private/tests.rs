use super::*;

#[test]
fn status_mapping() {
    let one = Decimal::ONE;
    let zero = Decimal::ZERO;
    use OrderStatus::*;
    for (market, event, status, finish_as, filled, left, expect) in [
        (
            Market::Spot,
            Some(OrderEvent::Put),
            &b""[..],
            &b"open"[..],
            zero,
            one,
            New,
        ),
        (
            Market::Spot,
            Some(OrderEvent::Update),
            b"",
            b"open",
            one,
            one,
            PartiallyFilled,
        ),
        (
            Market::Spot,
            Some(OrderEvent::Finish),
            b"",
            b"filled",
            one,
            zero,
            Filled,
        ),
        (
            Market::Spot,
            Some(OrderEvent::Finish),
            b"",
            b"cancelled",
            zero,
            one,
            Canceled,
        ),
        (
            Market::Spot,
            Some(OrderEvent::Finish),
            b"",
            b"cancelled",
            one,
            one,
            PartiallyCanceled,
        ),
        (
            Market::Spot,
            Some(OrderEvent::Finish),
            b"",
            b"ioc",
            zero,
            one,
            Expired,
        ),
        (
            Market::Spot,
            Some(OrderEvent::Finish),
            b"",
            b"poc",
            zero,
            one,
            Rejected,
        ),
        (Market::Futures, None, b"open", b"", zero, one, New),
        (
            Market::Futures,
            None,
            b"finished",
            b"filled",
            one,
            zero,
            Filled,
        ),
        (
            Market::Futures,
            None,
            b"finished",
            b"liquidated",
            one,
            one,
            PartiallyCanceled,
        ),
        (
            Market::Futures,
            None,
            b"finished",
            b"ioc",
            one,
            zero,
            Filled,
        ),
    ] {
        assert_eq!(
            order_status(market, event, status, finish_as, filled, left),
            expect,
            "{market} {event:?} {finish_as:?}"
        );
    }
    assert_eq!(order_type(b"limit", b"poc", false), OrderType::PostOnly);
    assert_eq!(order_type(b"market", b"ioc", false), OrderType::Market);
    assert_eq!(order_type(b"limit", b"ioc", true), OrderType::Market);
    assert_eq!(order_type(b"limit_repay", b"gtc", false), OrderType::Limit);
    assert_eq!(order_type(b"weird", b"gtc", false), OrderType::Other);
}
