"""The client's run-time controls against the embedded simulator: stats, resync, subscribe,
unsubscribe, several venues in one client, and credentials. Every wait is bounded."""

import asyncio
import os
from decimal import Decimal

import pytest

import exchange_ws
from exchange_ws import Credentials, ExchangeWsError, PoolStats, Stats, Stream

WAIT = 15.0


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def first(client, kind, symbol=None, venue=None, accept=lambda e: True):
    async def scan():
        async for event in client.events():
            if (event.kind == kind and (symbol is None or event.symbol == symbol)
                    and (venue is None or event.venue == venue) and accept(event)):
                return event
        raise AssertionError(f"the stream ended before a {kind} event")

    return await asyncio.wait_for(scan(), WAIT)


async def eventually(check, what):
    deadline = asyncio.get_running_loop().time() + WAIT
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"never: {what}"
        await asyncio.sleep(0.02)


async def settled_equal(client, sim, venue, symbol):
    """Pauses the generator, keeps reading events, and waits (bounded) until the local book
    of ``symbol`` equals the simulator's truth."""
    sim.pause()

    async def drain():
        while await client.next_event() is not None:
            pass

    drainer = asyncio.create_task(drain())
    try:
        deadline = asyncio.get_running_loop().time() + WAIT
        while True:
            try:
                book = client.book(symbol, venue=venue)
            except ExchangeWsError:  # no book yet: it is being built
                book = None
            if book is not None:
                truth = sim.truth(venue, symbol, depth=max(len(book.bids), len(book.asks), 20))
                if book.is_live and book.bids and book.bids == truth.bids and book.asks == truth.asks:
                    return book
            assert asyncio.get_running_loop().time() < deadline, f"{symbol} never matched the truth"
            await asyncio.sleep(0.05)
    finally:
        drainer.cancel()
        sim.pause(False)


def test_stats_are_typed_and_their_counts_move():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            client = await exchange_ws.connect(venue="gateio-spot", symbols=["BTC_USDT"],
                                               channels=["book", "trades"], simulator=sim)
            before = client.stats()
            assert isinstance(before, Stats)
            pool = before.pool("gateio-spot")
            assert isinstance(pool, PoolStats) and pool.role == "public"
            assert pool.connections >= 1 and pool.connected == pool.connections
            assert set(before.dropped) >= {"trade", "book_update", "order"}
            assert before.dropped_total == 0
            with pytest.raises(KeyError, match="no private connections"):
                before.pool("gateio-spot", "private")
            for _ in range(5):
                await first(client, "book_update", "BTC_USDT")
            after = client.stats()
            assert after.delivered >= before.delivered + 5
            later = after.pool("gateio-spot")
            assert later.messages_received > pool.messages_received
            assert later.bytes_received > pool.bytes_received
            assert later.handler_messages > pool.handler_messages
            assert later.snapshots_applied >= 1
            with pytest.raises(AttributeError):
                after.delivered = 0  # a snapshot, not a live view
            await client.close()
            with pytest.raises(ExchangeWsError, match="closed"):
                client.stats()

    run(main())


def test_resync_rebuilds_the_book_equal_to_the_truth():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            client = await exchange_ws.connect(venue="gateio-spot", symbols=["BTC_USDT"],
                                               channels=["book"], simulator=sim)
            await first(client, "book_update", "BTC_USDT")
            await eventually(lambda: client.book("BTC_USDT").is_live, "the book is live")
            before = client.stats().pool("gateio-spot")
            client.resync("BTC_USDT")
            await first(client, "book_status", "BTC_USDT", accept=lambda e: e.status != "live")
            await first(client, "book_status", "BTC_USDT", accept=lambda e: e.status == "live")
            after = client.stats().pool("gateio-spot")
            assert after.resyncs == before.resyncs + 1
            assert after.snapshots_requested > before.snapshots_requested
            assert after.snapshots_applied > before.snapshots_applied
            await settled_equal(client, sim, "gateio-spot", "BTC_USDT")
            # The venue may be named, and must be one of the client's.
            client.resync("BTC_USDT", venue="gateio-spot")
            with pytest.raises(ExchangeWsError, match="not one of this client's venues"):
                client.resync("BTC_USDT", venue="mexc-spot")
            with pytest.raises(ExchangeWsError, match="keeps no book for ETH_USDT"):
                client.resync("ETH_USDT")
            with pytest.raises(ExchangeWsError, match="not a gateio-spot symbol"):
                client.resync("eth-usdt")
            await client.close()

    run(main())


