package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/opentid/opentid/spec"
)

// programVersion is the module version of the binary, "devel" when built
// from a work tree.
func programVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func runVersion(stdout io.Writer) error {
	_, err := fmt.Fprintf(stdout, "opentid %s\nOpenTID specification %s (NGSI-LD %s)\n", programVersion(), spec.Version, spec.NGSILDVersion)
	return err
}
