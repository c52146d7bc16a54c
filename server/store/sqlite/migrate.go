package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrNewerSchema is returned by Open for a database written by a newer
// version of the program, whose schema this one does not know.
var ErrNewerSchema = errors.New("sqlite: database schema is newer than this program supports")

// migration is one step of the schema: SQL statements and, when set, a
// Go function that fills new tables from the stored entities. The
// functions run in the same transaction, once the SQL of every step has
// run and in the order of the steps: they write with the store's current
// code, which knows the latest layout only.
type migration struct {
	sql string
	fn  func(ctx context.Context, tx *sql.Tx) error
}

// migrations are the steps of the schema, in order. The database's
// PRAGMA user_version counts the steps applied. Append new steps; never
// edit or reorder the published ones.
var migrations = []migration{{sql:
// 1: tenants, entities and the indexes of entity types and attribute
// names.
//
// Tenants get a small integer key (tid) so that every index row carries
// an integer rather than the tenant's name. The default tenant ("")
// always exists, with tid 1.
//
// entities.pk is the creation order: a replacement keeps the row, and
// queries are ordered by pk. entities_by_tenant lists a tenant's
// entities in that order.
//
// entity_types and entity_attrs hold one row per (entity, type) and
// per (entity, attribute name, attribute type). Their primary keys
// answer "entities of this tenant with this type/attribute" in pk
// order; the *_by_entity indexes serve replacement, deletion (through
// the cascade) and the joins of the statistics.
`
CREATE TABLE tenants (
	tid  INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);
INSERT INTO tenants (tid, name) VALUES (1, '');

CREATE TABLE entities (
	pk          INTEGER PRIMARY KEY,
	tid         INTEGER NOT NULL REFERENCES tenants (tid),
	id          TEXT NOT NULL,
	data        BLOB NOT NULL,
	created_at  INTEGER NOT NULL, -- Unix microseconds
	modified_at INTEGER NOT NULL, -- Unix microseconds
	UNIQUE (tid, id)
);
CREATE INDEX entities_by_tenant ON entities (tid);

CREATE TABLE entity_types (
	tid  INTEGER NOT NULL,
	type TEXT NOT NULL,
	pk   INTEGER NOT NULL REFERENCES entities (pk) ON DELETE CASCADE,
	PRIMARY KEY (tid, type, pk)
) WITHOUT ROWID;
CREATE INDEX entity_types_by_entity ON entity_types (pk);

CREATE TABLE entity_attrs (
	tid       INTEGER NOT NULL,
	name      TEXT NOT NULL,
	pk        INTEGER NOT NULL REFERENCES entities (pk) ON DELETE CASCADE,
	attr_type TEXT NOT NULL,
	PRIMARY KEY (tid, name, pk, attr_type)
) WITHOUT ROWID;
CREATE INDEX entity_attrs_by_entity ON entity_attrs (pk);
`}, {
	// 2: the indexes of the query languages.
	//
	// types numbers each (tenant, entity type) with a small integer, tno,
	// unique across tenants, so that a tno also identifies the tenant.
	//
	// attr_values holds the comparable values of the top-level attributes
	// (see valueRows): one row per (value, entity type), so that "type and
	// q" is one range of an index. num holds numbers, booleans (0, 1) and
	// the instant of date-time strings (Unix seconds); str holds strings.
	// The table is clustered by entity (replacement and deletion), its
	// indexes are partial (a row is in the index of its kind) and it has
	// no foreign key (a trigger removes the rows of a deleted entity): each
	// makes it cheaper to write.
	//
	// geo_rtree holds the bounding box of every GeoProperty instance, once
	// per entity type, with the type's tno as the third dimension: "type in
	// a box" is one R*Tree search. tid and the attribute name are auxiliary
	// columns, checked on the boxes found. geo_boxes maps the R*Tree rows to
	// their entity; deleting a geo_boxes row (by hand or by the cascade of
	// an entity's deletion) deletes the R*Tree row through a trigger.
	//
	// entity_scopes holds the scopes of each entity.
	sql: `
CREATE TABLE types (
	tno  INTEGER PRIMARY KEY,
	tid  INTEGER NOT NULL REFERENCES tenants (tid),
	type TEXT NOT NULL,
	UNIQUE (tid, type)
);

CREATE TABLE attr_values (
	pk   INTEGER NOT NULL,
	tno  INTEGER NOT NULL,
	seq  INTEGER NOT NULL, -- the value's rank in the entity
	tid  INTEGER NOT NULL,
	name TEXT NOT NULL,
	num  REAL,
	str  TEXT,
	PRIMARY KEY (pk, tno, seq)
) WITHOUT ROWID;
CREATE INDEX attr_values_by_num ON attr_values (tid, name, tno, num) WHERE num IS NOT NULL;
CREATE INDEX attr_values_by_str ON attr_values (tid, name, tno, str) WHERE str IS NOT NULL;
CREATE TRIGGER entities_delete_values AFTER DELETE ON entities BEGIN
	DELETE FROM attr_values WHERE pk = old.pk;
END;

CREATE VIRTUAL TABLE geo_rtree USING rtree (
	id, minx, maxx, miny, maxy, minz, maxz,
	+pk INTEGER, +tid INTEGER, +name TEXT
);
CREATE TABLE geo_boxes (
	id INTEGER PRIMARY KEY,
	pk INTEGER NOT NULL REFERENCES entities (pk) ON DELETE CASCADE
);
CREATE INDEX geo_boxes_by_entity ON geo_boxes (pk);
CREATE TRIGGER geo_boxes_delete AFTER DELETE ON geo_boxes BEGIN
	DELETE FROM geo_rtree WHERE id = old.id;
END;

CREATE TABLE entity_scopes (
	tid   INTEGER NOT NULL,
	scope TEXT NOT NULL,
	pk    INTEGER NOT NULL REFERENCES entities (pk) ON DELETE CASCADE,
	PRIMARY KEY (tid, scope, pk)
) WITHOUT ROWID;
CREATE INDEX entity_scopes_by_entity ON entity_scopes (pk);
`,
	fn: reindexAll,
}, {
	// 3: subscriptions, their notification queues and dead letters
	// (subscriptions.go).
	sql: subscriptionsSchema,
}, {
	// 4: attribute histories and their daily rollup (temporal.go).
	sql: sqlTemporalSchema,
}, {
	// 5: the daily rollup keyed by day first (temporal.go).
	sql: sqlDailyByDay,
}, {
	// 6: recent instances, in the order they were written (recent.go).
	sql: sqlRecentSchema,
}, {
	// 7: attr_values names each attribute by a small integer, ano, as
	// types are by tno: its rows and index entries no longer hold the
	// tenant and the attribute's expanded name. A sensor's values change
	// at every reading, and each change moves an entry of the index; with
	// names of some 50 bytes, the index was four times larger, and each
	// batch of readings changed about that many more of its pages.
	sql: `
CREATE TABLE attr_names (
	ano  INTEGER PRIMARY KEY,
	tid  INTEGER NOT NULL REFERENCES tenants (tid),
	name TEXT NOT NULL,
	UNIQUE (tid, name)
);
INSERT INTO attr_names (tid, name) SELECT DISTINCT tid, name FROM attr_values ORDER BY tid, name;
CREATE TABLE attr_values_by_ano (
	pk   INTEGER NOT NULL,
	tno  INTEGER NOT NULL,
	seq  INTEGER NOT NULL, -- the value's rank in the entity
	ano  INTEGER NOT NULL,
	num  REAL,
	str  TEXT,
	PRIMARY KEY (pk, tno, seq)
) WITHOUT ROWID;
INSERT INTO attr_values_by_ano (pk, tno, seq, ano, num, str)
SELECT v.pk, v.tno, v.seq, n.ano, v.num, v.str FROM attr_values v JOIN attr_names n ON n.tid = v.tid AND n.name = v.name;
DROP TRIGGER entities_delete_values;
DROP TABLE attr_values;
ALTER TABLE attr_values_by_ano RENAME TO attr_values;
CREATE INDEX attr_values_by_num ON attr_values (ano, tno, num) WHERE num IS NOT NULL;
CREATE INDEX attr_values_by_str ON attr_values (ano, tno, str) WHERE str IS NOT NULL;
CREATE TRIGGER entities_delete_values AFTER DELETE ON entities BEGIN
	DELETE FROM attr_values WHERE pk = old.pk;
END;
`,
}}

// migrate brings the schema of the database up to date, in one
// transaction. It is a no-op on an up-to-date database and refuses a
// database from a newer version.
func migrate(ctx context.Context, db *sql.DB) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("%w: version %d, known up to %d", ErrNewerSchema, version, len(migrations))
	}
	if version == len(migrations) {
		return tx.Commit()
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i].sql); err != nil {
			return fmt.Errorf("sqlite: migration %d: %w", i+1, err)
		}
	}
	for i := version; i < len(migrations); i++ {
		if fn := migrations[i].fn; fn != nil {
			if err := fn(ctx, tx); err != nil {
				return fmt.Errorf("sqlite: migration %d: %w", i+1, err)
			}
		}
	}
	// PRAGMA takes no bound parameter; the value is an integer we own.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return fmt.Errorf("sqlite: write schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}
