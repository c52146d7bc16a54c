package sqlite

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/opentid/opentid/server/store"
)

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
