package ngsild

import (
	"bytes"
	"encoding/json"
	"time"
)

// Notification triggers (NGSI-LD subscription member notificationTrigger).
const (
	TriggerEntityCreated    = "entityCreated"
	TriggerEntityUpdated    = "entityUpdated"
	TriggerEntityDeleted    = "entityDeleted"
	TriggerAttributeCreated = "attributeCreated"
	TriggerAttributeUpdated = "attributeUpdated"
	TriggerAttributeDeleted = "attributeDeleted"
	// TriggerTimeInterval is the reason of a periodic notification; it is
	// not a value of notificationTrigger.
	TriggerTimeInterval = "timeInterval"
)

// AllTriggers are the values of notificationTrigger, in the order they are
// shown.
var AllTriggers = []string{
	TriggerEntityCreated, TriggerEntityUpdated, TriggerEntityDeleted,
	TriggerAttributeCreated, TriggerAttributeUpdated, TriggerAttributeDeleted,
}

// Subscription is an NGSI-LD subscription as stored: entity types and
// attribute names are expanded; q is kept both as the client wrote it and
// in the canonical expanded form that query.ParseQ reads back with an
// identity expansion.
type Subscription struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// Entities selects entities by id, id pattern and (expanded) type; an
	// entity matches when one selector matches.
	Entities []EntitySelector `json:"entities,omitempty"`
	// WatchedAttributes (expanded): only a change of one of them triggers
	// a notification. Empty watches every attribute.
	WatchedAttributes []string `json:"watchedAttributes,omitempty"`
	// Triggers are the values of notificationTrigger; empty is every
	// trigger.
	Triggers []string `json:"triggers,omitempty"`
	Q        string   `json:"q,omitempty"`
	// QExpanded is Q in canonical form with expanded names.
	QExpanded string `json:"qExpanded,omitempty"`
	GeoQ      *GeoQ  `json:"geoQ,omitempty"`
	ScopeQ    string `json:"scopeQ,omitempty"`
	Lang      string `json:"lang,omitempty"`
	Notify    Notify `json:"notification"`
	// Throttling is the least time between two notifications, in seconds
	// (0: none).
	Throttling float64 `json:"throttling,omitempty"`
	// TimeInterval makes the subscription periodic: every TimeInterval
	// seconds a notification carries every matching entity (0: on change).
	TimeInterval float64    `json:"timeInterval,omitempty"`
	ExpiresAt    *time.Time `json:"expiresAt,omitempty"`
	// Paused is the negation of isActive.
	Paused bool `json:"paused,omitempty"`
	// Context is the @context of the request that created the
	// subscription (a URL, a list or an object), or its jsonldContext; it
	// compacts the notifications. Nil is the core context.
	Context any `json:"context,omitempty"`
	// LastPeriodic is when the last periodic notification was queued.
	LastPeriodic *time.Time `json:"lastPeriodic,omitempty"`
	CreatedAt    time.Time  `json:"createdAt"`
	ModifiedAt   time.Time  `json:"modifiedAt"`
}

// EntitySelector is one member of a subscription's entities.
type EntitySelector struct {
	ID        string `json:"id,omitempty"`
	IDPattern string `json:"idPattern,omitempty"`
	Type      string `json:"type,omitempty"` // expanded
}

// GeoQ is a subscription's geo-query, as the client wrote it apart from
// the expanded geoproperty.
type GeoQ struct {
	Georel      string `json:"georel"`
	Geometry    string `json:"geometry"`
	Coordinates string `json:"coordinates"` // JSON text
	Property    string `json:"geoproperty,omitempty"`
}

// Notify is the notification member of a subscription.
type Notify struct {
	// Attributes (expanded) projects the notified entities; empty keeps all.
	Attributes  []string `json:"attributes,omitempty"`
	Format      string   `json:"format,omitempty"` // normalized (default), concise or keyValues
	ShowChanges bool     `json:"showChanges,omitempty"`
	SysAttrs    bool     `json:"sysAttrs,omitempty"`
	Endpoint    Endpoint `json:"endpoint"`
}

// Endpoint is where notifications go.
type Endpoint struct {
	URI string `json:"uri"`
	// Accept is the media type of HTTP notifications: application/json
	// (default) or application/ld+json.
	Accept       string     `json:"accept,omitempty"`
	ReceiverInfo []KeyValue `json:"receiverInfo,omitempty"`
	NotifierInfo []KeyValue `json:"notifierInfo,omitempty"`
}

// KeyValue is one member of receiverInfo or notifierInfo.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SubscriptionStatus holds the delivery counters of a subscription,
// maintained by the store.
type SubscriptionStatus struct {
	TimesSent        int64
	TimesFailed      int64
	LastNotification time.Time // zero: never
	LastSuccess      time.Time
	LastFailure      time.Time
	// LastError describes the last failure.
	LastError string
	// DeadLettered counts the notifications given up: too many failed
	// attempts, or dropped from a full queue.
	DeadLettered int64
	// Pending counts the notifications waiting for delivery.
	Pending int64
}

// Expired reports whether the subscription has expired at now.
func (s *Subscription) Expired(now time.Time) bool {
	return s.ExpiresAt != nil && !s.ExpiresAt.After(now)
}

// State is the subscription's status member: active, paused or expired.
func (s *Subscription) State(now time.Time) string {
	switch {
	case s.Expired(now):
		return "expired"
	case s.Paused:
		return "paused"
	default:
		return "active"
	}
}

// MarshalSubscription encodes a subscription in the storage format used by
// every store.
func MarshalSubscription(s *Subscription) ([]byte, error) { return json.Marshal(s) }

// UnmarshalSubscription decodes what MarshalSubscription wrote.
func UnmarshalSubscription(data []byte) (*Subscription, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var s Subscription
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	return &s, nil
}
