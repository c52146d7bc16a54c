package ngsild

import (
	"slices"
	"time"
)

// NotUpdated reports an attribute of a request that was not applied.
type NotUpdated struct {
	Name   string // expanded attribute name
	Reason string
}

// Stamp sets createdAt and modifiedAt of a new entity, its attributes and
// their sub-attributes to now.
func Stamp(e *Entity, now time.Time) {
	e.CreatedAt, e.ModifiedAt = now, now
	for _, list := range e.Attrs {
		for _, a := range list {
			stampAttr(a, now)
		}
	}
}

func stampAttr(a *Attribute, now time.Time) {
	a.CreatedAt, a.ModifiedAt = now, now
	for _, s := range a.Sub {
		stampAttr(s, now)
	}
}

// isNull reports whether a is the NGSI-LD null: delete the attribute.
func isNull(a *Attribute) bool {
	s, ok := a.Value.(string)
	return ok && s == NullURI
}

// hasNull reports whether a or one of its members or sub-attributes is the
// NGSI-LD null.
func hasNull(a *Attribute) bool {
	if isNull(a) || a.ObservedAt == NullURI || a.UnitCode == NullURI {
		return true
	}
	for _, s := range a.Sub {
		if hasNull(s) {
			return true
		}
	}
	return false
}

// dropNulls removes the null sub-attributes and members of an attribute
// about to be stored whole.
func dropNulls(a *Attribute) {
	if a.ObservedAt == NullURI {
		a.ObservedAt = ""
	}
	if a.UnitCode == NullURI {
		a.UnitCode = ""
	}
	for name, s := range a.Sub {
		if isNull(s) {
			delete(a.Sub, name)
			continue
		}
		dropNulls(s)
	}
	if len(a.Sub) == 0 {
		a.Sub = nil
	}
}

func findInstance(list []*Attribute, datasetID string) int {
	return slices.IndexFunc(list, func(a *Attribute) bool { return a.DatasetID == datasetID })
}

// insert stores a as a new instance of name.
func insert(e *Entity, name string, a *Attribute, now time.Time) {
	dropNulls(a)
	stampAttr(a, now)
	if e.Attrs == nil {
		e.Attrs = make(map[string][]*Attribute)
	}
	e.Attrs[name] = append(e.Attrs[name], a)
}

// replaceAt replaces instance i of name by a, keeping its createdAt.
func replaceAt(e *Entity, name string, i int, a *Attribute, now time.Time) {
	created := e.Attrs[name][i].CreatedAt
	dropNulls(a)
	stampAttr(a, now)
	a.CreatedAt = created
	e.Attrs[name][i] = a
}

// removeAt deletes instance i of name, and the name with its last instance.
func removeAt(e *Entity, name string, i int) {
	list := slices.Delete(e.Attrs[name], i, i+1)
	if len(list) == 0 {
		delete(e.Attrs, name)
		return
	}
	e.Attrs[name] = list
}

func addTypes(e *Entity, types []string) bool {
	changed := false
	for _, t := range types {
		if !slices.Contains(e.Types, t) {
			e.Types = append(e.Types, t)
			changed = true
		}
	}
	return changed
}

func notUpdated(name string, a *Attribute, reason string) NotUpdated {
	if a.DatasetID != "" {
		reason += " (datasetId " + a.DatasetID + ")"
	}
	return NotUpdated{Name: name, Reason: reason}
}

// Append adds the attributes of f to e (clause 5.6.3). An existing instance
// (same name and datasetId) is replaced, keeping its createdAt, unless
// noOverwrite is set; an attribute with the NGSI-LD null is deleted. The
// types of f are added to e's, and so is its scope.
func Append(e *Entity, f *Fragment, noOverwrite bool, now time.Time) (updated []string, notUpdatedAttrs []NotUpdated) {
	changed := addTypes(e, f.Types)
	for _, s := range f.Scope {
		if !slices.Contains(e.Scope, s) {
			e.Scope = append(e.Scope, s)
			changed = true
		}
	}
	for _, name := range sortedKeys(f.Attrs) {
		done := false
		for _, a := range f.Attrs[name] {
			i := findInstance(e.Attrs[name], a.DatasetID)
			switch {
			case isNull(a) && i < 0:
				notUpdatedAttrs = append(notUpdatedAttrs, notUpdated(name, a, "attribute does not exist"))
			case isNull(a):
				removeAt(e, name, i)
				done = true
			case i >= 0 && noOverwrite:
				notUpdatedAttrs = append(notUpdatedAttrs, notUpdated(name, a, "attribute already exists and noOverwrite is set"))
			case i >= 0:
				replaceAt(e, name, i, a, now)
				done = true
			default:
				insert(e, name, a, now)
				done = true
			}
		}
		if done {
			updated = append(updated, name)
		}
	}
	if changed || len(updated) > 0 {
		e.ModifiedAt = now
	}
	return updated, notUpdatedAttrs
}

// UpdateAttrs replaces the attributes of f that exist in e, by name and
// datasetId (clause 5.6.2), keeping their createdAt; an attribute with the
// NGSI-LD null is deleted; the others are reported as not updated. The
// types and scope of f are not used.
func UpdateAttrs(e *Entity, f *Fragment, now time.Time) (updated []string, notUpdatedAttrs []NotUpdated) {
	for _, name := range sortedKeys(f.Attrs) {
		done := false
		for _, a := range f.Attrs[name] {
			i := findInstance(e.Attrs[name], a.DatasetID)
			switch {
			case i < 0:
				notUpdatedAttrs = append(notUpdatedAttrs, notUpdated(name, a, "attribute does not exist"))
			case isNull(a):
				removeAt(e, name, i)
				done = true
			default:
				replaceAt(e, name, i, a, now)
				done = true
			}
		}
		if done {
			updated = append(updated, name)
		}
	}
	if len(updated) > 0 {
		e.ModifiedAt = now
	}
	return updated, notUpdatedAttrs
}