def test_subscribe_adds_a_book_that_equals_the_truth():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            client = await exchange_ws.connect(venue="gateio-spot", symbols=["BTC_USDT"],
                                               channels=["book"], simulator=sim)
            await first(client, "book_update", "BTC_USDT")
            with pytest.raises(ExchangeWsError, match="keeps no book"):
                client.book("ETH_USDT")
            client.subscribe("ETH_USDT", ["book"])
            update = await first(client, "book_update", "ETH_USDT")
            assert isinstance(update.bids[0].price, Decimal)
            book = await settled_equal(client, sim, "gateio-spot", "ETH_USDT")
            assert book.symbol == "ETH_USDT"
            # A channel given as one string works too; trades of the new symbol arrive.
            client.subscribe("ETH_USDT", "trades")
            await first(client, "trade", "ETH_USDT")
            await client.close()

    run(main())


def test_unsubscribe_stops_the_symbols_events():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            client = await exchange_ws.connect(venue="gateio-spot", symbols=["BTC_USDT", "ETH_USDT"],
                                               channels=["book"], simulator=sim)
            await first(client, "book_update", "ETH_USDT")
            client.unsubscribe("ETH_USDT", ["book"])
            # Events already on their way may still come; then none for ETH_USDT while
            # BTC_USDT goes on.
            await asyncio.sleep(0.5)
            while client.stats().queued:
                await client.next_event()
            seen = {"BTC_USDT": 0, "ETH_USDT": 0}

            async def count():
                async for event in client.events():
                    if event.kind == "book_update":
                        seen[event.symbol] += 1

            counter = asyncio.create_task(count())
            await asyncio.sleep(1.5)
            counter.cancel()
            assert seen["BTC_USDT"] > 0, seen
            assert seen["ETH_USDT"] == 0, seen
            await client.close()

    run(main())


def test_subscriptions_reject_bad_arguments_clearly():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            client = await exchange_ws.connect(venue="gateio-spot", symbols=["BTC_USDT"],
                                               channels=["book"], simulator=sim)
            with pytest.raises(ExchangeWsError, match="unknown channel 'candles'"):
                client.subscribe("ETH_USDT", ["candles"])
            with pytest.raises(ExchangeWsError, match="not a gateio-spot symbol"):
                client.subscribe("eth/usdt", ["book"])
            with pytest.raises(ExchangeWsError, match="account channel"):
                client.subscribe("ETH_USDT", ["orders"])
            with pytest.raises(ExchangeWsError, match="no channels"):
                client.subscribe("ETH_USDT", [])
            with pytest.raises(ExchangeWsError, match="not one of this client's venues"):
                client.unsubscribe("BTCUSDT", ["book"], venue="mexc-spot")
            with pytest.raises(TypeError, match="list of strings"):
                client.subscribe("ETH_USDT", [1])
            await client.close()
            with pytest.raises(ExchangeWsError, match="closed"):
                client.subscribe("ETH_USDT", ["book"])

    run(main())


