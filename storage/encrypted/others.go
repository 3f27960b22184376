package encrypted

import (
	"context"
	"time"

	enc "github.com/agentgate/agentgate/encryption"
	"github.com/agentgate/agentgate/storage"
)

const (
	mAssistant = enc.ModelAssistant
	mCron      = enc.ModelCron
	mStore     = enc.ModelStore
)

type assistants struct {
	a storage.Assistants
	c codec
}

// assistantFields are the encrypted fields of an assistant or a version.
func (c codec) assistantFields(ctx context.Context, encrypt bool, md, cfg, cx *map[string]any) (err error) {
	for _, f := range []struct {
		name string
		v    *map[string]any
	}{{enc.FieldMetadata, md}, {enc.FieldConfig, cfg}, {enc.FieldContext, cx}} {
		if *f.v, err = c.object(ctx, encrypt, mAssistant, f.name, *f.v); err != nil {
			return err
		}
	}
	return nil
}

func (c codec) decAssistant(ctx context.Context, a *storage.Assistant) error {
	return c.assistantFields(ctx, false, &a.Metadata, &a.Config, &a.Context)
}

func (c codec) assistant(ctx context.Context, a storage.Assistant, err error) (storage.Assistant, error) {
	return decOne(ctx, a, err, c.decAssistant)
}

func (a assistants) Create(ctx context.Context, s storage.Scope, ac storage.AssistantCreate) (storage.Assistant, error) {
	if err := a.c.assistantFields(ctx, true, &ac.Metadata, &ac.Config, &ac.Context); err != nil {
		return storage.Assistant{}, err
	}
	out, err := a.a.Create(ctx, s, ac)
	return a.c.assistant(ctx, out, err)
}

func (a assistants) Get(ctx context.Context, s storage.Scope, id string) (storage.Assistant, error) {
	out, err := a.a.Get(ctx, s, id)
	return a.c.assistant(ctx, out, err)
}

func (a assistants) Update(ctx context.Context, s storage.Scope, id string, p storage.AssistantPatch) (storage.Assistant, error) {
	if err := a.c.assistantFields(ctx, true, &p.Metadata, &p.Config, &p.Context); err != nil {
		return storage.Assistant{}, err
	}
	out, err := a.a.Update(ctx, s, id, p)
	return a.c.assistant(ctx, out, err)
}

func (a assistants) Delete(ctx context.Context, s storage.Scope, id string) error {
	return a.a.Delete(ctx, s, id)
}

func (a assistants) Search(ctx context.Context, s storage.Scope, q storage.AssistantSearch) ([]storage.Assistant, error) {
	out, err := a.a.Search(ctx, s, q)
	return decAll(ctx, out, err, a.c.decAssistant)
}

func (a assistants) Count(ctx context.Context, s storage.Scope, q storage.AssistantSearch) (int, error) {
	return a.a.Count(ctx, s, q)
}

func (a assistants) Versions(ctx context.Context, s storage.Scope, id string, q storage.VersionSearch) ([]storage.AssistantVersion, error) {
	out, err := a.a.Versions(ctx, s, id, q)
	return decAll(ctx, out, err, func(ctx context.Context, v *storage.AssistantVersion) error {
		return a.c.assistantFields(ctx, false, &v.Metadata, &v.Config, &v.Context)
	})
}

func (a assistants) SetLatest(ctx context.Context, s storage.Scope, id string, version int) (storage.Assistant, error) {
	out, err := a.a.SetLatest(ctx, s, id, version)
	return a.c.assistant(ctx, out, err)
}

type crons struct {
	r storage.Crons
	c codec
}

func (c codec) decCron(ctx context.Context, cr *storage.Cron) (err error) {
	if cr.Metadata, err = c.dec(ctx, mCron, enc.FieldMetadata, cr.Metadata); err != nil {
		return err
	}
	cr.Payload, err = c.dec(ctx, mCron, enc.FieldPayload, cr.Payload)
	return err
}

