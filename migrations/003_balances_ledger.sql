-- Money: every account's balances and the ledger of every change to them, projected
-- from the journal like orders and trades (the replica engine reports each change as
-- it replays the record that made it), and each side's fee on every trade.
--
-- Amounts are NUMERIC in the asset's own units (smallest unit 10^-decimals of the
-- asset's configured decimals). Account 0 is the fee account.

CREATE TABLE balances (
  account_id  BIGINT NOT NULL,
  asset       TEXT NOT NULL,
  free        NUMERIC NOT NULL CHECK (free >= 0),
  locked      NUMERIC NOT NULL CHECK (locked >= 0),
  journal_seq BIGINT NOT NULL,              -- the journal record that last changed the row
  updated_at  TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (account_id, asset)
);

-- Append only. (journal_seq, n): the record that made the change and its place among
-- that record's changes, so that projecting a record again writes nothing twice. For
-- every (account_id, asset) the sum of delta_free (delta_locked) is the balances row's
-- free (locked).
CREATE TABLE ledger (
  journal_seq    BIGINT NOT NULL,
  n              INTEGER NOT NULL CHECK (n >= 0),
  account_id     BIGINT NOT NULL,
  asset          TEXT NOT NULL,
  delta_free     NUMERIC NOT NULL,
  delta_locked   NUMERIC NOT NULL,
  cause          TEXT NOT NULL CHECK (cause IN ('DEPOSIT', 'WITHDRAWAL', 'LOCK', 'RELEASE',
                                                'TRADE_DEBIT', 'TRADE_CREDIT', 'FEE')),
  order_id       BIGINT NOT NULL DEFAULT 0,  -- 0: none (a transfer)
  trade_id       BIGINT NOT NULL DEFAULT 0,  -- 0: none
  reference      TEXT,                       -- a deposit's or withdrawal's reference
  correlation_id TEXT,
  created_at     TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (journal_seq, n)
);
-- An account's ledger, newest first, of one asset or of all (GET
-- /admin/v1/accounts/{id}/ledger); journal order is time order.
CREATE INDEX ledger_account_asset_seq ON ledger (account_id, asset, journal_seq, n);
CREATE INDEX ledger_account_seq ON ledger (account_id, journal_seq, n);

-- The fee each side paid, in the asset it received (the buyer: the base asset, the
-- seller: the quote asset). Trades projected before this migration show 0.
ALTER TABLE trades ADD COLUMN maker_fee NUMERIC NOT NULL DEFAULT 0 CHECK (maker_fee >= 0),
                   ADD COLUMN taker_fee NUMERIC NOT NULL DEFAULT 0 CHECK (taker_fee >= 0);

-- A record that moved money but wrote no order or account row (a deposit, a
-- withdrawal) is a dead letter of the account whose balance it changed.
ALTER TABLE dead_letters DROP CONSTRAINT dead_letters_entity_check,
  ADD CONSTRAINT dead_letters_entity_check
  CHECK (entity IN ('order', 'trade', 'account', 'balance'));
