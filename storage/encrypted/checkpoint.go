package encrypted

import (
	"context"
	"encoding/json"

	enc "github.com/agentgate/agentgate/encryption"
	"github.com/agentgate/agentgate/graph/checkpoint"
)

const mCheckpoint = enc.ModelCheckpoint

// saver encrypts channel values and pending writes as blobs and checkpoint
// metadata with the JSON hooks (List filters see its clear keys).
type saver struct {
	sv checkpoint.Saver
	c  codec
}

func (s saver) Put(ctx context.Context, cfg checkpoint.Config, cp checkpoint.Checkpoint, md checkpoint.Metadata, nv map[string]string) (checkpoint.Config, error) {
	vals := make(map[string]json.RawMessage, len(cp.ChannelValues))
	for ch, raw := range cp.ChannelValues {
		b, err := s.c.encRaw(ctx, mCheckpoint, enc.FieldValues, raw)
		if err != nil {
			return checkpoint.Config{}, err
		}
		vals[ch] = b
	}
	cp.ChannelValues = vals
	m, err := s.c.enc(ctx, mCheckpoint, enc.FieldMetadata, md)
	if err != nil {
		return checkpoint.Config{}, err
	}
	return s.sv.Put(ctx, cfg, cp, m, nv)
}

func (s saver) PutWrites(ctx context.Context, cfg checkpoint.Config, ws []checkpoint.Write, taskID string) error {
	out := make([]checkpoint.Write, len(ws))
	for i, w := range ws {
		b, err := s.c.encRaw(ctx, mCheckpoint, enc.FieldWrites, w.Value)
		if err != nil {
			return err
		}
		out[i] = checkpoint.Write{Channel: w.Channel, Value: b}
	}
	return s.sv.PutWrites(ctx, cfg, out, taskID)
}

func (s saver) decTuple(ctx context.Context, t *checkpoint.Tuple) error {
	vals := make(map[string]json.RawMessage, len(t.Checkpoint.ChannelValues))
	for ch, raw := range t.Checkpoint.ChannelValues {
		b, err := s.c.decRaw(ctx, mCheckpoint, enc.FieldValues, raw)
		if err != nil {
			return err
		}
		vals[ch] = b
	}
	if t.Checkpoint.ChannelValues != nil {
		t.Checkpoint.ChannelValues = vals
	}
	md, err := s.c.dec(ctx, mCheckpoint, enc.FieldMetadata, t.Metadata)
	if err != nil {
		return err
	}
	t.Metadata = md
	for i, w := range t.PendingWrites {
		if t.PendingWrites[i].Value, err = s.c.decRaw(ctx, mCheckpoint, enc.FieldWrites, w.Value); err != nil {
			return err
		}
	}
	return nil
}

func (s saver) GetTuple(ctx context.Context, cfg checkpoint.Config) (checkpoint.Tuple, error) {
	t, err := s.sv.GetTuple(ctx, cfg)
	return decOne(ctx, t, err, s.decTuple)
}

func (s saver) List(ctx context.Context, cfg checkpoint.Config, o checkpoint.ListOptions) ([]checkpoint.Tuple, error) {
	ts, err := s.sv.List(ctx, cfg, o)
	return decAll(ctx, ts, err, s.decTuple)
}

func (s saver) DeleteThread(ctx context.Context, threadID string) error {
	return s.sv.DeleteThread(ctx, threadID)
}

func (s saver) CopyThread(ctx context.Context, src, dst string) error {
	return s.sv.CopyThread(ctx, src, dst)
}
