package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smartradex/smartradex/internal/server/store"
)

var _ store.Store = (*Store)(nil)

// querier is what a transaction and the pool have in common.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func normEmail(email string) string { return strings.ToLower(email) }

func (s *Store) Bots(ctx context.Context) ([]store.Bot, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, label FROM bots ORDER BY id`)
	if err != nil {
		return nil, s.fail(err)
	}
	defer closeRows(rows)
	var out []store.Bot
	for rows.Next() {
		var b store.Bot
		if err := rows.Scan(&b.ID, &b.Name, &b.Label); err != nil {
			return nil, s.fail(err)
		}
		out = append(out, b)
	}
	return out, s.fail(rows.Err())
}

func (s *Store) AddSubscriber(ctx context.Context, email string, now time.Time, audit ...store.AuditEvent) (store.Subscriber, error) {
	sub := store.Subscriber{Email: normEmail(email), CreatedAt: Micro(now)}
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO subscribers (email, created_at) VALUES (?, ?) ON CONFLICT (email) DO NOTHING RETURNING id`),
			sub.Email, s.t(now)).Scan(&sub.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("subscriber %s: %w", sub.Email, store.ErrExists)
		}
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, store.AuditEvent{SubscriberID: sub.ID}, audit)
	})
	if err != nil {
		return store.Subscriber{}, err
	}
	return sub, nil
}

func (s *Store) subscriber(ctx context.Context, q querier, email string) (store.Subscriber, error) {
	var sub store.Subscriber
	var created dbTime
	err := q.QueryRowContext(ctx, s.q(`SELECT id, email, created_at FROM subscribers WHERE email = ?`), normEmail(email)).
		Scan(&sub.ID, &sub.Email, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return sub, fmt.Errorf("subscriber %s: %w", normEmail(email), store.ErrNotFound)
	}
	sub.CreatedAt = created.T
	return sub, err
}

func (s *Store) Subscriber(ctx context.Context, email string) (store.Subscriber, error) {
	sub, err := s.subscriber(ctx, s.db, email)
	return sub, s.fail(err)
}

// subscribedBots returns the bots of one subscriber, or of everyone (id 0).
func (s *Store) subscribedBots(ctx context.Context, q querier, subscriberID int64) (map[int64][]string, error) {
	query, args := `SELECT subscriber_id, bot FROM subscriptions ORDER BY subscriber_id, bot`, []any(nil)
	if subscriberID != 0 {
		query, args = `SELECT subscriber_id, bot FROM subscriptions WHERE subscriber_id = ? ORDER BY bot`, []any{subscriberID}
	}
	rows, err := q.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer closeRows(rows)
	out := map[int64][]string{}
	for rows.Next() {
		var id int64
		var bot string
		if err := rows.Scan(&id, &bot); err != nil {
			return nil, err
		}
		out[id] = append(out[id], bot)
	}
	return out, rows.Err()
}

func (s *Store) Subscribers(ctx context.Context) ([]store.Principal, error) {
	var out []store.Principal
	err := s.read(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT id, email, created_at FROM subscribers ORDER BY email`)
		if err != nil {
			return err
		}
		defer closeRows(rows)
		for rows.Next() {
			var p store.Principal
			var created dbTime
			if err := rows.Scan(&p.Subscriber.ID, &p.Subscriber.Email, &created); err != nil {
				return err
			}
			p.Subscriber.CreatedAt = created.T
			out = append(out, p)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		closeRows(rows)
		bots, err := s.subscribedBots(ctx, tx, 0)
		if err != nil {
			return err
		}
		for i := range out {
			out[i].Bots = bots[out[i].Subscriber.ID]
		}
		return nil
	})
	return out, err
}

func (s *Store) botExists(ctx context.Context, q querier, bot string) error {
	var one int
	err := q.QueryRowContext(ctx, s.q(`SELECT 1 FROM bots WHERE id = ?`), bot).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("bot %s: %w", bot, store.ErrNotFound)
	}
	return err
}

func (s *Store) Subscribe(ctx context.Context, email, bot string, audit ...store.AuditEvent) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		sub, err := s.subscriber(ctx, tx, email)
		if err != nil {
			return err
		}
		if err := s.botExists(ctx, tx, bot); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO subscriptions (subscriber_id, bot) VALUES (?, ?) ON CONFLICT DO NOTHING`), sub.ID, bot); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, store.AuditEvent{SubscriberID: sub.ID}, audit)
	})
}

