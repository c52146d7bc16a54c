package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/opentid/opentid/server/store"
)

// where builds the WHERE clause of q over "entities e", with its
// arguments. Types and attributes are tested on their index tables, whose
// primary keys start with (tid, type) and (tid, name).
func where(tid int64, q store.EntityQuery) (string, []any, error) {
	var b strings.Builder
	args := []any{tid}
	b.WriteString("e.tid = ?")
	if len(q.IDs) > 0 {
		// One JSON array rather than one parameter per id: the number of
		// ids is not bounded by SQLite's limit on parameters.
		ids, err := json.Marshal(q.IDs)
		if err != nil {
			return "", nil, err
		}
		// Through pk, as for types, so that the planner starts from the
		// ids rather than scanning the tenant in pk order.
		b.WriteString(" AND e.pk IN (SELECT pk FROM entities WHERE tid = ? AND id IN (SELECT value FROM json_each(?)))")
		args = append(args, tid, ids)
	}
	if q.IDPattern != "" {
		// Validated here so that a bad pattern is an error of the query,
		// not of the SQL function halfway through a scan.
		if _, err := patterns.compile(q.IDPattern); err != nil {
			return "", nil, fmt.Errorf("sqlite: idPattern: %w", err)
		}
		b.WriteString(" AND e.id REGEXP ?")
		args = append(args, q.IDPattern)
	}
	if len(q.Types) > 0 {
		b.WriteString(" AND e.pk IN (SELECT pk FROM entity_types WHERE tid = ? AND type")
		args = append(args, tid)
		args = inList(&b, args, q.Types)
		b.WriteString(")")
	}
	if len(q.Attrs) > 0 {
		b.WriteString(" AND e.pk IN (SELECT pk FROM entity_attrs WHERE tid = ? AND name")
		args = append(args, tid)
		args = inList(&b, args, q.Attrs)
		b.WriteString(")")
	}
	return b.String(), args, nil
}

// inList writes " = ?" or " IN (?, ...)" for vals and appends them to args.
func inList(b *strings.Builder, args []any, vals []string) []any {
	if len(vals) == 1 {
		b.WriteString(" = ?")
		return append(args, vals[0])
	}
	b.WriteString(" IN (")
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("?")
		args = append(args, v)
	}
	b.WriteString(")")
	return args
}

// filter returns " AND col IN (...)" with its arguments appended, or
// nothing when vals is empty.
func filter(col string, args []any, vals []string) (string, []any) {
	if len(vals) == 0 {
		return "", args
	}
	var b strings.Builder
	b.WriteString(" AND ")
	b.WriteString(col)
	args = inList(&b, args, vals)
	return b.String(), args
}

