-- Announced changes of the addresses SmartradeX calls Binance from
-- (GET /v1/network's "changes"), kept in the database so that every
-- replica publishes the same list. Addresses are comma-separated canonical
-- text (at most 30 each: Binance's limit per key).
CREATE TABLE network_changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    add_ips      TEXT NOT NULL,
    remove_ips   TEXT NOT NULL,
    effective_at TEXT NOT NULL,
    announced_at TEXT NOT NULL
);
