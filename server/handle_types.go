package server

import (
	"crypto/rand"
	"net/http"
	"strconv"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/spec"
)

// listID names a generated list document (EntityTypeList, AttributeList).
func listID(kind string) string { return "urn:ngsi-ld:" + kind + ":" + rand.Text() }

// detailsParam reads the details parameter of /types and /attributes.
func detailsParam(r *http.Request) (bool, error) {
	v := r.URL.Query().Get("details")
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, problemf(spec.ProblemBadRequestData, "details must be true or false")
	}
	return b, nil
}

// readStats negotiates a read request and runs read in a snapshot of the
// request's tenant.
func readStats[T any](s *Server, r *http.Request, read func(*reqContext, store.Reader) ([]T, error)) (*reqContext, []T, error) {
	rc, err := s.readContext(r)
	if err != nil {
		return nil, nil, err
	}
	var stats []T
	err = s.store.View(r.Context(), rc.tenant, func(rd store.Reader) error {
		stats, err = read(rc, rd)
		return err
	})
	return rc, stats, err
}

// writeNameList answers with an EntityTypeList or AttributeList document
// (clauses 5.2.24 and 5.2.27): generated id, type and compacted names.
func (s *Server) writeNameList(w http.ResponseWriter, rc *reqContext, kind, member string, names []string) error {
	return s.writeBody(w, rc, http.StatusOK, withContext(rc, ngsild.Object{
		{Key: "id", Value: listID(kind)},
		{Key: "type", Value: kind},
		{Key: member, Value: compactAll(rc.ld, names)},
	}))
}

// handleTypes: GET /types (clauses 5.7.5 and 5.7.6).
func (s *Server) handleTypes(w http.ResponseWriter, r *http.Request) error {
	details, err := detailsParam(r)
	if err != nil {
		return err
	}
	rc, stats, err := readStats(s, r, func(_ *reqContext, rd store.Reader) ([]store.TypeStat, error) { return rd.EntityTypes(nil) })
	if err != nil {
		return err
	}
	if !details {
		names := make([]string, len(stats))
		for i, st := range stats {
			names[i] = st.Type
		}
		return s.writeNameList(w, rc, "EntityTypeList", "typeList", names)
	}
	out := make([]ngsild.Object, len(stats))
	for i, st := range stats {
		attrs := make([]string, len(st.Attrs))
		for j, a := range st.Attrs {
			attrs[j] = a.Name
		}
		out[i] = withContext(rc, ngsild.Object{
			{Key: "id", Value: st.Type},
			{Key: "type", Value: "EntityType"},
			{Key: "typeName", Value: rc.ld.CompactIRI(st.Type)},
			{Key: "attributeNames", Value: compactAll(rc.ld, attrs)},
		})
	}
	return s.writeBody(w, rc, http.StatusOK, out)
}

// handleTypeInfo: GET /types/{type} (clause 5.7.7).
func (s *Server) handleTypeInfo(w http.ResponseWriter, r *http.Request) error {
	name, err := pathParam(r, "type")
	if err != nil {
		return err
	}
	rc, stats, err := readStats(s, r, func(rc *reqContext, rd store.Reader) ([]store.TypeStat, error) {
		return rd.EntityTypes([]string{rc.ld.ExpandTerm(name)})
	})
	if err != nil {
		return err
	}
	if len(stats) == 0 {
		return problemf(spec.ProblemResourceNotFound, "no entity of type %s", name)
	}
	st := stats[0]
	details := make([]ngsild.Object, len(st.Attrs))
	for i, a := range st.Attrs {
		details[i] = ngsild.Object{
			{Key: "id", Value: a.Name},
			{Key: "type", Value: "Attribute"},
			{Key: "attributeName", Value: rc.ld.CompactIRI(a.Name)},
			{Key: "attributeTypes", Value: a.AttrTypes},
		}
	}
	return s.writeBody(w, rc, http.StatusOK, withContext(rc, ngsild.Object{
		{Key: "id", Value: st.Type},
		{Key: "type", Value: "EntityTypeInfo"},
		{Key: "typeName", Value: rc.ld.CompactIRI(st.Type)},
		{Key: "entityCount", Value: st.Entities},
		{Key: "attributeDetails", Value: details},
	}))
}

// handleAttributes: GET /attributes (clauses 5.7.8 and 5.7.9).
func (s *Server) handleAttributes(w http.ResponseWriter, r *http.Request) error {
	details, err := detailsParam(r)
	if err != nil {
		return err
	}
	rc, stats, err := readStats(s, r, func(_ *reqContext, rd store.Reader) ([]store.AttributeStat, error) { return rd.Attributes(nil) })
	if err != nil {
		return err
	}
	if !details {
		names := make([]string, len(stats))
		for i, st := range stats {
			names[i] = st.Name
		}
		return s.writeNameList(w, rc, "AttributeList", "attributeList", names)
	}
	out := make([]ngsild.Object, len(stats))
	for i, st := range stats {
		out[i] = withContext(rc, ngsild.Object{
			{Key: "id", Value: st.Name},
			{Key: "type", Value: "Attribute"},
			{Key: "attributeName", Value: rc.ld.CompactIRI(st.Name)},
			{Key: "typeNames", Value: compactAll(rc.ld, st.TypeNames)},
		})
	}
	return s.writeBody(w, rc, http.StatusOK, out)
}

// handleAttributeInfo: GET /attributes/{attrId} (clause 5.7.10).
func (s *Server) handleAttributeInfo(w http.ResponseWriter, r *http.Request) error {
	name, err := pathParam(r, "attrId")
	if err != nil {
		return err
	}
	rc, stats, err := readStats(s, r, func(rc *reqContext, rd store.Reader) ([]store.AttributeStat, error) {
		return rd.Attributes([]string{rc.ld.ExpandTerm(name)})
	})
	if err != nil {
		return err
	}
	if len(stats) == 0 {
		return problemf(spec.ProblemResourceNotFound, "no attribute %s", name)
	}
	st := stats[0]
	return s.writeBody(w, rc, http.StatusOK, withContext(rc, ngsild.Object{
		{Key: "id", Value: st.Name},
		{Key: "type", Value: "Attribute"},
		{Key: "attributeName", Value: rc.ld.CompactIRI(st.Name)},
		{Key: "attributeCount", Value: st.Entities},
		{Key: "attributeTypes", Value: st.AttrTypes},
		{Key: "typeNames", Value: compactAll(rc.ld, st.TypeNames)},
	}))
}
