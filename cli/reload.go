package cli

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/agentgate/agentgate/config"
)

// listenFDEnv names the inherited descriptor of the listening socket in the
// environment of a reloading dev's server process.
const listenFDEnv = "AGENTGATE_LISTEN_FD"

// Reload timing: how often watched files are polled, and how long they
// must stay unchanged before the server restarts.
const (
	reloadPoll     = 500 * time.Millisecond
	reloadDebounce = 300 * time.Millisecond
)

// reloads reports whether this dev command supervises a server process
// that it restarts on changes.
func reloads(f serverFlags, e env) bool {
	return f.mode == "dev" && !f.noReload && canReload && e.child != nil && e.getenv(listenFDEnv) == ""
}

// stamp is what polling compares of one file.
type stamp struct {
	size int64
	mod  int64
}

// watcher polls the files a dev reload depends on: langgraph.json, its env
// file, the .go files of the package directories it names and the script
// and style files of its "ui" entries' directories.
type watcher struct {
	config string   // --config as given
	dirs   []string // Go package directories of the last valid config
	uiDirs []string // directories of its "ui" entries
	last   map[string]stamp
}

// uiSource reports whether a file in a "ui" entry's directory goes into
// its bundle.
func uiSource(name string) bool {
	switch filepath.Ext(name) {
	case ".ts", ".tsx", ".mts", ".js", ".jsx", ".mjs", ".css", ".json":
		return true
	}
	return false
}

func newWatcher(configPath string) *watcher {
	w := &watcher{config: configPath}
	w.last = w.scan()
	return w
}

// scan reloads the watch list from the config (keeping the previous package
// directories when it does not load) and stamps every file on it.
func (w *watcher) scan() map[string]stamp {
	file := w.config
	if st, err := os.Stat(file); err == nil && st.IsDir() {
		file = filepath.Join(file, "langgraph.json")
	}
	files := []string{file}
	if cfg, err := config.Load(w.config); err == nil {
		if cfg.EnvFile != "" {
			files = append(files, cfg.EnvFile)
		}
		w.dirs = w.dirs[:0]
		for _, g := range cfg.Graphs {
			if g.Kind == config.GraphGoPackage {
				w.dirs = append(w.dirs, g.Dir)
			}
		}
		if a := cfg.Auth; a != nil && a.Path != "" {
			w.dirs = append(w.dirs, a.Dir)
		}
		if cfg.HTTP.App != "" {
			w.dirs = append(w.dirs, cfg.HTTP.AppDir)
		}
		w.uiDirs = w.uiDirs[:0]
		for _, p := range cfg.UI.Entries {
			w.uiDirs = append(w.uiDirs, filepath.Dir(p))
		}
	}
	for _, d := range w.uiDirs {
		entries, _ := os.ReadDir(d)
		for _, en := range entries {
			if !en.IsDir() && uiSource(en.Name()) {
				files = append(files, filepath.Join(d, en.Name()))
			}
		}
	}
	for _, d := range w.dirs {
		entries, _ := os.ReadDir(d)
		for _, en := range entries {
			if !en.IsDir() && strings.HasSuffix(en.Name(), ".go") {
				files = append(files, filepath.Join(d, en.Name()))
			}
		}
	}
	out := make(map[string]stamp, len(files))
	for _, p := range files {
		if st, err := os.Stat(p); err == nil {
			out[p] = stamp{size: st.Size(), mod: st.ModTime().UnixNano()}
		} else {
			out[p] = stamp{size: -1} // missing: its creation is a change
		}
	}
	return out
}

// changed polls once and returns the files that differ from the last poll.
func (w *watcher) changed() []string {
	now := w.scan()
	var diff []string
	for p, s := range now {
		if old, ok := w.last[p]; !ok || old != s {
			diff = append(diff, p)
		}
	}
	for p := range w.last {
		if _, ok := now[p]; !ok {
			diff = append(diff, p)
		}
	}
	w.last = now
	sort.Strings(diff)
	return diff
}

// settle waits until a poll finds nothing new for reloadDebounce (editors
// write in steps), and returns every file that changed meanwhile.
func (w *watcher) settle(first []string, done <-chan struct{}) []string {
	all := first
	for range 20 {
		select {
		case <-done:
			return all
		case <-time.After(reloadDebounce):
		}
		more := w.changed()
		if len(more) == 0 {
			break
		}
		all = append(all, more...)
	}
	sort.Strings(all)
	uniq := all[:0]
	for i, p := range all {
		if i == 0 || p != all[i-1] {
			uniq = append(uniq, p)
		}
	}
	return uniq
}