// Query returns one page of the entities that match q, in creation order.
func (r *reader) Query(q store.EntityQuery) (store.QueryResult, error) {
	var res store.QueryResult
	if q.Limit < 0 || q.Offset < 0 {
		return res, fmt.Errorf("sqlite: query: negative limit or offset")
	}
	cond, args, err := where(r.tid, q)
	if err != nil {
		return res, err
	}
	if q.Count {
		err := r.queryRow("SELECT count(*) FROM entities e WHERE "+cond, args...).Scan(&res.Total)
		if err != nil {
			return res, fmt.Errorf("sqlite: count: %w", err)
		}
	}
	if q.Limit == 0 {
		return res, nil
	}
	rows, err := r.query("SELECT e.id, e.data FROM entities e WHERE "+cond+" ORDER BY e.pk LIMIT ? OFFSET ?",
		append(args, q.Limit, q.Offset)...)
	if err != nil {
		return res, fmt.Errorf("sqlite: query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var data sql.RawBytes
		if err := rows.Scan(&id, &data); err != nil {
			return res, fmt.Errorf("sqlite: query: %w", err)
		}
		e, err := decode(id, data)
		if err != nil {
			return res, err
		}
		res.Entities = append(res.Entities, e)
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("sqlite: query: %w", err)
	}
	return res, nil
}

// EntityTypes describes the types in use, with the attributes of their
// entities.
func (r *reader) EntityTypes(types []string) ([]store.TypeStat, error) {
	cond, args := filter("type", []any{r.tid}, types)
	rows, err := r.query("SELECT type, count(*) FROM entity_types WHERE tid = ?"+cond+" GROUP BY type ORDER BY type", args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: entity types: %w", err)
	}
	var out []store.TypeStat
	byType := map[string]int{}
	err = scanRows(rows, func(s *sql.Rows) error {
		var ts store.TypeStat
		if err := s.Scan(&ts.Type, &ts.Entities); err != nil {
			return err
		}
		byType[ts.Type] = len(out)
		out = append(out, ts)
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, wrap("entity types", err)
	}

	cond, args = filter("t.type", []any{r.tid}, types)
	rows, err = r.query(`SELECT DISTINCT t.type, a.name, a.attr_type
		FROM entity_types t JOIN entity_attrs a ON a.pk = t.pk
		WHERE t.tid = ?`+cond+` ORDER BY 1, 2, 3`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: entity types: %w", err)
	}
	err = scanRows(rows, func(s *sql.Rows) error {
		var typ, name, attrType string
		if err := s.Scan(&typ, &name, &attrType); err != nil {
			return err
		}
		ts := &out[byType[typ]]
		if n := len(ts.Attrs); n == 0 || ts.Attrs[n-1].Name != name {
			ts.Attrs = append(ts.Attrs, store.AttributeUse{Name: name})
		}
		use := &ts.Attrs[len(ts.Attrs)-1]
		use.AttrTypes = append(use.AttrTypes, attrType)
		return nil
	})
	return out, wrap("entity types", err)
}

// Attributes describes the attribute names in use.
func (r *reader) Attributes(names []string) ([]store.AttributeStat, error) {
	cond, args := filter("name", []any{r.tid}, names)
	rows, err := r.query("SELECT name, count(DISTINCT pk) FROM entity_attrs WHERE tid = ?"+cond+" GROUP BY name ORDER BY name", args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: attributes: %w", err)
	}
	var out []store.AttributeStat
	byName := map[string]int{}
	err = scanRows(rows, func(s *sql.Rows) error {
		var as store.AttributeStat
		if err := s.Scan(&as.Name, &as.Entities); err != nil {
			return err
		}
		byName[as.Name] = len(out)
		out = append(out, as)
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, wrap("attributes", err)
	}

	// The attribute types, then the entity types, of each name.
	joined, _ := filter("a.name", nil, names)
	details := []struct {
		q   string
		add func(as *store.AttributeStat, v string)
	}{
		{`SELECT DISTINCT name, attr_type FROM entity_attrs WHERE tid = ?` + cond + ` ORDER BY 1, 2`,
			func(as *store.AttributeStat, v string) { as.AttrTypes = append(as.AttrTypes, v) }},
		{`SELECT DISTINCT a.name, t.type FROM entity_attrs a JOIN entity_types t ON t.pk = a.pk
			WHERE a.tid = ?` + joined + ` ORDER BY 1, 2`,
			func(as *store.AttributeStat, v string) { as.TypeNames = append(as.TypeNames, v) }},
	}
	for _, d := range details {
		rows, err := r.query(d.q, args...)
		if err != nil {
			return nil, fmt.Errorf("sqlite: attributes: %w", err)
		}
		err = scanRows(rows, func(s *sql.Rows) error {
			var name, v string
			if err := s.Scan(&name, &v); err != nil {
				return err
			}
			d.add(&out[byName[name]], v)
			return nil
		})
		if err != nil {
			return nil, wrap("attributes", err)
		}
	}
	return out, nil
}

// scanRows calls fn on each row and closes rows.
func scanRows(rows *sql.Rows, fn func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}