func (s *Store) Unsubscribe(ctx context.Context, email, bot string, audit ...store.AuditEvent) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		sub, err := s.subscriber(ctx, tx, email)
		if err != nil {
			return err
		}
		if err := s.botExists(ctx, tx, bot); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM subscriptions WHERE subscriber_id = ? AND bot = ?`), sub.ID, bot); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, store.AuditEvent{SubscriberID: sub.ID}, audit)
	})
}

func (s *Store) AddToken(ctx context.Context, email string, tokenHash []byte, now time.Time, audit ...store.AuditEvent) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		sub, err := s.subscriber(ctx, tx, email)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO tokens (subscriber_id, token_sha256, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`),
			sub.ID, tokenHash, s.t(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fmt.Errorf("token: %w", store.ErrExists))
		}
		return s.appendAudit(ctx, tx, store.AuditEvent{SubscriberID: sub.ID}, audit)
	})
}

func (s *Store) RevokeTokens(ctx context.Context, email string, now time.Time, audit ...store.AuditEvent) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		sub, err := s.subscriber(ctx, tx, email)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE tokens SET revoked_at = ? WHERE subscriber_id = ? AND revoked_at IS NULL`), s.t(now), sub.ID)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, store.AuditEvent{SubscriberID: sub.ID}, audit)
	})
	return int(n), err
}

func (s *Store) Authenticate(ctx context.Context, tokenHash []byte) (store.Principal, error) {
	var p store.Principal
	err := s.read(ctx, func(tx *sql.Tx) error {
		var created dbTime
		err := tx.QueryRowContext(ctx, s.q(`SELECT t.id, s.id, s.email, s.created_at FROM tokens t JOIN subscribers s ON s.id = t.subscriber_id
			WHERE t.token_sha256 = ? AND t.revoked_at IS NULL`), tokenHash).
			Scan(&p.TokenID, &p.Subscriber.ID, &p.Subscriber.Email, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("token: %w", store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		p.Subscriber.CreatedAt = created.T
		bots, err := s.subscribedBots(ctx, tx, p.Subscriber.ID)
		p.Bots = bots[p.Subscriber.ID]
		return err
	})
	if err != nil {
		return store.Principal{}, err
	}
	return p, nil
}

func (s *Store) AddEngineToken(ctx context.Context, name string, tokenHash []byte, now time.Time, audit ...store.AuditEvent) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO engine_tokens (name, token_sha256, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`),
			name, tokenHash, s.t(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fmt.Errorf("engine %s: %w", name, store.ErrExists))
		}
		return s.appendAudit(ctx, tx, store.AuditEvent{}, audit)
	})
}

