package cli

import (
	"regexp"
	"runtime/debug"
	"strings"
)

// agentgateModule is the module path of agentgate.
const agentgateModule = "github.com/agentgate/agentgate"

// develVersion is what a generated go.mod requires when this binary has no
// usable version; only a replace directive can satisfy it.
const develVersion = "v0.0.0-00010101000000-000000000000"

// modVersion is the version of the agentgate module this binary was built
// from, as a go.mod requirement.
type modVersion struct {
	version string // for "require"
	shown   string // as the build recorded it, for messages
	release bool   // a tagged version: the module proxy serves it
	devel   bool   // no version at all ((devel), local changes, a replace)
}

func agentgateVersion() modVersion {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return modVersionOf(nil)
	}
	return modVersionOf(bi)
}

// modVersionOf finds agentgate in bi: the main module (the agentgate
// command) or a dependency (a project binary).
func modVersionOf(bi *debug.BuildInfo) modVersion {
	v := ""
	if bi != nil {
		if bi.Main.Path == agentgateModule {
			v = bi.Main.Version
			if bi.Main.Replace != nil && bi.Main.Replace.Version == "" {
				v = "" // go tool or go run from a module that replaces agentgate
			}
		}
		for _, d := range bi.Deps {
			if d.Path == agentgateModule {
				v = d.Version
				if d.Replace != nil && d.Replace.Version == "" {
					v = "" // replaced by a directory
				}
			}
		}
	}
	shown := v
	if shown == "" {
		shown = "(devel)"
	}
	base, meta, _ := strings.Cut(v, "+")
	switch {
	case v == "" || v == "(devel)" || base == develVersion || !strings.HasPrefix(v, "v") || meta != "" && meta != "incompatible":
		// A build with local changes (+dirty) has no version anyone serves.
		return modVersion{version: develVersion, shown: shown, devel: true}
	case isPseudoVersion(base):
		return modVersion{version: base, shown: shown}
	}
	return modVersion{version: v, shown: shown, release: true}
}

// isPseudoVersion reports whether v is a pseudo-version (a commit, not a
// tag; the proxy serves it only if the commit was pushed).
func isPseudoVersion(v string) bool {
	return regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+-(.+\.)?[0-9]{14}-[0-9a-f]{12}$`).MatchString(v)
}
