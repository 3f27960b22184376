package query

import (
	"time"

	"github.com/google/uuid"

	"github.com/agentgate/agentgate/storage"
)

// CronCreate validates a cron creation and fills in defaults.
func CronCreate(c storage.CronCreate) (storage.CronCreate, error) {
	if c.AssistantID == "" {
		return c, storage.Errorf(storage.ErrInvalid, "a cron needs an assistant id")
	}
	if c.Schedule == "" {
		return c, storage.Errorf(storage.ErrInvalid, "a cron needs a schedule")
	}
	if err := OnRunCompleted(c.OnRunCompleted); err != nil {
		return c, err
	}
	if c.CronID == "" {
		c.CronID = uuid.NewString()
	}
	c.EndTime = MicroUTC(c.EndTime)
	c.NextRunDate = MicroUTC(c.NextRunDate)
	return c, nil
}

// CronPatch validates a cron patch.
func CronPatch(p storage.CronPatch) (storage.CronPatch, error) {
	if p.Schedule != nil && *p.Schedule == "" {
		return p, storage.Errorf(storage.ErrInvalid, "a cron needs a schedule")
	}
	if p.OnRunCompleted != nil {
		if err := OnRunCompleted(*p.OnRunCompleted); err != nil {
			return p, err
		}
	}
	p.EndTime = MicroUTC(p.EndTime)
	p.NextRunDate = MicroUTC(p.NextRunDate)
	return p, nil
}

// OnRunCompleted validates a cron's on_run_completed ("" allowed).
func OnRunCompleted(v string) error {
	switch v {
	case "", storage.CronDeleteThread, storage.CronKeepThread:
		return nil
	}
	return storage.Errorf(storage.ErrInvalid, "invalid on_run_completed %q: must be delete or keep", v)
}

// MicroUTC returns a copy of *t in UTC truncated to microseconds (nil stays nil).
func MicroUTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// CronOrder validates a cron sort. The default is created_at DESC, cron_id.
func CronOrder(by, order string) (Order, error) {
	switch by {
	case "":
		by = "created_at"
	case "cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at":
	default:
		return Order{}, storage.Errorf(storage.ErrInvalid, "invalid sort_by %q: must be one of cron_id, assistant_id, thread_id, next_run_date, end_time, created_at, updated_at", by)
	}
	desc, err := direction(order)
	if err != nil {
		return Order{}, err
	}
	return Order{By: by, Desc: desc, Tie: "cron_id"}, nil
}

// CronNotFound is the error of a missing or hidden cron.
func CronNotFound(id string) error {
	return storage.Errorf(storage.ErrNotFound, "Cron with ID %s not found", id)
}

// CronExists is the error of a cron id already taken.
func CronExists(id string) error {
	return storage.Errorf(storage.ErrConflict, "Cron with ID %s already exists", id)
}

// CronDue reports whether the scheduler should fire c at now: enabled, its
// next run date has come and its end time has not.
func CronDue(c *storage.Cron, now time.Time) bool {
	return c.Enabled && c.NextRunDate != nil && !c.NextRunDate.After(now) &&
		(c.EndTime == nil || c.EndTime.After(now))
}

// ApplyCronPatch sets on c the plain fields p changes: schedule, timezone,
// end time, enabled, on_run_completed and next run date (payload and
// metadata are the backend's to merge).
func ApplyCronPatch(c *storage.Cron, p storage.CronPatch) {
	if p.Schedule != nil {
		c.Schedule = *p.Schedule
	}
	if p.Timezone != nil {
		c.Timezone = *p.Timezone
	}
	if p.ClearEndTime {
		c.EndTime = nil
	} else if p.EndTime != nil {
		c.EndTime = p.EndTime
	}
	if p.Enabled != nil {
		c.Enabled = *p.Enabled
	}
	if p.OnRunCompleted != nil {
		c.OnRunCompleted = *p.OnRunCompleted
	}
	if p.NextRunDate != nil {
		c.NextRunDate = p.NextRunDate
	}
}