func (s *Store) AuthenticateEngine(ctx context.Context, tokenHash []byte) (string, error) {
	var name string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT name FROM engine_tokens WHERE token_sha256 = ?`), tokenHash).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("engine token: %w", store.ErrNotFound)
	}
	return name, s.fail(err)
}

const keyColumns = `k.subscriber_id, s.email, k.bot, k.api_key, k.key_type, k.label, k.sealed_secret, k.vault_key_id, k.registered_at,
	k.last_check_at, k.last_check_seen_from, k.last_check_outcome, k.last_check_binance_code, k.last_check_restrictions, k.last_check_uid`

const keyFrom = ` FROM keys k JOIN subscribers s ON s.id = k.subscriber_id `

type scanner interface{ Scan(dest ...any) error }

func scanKey(r scanner) (store.Key, error) {
	var k store.Key
	var registered, checkAt dbTime
	var seenFrom, outcome sql.NullString
	var code, uid sql.NullInt64
	var restrictions []byte
	err := r.Scan(&k.SubscriberID, &k.Email, &k.Bot, &k.APIKey, &k.KeyType, &k.Label, &k.SealedSecret, &k.VaultKeyID, &registered,
		&checkAt, &seenFrom, &outcome, &code, &restrictions, &uid)
	if err != nil {
		return k, err
	}
	k.RegisteredAt = registered.T
	if checkAt.Valid {
		k.LastCheck = &store.Check{
			At:           checkAt.T,
			SeenFrom:     seenFrom.String,
			Outcome:      outcome.String,
			BinanceCode:  int(code.Int64),
			Restrictions: restrictions,
			UID:          uid.Int64,
		}
	}
	return k, nil
}

func (s *Store) getKey(ctx context.Context, q querier, subscriberID int64, bot string) (store.Key, error) {
	k, err := scanKey(q.QueryRowContext(ctx, s.q(`SELECT `+keyColumns+keyFrom+`WHERE k.subscriber_id = ? AND k.bot = ?`), subscriberID, bot))
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("key of bot %s: %w", bot, store.ErrNotFound)
	}
	return k, err
}

func (s *Store) listKeys(ctx context.Context, where string, args ...any) ([]store.Key, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+keyColumns+keyFrom+where+` ORDER BY k.subscriber_id, k.bot`), args...)
	if err != nil {
		return nil, s.fail(err)
	}
	defer closeRows(rows)
	var out []store.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, s.fail(err)
		}
		out = append(out, k)
	}
	return out, s.fail(rows.Err())
}

func (s *Store) GetKey(ctx context.Context, subscriberID int64, bot string) (store.Key, error) {
	k, err := s.getKey(ctx, s.db, subscriberID, bot)
	if err != nil {
		return store.Key{}, s.fail(err)
	}
	return k, nil
}

func (s *Store) ListKeys(ctx context.Context, subscriberID int64) ([]store.Key, error) {
	return s.listKeys(ctx, `WHERE k.subscriber_id = ?`, subscriberID)
}

func (s *Store) ActiveKeys(ctx context.Context, bot string) ([]store.Key, error) {
	if bot == "" {
		return s.listKeys(ctx, "")
	}
	return s.listKeys(ctx, `WHERE k.bot = ?`, bot)
}

// PutKey decides by reading, then writes only what it read: the old key is
// deleted by its api_key and the new one inserted with ON CONFLICT DO
// NOTHING, so that a transaction that raced another one (on PostgreSQL,
// READ COMMITTED: each statement sees the latest commits) changes no row it
// did not decide on and is run again (errRaced) to decide anew. Only the
// rows of this api_key and this (subscriber, bot) are ever contended.
func (s *Store) PutKey(ctx context.Context, k store.Key, audit ...store.AuditEvent) (store.PutResult, error) {
	var res store.PutResult
	if k.RegisteredAt.IsZero() {
		k.RegisteredAt = time.Now()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		res = store.PutResult{}
		// The same api_key anywhere decides first: here, a no-op; elsewhere,
		// a refusal that changes nothing.
		held, err := scanKey(tx.QueryRowContext(ctx, s.q(`SELECT `+keyColumns+keyFrom+`WHERE k.api_key = ?`), k.APIKey))
		switch {
		case err == nil && held.SubscriberID == k.SubscriberID && held.Bot == k.Bot:
			res.Key = held
			return nil
		case err == nil:
			return store.ErrKeyInUse
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var email string
		err = tx.QueryRowContext(ctx, s.q(`SELECT email FROM subscribers WHERE id = ?`), k.SubscriberID).Scan(&email)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("subscriber %d: %w", k.SubscriberID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := s.botExists(ctx, tx, k.Bot); err != nil {
			return err
		}
		old, err := s.getKey(ctx, tx, k.SubscriberID, k.Bot)
		switch {
		case err == nil && old.APIKey == k.APIKey:
			// Registered by a racing PutKey that committed since the
			// first read (READ COMMITTED): the same no-op, read later.
			res.Key = old
			return nil
		case err == nil:
			res.Replaced = &old
			if err := s.deleteKey(ctx, tx, old); err != nil {
				return err
			}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		// Any unique conflict (this api_key or this bot's row, inserted by a
		// transaction that committed since the reads above) means a race.
		r, err := tx.ExecContext(ctx, s.q(`INSERT INTO keys (subscriber_id, bot, api_key, key_type, label, sealed_secret, vault_key_id, registered_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			k.SubscriberID, k.Bot, k.APIKey, k.KeyType, k.Label, k.SealedSecret, k.VaultKeyID, s.t(k.RegisteredAt))
		if err := changedOne(r, err); err != nil {
			return err
		}
		res.Key = store.Key{
			SubscriberID: k.SubscriberID, Email: email, Bot: k.Bot, APIKey: k.APIKey, KeyType: k.KeyType, Label: k.Label,
			SealedSecret: append([]byte(nil), k.SealedSecret...), VaultKeyID: k.VaultKeyID, RegisteredAt: Micro(k.RegisteredAt),
		}
		res.Created = true
		return s.appendAudit(ctx, tx, store.AuditEvent{SubscriberID: k.SubscriberID, Action: store.PutAction(res), APIKey: store.MaskAPIKey(k.APIKey)}, audit)
	})
	if err != nil {
		return store.PutResult{}, err
	}
	return res, nil
}

// deleteKey deletes the row of k if it still holds k.APIKey; errRaced if
// another transaction changed or removed it since it was read.
func (s *Store) deleteKey(ctx context.Context, tx *sql.Tx, k store.Key) error {
	r, err := tx.ExecContext(ctx, s.q(`DELETE FROM keys WHERE subscriber_id = ? AND bot = ? AND api_key = ?`), k.SubscriberID, k.Bot, k.APIKey)
	return changedOne(r, err)
}

