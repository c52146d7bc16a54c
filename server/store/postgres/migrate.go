package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNewerSchema is returned by Open for a database written by a newer
// version of the program, whose schema this one does not know.
var ErrNewerSchema = errors.New("postgres: database schema is newer than this program supports")

// migrations are the steps of the schema, in order; opentid_schema counts
// the steps applied. Append new steps; never edit or reorder the
// published ones.
var migrations = []string{
	// 1: tenants, entities and their query indexes.
	//
	// Every text compared or sorted uses the "C" collation: byte order,
	// as the query languages define it, whatever the database's locale.
	//
	// entities.pk is the creation order: a replacement keeps the row. The
	// entity is kept as JSON text (json, not jsonb: its numbers and
	// strings come back exactly as written).
	//
	// Names (entity types, attribute names) are indexed by their 64-bit
	// hash (nh: FNV-1a, computed in Go) and strings by
	// their first 512 characters, so that index keys stay within
	// PostgreSQL's bounds whatever the length of the text; the conditions
	// compare the hash or prefix, then the text itself.
	//
	// The index tables have no foreign key and no unique constraint: Put
	// rewrites an entity's rows in one statement (a delete and an insert
	// that do not see each other) and Delete removes them explicitly.
	//
	// attr_values holds the comparable values of the top-level
	// attributes (sqlindex.ValueRows): num for numbers, booleans and the
	// instants of date-time strings, str for strings; it is a prefilter
	// for q. geo_boxes holds the bounding box of every GeoProperty
	// instance under a GiST index, with whether its value is a valid
	// geometry; entity_scopes the scopes.
	`
CREATE TABLE tenants (
	tid  serial PRIMARY KEY,
	name text COLLATE "C" NOT NULL UNIQUE
);
INSERT INTO tenants (tid, name) VALUES (1, '');
SELECT setval(pg_get_serial_sequence('tenants', 'tid'), 1);

CREATE TABLE entities (
	pk          bigserial PRIMARY KEY,
	tid         integer NOT NULL REFERENCES tenants (tid),
	id          text COLLATE "C" NOT NULL,
	data        json NOT NULL,
	created_at  bigint NOT NULL,
	modified_at bigint NOT NULL,
	UNIQUE (tid, id)
);

CREATE TABLE entity_types (
	tid  integer NOT NULL,
	type text COLLATE "C" NOT NULL,
	nh   bigint NOT NULL,
	pk   bigint NOT NULL
);
CREATE INDEX entity_types_by_type ON entity_types (tid, nh, pk);
CREATE INDEX entity_types_by_entity ON entity_types (pk);

CREATE TABLE entity_attrs (
	tid       integer NOT NULL,
	name      text COLLATE "C" NOT NULL,
	nh        bigint NOT NULL,
	pk        bigint NOT NULL,
	attr_type text COLLATE "C" NOT NULL
);
CREATE INDEX entity_attrs_by_name ON entity_attrs (tid, nh, pk);
CREATE INDEX entity_attrs_by_entity ON entity_attrs (pk);

CREATE TABLE attr_values (
	pk   bigint NOT NULL,
	tid  integer NOT NULL,
	name text COLLATE "C" NOT NULL,
	nh   bigint NOT NULL,
	num  double precision,
	str  text COLLATE "C"
);
CREATE INDEX attr_values_by_num ON attr_values (tid, nh, num) WHERE num IS NOT NULL;
CREATE INDEX attr_values_by_str ON attr_values (tid, nh, left(str, 512)) WHERE str IS NOT NULL;
CREATE INDEX attr_values_by_entity ON attr_values (pk);

CREATE TABLE geo_boxes (
	pk    bigint NOT NULL,
	tid   integer NOT NULL,
	name  text COLLATE "C" NOT NULL,
	box   box NOT NULL,
	valid boolean NOT NULL
);
CREATE INDEX geo_boxes_by_box ON geo_boxes USING gist (box);
CREATE INDEX geo_boxes_by_entity ON geo_boxes (pk);

CREATE TABLE entity_scopes (
	tid   integer NOT NULL,
	scope text COLLATE "C" NOT NULL,
	pk    bigint NOT NULL
);
CREATE INDEX entity_scopes_by_scope ON entity_scopes (tid, left(scope, 512), pk);
CREATE INDEX entity_scopes_by_entity ON entity_scopes (pk);
`,
	// 2: attribute histories (temporal.go).
	temporalSchema,
	// 3: subscriptions and the notification outbox (subscriptions.go).
	subscriptionsSchema,
}

// migrate brings the schema up to date in one transaction, under an
// advisory lock of the schema so that processes starting together
// migrate once.
func migrate(ctx context.Context, pool *pgxpool.Pool) (err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('opentid migrate ' || current_schema(), 0))`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS opentid_schema (version integer NOT NULL)`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	var version int
	err = tx.QueryRow(ctx, `SELECT version FROM opentid_schema`).Scan(&version)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if _, err := tx.Exec(ctx, `INSERT INTO opentid_schema (version) VALUES (0)`); err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
	case err != nil:
		return fmt.Errorf("postgres: read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("%w: version %d, known up to %d", ErrNewerSchema, version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.Exec(ctx, migrations[i]); err != nil {
			return fmt.Errorf("postgres: migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE opentid_schema SET version = $1`, len(migrations)); err != nil {
		return fmt.Errorf("postgres: write schema version: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}
