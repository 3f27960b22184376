package encrypted

import (
	"context"

	enc "github.com/agentgate/agentgate/encryption"
	"github.com/agentgate/agentgate/storage"
)

const mThread = enc.ModelThread

type threads struct {
	t storage.Threads
	c codec
}

// decThread decrypts t in place.
func (c codec) decThread(ctx context.Context, t *storage.Thread) (err error) {
	if t.Metadata, err = c.dec(ctx, mThread, enc.FieldMetadata, t.Metadata); err != nil {
		return err
	}
	if t.Config, err = c.dec(ctx, mThread, enc.FieldConfig, t.Config); err != nil {
		return err
	}
	if t.Interrupts, err = c.dec(ctx, mThread, enc.FieldInterrupts, t.Interrupts); err != nil {
		return err
	}
	t.Values, err = c.decAny(ctx, mThread, enc.FieldValues, t.Values)
	return err
}

func (c codec) thread(ctx context.Context, t storage.Thread, err error) (storage.Thread, error) {
	return decOne(ctx, t, err, c.decThread)
}

func (c codec) encThreadCreate(ctx context.Context, tc storage.ThreadCreate) (storage.ThreadCreate, error) {
	var err error
	tc.Metadata, err = c.enc(ctx, mThread, enc.FieldMetadata, tc.Metadata)
	return tc, err
}

// encState encrypts a thread state update (SetState, and Finish's values).
func (c codec) encState(ctx context.Context, st storage.ThreadState) (_ storage.ThreadState, err error) {
	if st.Metadata, err = c.enc(ctx, mThread, enc.FieldMetadata, st.Metadata); err != nil {
		return st, err
	}
	if st.Config, err = c.enc(ctx, mThread, enc.FieldConfig, st.Config); err != nil {
		return st, err
	}
	if st.Interrupts, err = c.enc(ctx, mThread, enc.FieldInterrupts, st.Interrupts); err != nil {
		return st, err
	}
	st.Values, err = c.encAny(ctx, mThread, enc.FieldValues, st.Values)
	return st, err
}

func (t threads) Create(ctx context.Context, s storage.Scope, tc storage.ThreadCreate) (storage.Thread, error) {
	tc, err := t.c.encThreadCreate(ctx, tc)
	if err != nil {
		return storage.Thread{}, err
	}
	th, err := t.t.Create(ctx, s, tc)
	return t.c.thread(ctx, th, err)
}

func (t threads) Get(ctx context.Context, s storage.Scope, id string) (storage.Thread, error) {
	th, err := t.t.Get(ctx, s, id)
	return t.c.thread(ctx, th, err)
}

func (t threads) Update(ctx context.Context, s storage.Scope, id string, p storage.ThreadPatch) (storage.Thread, error) {
	var err error
	if p.Metadata, err = t.c.enc(ctx, mThread, enc.FieldMetadata, p.Metadata); err != nil {
		return storage.Thread{}, err
	}
	th, err := t.t.Update(ctx, s, id, p)
	return t.c.thread(ctx, th, err)
}

func (t threads) Delete(ctx context.Context, s storage.Scope, id string) error {
	return t.t.Delete(ctx, s, id)
}

func (t threads) Search(ctx context.Context, s storage.Scope, q storage.ThreadSearch) ([]storage.Thread, error) {
	out, err := t.t.Search(ctx, s, q)
	return decAll(ctx, out, err, t.c.decThread)
}

func (t threads) Count(ctx context.Context, s storage.Scope, q storage.ThreadSearch) (int, error) {
	return t.t.Count(ctx, s, q)
}

func (t threads) Copy(ctx context.Context, s storage.Scope, id string, dst storage.ThreadCreate) (storage.Thread, error) {
	dst, err := t.c.encThreadCreate(ctx, dst)
	if err != nil {
		return storage.Thread{}, err
	}
	th, err := t.t.Copy(ctx, s, id, dst)
	return t.c.thread(ctx, th, err)
}

func (t threads) Prune(ctx context.Context, s storage.Scope, ids []string, strategy string) (int, error) {
	return t.t.Prune(ctx, s, ids, strategy)
}

func (t threads) SetState(ctx context.Context, s storage.Scope, id string, st storage.ThreadState) (storage.Thread, error) {
	st, err := t.c.encState(ctx, st)
	if err != nil {
		return storage.Thread{}, err
	}
	th, err := t.t.SetState(ctx, s, id, st)
	return t.c.thread(ctx, th, err)
}
