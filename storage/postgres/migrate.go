package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strconv"

	"github.com/agentgate/agentgate/storage/internal/sqlcore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations lists the embedded migration files in version order.
func migrations() ([]sqlcore.Migration, error) {
	ms, err := sqlcore.Migrations(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return ms, nil
}

// migrateLock is the advisory lock key a migration's transaction takes.
const migrateLock = 0x6167656e74 // "agent"

// migrate applies the embedded migrations (sqlcore.Migrate), each in its
// own transaction holding the migration lock, so processes starting
// together apply each one once.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return sqlcore.Migrate(ctx, db, sqlcore.MigrateOptions{Name: "postgres",
		Lock:        "SELECT pg_advisory_xact_lock(" + strconv.FormatInt(int64(migrateLock), 10) + ")",
		Placeholder: func(n int) string { return "$" + strconv.Itoa(n) }}, ms)
}