// changedOne is errRaced when a statement that had to change one row changed
// none.
func changedOne(r sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return errRaced
	}
	return nil
}

func (s *Store) DeleteKey(ctx context.Context, subscriberID int64, bot string, audit ...store.AuditEvent) (store.Key, error) {
	var k store.Key
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if k, err = s.getKey(ctx, tx, subscriberID, bot); err != nil {
			return err
		}
		if err := s.deleteKey(ctx, tx, k); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, store.AuditEvent{SubscriberID: subscriberID, APIKey: store.MaskAPIKey(k.APIKey)}, audit)
	})
	if err != nil {
		return store.Key{}, err
	}
	return k, nil
}

func (s *Store) RecordCheck(ctx context.Context, subscriberID int64, bot, apiKey string, c store.Check) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		// No row changed is not an error: the key was replaced or removed
		// while it was being checked, and this outcome is about no key.
		_, err := tx.ExecContext(ctx, s.q(`UPDATE keys SET last_check_at = ?, last_check_seen_from = ?, last_check_outcome = ?,
			last_check_binance_code = ?, last_check_restrictions = ?, last_check_uid = ?
			WHERE subscriber_id = ? AND bot = ? AND api_key = ?`),
			s.t(c.At), c.SeenFrom, c.Outcome, c.BinanceCode, c.Restrictions, c.UID, subscriberID, bot, apiKey)
		return err
	})
}

func (s *Store) ResealKey(ctx context.Context, k store.Key, sealed []byte, vaultKeyID string, audit ...store.AuditEvent) (bool, error) {
	var changed bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		// One statement compares and swaps: a PUT, a DELETE or another
		// reseal that committed first leaves no row to change.
		r, err := tx.ExecContext(ctx, s.q(`UPDATE keys SET sealed_secret = ?, vault_key_id = ?
			WHERE subscriber_id = ? AND bot = ? AND api_key = ? AND key_type = ? AND vault_key_id = ? AND sealed_secret = ?`),
			sealed, vaultKeyID, k.SubscriberID, k.Bot, k.APIKey, k.KeyType, k.VaultKeyID, k.SealedSecret)
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return err
		}
		if changed = n == 1; !changed {
			return nil
		}
		return s.appendAudit(ctx, tx, store.AuditEvent{SubscriberID: k.SubscriberID, Action: store.ActionKeyReseal,
			APIKey: store.MaskAPIKey(k.APIKey)}, audit)
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}

func (s *Store) VaultKeyCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT vault_key_id, COUNT(*) FROM keys GROUP BY vault_key_id`)
	if err != nil {
		return nil, s.fail(err)
	}
	defer closeRows(rows)
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, s.fail(err)
		}
		out[id] = n
	}
	return out, s.fail(rows.Err())
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Store) Audit(ctx context.Context, e store.AuditEvent) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		return s.appendAudit(ctx, tx, store.AuditEvent{}, []store.AuditEvent{e})
	})
}

// appendAudit writes the events of a change in its transaction, completed
// with the change's defaults (store.AuditEvent.Defaults).
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, d store.AuditEvent, events []store.AuditEvent) error {
	for _, e := range events {
		e = e.Defaults(d)
		var sub any
		if e.SubscriberID != 0 {
			sub = e.SubscriberID
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit (at, actor, action, subscriber_id, bot, api_key, remote_addr) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			s.t(e.At), e.Actor, e.Action, sub, nullable(e.Bot), nullable(e.APIKey), nullable(e.RemoteAddr)); err != nil {
			return err
		}
	}
	return nil
}

// AuditLog returns the latest limit events (all with 0), oldest first.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]store.AuditEvent, error) {
	query := `SELECT id, at, actor, action, subscriber_id, bot, api_key, remote_addr FROM audit ORDER BY id DESC`
	var args []any
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, s.fail(err)
	}
	defer closeRows(rows)
	var out []store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		var id int64
		var at dbTime
		var sub sql.NullInt64
		var bot, apiKey, remote sql.NullString
		if err := rows.Scan(&id, &at, &e.Actor, &e.Action, &sub, &bot, &apiKey, &remote); err != nil {
			return nil, s.fail(err)
		}
		e.At, e.SubscriberID, e.Bot, e.APIKey, e.RemoteAddr = at.T, sub.Int64, bot.String, apiKey.String, remote.String
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
