-- The first schema of smartradexd (SQLite). pgstore/migrations/0001_init.sql
-- is the same schema in PostgreSQL's types; change both together.
-- Times are UTC text, 2006-01-02T15:04:05.000000Z: fixed width, so that
-- text order is time order. No column ever holds a secret in clear.

CREATE TABLE subscribers (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    email      TEXT NOT NULL UNIQUE, -- lower-case
    created_at TEXT NOT NULL
);

-- Subscriber access tokens, by their SHA-256 only.
CREATE TABLE tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    token_sha256  BLOB NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
);
CREATE INDEX tokens_subscriber ON tokens (subscriber_id);

-- Trading engine tokens, by their SHA-256 only.
CREATE TABLE engine_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL UNIQUE,
    token_sha256 BLOB NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    created_at   TEXT NOT NULL
);

-- The bot catalogue; Migrate seeds it from internal/bots.
CREATE TABLE bots (
    id    TEXT PRIMARY KEY,
    name  TEXT NOT NULL,
    label TEXT NOT NULL
);

CREATE TABLE subscriptions (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    bot           TEXT NOT NULL REFERENCES bots (id),
    PRIMARY KEY (subscriber_id, bot)
);

-- One Binance key per (subscriber, bot); an api_key belongs to one of them.
-- The secret is HPKE-sealed to the vault key vault_key_id (internal/seal):
-- without the vault private key, which is not in the database, it is noise.
CREATE TABLE keys (
    subscriber_id           INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    bot                     TEXT NOT NULL REFERENCES bots (id),
    api_key                 TEXT NOT NULL UNIQUE,
    key_type                TEXT NOT NULL,
    label                   TEXT NOT NULL,
    sealed_secret           BLOB NOT NULL,
    vault_key_id            TEXT NOT NULL,
    registered_at           TEXT NOT NULL,
    last_check_at           TEXT,
    last_check_seen_from    TEXT,
    last_check_outcome      TEXT,
    last_check_binance_code INTEGER,
    last_check_restrictions BLOB, -- Binance's apiRestrictions JSON, as read
    last_check_uid          INTEGER,
    PRIMARY KEY (subscriber_id, bot)
);
CREATE INDEX keys_bot ON keys (bot);

-- Who did what to which key, when, from where. Never a secret or a token;
-- api_key is masked by the caller. No foreign key: the trail outlives rows.
CREATE TABLE audit (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    subscriber_id INTEGER,
    bot           TEXT,
    api_key       TEXT,
    remote_addr   TEXT
);
