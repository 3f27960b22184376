// Package genui bundles generative UI components (langgraph.json "ui") for
// the browser, as LangGraph's UI bundler does: each entry's default export
// maps component names to React components; the bundle is an IIFE whose
// global __LGUI_<name> has render(component, shadowRootId), and it takes
// react, react-dom and the LangGraph SDK from the page (through
// globalThis[Symbol.for("LGUI_REQUIRE")], which the SDK's LoadExternalComponent
// provides) instead of bundling them.
//
// Bundling uses esbuild's Go API, so no Node.js is needed at run time; the
// entry's own npm imports resolve from the project's node_modules. Tailwind
// (the JS bundler's CSS plugin) is not run: imported CSS is bundled as is.
package genui

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// File is one output of a bundle: entrypoint.js, entrypoint.css or an asset.
type File struct {
	Name string
	Body []byte
}

// Bundle is the build of one "ui" entry; its entrypoint.js defines the
// global Global (GlobalName of Name).
type Bundle struct {
	Name   string
	Global string
	Files  []File
}

// Externals are the packages every bundle imports from the page.
func Externals() []string {
	return []string{"react", "react-dom", "@langchain/langgraph-sdk", "@langchain/langgraph-sdk/react-ui"}
}

// GlobalName is the global the bundle of entry name defines.
func GlobalName(name string) string {
	return "__LGUI_" + regexp.MustCompile(`[^a-zA-Z0-9]`).ReplaceAllString(name, "_")
}

// renderer is appended to the generated entry module: render(component,
// shadowRootId) mounts the component into a div in that element's shadow
// root through the page's LGUI_EXT_STORE (set up by the SDK's
// LoadExternalComponent).
const renderer = `
const store = Symbol.for("LGUI_EXT_STORE");
export function render(name, shadowRootId) {
  const host = document.getElementById(shadowRootId);
  if (!host || !host.shadowRoot) throw new Error("no shadow root " + shadowRootId);
  const el = document.createElement("div");
  host.shadowRoot.appendChild(el);
  window[store].respond(shadowRootId, components[name], el);
}
`

// requireShim is esbuild's fallback for require() of externals in an IIFE;
// bundles take their externals from LGUI_REQUIRE instead.
const (
	requireShim = `typeof require !== "undefined" ? require`
	lguiRequire = `typeof globalThis[Symbol.for("LGUI_REQUIRE")] !== "undefined" ? globalThis[Symbol.for("LGUI_REQUIRE")]`
)

// Build bundles every entry (name → absolute module path, inside dir) with
// shared as further externals. Any error names the entry and the esbuild
// messages.
func Build(dir string, entries map[string]string, shared []string) ([]Bundle, error) {
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]Bundle, 0, len(names))
	for _, n := range names {
		files, err := buildOne(dir, n, entries[n], shared)
		if err != nil {
			return nil, fmt.Errorf("ui %q: %w", n, err)
		}
		out = append(out, Bundle{Name: n, Global: GlobalName(n), Files: files})
	}
	return out, nil
}

func buildOne(dir, name, path string, shared []string) ([]File, error) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("%s is outside the project directory %s", path, dir)
	}
	spec := "./" + filepath.ToSlash(rel)
	quoted := fmt.Sprintf("%q", spec)
	res := api.Build(api.BuildOptions{
		Stdin: &api.StdinOptions{
			Contents:   "import components from " + quoted + ";\n" + renderer,
			ResolveDir: dir,
			Sourcefile: "ui.entrypoint.tsx",
			Loader:     api.LoaderTSX,
		},
		AbsWorkingDir: dir,
		Outdir:        filepath.Join(dir, "dist"),
		Bundle:        true,
		Write:         false,
		Platform:      api.PlatformBrowser,
		Format:        api.FormatIIFE,
		Target:        api.ES2020,
		JSX:           api.JSXAutomatic,
		External:      append(Externals(), shared...),
		GlobalName:    GlobalName(name),
		LogLevel:      api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return nil, fmt.Errorf("bundle failed:\n%s", strings.TrimSpace(strings.Join(msgs, "")))
	}
	files := make([]File, 0, len(res.OutputFiles))
	for _, of := range res.OutputFiles {
		base := filepath.Base(of.Path)
		body := of.Contents
		switch base {
		case "stdin.js":
			base = "entrypoint.js"
			body = []byte(strings.ReplaceAll(string(body), requireShim, lguiRequire))
		case "stdin.css":
			base = "entrypoint.css"
		}
		files = append(files, File{Name: base, Body: body})
	}
	return files, nil
}
