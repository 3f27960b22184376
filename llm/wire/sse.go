package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// MaxLine bounds one line of an event stream.
const MaxLine = 16 << 20

// ErrTooLong is returned for an event stream line over MaxLine.
var ErrTooLong = errors.New("wire: event stream line over 16 MiB")

// Event is one server-sent event: its "event:" name ("" when none) and its
// "data:" lines joined by newlines.
type Event struct {
	Name string
	Data []byte
}

// Events reads server-sent events (the WHATWG format: lines ended by LF,
// CRLF or CR; "field: value"; comments start with ':'; a blank line ends
// an event that has data; id and retry fields are ignored).
type Events struct {
	sc *bufio.Scanner
}

// NewEvents reads events from r.
func NewEvents(r io.Reader) *Events {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	sc.Split(splitLines)
	return &Events{sc: sc}
}

// Next returns the next event, io.EOF when the stream ended (an event
// without its closing blank line is dropped, as the format says), or the
// read's error.
func (e *Events) Next() (Event, error) {
	var ev Event
	var data []byte // nil until a data line
	for e.sc.Scan() {
		line := e.sc.Bytes()
		if len(line) == 0 {
			if data == nil { // no data: nothing to dispatch
				ev.Name = ""
				continue
			}
			ev.Data = data[:len(data)-1] // less the last line's newline
			return ev, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			ev.Name = string(value)
		case "data":
			data = append(append(data, value...), '\n')
		}
	}
	if err := e.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Event{}, ErrTooLong
		}
		return Event{}, err
	}
	return Event{}, io.EOF
}

// splitLines splits at LF, CRLF or CR.
func splitLines(data []byte, atEOF bool) (int, []byte, error) {
	for i, c := range data {
		switch c {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil // a CRLF may be split across reads
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
