// Binance's own @binance/connector (Spot), unmodified, against a real spotd: only its
// base URL is spotd's. Run by binance_clients_test.cpp with NODE_PATH at a scratch npm
// install. Env as ccxt_client.js. Prints one "ok <check>" line per check; exits 1 at
// the first failure.
'use strict';
const { Spot } = require('@binance/connector');
const assert = require('node:assert/strict');

const url = process.env.SPOT_URL;
const maker = new Spot(process.env.SPOT_KEY, process.env.SPOT_SECRET, { baseURL: url });
const taker = new Spot(process.env.SPOT_KEY2, process.env.SPOT_SECRET2, { baseURL: url });

async function expectCode(promise, status, code, what) {
  try {
    await promise;
  } catch (e) {
    const r = e.response;
    assert.ok(r, what + ': no HTTP response: ' + e.message);
    assert.equal(r.status, status, what + ': HTTP status ' + JSON.stringify(r.data));
    assert.equal(r.data.code, code, what + ': code ' + JSON.stringify(r.data));
    return;
  }
  throw new Error(what + ': expected an error, got success');
}

async function main() {
  const ok = (name) => console.log('ok ' + name);
  assert.deepEqual((await maker.ping()).data, {});
  const t = (await maker.time()).data.serverTime;
  assert.ok(Math.abs(t - Date.now()) < 5000);
  ok('ping time');

  const info = (await maker.exchangeInfo({ symbol: 'BTCUSDT' })).data;
  const s = info.symbols.find((x) => x.symbol === 'BTCUSDT');
  assert.equal(s.baseAsset, 'BTC');
  assert.equal(s.quoteAsset, 'USDT');
  assert.equal(s.status, 'TRADING');
  ok('exchangeInfo');

  const placed = (await maker.newOrder('BTCUSDT', 'SELL', 'LIMIT',
    { price: '100.25', quantity: '1.5', timeInForce: 'GTC', newClientOrderId: 'conn-1' })).data;
  assert.equal(typeof placed.orderId, 'number');
  assert.equal(placed.status, 'NEW');
  assert.equal(placed.clientOrderId, 'conn-1');
  assert.equal(placed.origQty, '1.500');
  assert.deepEqual(placed.fills, []);
  ok('newOrder LIMIT FULL');

  const ack = (await maker.newOrder('BTCUSDT', 'SELL', 'LIMIT',
    { price: '101', quantity: '1', timeInForce: 'GTC', newOrderRespType: 'ACK' })).data;
  assert.deepEqual(Object.keys(ack).sort(),
                   ['clientOrderId', 'orderId', 'orderListId', 'symbol', 'transactTime']);
  ok('newOrder ACK');

  const filled = (await taker.newOrder('BTCUSDT', 'BUY', 'MARKET',
    { quantity: '0.5', newOrderRespType: 'RESULT' })).data;
  assert.equal(filled.status, 'FILLED');
  assert.equal(filled.executedQty, '0.500');
  assert.equal(filled.cummulativeQuoteQty, '50.12500');
  assert.equal(filled.fills, undefined);
  ok('newOrder MARKET RESULT');

  const got = (await maker.getOrder('BTCUSDT', { origClientOrderId: 'conn-1' })).data;
  assert.equal(got.orderId, placed.orderId);
  assert.equal(got.status, 'PARTIALLY_FILLED');
  assert.equal(got.executedQty, '0.500');
  ok('getOrder by origClientOrderId');

  const book = (await maker.bookTicker('BTCUSDT')).data;
  assert.deepEqual(book, { symbol: 'BTCUSDT', bidPrice: '0.00', bidQty: '0.000',
                           askPrice: '100.25', askQty: '1.000' });
  const depth = (await maker.depth('BTCUSDT', { limit: 5 })).data;
  assert.deepEqual(depth.asks, [['100.25', '1.000'], ['101.00', '1.000']]);
  ok('bookTicker depth');

  const open = (await maker.openOrders({ symbol: 'BTCUSDT' })).data;
  assert.equal(open.length, 2);
  const acct = (await maker.account()).data;
  assert.equal(acct.canTrade, true);
  assert.ok(Array.isArray(acct.balances));
  ok('openOrders account');

  const canceled = (await maker.cancelOrder('BTCUSDT', { orderId: ack.orderId })).data;
  assert.equal(canceled.status, 'CANCELED');
  await expectCode(maker.cancelOrder('BTCUSDT', { orderId: ack.orderId }), 400, -2011, 'cancel twice');
  await expectCode(maker.getOrder('BTCUSDT', { orderId: 987654 }), 400, -2013, 'unknown order');
  const all = (await maker.cancelOpenOrders('BTCUSDT')).data;
  assert.equal(all.length, 1);
  assert.equal(all[0].orderId, placed.orderId);
  await expectCode(maker.cancelOpenOrders('BTCUSDT'), 400, -2011, 'nothing to cancel');
  ok('cancelOrder cancelOpenOrders');

  const trades = (await taker.myTrades('BTCUSDT')).data;
  assert.equal(trades.length, 1);
  assert.equal(trades[0].isBuyer, true);
  assert.equal(trades[0].quoteQty, '50.12500');
  const orders = (await maker.allOrders('BTCUSDT')).data;
  assert.equal(orders.length, 2);
  ok('myTrades allOrders');

  const wrong = new Spot(process.env.SPOT_KEY, 'wrong-secret', { baseURL: url });
  await expectCode(wrong.account(), 400, -1022, 'bad signature');
  const unknown = new Spot('no-such-key', 'x', { baseURL: url });
  await expectCode(unknown.account(), 401, -2015, 'unknown key');
  await expectCode(maker.depth('NOPEUSDT'), 400, -1121, 'unknown symbol');
  ok('errors');
}

main().then(() => process.exit(0), (e) => {
  console.error('FAIL ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
