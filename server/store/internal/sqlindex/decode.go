package sqlindex

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opentid/opentid/server/ngsild"
)

// Decode reads a stored entity. Query results decode one entity per row,
// and encoding/json's reflection costs most of a query's time; so the
// stored format (ngsild.MarshalEntity: JSON of ngsild.Entity) is read by
// the small parser below, which yields what ngsild.UnmarshalEntity yields
// (numbers as json.Number, objects as map[string]any, arrays as []any).
// Anything it does not expect sends the row to ngsild.UnmarshalEntity.
func Decode(id string, data []byte) (*ngsild.Entity, error) {
	d := decoder{b: data}
	e, err := d.entity()
	if err == nil {
		d.ws()
		if d.i != len(d.b) {
			err = errSyntax
		}
	}
	if err != nil {
		if e, err = ngsild.UnmarshalEntity(data); err != nil {
			return nil, fmt.Errorf("decode entity %q: %w", id, err)
		}
	}
	return e, nil
}

var errSyntax = errors.New("unexpected JSON")

type decoder struct {
	b []byte
	i int
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte, 0 at the end.
func (d *decoder) next() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *decoder) expect(c byte) error {
	if d.next() != c {
		return errSyntax
	}
	d.i++
	return nil
}

// null consumes a null, reporting whether there was one.
func (d *decoder) null() bool {
	if d.next() == 'n' && len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// object calls fn for each key of an object; fn reads the value.
func (d *decoder) object(fn func(key string) error) error {
	if d.null() {
		return nil
	}
	if err := d.expect('{'); err != nil {
		return err
	}
	if d.next() == '}' {
		d.i++
		return nil
	}
	for {
		key, err := d.str()
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		switch d.next() {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// array calls fn for each element of an array.
func (d *decoder) array(fn func() error) error {
	if d.null() {
		return nil
	}
	if err := d.expect('['); err != nil {
		return err
	}
	if d.next() == ']' {
		d.i++
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		switch d.next() {
		case ',':
			d.i++
		case ']':
			d.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// str reads a string. Strings with escapes are handed to encoding/json.
func (d *decoder) str() (string, error) {
	if d.null() {
		return "", nil
	}
	if d.next() != '"' {
		return "", errSyntax
	}
	start := d.i
	escaped := false
	for j := start + 1; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return "", errSyntax
		case c == '"':
			d.i = j + 1
			if !escaped {
				return string(d.b[start+1 : j]), nil
			}
			var s string
			err := json.Unmarshal(d.b[start:j+1], &s)
			return s, err
		}
	}
	return "", errSyntax
}

func (d *decoder) strs() ([]string, error) {
	if d.null() {
		return nil, nil
	}
	out := []string{}
	err := d.array(func() error {
		s, err := d.str()
		out = append(out, s)
		return err
	})
	return out, err
}

func (d *decoder) time() (time.Time, error) {
	s, err := d.str()
	if err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339Nano, s)
}

// value reads any JSON value as encoding/json does into an any with
// UseNumber.
func (d *decoder) value() (any, error) {
	switch c := d.next(); {
	case c == '"':
		return d.str()
	case c == '{':
		m := map[string]any{}
		err := d.object(func(key string) error {
			v, err := d.value()
			m[key] = v
			return err
		})
		return m, err
	case c == '[':
		list := []any{}
		err := d.array(func() error {
			v, err := d.value()
			list = append(list, v)
			return err
		})
		return list, err
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []struct {
			text string
			v    any
		}{{"true", true}, {"false", false}, {"null", nil}} {
			if len(d.b)-d.i >= len(lit.text) && string(d.b[d.i:d.i+len(lit.text)]) == lit.text {
				d.i += len(lit.text)
				return lit.v, nil
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		start := d.i
		for d.i < len(d.b) && isNumberByte(d.b[d.i]) {
			d.i++
		}
		n := json.Number(d.b[start:d.i])
		if _, err := n.Float64(); err != nil {
			return nil, errSyntax
		}
		return n, nil
	}
	return nil, errSyntax
}

func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func (d *decoder) entity() (*ngsild.Entity, error) {
	e := &ngsild.Entity{}
	err := d.object(func(key string) error {
		var err error
		switch key {
		case "id":
			e.ID, err = d.str()
		case "types":
			e.Types, err = d.strs()
		case "scope":
			e.Scope, err = d.strs()
		case "attrs":
			err = d.object(func(name string) error {
				var list []*ngsild.Attribute
				err := d.array(func() error {
					a, err := d.attribute()
					list = append(list, a)
					return err
				})
				if e.Attrs == nil {
					e.Attrs = map[string][]*ngsild.Attribute{}
				}
				e.Attrs[name] = list
				return err
			})
		case "createdAt":
			e.CreatedAt, err = d.time()
		case "modifiedAt":
			e.ModifiedAt, err = d.time()
		default:
			return errSyntax
		}
		return err
	})
	return e, err
}

func (d *decoder) attribute() (*ngsild.Attribute, error) {
	if d.null() {
		return nil, nil
	}
	a := &ngsild.Attribute{}
	err := d.object(func(key string) error {
		var err error
		switch key {
		case "type":
			a.Type, err = d.str()
		case "value":
			a.Value, err = d.value()
		case "datasetId":
			a.DatasetID, err = d.str()
		case "observedAt":
			a.ObservedAt, err = d.str()
		case "unitCode":
			a.UnitCode, err = d.str()
		case "objectType":
			a.ObjectType, err = d.strs()
		case "sub":
			err = d.object(func(name string) error {
				s, err := d.attribute()
				if a.Sub == nil {
					a.Sub = map[string]*ngsild.Attribute{}
				}
				a.Sub[name] = s
				return err
			})
		case "createdAt":
			a.CreatedAt, err = d.time()
		case "modifiedAt":
			a.ModifiedAt, err = d.time()
		default:
			return errSyntax
		}
		return err
	})
	return a, err
}

// DecodeFast reads a stored entity with the small parser only, without
// the fallback to ngsild.UnmarshalEntity (tests of the parser).
func DecodeFast(data []byte) (*ngsild.Entity, error) {
	d := decoder{b: data}
	return d.entity()
}
