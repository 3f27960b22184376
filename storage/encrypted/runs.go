package encrypted

import (
	"context"
	"time"

	enc "github.com/agentgate/agentgate/encryption"
	"github.com/agentgate/agentgate/storage"
)

const mRun = enc.ModelRun

type runs struct {
	r storage.Runs
	c codec
}

func (c codec) decRun(ctx context.Context, r *storage.Run) (err error) {
	if r.Metadata, err = c.dec(ctx, mRun, enc.FieldMetadata, r.Metadata); err != nil {
		return err
	}
	r.Kwargs, err = c.dec(ctx, mRun, enc.FieldKwargs, r.Kwargs)
	return err
}

func (c codec) decRuns(ctx context.Context, rs []storage.Run, err error) ([]storage.Run, error) {
	return decAll(ctx, rs, err, c.decRun)
}

func (c codec) run(ctx context.Context, r storage.Run, err error) (storage.Run, error) {
	return decOne(ctx, r, err, c.decRun)
}

func (r runs) Create(ctx context.Context, s storage.Scope, rc storage.RunCreate) (storage.RunCreated, error) {
	var err error
	if rc.Metadata, err = r.c.enc(ctx, mRun, enc.FieldMetadata, rc.Metadata); err != nil {
		return storage.RunCreated{}, err
	}
	if rc.Kwargs, err = r.c.enc(ctx, mRun, enc.FieldKwargs, rc.Kwargs); err != nil {
		return storage.RunCreated{}, err
	}
	if rc.ThreadMetadata, err = r.c.enc(ctx, mThread, enc.FieldMetadata, rc.ThreadMetadata); err != nil {
		return storage.RunCreated{}, err
	}
	if rc.ThreadConfig, err = r.c.enc(ctx, mThread, enc.FieldConfig, rc.ThreadConfig); err != nil {
		return storage.RunCreated{}, err
	}
	out, err := r.r.Create(ctx, s, rc)
	if err != nil {
		return out, err
	}
	if out.Run, err = r.c.run(ctx, out.Run, nil); err != nil {
		return storage.RunCreated{}, err
	}
	out.Stopping, err = r.c.decRuns(ctx, out.Stopping, nil)
	return out, err
}

func (r runs) Get(ctx context.Context, s storage.Scope, threadID, runID string) (storage.Run, error) {
	run, err := r.r.Get(ctx, s, threadID, runID)
	return r.c.run(ctx, run, err)
}

func (r runs) List(ctx context.Context, s storage.Scope, threadID string, q storage.RunList) ([]storage.Run, error) {
	rs, err := r.r.List(ctx, s, threadID, q)
	return r.c.decRuns(ctx, rs, err)
}

func (r runs) Delete(ctx context.Context, s storage.Scope, threadID, runID string) error {
	return r.r.Delete(ctx, s, threadID, runID)
}

func (r runs) Cancel(ctx context.Context, s storage.Scope, rc storage.RunCancel) ([]storage.Run, error) {
	rs, err := r.r.Cancel(ctx, s, rc)
	return r.c.decRuns(ctx, rs, err)
}

func (r runs) Claim(ctx context.Context, s storage.Scope, lease time.Duration) (storage.Run, bool, error) {
	run, ok, err := r.r.Claim(ctx, s, lease)
	if err != nil || !ok {
		return run, ok, err
	}
	run, err = r.c.run(ctx, run, nil)
	return run, err == nil, err
}

func (r runs) Heartbeat(ctx context.Context, s storage.Scope, runID string, lease time.Duration) (string, error) {
	return r.r.Heartbeat(ctx, s, runID, lease)
}

func (r runs) Finish(ctx context.Context, s storage.Scope, f storage.RunFinish) (storage.Run, error) {
	st, err := r.c.encState(ctx, storage.ThreadState{Values: f.Values, Interrupts: f.Interrupts})
	if err != nil {
		return storage.Run{}, err
	}
	f.Values, f.Interrupts = st.Values, st.Interrupts
	run, err := r.r.Finish(ctx, s, f)
	return r.c.run(ctx, run, err)
}

func (r runs) Discard(ctx context.Context, s storage.Scope, threadID, runID string) error {
	return r.r.Discard(ctx, s, threadID, runID)
}

func (r runs) RequeueExpired(ctx context.Context, s storage.Scope) ([]storage.Run, error) {
	rs, err := r.r.RequeueExpired(ctx, s)
	return r.c.decRuns(ctx, rs, err)
}

func (r runs) Stats(ctx context.Context, s storage.Scope) (storage.RunStats, error) {
	return r.r.Stats(ctx, s)
}