func (c codec) cron(ctx context.Context, cr storage.Cron, err error) (storage.Cron, error) {
	return decOne(ctx, cr, err, c.decCron)
}

func (c codec) cronList(ctx context.Context, cs []storage.Cron, err error) ([]storage.Cron, error) {
	return decAll(ctx, cs, err, c.decCron)
}

func (r crons) Create(ctx context.Context, s storage.Scope, cc storage.CronCreate) (storage.Cron, error) {
	var err error
	if cc.Metadata, err = r.c.enc(ctx, mCron, enc.FieldMetadata, cc.Metadata); err != nil {
		return storage.Cron{}, err
	}
	if cc.Payload, err = r.c.enc(ctx, mCron, enc.FieldPayload, cc.Payload); err != nil {
		return storage.Cron{}, err
	}
	out, err := r.r.Create(ctx, s, cc)
	return r.c.cron(ctx, out, err)
}

func (r crons) Get(ctx context.Context, s storage.Scope, id string) (storage.Cron, error) {
	out, err := r.r.Get(ctx, s, id)
	return r.c.cron(ctx, out, err)
}

func (r crons) Update(ctx context.Context, s storage.Scope, id string, p storage.CronPatch) (storage.Cron, error) {
	var err error
	if p.Metadata, err = r.c.enc(ctx, mCron, enc.FieldMetadata, p.Metadata); err != nil {
		return storage.Cron{}, err
	}
	if p.Payload, err = r.c.enc(ctx, mCron, enc.FieldPayload, p.Payload); err != nil {
		return storage.Cron{}, err
	}
	out, err := r.r.Update(ctx, s, id, p)
	return r.c.cron(ctx, out, err)
}

func (r crons) Delete(ctx context.Context, s storage.Scope, id string) error {
	return r.r.Delete(ctx, s, id)
}

func (r crons) Search(ctx context.Context, s, threads storage.Scope, q storage.CronSearch) ([]storage.Cron, error) {
	out, err := r.r.Search(ctx, s, threads, q)
	return r.c.cronList(ctx, out, err)
}

func (r crons) Count(ctx context.Context, s, threads storage.Scope, q storage.CronSearch) (int, error) {
	return r.r.Count(ctx, s, threads, q)
}

func (r crons) Due(ctx context.Context, s storage.Scope, now time.Time, limit int) ([]storage.Cron, error) {
	out, err := r.r.Due(ctx, s, now, limit)
	return r.c.cronList(ctx, out, err)
}

func (r crons) Advance(ctx context.Context, s storage.Scope, id string, from, next time.Time) (bool, error) {
	return r.r.Advance(ctx, s, id, from, next)
}

type items struct {
	i storage.Items
	c codec
}

func (i items) Put(ctx context.Context, s storage.Scope, p storage.ItemPut) error {
	var err error
	if p.Value, err = i.c.enc(ctx, mStore, enc.FieldValue, p.Value); err != nil {
		return err
	}
	return i.i.Put(ctx, s, p)
}

func (c codec) decItem(ctx context.Context, it *storage.Item) (err error) {
	it.Value, err = c.dec(ctx, mStore, enc.FieldValue, it.Value)
	return err
}

func (i items) Get(ctx context.Context, s storage.Scope, namespace []string, key string, refreshTTL bool) (storage.Item, error) {
	it, err := i.i.Get(ctx, s, namespace, key, refreshTTL)
	return decOne(ctx, it, err, i.c.decItem)
}

func (i items) Delete(ctx context.Context, s storage.Scope, namespace []string, key string) error {
	return i.i.Delete(ctx, s, namespace, key)
}

func (i items) Search(ctx context.Context, s storage.Scope, q storage.ItemSearch) ([]storage.Item, error) {
	out, err := i.i.Search(ctx, s, q)
	return decAll(ctx, out, err, i.c.decItem)
}

func (i items) ListNamespaces(ctx context.Context, s storage.Scope, q storage.NamespaceList) ([][]string, error) {
	return i.i.ListNamespaces(ctx, s, q)
}