def test_two_venues_in_one_client_both_deliver():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            client = await exchange_ws.connect(
                streams=[
                    Stream("gateio-spot", ["BTC_USDT"], ["book", "trades"]),
                    Stream(venue="mexc-spot", symbols=["BTCUSDT"], channels=["book"], levels=5),
                ],
                simulator=sim,
            )
            assert client.venues == ["gateio-spot", "mexc-spot"]
            gate = await first(client, "book_update", "BTC_USDT", venue="gateio-spot")
            mexc = await first(client, "book_update", "BTCUSDT", venue="mexc-spot")
            assert gate.bids and mexc.bids and len(mexc.bids) <= 5
            assert client.book("BTCUSDT", venue="mexc-spot").venue == "mexc-spot"
            assert client.book("BTC_USDT", venue="gateio-spot").venue == "gateio-spot"
            with pytest.raises(ExchangeWsError, match="several venues"):
                client.book("BTC_USDT")
            with pytest.raises(ExchangeWsError, match="several venues"):
                client.resync("BTC_USDT")
            stats = client.stats()
            assert {(p.venue, p.role) for p in stats.pools} == {
                ("gateio-spot", "public"), ("mexc-spot", "public")}
            assert all(p.messages_received > 0 for p in stats.pools)
            # Run-time changes name the venue.
            client.subscribe("ETH_USDT", ["book"], venue="gateio-spot")
            await first(client, "book_update", "ETH_USDT", venue="gateio-spot")
            await client.close()

    run(main())


def test_connect_with_streams_rejects_bad_arguments():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            with pytest.raises(TypeError, match="give venue, symbols in each Stream"):
                await exchange_ws.connect("gateio-spot", ["BTC_USDT"],
                                          streams=[Stream("mexc-spot", ["BTCUSDT"])])
            with pytest.raises(TypeError, match="list of Stream"):
                await exchange_ws.connect(streams=Stream("mexc-spot", ["BTCUSDT"]))
            with pytest.raises(TypeError, match="non-empty list of Stream"):
                await exchange_ws.connect(streams=[])
            with pytest.raises(TypeError, match="needs venue= and symbols="):
                await exchange_ws.connect(symbols=["BTC_USDT"])
            with pytest.raises(TypeError, match="list of strings"):
                Stream("gateio-spot", "BTC_USDT")
            with pytest.raises(TypeError, match="depth must be an int"):
                Stream("gateio-spot", ["BTC_USDT"], depth="20")
            with pytest.raises(ExchangeWsError, match="gateio-spot appears twice"):
                await exchange_ws.connect(streams=[Stream("gateio-spot", ["BTC_USDT"]),
                                                   Stream("gateio-spot", ["ETH_USDT"])],
                                          simulator=sim)
            with pytest.raises(ExchangeWsError, match="unknown venue 'moon'"):
                await exchange_ws.connect(streams=[Stream("gateio-spot", ["BTC_USDT"]),
                                                   Stream("moon", ["X"])], simulator=sim)
            with pytest.raises(ExchangeWsError, match="levels must be at least 1"):
                await exchange_ws.connect(streams=[Stream("gateio-spot", ["BTC_USDT"], levels=0)],
                                          simulator=sim)

    run(main())


KEY, SECRET = "key-8c1f7e", "secret-5d2a9b0e"


def assert_hidden(text):
    assert KEY not in text and SECRET not in text, text


def test_credentials_never_show_their_secrets():
    creds = Credentials(KEY, SECRET, "4711")
    assert_hidden(repr(creds))
    assert_hidden(str(creds))
    assert "hidden" in repr(creds) and creds.user_id == "4711"
    assert_hidden(repr(Stream("gateio-spot", ["BTC_USDT"], ["orders"], credentials=creds)))
    # A tuple becomes Credentials, hidden too.
    stream = Stream("gateio-spot", ["BTC_USDT"], ["orders"], credentials=(KEY, SECRET))
    assert isinstance(stream.credentials, Credentials)
    assert_hidden(repr(stream))
    with pytest.raises(TypeError) as bad:
        Stream("gateio-spot", ["BTC_USDT"], credentials=[KEY, SECRET])
    assert_hidden(str(bad.value))
    with pytest.raises(ExchangeWsError, match="non-empty"):
        Credentials(KEY, "")


