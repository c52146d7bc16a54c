package jsonld

import (
	"context"
	"testing"
)

func BenchmarkExpandCompact(b *testing.B) {
	p := NewProcessor(Options{})
	c := mustContext(b, p, map[string]any{
		"schema":      "https://schema.org/",
		"name":        "schema:name",
		"Sensor":      "https://example.org/Sensor",
		"temperature": map[string]any{"@id": "https://example.org/temperature"},
	})
	terms := []string{"type", "location", "observedAt", "name", "Sensor", "temperature", "humidity", "schema:email"}
	iris := make([]string, len(terms))
	for i, t := range terms {
		iris[i] = c.ExpandTerm(t)
	}
	b.Run("expand", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = c.ExpandTerm(terms[i%len(terms)])
		}
	})
	b.Run("compact", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = c.CompactIRI(iris[i%len(iris)])
		}
	})
}

func BenchmarkContextCached(b *testing.B) {
	loader := newFakeLoader(testDocs())
	p := NewProcessor(Options{Loader: loader})
	ctx := context.Background()
	inputs := map[string]any{
		"url":    ctxA,
		"inline": map[string]any{"speed": "https://example.org/speed", "ex": "https://example.org/", "heading": "ex:heading"},
		"array":  []any{ctxA, map[string]any{"heading": "ex:heading"}},
	}
	for name, raw := range inputs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			mustContext(b, p, raw)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := p.Context(ctx, raw); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
