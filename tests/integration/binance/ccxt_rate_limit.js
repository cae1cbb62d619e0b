// ccxt against a spotd whose per-account rate limit is 2 orders (burst) and then next to
// nothing: the third order in a row is HTTP 429 -1003, which ccxt raises as
// RateLimitExceeded (a DDoSProtection). Env as ccxt_client.js.
'use strict';
const ccxt = require('ccxt');

const url = process.env.SPOT_URL;
const ex = new ccxt.binance({
  apiKey: process.env.SPOT_KEY,
  secret: process.env.SPOT_SECRET,
  enableRateLimit: false,
  urls: { api: { public: url + '/api/v3', private: url + '/api/v3' } },
  options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
});

async function main() {
  await ex.loadMarkets();
  await ex.createOrder('BTC/USDT', 'limit', 'buy', 1, 10);
  await ex.createOrder('BTC/USDT', 'limit', 'buy', 1, 10);
  try {
    await ex.createOrder('BTC/USDT', 'limit', 'buy', 1, 10);
  } catch (e) {
    if (e instanceof ccxt.DDoSProtection) {
      console.log('ok RateLimitExceeded (' + e.constructor.name + ')');
      return;
    }
    throw e;
  }
  throw new Error('the third order was not rate limited');
}

main().then(() => process.exit(0), (e) => {
  console.error('FAIL ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
