package conformance

import (
	"slices"

	"github.com/opentid/opentid/spec"
)

// Cases returns every case of the suite, in the order they run. The list
// is built explicitly, class by class.
func Cases() []Case {
	return slices.Concat(
		entityCases(),
		attributeCases(),
		batchCases(),
		representationCases(),
		contextCases(),
		discoveryCases(),
		queryCases(),
		qCases(),
		geoCases(),
		errorCases(),
		tenancyCases(),
		subscriptionCases(),
		temporalCases(),
		datamodelCases(),
	)
}

// newCase builds a case of class (spec version 0.1.0 onwards). covers are
// requirement IDs; the ones written without a class ("entity-create") are
// taken in the case's class.
func newCase(class, name, title string, covers []string, run func(t *T)) Case {
	c := Case{ID: "/ats/" + class + "/" + name, Title: title, Class: class, Since: "0.1.0", Run: run}
	for _, id := range covers {
		if id[0] != '/' {
			id = "/req/" + class + "/" + id
		}
		c.Covers = append(c.Covers, spec.ReqID(id))
	}
	return c
}

func coreCase(name, title string, covers []string, run func(t *T)) Case {
	return newCase(spec.ClassCore, name, title, covers, run)
}
