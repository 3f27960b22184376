package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/agentgate/agentgate/storage/internal/sqlcore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations lists the embedded migration files in version order.
func migrations() ([]sqlcore.Migration, error) {
	ms, err := sqlcore.Migrations(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return ms, nil
}

// migrate applies the embedded migrations (sqlcore.Migrate), each in its
// own immediate transaction, so two processes opening the same file apply
// each one once.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return sqlcore.Migrate(ctx, db, sqlcore.MigrateOptions{Name: "sqlite",
		Placeholder: func(int) string { return "?" }}, ms)
}
