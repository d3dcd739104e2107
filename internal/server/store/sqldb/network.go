package sqldb

import (
	"context"
	"database/sql"
	"strings"

	"github.com/smartradex/smartradex/internal/server/store"
)

func (s *Store) AnnounceNetworkChange(ctx context.Context, c store.NetworkChange, audit ...store.AuditEvent) (store.NetworkChange, error) {
	c.EffectiveAt, c.AnnouncedAt = Micro(c.EffectiveAt), Micro(c.AnnouncedAt)
	c.Add, c.Remove = nonNil(c.Add), nonNil(c.Remove)
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO network_changes (add_ips, remove_ips, effective_at, announced_at)
			VALUES (?, ?, ?, ?) RETURNING id`),
			strings.Join(c.Add, ","), strings.Join(c.Remove, ","), s.t(c.EffectiveAt), s.t(c.AnnouncedAt)).Scan(&c.ID)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, store.AuditEvent{}, audit)
	})
	if err != nil {
		return store.NetworkChange{}, err
	}
	return c, nil
}

func (s *Store) NetworkChanges(ctx context.Context) ([]store.NetworkChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, add_ips, remove_ips, effective_at, announced_at FROM network_changes ORDER BY effective_at, id`)
	if err != nil {
		return nil, s.fail(err)
	}
	defer closeRows(rows)
	out := []store.NetworkChange{}
	for rows.Next() {
		var c store.NetworkChange
		var add, remove string
		var eff, ann dbTime
		if err := rows.Scan(&c.ID, &add, &remove, &eff, &ann); err != nil {
			return nil, s.fail(err)
		}
		c.Add, c.Remove, c.EffectiveAt, c.AnnouncedAt = splitList(add), splitList(remove), eff.T, ann.T
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err)
	}
	return out, nil
}

func (s *Store) WithdrawNetworkChange(ctx context.Context, id int64, audit ...store.AuditEvent) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM network_changes WHERE id = ?`), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		return s.appendAudit(ctx, tx, store.AuditEvent{}, audit)
	})
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
