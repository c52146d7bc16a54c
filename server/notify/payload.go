package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/opentid/opentid/server/ngsild"
)

// item is what the outbox holds for one notification: the reason and the
// entities in their stored (expanded) form, so that rendering happens at
// delivery with the subscription's settings of that time.
type item struct {
	Reason   string       `json:"reason"`
	At       time.Time    `json:"at"`
	Entities []itemEntity `json:"entities"`
}

type itemEntity struct {
	New json.RawMessage `json:"new,omitempty"`
	// Old is the state before the change, kept for deletions and for
	// showChanges.
	Old json.RawMessage `json:"old,omitempty"`
}

func encodeItem(reason string, at time.Time, entities []itemEntity) ([]byte, error) {
	return json.Marshal(item{Reason: reason, At: at, Entities: entities})
}

func decodeItem(data []byte) (*item, error) {
	var it item
	if err := json.Unmarshal(data, &it); err != nil {
		return nil, fmt.Errorf("notify: decode queued notification: %w", err)
	}
	return &it, nil
}

func decodeEntity(raw json.RawMessage) (*ngsild.Entity, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	return ngsild.UnmarshalEntity(raw)
}

// notification is one rendered notification (clause 5.3.1).
type notification struct {
	ID   string
	Body []byte
	// ContentType is application/json or application/ld+json.
	ContentType string
	// Link is the @context Link header of application/json bodies.
	Link string
}

const (
	mediaJSON   = "application/json"
	mediaLDJSON = "application/ld+json"
	ldRel       = "http://www.w3.org/ns/json-ld#context"
	// CoreContextURL stands for the core context in notifications.
	CoreContextURL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
)

// previousKeys names the member that shows the previous payload of an
// attribute with showChanges, by attribute type.
var previousKeys = map[string][2]string{
	ngsild.TypeProperty:         {"value", "previousValue"},
	ngsild.TypeGeoProperty:      {"value", "previousValue"},
	ngsild.TypeRelationship:     {"object", "previousObject"},
	ngsild.TypeLanguageProperty: {"languageMap", "previousLanguageMap"},
	ngsild.TypeVocabProperty:    {"vocab", "previousVocab"},
	ngsild.TypeJSONProperty:     {"json", "previousJson"},
	ngsild.TypeListProperty:     {"valueList", "previousValueList"},
	ngsild.TypeListRelationship: {"objectList", "previousObjectList"},
}

// render builds the notification of the items for sub. With coalesce, the
// entities of all items go in one notification, the latest state of each
// entity only (throttled subscriptions); otherwise items has one element.
func render(sub *ngsild.Subscription, ctx ngsild.Context, contextValue any, contextURL string, items []*item, now time.Time) (*notification, error) {
	opts := ngsild.RenderOptions{Form: ngsild.Normalized, SysAttrs: sub.Notify.SysAttrs, Lang: sub.Lang}
	switch sub.Notify.Format {
	case "concise":
		opts.Form = ngsild.Concise
	case "keyValues", "simplified":
		opts.Form = ngsild.KeyValues
	}
	if len(sub.Notify.Attributes) > 0 {
		opts.Attrs = map[string]bool{}
		for _, a := range sub.Notify.Attributes {
			opts.Attrs[a] = true
		}
	}
	var data []any
	index := map[string]int{}
	reason := ""
	for _, it := range items {
		reason = it.Reason
		for _, ie := range it.Entities {
			cur, err := decodeEntity(ie.New)
			if err != nil {
				return nil, err
			}
			old, err := decodeEntity(ie.Old)
			if err != nil {
				return nil, err
			}
			var obj ngsild.Object
			var id string
			if cur == nil {
				if old == nil {
					continue
				}
				id = old.ID
				obj = deletedEntity(old, ctx, it.At)
			} else {
				id = cur.ID
				obj = ngsild.Render(cur, ctx, opts)
				if sub.Notify.ShowChanges && old != nil && opts.Form != ngsild.KeyValues {
					obj = withPrevious(obj, cur, old, ctx)
				}
			}
			if i, ok := index[id]; ok {
				data[i] = obj
				continue
			}
			index[id] = len(data)
			data = append(data, obj)
		}
	}
	if data == nil {
		data = []any{}
	}
	n := &notification{ID: "urn:ngsi-ld:Notification:" + uuid.NewString()}
	body := ngsild.Object{}
	accept := sub.Notify.Endpoint.Accept
	if accept == mediaLDJSON {
		n.ContentType = mediaLDJSON
		body = append(body, ngsild.Member{Key: "@context", Value: contextValue})
	} else {
		n.ContentType = mediaJSON
		n.Link = "<" + contextURL + `>; rel="` + ldRel + `"; type="application/ld+json"`
	}
	body = append(body,
		ngsild.Member{Key: "id", Value: n.ID},
		ngsild.Member{Key: "type", Value: "Notification"},
		ngsild.Member{Key: "subscriptionId", Value: sub.ID},
		ngsild.Member{Key: "notifiedAt", Value: formatTime(now)},
		ngsild.Member{Key: "data", Value: data},
	)
	if reason != "" {
		body = append(body, ngsild.Member{Key: "triggerReason", Value: reason})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return nil, fmt.Errorf("notify: encode notification: %w", err)
	}
	n.Body = buf.Bytes()
	return n, nil
}

// deletedEntity is the representation of a deleted entity in a
// notification: its id, its type and deletedAt.
func deletedEntity(e *ngsild.Entity, ctx ngsild.Context, at time.Time) ngsild.Object {
	obj := ngsild.Object{{Key: "id", Value: e.ID}}
	switch len(e.Types) {
	case 0:
	case 1:
		obj = append(obj, ngsild.Member{Key: "type", Value: ctx.CompactIRI(e.Types[0])})
	default:
		types := make([]string, len(e.Types))
		for i, t := range e.Types {
			types[i] = ctx.CompactIRI(t)
		}
		obj = append(obj, ngsild.Member{Key: "type", Value: types})
	}
	return append(obj, ngsild.Member{Key: "deletedAt", Value: formatTime(at)})
}

// withPrevious adds the previous payload of each changed attribute whose
// default instance is shown as an object (showChanges).
func withPrevious(obj ngsild.Object, cur, old *ngsild.Entity, ctx ngsild.Context) ngsild.Object {
	for name, insts := range cur.Attrs {
		prev := defaultInstance(old.Attrs[name])
		now := defaultInstance(insts)
		if prev == nil || now == nil || prev.Type != now.Type || reflect.DeepEqual(prev.Value, now.Value) {
			continue
		}
		keys, ok := previousKeys[now.Type]
		if !ok {
			continue
		}
		key := ctx.CompactIRI(name)
		for i, m := range obj {
			if m.Key != key {
				continue
			}
			if a, ok := m.Value.(ngsild.Object); ok {
				obj[i].Value = append(a, ngsild.Member{Key: keys[1], Value: prev.Value})
			}
		}
	}
	return obj
}

func defaultInstance(list []*ngsild.Attribute) *ngsild.Attribute {
	for _, a := range list {
		if a != nil && a.DatasetID == "" {
			return a
		}
	}
	return nil
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
