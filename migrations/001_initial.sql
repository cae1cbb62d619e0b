-- The projection of the journal: accounts, orders and trades as the engine executed
-- them, and the journal sequence number the projection has reached. The journal stays
-- the source of truth; every row here can be rebuilt from it.
--
-- Prices and quantities are NUMERIC in the symbol's own units (ticks x tick size,
-- lots x lot size). Ids are the engine's. Times are when the matching thread executed
-- the command that wrote the row (stamped in its journal record).

CREATE TABLE accounts (
  account_id     BIGINT PRIMARY KEY,
  name           TEXT NOT NULL,
  key_hash       TEXT NOT NULL,            -- hex SHA-256 of the API key, never the key
  correlation_id TEXT,
  created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE orders (
  order_id        BIGINT PRIMARY KEY,
  account_id      BIGINT NOT NULL,
  symbol          TEXT NOT NULL,
  side            TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
  type            TEXT NOT NULL CHECK (type IN ('LIMIT', 'MARKET')),
  time_in_force   TEXT NOT NULL CHECK (time_in_force IN ('GTC', 'IOC', 'FOK')),
  price           NUMERIC,                 -- NULL for MARKET
  quantity        NUMERIC NOT NULL CHECK (quantity > 0),
  executed_qty    NUMERIC NOT NULL CHECK (executed_qty >= 0 AND executed_qty <= quantity),
  status          TEXT NOT NULL
                  CHECK (status IN ('NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED')),
  client_order_id TEXT,                    -- NULL when the client gave none
  correlation_id  TEXT,
  journal_seq     BIGINT NOT NULL,         -- the journal record that last changed the row
  created_at      TIMESTAMPTZ NOT NULL,
  updated_at      TIMESTAMPTZ NOT NULL
);
-- A trader's open orders, and orders by state (openOrders, back office).
CREATE INDEX orders_account_status ON orders (account_id, status);
-- Lookup by the client's own id; the engine refuses a duplicate while it remembers the
-- first order, and the database keeps that promise for ever.
CREATE UNIQUE INDEX orders_account_client_order_id ON orders (account_id, client_order_id)
  WHERE client_order_id IS NOT NULL;
-- A symbol's orders over time (allOrders, reporting).
CREATE INDEX orders_symbol_created ON orders (symbol, created_at);
-- A trader's orders over time (allOrders for one account).
CREATE INDEX orders_account_created ON orders (account_id, created_at);

CREATE TABLE trades (
  trade_id         BIGINT PRIMARY KEY,
  symbol           TEXT NOT NULL,
  price            NUMERIC NOT NULL,
  qty              NUMERIC NOT NULL CHECK (qty > 0),
  maker_order_id   BIGINT NOT NULL,
  maker_account_id BIGINT NOT NULL,
  taker_order_id   BIGINT NOT NULL,
  taker_account_id BIGINT NOT NULL,
  taker_side       TEXT NOT NULL CHECK (taker_side IN ('BUY', 'SELL')),
  correlation_id   TEXT,                   -- of the taker's request
  journal_seq      BIGINT NOT NULL,
  executed_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX trades_symbol_executed ON trades (symbol, executed_at);
CREATE INDEX trades_maker_order ON trades (maker_order_id);
CREATE INDEX trades_taker_order ON trades (taker_order_id);
-- A trader's trades (myTrades): either side of the trade.
CREATE INDEX trades_maker_account ON trades (maker_account_id, trade_id);
CREATE INDEX trades_taker_account ON trades (taker_account_id, trade_id);

-- One row: the last journal record whose rows are committed. Written in the same
-- transaction as those rows.
CREATE TABLE projector_checkpoint (
  id         SMALLINT PRIMARY KEY CHECK (id = 1),
  last_seq   BIGINT NOT NULL CHECK (last_seq >= 0),
  updated_at TIMESTAMPTZ NOT NULL
);
INSERT INTO projector_checkpoint (id, last_seq, updated_at) VALUES (1, 0, now());
