package sqlcore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one schema migration file NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the files NNNN_name.sql of dir in fsys, in version
// order; a badly named file or a repeated version is an error.
func Migrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration file %q is not named NNNN_name.sql", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %q and %q have the same version", other, name)
		}
		seen[v] = name
		b, err := fs.ReadFile(fsys, dir+"/"+name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// MigrateOptions say how a backend runs migrations.
type MigrateOptions struct {
	Name string // error prefix ("sqlite", "postgres")
	// Lock, when set, runs first in each migration's transaction so that
	// processes starting together apply each migration once (Postgres'
	// advisory lock); SQLite's immediate transactions serialize already.
	Lock string
	// Placeholder is the n-th (1-based) query parameter: "?" or "$n".
	Placeholder func(n int) string
}

// Migrate applies every migration of ms not yet recorded in
// schema_migrations, each in its own transaction. A database migrated by a
// newer binary (a version above the last of ms) is refused.
func Migrate(ctx context.Context, db *sql.DB, o MigrateOptions, ms []Migration) error {
	if len(ms) == 0 {
		return nil
	}
	for _, m := range ms {
		if err := applyMigration(ctx, db, o, m, ms[len(ms)-1].Version); err != nil {
			return fmt.Errorf("%s: migration %s: %w", o.Name, m.Name, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, o MigrateOptions, m Migration, known int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if o.Lock != "" {
		if _, err := tx.ExecContext(ctx, o.Lock); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if newest.Valid && int(newest.Int64) > known {
		return fmt.Errorf("the database has schema version %d, newer than this binary's %d", newest.Int64, known)
	}
	p := o.Placeholder
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = `+p(1), m.Version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (`+
		p(1)+`, `+p(2)+`, `+p(3)+`)`, m.Version, m.Name, time.Now().UnixNano()); err != nil {
		return err
	}
	return tx.Commit()
}
