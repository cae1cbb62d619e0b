-- The dead-letter queue: journal records PostgreSQL refused for a reason retrying cannot
-- fix (SQLSTATE classes 22 and 23), with the rows the projector tried to write, so that
-- an operator can see why, fix the cause and replay them (docs/runbook-dlq.md). The
-- journal keeps every record; a dead letter is only the part of the projection that
-- is missing from the tables.
CREATE TABLE dead_letters (
  id               BIGSERIAL PRIMARY KEY,
  correlation_id   TEXT,                     -- of the request that made the record
  -- entity, entity id and journal record: one dead letter per entity and record, however
  -- often the projector or a restart tries to write it.
  idempotency_key  TEXT NOT NULL,
  journal_seq      BIGINT NOT NULL,          -- the record; replay goes in this order
  entity           TEXT NOT NULL CHECK (entity IN ('order', 'trade', 'account')),
  entity_id        BIGINT NOT NULL,
  payload          JSONB NOT NULL,           -- the rows the projector tried to write
  error_class      TEXT NOT NULL,            -- SQLSTATE class ("23"), or "parked"
  sqlstate         TEXT NOT NULL,
  message          TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  first_failed_at  TIMESTAMPTZ NOT NULL,
  last_failed_at   TIMESTAMPTZ NOT NULL,
  status           TEXT NOT NULL DEFAULT 'PENDING'
                   CHECK (status IN ('PENDING', 'REPLAYING', 'RESOLVED', 'DISCARDED')),
  replay_count     INTEGER NOT NULL DEFAULT 0 CHECK (replay_count >= 0),
  last_replayed_at TIMESTAMPTZ,
  last_replayed_by TEXT,
  note             TEXT,                     -- the reason given when it was discarded
  -- Every action on the entry, oldest first: {"action","by","at","result","detail"}.
  actions          JSONB NOT NULL DEFAULT '[]'::jsonb,
  CONSTRAINT dead_letters_idempotency_key UNIQUE (idempotency_key)
);
-- The admin list: entries in a state, oldest failure first.
CREATE INDEX dead_letters_status_failed ON dead_letters (status, first_failed_at);
-- Everything set aside for one order or account (parking, and the admin filter).
CREATE INDEX dead_letters_entity ON dead_letters (entity, entity_id);
