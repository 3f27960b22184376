package cli

import (
	"bufio"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// Package initialisation runs code and reads tables spread over the whole
// executable (about 300 packages have init functions), and the kernel maps
// 64 KB of the file around every page touched: at start, some 15 MB of the
// binary count in the process's RSS although most of it never runs again.
// After start the server hands back its mappings of the executable's
// read-only pages (madvise MADV_DONTNEED); the pages stay in the page
// cache, and what still runs faults back in from there.

// releaseStartupPages releases them, once the server listens.
func releaseStartupPages(log *slog.Logger) {
	if n, err := releaseExePages(); err != nil {
		log.Debug("could not release the executable's start-up pages", "err", err)
	} else {
		log.Debug("released the executable's start-up pages", "rss_bytes", n)
	}
}

// exeMapping is an address range of the executable mapped read-only.
type exeMapping struct {
	start, end uint64
	rss        int64 // resident bytes
}

// releasableMappings reads /proc/PID/smaps and returns the executable's
// read-only private mappings that hold no private (anonymous) page. A
// mapping with one is left alone: its copied pages are changes someone
// made on purpose (a debugger's breakpoints, a uprobe), which dropping the
// page would undo.
func releasableMappings(smaps io.Reader, exe string) ([]exeMapping, error) {
	var out []exeMapping
	var cur *exeMapping
	sc := bufio.NewScanner(smaps)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if k, ok := strings.CutSuffix(f[0], ":"); ok { // a field of the current mapping
			if cur == nil || len(f) < 2 {
				continue
			}
			n, _ := strconv.ParseInt(f[1], 10, 64)
			switch k {
			case "Rss":
				cur.rss = n << 10
			case "Anonymous":
				if n > 0 {
					out, cur = out[:len(out)-1], nil
				}
			}
			continue
		}
		cur = nil // a mapping's header: "start-end perms offset dev inode path"
		if len(f) < 6 || f[5] != exe || len(f[1]) != 4 || f[1][1] == 'w' || f[1][3] != 'p' {
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		out = append(out, exeMapping{start: start, end: end})
		cur = &out[len(out)-1]
	}
	return out, sc.Err()
}