// lookup finds the instance of name with a's datasetId.
func lookup(e *Entity, name, datasetID string) (int, error) {
	list, ok := e.Attrs[name]
	if !ok {
		return -1, &Error{Kind: ErrAttrNotFound, Detail: "attribute " + quote(name) + " does not exist"}
	}
	i := findInstance(list, datasetID)
	if i < 0 {
		return -1, attrNotFound(name, datasetID)
	}
	return i, nil
}

// PartialAttrUpdate updates one existing attribute instance (clause 5.6.4,
// patch semantics of 5.5.8): the value always, and unitCode, observedAt,
// objectType and each sub-attribute given replace those of the instance;
// the others are kept. The NGSI-LD null as value deletes the instance, as a
// member or sub-attribute deletes that member. The attribute type cannot
// change.
func PartialAttrUpdate(e *Entity, name string, a *Attribute, now time.Time) error {
	i, err := lookup(e, name, a.DatasetID)
	if err != nil {
		return err
	}
	if isNull(a) {
		removeAt(e, name, i)
		e.ModifiedAt = now
		return nil
	}
	dst := e.Attrs[name][i]
	if dst.Type != a.Type {
		return badData("attribute %q is a %s and cannot become a %s", name, dst.Type, a.Type)
	}
	patch(dst, a, false, now)
	e.ModifiedAt = now
	return nil
}

// patch applies src onto dst of the same type: payload replaced, members
// given replaced (or deleted by the NGSI-LD null), sub-attributes given
// replaced whole, or merged recursively when deep.
func patch(dst, src *Attribute, deep bool, now time.Time) {
	dst.Value = src.Value
	switch src.ObservedAt {
	case "":
	case NullURI:
		dst.ObservedAt = ""
	default:
		dst.ObservedAt = src.ObservedAt
	}
	switch src.UnitCode {
	case "":
	case NullURI:
		dst.UnitCode = ""
	default:
		dst.UnitCode = src.UnitCode
	}
	if len(src.ObjectType) > 0 {
		dst.ObjectType = src.ObjectType
	}
	for _, name := range sortedKeys(src.Sub) {
		s := src.Sub[name]
		d, exists := dst.Sub[name]
		switch {
		case isNull(s):
			delete(dst.Sub, name)
		case exists && deep && d.Type == s.Type:
			patch(d, s, true, now)
		default:
			dropNulls(s)
			stampAttr(s, now)
			if exists {
				s.CreatedAt = d.CreatedAt
			}
			if dst.Sub == nil {
				dst.Sub = make(map[string]*Attribute)
			}
			dst.Sub[name] = s
		}
	}
	if len(dst.Sub) == 0 {
		dst.Sub = nil
	}
	dst.ModifiedAt = now
}

// ReplaceAttr replaces an existing attribute instance (name and datasetId)
// whole, keeping its createdAt (clause 5.6.19). The NGSI-LD null is refused
// with ErrInvalidRequest.
func ReplaceAttr(e *Entity, name string, a *Attribute, now time.Time) error {
	if hasNull(a) {
		return invalidRequest("attribute %q: the NGSI-LD null cannot be used to replace an attribute", name)
	}
	i, err := lookup(e, name, a.DatasetID)
	if err != nil {
		return err
	}
	replaceAt(e, name, i, a, now)
	e.ModifiedAt = now
	return nil
}

// DeleteAttr deletes the instance of name with datasetID ("" for the
// default instance), or all its instances with deleteAll (clause 5.6.5).
// It returns ErrAttrNotFound when nothing matched. The caller sets the
// entity's modifiedAt.
func DeleteAttr(e *Entity, name, datasetID string, deleteAll bool) error {
	if deleteAll {
		if _, ok := e.Attrs[name]; !ok {
			return &Error{Kind: ErrAttrNotFound, Detail: "attribute " + quote(name) + " does not exist"}
		}
		delete(e.Attrs, name)
		return nil
	}
	i, err := lookup(e, name, datasetID)
	if err != nil {
		return err
	}
	removeAt(e, name, i)
	return nil
}

// Merge applies f to e with merge-patch semantics (clauses 5.6.17 and
// 5.5.12): a new attribute instance is added; an existing one of the same
// type gets the payload and members given, and its sub-attributes merged
// recursively; one of another type is replaced whole, keeping createdAt;
// the NGSI-LD null deletes an attribute instance, a sub-attribute,
// observedAt or unitCode. The types of f are added; the scope of f, when
// present, replaces e's.
func Merge(e *Entity, f *Fragment, now time.Time) {
	addTypes(e, f.Types)
	if f.ScopeSet {
		e.Scope = slices.Clone(f.Scope)
	}
	for _, name := range sortedKeys(f.Attrs) {
		for _, a := range f.Attrs[name] {
			i := findInstance(e.Attrs[name], a.DatasetID)
			switch {
			case isNull(a):
				if i >= 0 {
					removeAt(e, name, i)
				}
			case i < 0:
				insert(e, name, a, now)
			case e.Attrs[name][i].Type != a.Type:
				replaceAt(e, name, i, a, now)
			default:
				patch(e.Attrs[name][i], a, true, now)
			}
		}
	}
	e.ModifiedAt = now
}

// Replace returns the entity that replaces old (clause 5.6.18): the content
// of repl under old's id, every attribute new, and old's createdAt.
func Replace(old, repl *Entity, now time.Time) *Entity {
	n := &Entity{ID: old.ID, Types: repl.Types, Scope: repl.Scope, Attrs: repl.Attrs}
	Stamp(n, now)
	n.CreatedAt = old.CreatedAt
	return n
}
