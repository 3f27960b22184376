package storage

import (
	"context"
	"encoding/json"
	"time"
)

// Crons stores cron jobs. The scope's filters are tested on the cron's
// metadata. Deleting a cron's thread or assistant deletes the cron. Storage
// does not parse schedules: callers compute NextRunDate.
type Crons interface {
	// Create inserts a cron. Its assistant and (when set) thread must exist
	// (ErrNotFound); an existing CronID is ErrConflict.
	Create(ctx context.Context, s Scope, c CronCreate) (Cron, error)
	Get(ctx context.Context, s Scope, id string) (Cron, error)
	Update(ctx context.Context, s Scope, id string, p CronPatch) (Cron, error)
	Delete(ctx context.Context, s Scope, id string) error
	// Search and Count see the crons visible to s whose thread, when they
	// have one, is visible to threads (a scope of the threads resource).
	Search(ctx context.Context, s, threads Scope, q CronSearch) ([]Cron, error)
	Count(ctx context.Context, s, threads Scope, q CronSearch) (int, error)

	// Due lists, for the scheduler (System scope only), the enabled crons
	// whose next run date is at or before now and whose end time, if any,
	// is after now: oldest next run date first, at most limit (0: all).
	Due(ctx context.Context, s Scope, now time.Time, limit int) ([]Cron, error)
	// Advance sets a cron's next run date to next if it still is from
	// (System scope only). Exactly one of several concurrent callers with the
	// same from gets true: the one that fires that tick.
	Advance(ctx context.Context, s Scope, id string, from, next time.Time) (bool, error)
}

// Cron values of OnRunCompleted (stateless crons): delete the thread each
// run made, or keep it.
const (
	CronDeleteThread = "delete"
	CronKeepThread   = "keep"
)

// Cron is a scheduled run. ThreadID, OnRunCompleted, Timezone and UserID
// are null on the wire when empty.
type Cron struct {
	CronID         string
	AssistantID    string
	ThreadID       string
	OnRunCompleted string
	EndTime        *time.Time
	Schedule       string
	Timezone       string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	UserID         string
	// Payload is the run to create on each tick (the create body's fields).
	Payload     map[string]any
	NextRunDate *time.Time
	Metadata    map[string]any
	Enabled     bool
	// AuthUser is the creator as graphs see it (auth.User.Map()); the
	// scheduler runs the cron as this user. Never on the wire.
	AuthUser map[string]any
}

type cronWire struct {
	CronID         string         `json:"cron_id"`
	AssistantID    string         `json:"assistant_id"`
	ThreadID       *string        `json:"thread_id"`
	OnRunCompleted *string        `json:"on_run_completed"`
	EndTime        *time.Time     `json:"end_time"`
	Schedule       string         `json:"schedule"`
	Timezone       *string        `json:"timezone"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	UserID         *string        `json:"user_id"`
	Payload        map[string]any `json:"payload"`
	NextRunDate    *time.Time     `json:"next_run_date"`
	Metadata       map[string]any `json:"metadata"`
	Enabled        bool           `json:"enabled"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// MarshalJSON writes the wire shape (api-surface §3.7).
func (c Cron) MarshalJSON() ([]byte, error) {
	w := cronWire{CronID: c.CronID, AssistantID: c.AssistantID, ThreadID: nullable(c.ThreadID),
		OnRunCompleted: nullable(c.OnRunCompleted), EndTime: c.EndTime, Schedule: c.Schedule,
		Timezone: nullable(c.Timezone), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, UserID: nullable(c.UserID),
		Payload: c.Payload, NextRunDate: c.NextRunDate, Metadata: c.Metadata, Enabled: c.Enabled}
	if w.Payload == nil {
		w.Payload = map[string]any{}
	}
	if w.Metadata == nil {
		w.Metadata = map[string]any{}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the wire shape (AuthUser is not on it).
func (c *Cron) UnmarshalJSON(b []byte) error {
	var w cronWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	*c = Cron{CronID: w.CronID, AssistantID: w.AssistantID, ThreadID: deref(w.ThreadID),
		OnRunCompleted: deref(w.OnRunCompleted), EndTime: w.EndTime, Schedule: w.Schedule,
		Timezone: deref(w.Timezone), CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, UserID: deref(w.UserID),
		Payload: w.Payload, NextRunDate: w.NextRunDate, Metadata: w.Metadata, Enabled: w.Enabled}
	return nil
}

// CronCreate inserts a cron. Empty CronID means generate one.
type CronCreate struct {
	CronID      string
	AssistantID string
	ThreadID    string // "" for a stateless cron
	// ThreadScope is the caller's threads:create_run scope on ThreadID
	// (required with ThreadID): the thread must be visible to it in the
	// transaction that inserts the cron, else ErrNotFound.
	ThreadScope    Scope
	OnRunCompleted string // "", delete or keep
	EndTime        *time.Time
	Schedule       string
	Timezone       string
	UserID         string
	AuthUser       map[string]any
	Payload        map[string]any
	Metadata       map[string]any
	Enabled        bool
	NextRunDate    *time.Time
}

// CronPatch changes a cron. Nil fields keep their value; Payload replaces
// the payload; Metadata is merged shallowly. ClearEndTime removes the end
// time.
type CronPatch struct {
	Schedule       *string
	Timezone       *string
	EndTime        *time.Time
	ClearEndTime   bool
	Enabled        *bool
	OnRunCompleted *string
	Payload        map[string]any
	Metadata       map[string]any
	NextRunDate    *time.Time
}

// CronSearch filters crons. SortBy: cron_id|assistant_id|thread_id|
// next_run_date|end_time|created_at|updated_at (default created_at DESC).
type CronSearch struct {
	AssistantID string
	ThreadID    string
	Enabled     *bool
	Limit       int
	Offset      int
	SortBy      string
	SortOrder   string
}