def test_credentials_from_the_environment_and_a_file(tmp_path, monkeypatch):
    for name in ("GATEIO_API_KEY", "GATEIO_API_SECRET", "GATEIO_UID"):
        monkeypatch.delenv(name, raising=False)
    assert Credentials.load("gateio-spot") is None
    with pytest.raises(ExchangeWsError, match="GATEIO_API_KEY") as missing:
        Credentials.from_env("gateio-spot")
    monkeypatch.setenv("GATEIO_API_KEY", KEY)
    with pytest.raises(ExchangeWsError, match="GATEIO_API_SECRET") as half:
        Credentials.load("gateio-spot")
    assert_hidden(str(half.value))
    monkeypatch.setenv("GATEIO_API_SECRET", SECRET)
    assert_hidden(repr(Credentials.from_env("gateio-spot")))
    assert isinstance(Credentials.load("gateio-spot"), Credentials)

    env_file = tmp_path / "gate.env"
    env_file.write_text(f"export GATEIO_API_KEY={KEY}\nGATEIO_API_SECRET='{SECRET}'\nGATEIO_UID=99\n")
    from_file = Credentials.from_file("gateio-futures", env_file)
    assert from_file.user_id == "99"
    assert_hidden(repr(from_file))
    assert Credentials.load("gateio-futures", str(env_file)).user_id == "99"
    with pytest.raises(ExchangeWsError, match="cannot read") as unreadable:
        Credentials.from_file("gateio-spot", tmp_path / "missing.env")
    assert_hidden(str(unreadable.value))
    with pytest.raises(ExchangeWsError, match="unknown venue"):
        Credentials.from_env("moon")
    assert_hidden(str(missing.value))


def test_credentials_objects_and_loaded_ones_open_account_channels(tmp_path):
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            key, secret, user = sim.credentials()
            env_file = tmp_path / "sim.env"
            env_file.write_text(f"GATEIO_API_KEY={key}\nGATEIO_API_SECRET={secret}\n")
            for creds in (Credentials(key, secret, user), Credentials.from_file("gateio-spot", env_file)):
                client = await exchange_ws.connect(venue="gateio-spot", symbols=["BTC_USDT"],
                                                   channels=["orders", "balances"],
                                                   credentials=creds, simulator=sim)
                await eventually(lambda: sim.subscribers("gateio-spot", "spot.orders", "BTC_USDT") > 0,
                                 "subscribed to orders")
                order = sim.place_order("gateio-spot", "BTC_USDT", "buy", "50000", "1")
                event = await first(client, "order", "BTC_USDT",
                                    accept=lambda e: e.order_id == str(order))
                assert event.quantity == Decimal("1")
                assert client.stats().pool("gateio-spot", "private").connected >= 1
                await client.close()
            # A wrong secret is refused; neither the error event nor the connection's
            # reason shows it.
            client = await exchange_ws.connect(venue="gateio-spot", symbols=["BTC_USDT"],
                                               channels=["orders"],
                                               credentials=Credentials(key, SECRET), simulator=sim)
            refused = await first(client, "error", accept=lambda e: e.category == "authentication")
            assert_hidden(repr(refused))
            dropped = await first(client, "connection", accept=lambda e: e.status == "disconnected")
            assert_hidden(repr(dropped))
            await client.close()

    run(main())


def test_connect_still_takes_one_venue_positionally():
    async def main():
        async with await exchange_ws.Simulator.start() as sim:
            client = await exchange_ws.connect("gateio-spot", ["BTC_USDT"], ["trades"], None, None, None, sim.addr)
            assert client.venues == ["gateio-spot"]
            await first(client, "trade", "BTC_USDT")
            await client.close()

    run(main())


@pytest.mark.skipif(os.name != "posix", reason="file permissions")
def test_credentials_file_errors_name_the_file_not_its_content(tmp_path):
    path = tmp_path / "secret.env"
    path.write_text(f"GATEIO_API_KEY={KEY}\n")
    with pytest.raises(ExchangeWsError, match="GATEIO_API_SECRET") as half:
        Credentials.from_file("gateio-spot", path)
    assert_hidden(str(half.value))
