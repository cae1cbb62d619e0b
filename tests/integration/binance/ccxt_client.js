// ccxt's own, unmodified binance exchange class against a real spotd: only its API
// URLs are pointed at spotd. Run by binance_clients_test.cpp with NODE_PATH at a scratch
// npm install. Env: SPOT_URL (http://127.0.0.1:port), SPOT_KEY/SPOT_SECRET and
// SPOT_KEY2/SPOT_SECRET2 (two accounts: a maker and a taker). Prints one "ok <check>"
// line per check; exits 1 at the first failure.
'use strict';
const ccxt = require('ccxt');
const assert = require('node:assert/strict');

const url = process.env.SPOT_URL;
function client(key, secret) {
  return new ccxt.binance({
    apiKey: key,
    secret: secret,
    enableRateLimit: false,
    urls: { api: { public: url + '/api/v3', private: url + '/api/v3' } },
    options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
  });
}

async function expectError(promise, type, what) {
  try {
    await promise;
  } catch (e) {
    if (e instanceof type) return;
    throw new Error(what + ': expected ' + type.name + ', got ' + e.constructor.name + ': ' + e.message);
  }
  throw new Error(what + ': expected ' + type.name + ', got success');
}

async function main() {
  const maker = client(process.env.SPOT_KEY, process.env.SPOT_SECRET);
  const taker = client(process.env.SPOT_KEY2, process.env.SPOT_SECRET2);
  const ok = (name) => console.log('ok ' + name);

  const markets = await maker.loadMarkets();
  await taker.loadMarkets();
  const m = markets['BTC/USDT'];
  assert.ok(m, 'BTC/USDT market');
  assert.equal(m.id, 'BTCUSDT');
  assert.equal(m.base, 'BTC');
  assert.equal(m.quote, 'USDT');
  assert.equal(m.spot, true);
  assert.equal(m.active, true);
  assert.equal(m.precision.price, 0.01);
  assert.equal(m.precision.amount, 0.001);
  assert.equal(m.limits.amount.min, 0.001);
  assert.equal(m.limits.amount.max, 1000);
  assert.ok(markets['ETH/USDT'], 'ETH/USDT market');
  ok('loadMarkets');

  const ask = await maker.createOrder('BTC/USDT', 'limit', 'sell', 1.5, 100.25,
                                      { newClientOrderId: 'ccxt-ask-1' });
  assert.equal(ask.status, 'open');
  assert.equal(ask.clientOrderId, 'ccxt-ask-1');
  assert.equal(ask.amount, 1.5);
  assert.equal(ask.price, 100.25);
  assert.equal(ask.filled, 0);
  assert.equal(typeof ask.id, 'string');
  ok('createOrder limit');

  const bid = await maker.createOrder('BTC/USDT', 'limit', 'buy', 2, 99.5);
  assert.equal(bid.status, 'open');
  const book = await maker.fetchOrderBook('BTC/USDT');
  assert.deepEqual(book.asks[0], [100.25, 1.5]);
  assert.deepEqual(book.bids[0], [99.5, 2]);
  ok('fetchOrderBook');

  const ticker = await maker.fetchTicker('BTC/USDT');
  assert.equal(ticker.symbol, 'BTC/USDT');
  assert.equal(ticker.bid, 99.5);
  assert.equal(ticker.ask, 100.25);
  ok('fetchTicker');

  const fetched = await maker.fetchOrder(ask.id, 'BTC/USDT');
  assert.equal(fetched.id, ask.id);
  assert.equal(fetched.status, 'open');
  assert.equal(fetched.side, 'sell');
  assert.equal(fetched.type, 'limit');
  ok('fetchOrder');

  const buy = await taker.createOrder('BTC/USDT', 'market', 'buy', 0.5);
  assert.equal(buy.status, 'closed');
  assert.equal(buy.filled, 0.5);
  assert.equal(buy.average, 100.25);
  assert.equal(buy.cost, 50.125);
  assert.equal(buy.trades.length, 1);
  ok('createOrder market');

  const open = await maker.fetchOpenOrders('BTC/USDT');
  assert.equal(open.length, 2);
  const partly = open.find((o) => o.id === ask.id);
  assert.equal(partly.filled, 0.5);
  assert.equal(partly.remaining, 1);
  ok('fetchOpenOrders');

  const canceled = await maker.cancelOrder(bid.id, 'BTC/USDT');
  assert.equal(canceled.id, bid.id);
  assert.equal(canceled.status, 'canceled');
  assert.equal((await maker.fetchOpenOrders('BTC/USDT')).length, 1);
  ok('cancelOrder');

  const mine = await taker.fetchMyTrades('BTC/USDT');
  assert.equal(mine.length, 1);
  assert.equal(mine[0].side, 'buy');
  assert.equal(mine[0].price, 100.25);
  assert.equal(mine[0].amount, 0.5);
  assert.equal(mine[0].takerOrMaker, 'taker');
  assert.equal(mine[0].order, buy.id);
  const theirs = await maker.fetchMyTrades('BTC/USDT');
  assert.equal(theirs.length, 1);
  assert.equal(theirs[0].side, 'sell');
  assert.equal(theirs[0].takerOrMaker, 'maker');
  ok('fetchMyTrades');

  // Public market data after that one trade (0.5 at 100.25, the taker bought): ccxt's
  // fetchTrades reads aggTrades, fetchTicker and fetchTickers ticker/24hr.
  const trades = await maker.fetchTrades('BTC/USDT');
  assert.equal(trades.length, 1);
  assert.equal(trades[0].symbol, 'BTC/USDT');
  assert.equal(trades[0].id, '1');
  assert.equal(trades[0].price, 100.25);
  assert.equal(trades[0].amount, 0.5);
  assert.equal(trades[0].cost, 50.125);
  assert.equal(trades[0].side, 'buy');
  assert.ok(Math.abs(trades[0].timestamp - Date.now()) < 60000, 'trade time ' + trades[0].timestamp);
  // With `since`, ccxt asks for startTime and endTime an hour later.
  assert.equal((await maker.fetchTrades('BTC/USDT', trades[0].timestamp)).length, 1);
  assert.equal((await maker.fetchTrades('BTC/USDT', trades[0].timestamp + 1)).length, 0);
  assert.equal((await maker.fetchTrades('BTC/USDT', undefined, 1)).length, 1);
  ok('fetchTrades');

  const day = await maker.fetchTicker('BTC/USDT');
  assert.equal(day.last, 100.25);
  assert.equal(day.open, 100.25);
  assert.equal(day.high, 100.25);
  assert.equal(day.low, 100.25);
  assert.equal(day.vwap, 100.25);
  assert.equal(day.baseVolume, 0.5);
  assert.equal(day.quoteVolume, 50.125);
  assert.equal(day.change, 0);
  assert.equal(day.percentage, 0);
  assert.equal(day.ask, 100.25);
  assert.equal(day.askVolume, 1);
  assert.equal(day.info.count, 1);
  assert.equal(day.info.firstId, 1);
  assert.equal(day.info.lastId, 1);
  assert.ok(Math.abs(day.timestamp - Date.now()) < 60000, 'ticker time ' + day.timestamp);
  ok('fetchTicker after trades');

  const all = await maker.fetchTickers(['BTC/USDT', 'ETH/USDT']);
  assert.equal(all['BTC/USDT'].last, 100.25);
  assert.equal(all['BTC/USDT'].baseVolume, 0.5);
  assert.equal(all['ETH/USDT'].info.count, 0);
  assert.equal(all['ETH/USDT'].baseVolume, 0);
  const every = await maker.fetchTickers();
  assert.equal(every['BTC/USDT'].last, 100.25);
  assert.ok(every['ETH/USDT'], 'ETH/USDT ticker');
  ok('fetchTickers');

  await expectError(maker.cancelOrder(bid.id, 'BTC/USDT'), ccxt.OrderNotFound, 'cancel canceled');
  await expectError(maker.fetchOrder('999999', 'BTC/USDT'), ccxt.OrderNotFound, 'fetch unknown');
  ok('OrderNotFound');

  const stranger = client(process.env.SPOT_KEY, 'not-the-secret');
  await stranger.loadMarkets();
  await expectError(stranger.fetchOpenOrders('BTC/USDT'), ccxt.AuthenticationError, 'bad secret');
  const nobody = client('no-such-key', 'x');
  await nobody.loadMarkets();
  await expectError(nobody.fetchOpenOrders('BTC/USDT'), ccxt.AuthenticationError, 'bad key');
  ok('AuthenticationError');

  // A clock 70 s slow: outside any recvWindow.
  const late = client(process.env.SPOT_KEY, process.env.SPOT_SECRET);
  await late.loadMarkets();
  late.options.timeDifference = 70000;
  await expectError(late.fetchOpenOrders('BTC/USDT'), ccxt.InvalidNonce, 'stale timestamp');
  ok('InvalidNonce');

  await expectError(maker.publicGetDepth({ symbol: 'NOPEUSDT' }), ccxt.BadSymbol, 'unknown symbol');
  ok('BadSymbol');

  // Balances (each test account starts with 100,000 BTC and ETH and 100,000,000 USDT):
  // the taker bought 0.5 BTC for 50.125 USDT; the maker sold it and still has 1 BTC of
  // its ask locked (its bid was canceled, its lock released).
  const takerBalance = await taker.fetchBalance();
  assert.equal(takerBalance.BTC.total, 100000.5);
  assert.equal(takerBalance.BTC.used, 0);
  assert.equal(takerBalance.USDT.total, 99999949.875);
  const makerBalance = await maker.fetchBalance();
  assert.equal(makerBalance.BTC.used, 1);
  assert.equal(makerBalance.BTC.free, 99998.5);
  assert.equal(makerBalance.USDT.total, 100000050.125);
  assert.equal(makerBalance.USDT.used, 0);
  ok('fetchBalance');

  // 999 BTC at 110,000 would cost more than the 100,000,000 USDT the taker has.
  await expectError(taker.createOrder('BTC/USDT', 'limit', 'buy', 999, 110000),
                    ccxt.InsufficientFunds, 'a buy above the free balance');
  ok('InsufficientFunds');

  // Market by cost (quoteOrderQty): 10 USDT buys what it pays for at 100.25, whole lots.
  const byCost = await taker.createMarketBuyOrderWithCost('BTC/USDT', 10);
  assert.equal(byCost.status, 'closed');
  assert.equal(byCost.filled, 0.099);
  assert.equal(byCost.cost, 9.92475);
  ok('createOrder market by cost');

  // Post-only (LIMIT_MAKER): one that rests is taken, one that would cross is refused.
  const maker1 = await maker.createOrder('BTC/USDT', 'limit', 'buy', 1, 50, { postOnly: true });
  assert.equal(maker1.status, 'open');
  assert.equal(maker1.postOnly, true);
  await expectError(maker.createOrder('BTC/USDT', 'limit', 'buy', 1, 101, { postOnly: true }),
                    ccxt.OrderImmediatelyFillable, 'a post-only buy over the ask');
  ok('createOrder post-only');
}

main().then(() => process.exit(0), (e) => {
  console.error('FAIL ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
