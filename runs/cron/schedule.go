package cron

import (
	"errors"
	"fmt"
	"strings"
	"time"

	robfig "github.com/robfig/cron/v3"
)

// Schedule is a parsed cron schedule with its time zone.
type Schedule struct {
	spec robfig.Schedule
	loc  *time.Location
}

// Parse reads a standard 5-field cron expression (minute hour day-of-month
// month day-of-week, or a descriptor such as @hourly) evaluated in the IANA
// time zone tz ("" means UTC).
func Parse(schedule, tz string) (Schedule, error) {
	s := strings.TrimSpace(schedule)
	if s == "" {
		return Schedule{}, errors.New("the schedule is empty")
	}
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return Schedule{}, errors.New("set the time zone with the timezone field, not in the schedule")
	}
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return Schedule{}, fmt.Errorf("unknown time zone %q", tz)
		}
		loc = l
	}
	spec, err := robfig.ParseStandard(s)
	if err != nil {
		return Schedule{}, fmt.Errorf("invalid cron schedule %q: %v", schedule, err)
	}
	return Schedule{spec: spec, loc: loc}, nil
}

// Next returns the first time the schedule fires strictly after t, in UTC.
// It is the zero time when the schedule never fires again.
func (s Schedule) Next(t time.Time) time.Time {
	n := s.spec.Next(t.In(s.loc))
	if n.IsZero() {
		return n
	}
	return n.UTC()
}

// NextRun parses schedule in tz and returns its next firing after t.
func NextRun(schedule, tz string, t time.Time) (time.Time, error) {
	s, err := Parse(schedule, tz)
	if err != nil {
		return time.Time{}, err
	}
	n := s.Next(t)
	if n.IsZero() {
		return n, fmt.Errorf("the schedule %q never fires", schedule)
	}
	return n, nil
}
