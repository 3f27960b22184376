package runs

import (
	"context"
	"maps"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

// Keys of configurable that the server owns: whatever a client sends under
// them is replaced.
const (
	KeyAuthUser        = "langgraph_auth_user"
	KeyAuthUserID      = "langgraph_auth_user_id"
	KeyAuthPermissions = "langgraph_auth_permissions"
)

// ConfigInput is what a run's configuration is merged from (§7.5).
type ConfigInput struct {
	Assistant storage.Assistant
	// Thread is the run's thread; nil when the run creates it.
	Thread *storage.Thread
	// Config and Context are the request's.
	Config  map[string]any
	Context map[string]any
	// Metadata is the run's metadata.
	Metadata map[string]any
	// Headers are the request headers allowed into configurable.
	Headers  map[string]any
	RunID    string
	ThreadID string
	// CheckpointID, when set, makes the run start from that checkpoint.
	CheckpointID string
}

// Merged is a run's effective configuration.
type Merged struct {
	// Config is {..., "configurable": {...}, "metadata": {...}}.
	Config  map[string]any
	Context map[string]any
}

// MergeConfig merges assistant, thread and request configuration:
// config = assistant ⊕ thread ⊕ request; configurable likewise, then the
// allowed headers, then run_id, thread_id, graph_id, assistant_id and the
// caller's identity (langgraph_auth_user, langgraph_auth_user_id,
// langgraph_auth_permissions, and user_id unless some config set it);
// metadata = assistant ⊕ thread ⊕ request config ⊕ run metadata; context =
// assistant ⊕ request (also copied into configurable where absent). The
// identity comes from auth.IdentityFrom(ctx) and overwrites client values.
func MergeConfig(ctx context.Context, in ConfigInput) Merged {
	cfg := map[string]any{}
	var threadCfg map[string]any
	if in.Thread != nil {
		threadCfg = in.Thread.Config
	}
	for _, c := range []map[string]any{in.Assistant.Config, threadCfg, in.Config} {
		for k, v := range c {
			if k != "configurable" && k != "metadata" {
				cfg[k] = v
			}
		}
	}
	conf := map[string]any{}
	for _, c := range []map[string]any{in.Assistant.Config, threadCfg, in.Config} {
		if m, ok := c["configurable"].(map[string]any); ok {
			maps.Copy(conf, m)
		}
	}
	userID, hasUserID := conf["user_id"]
	maps.Copy(conf, in.Headers)
	context := map[string]any{}
	maps.Copy(context, in.Assistant.Context)
	maps.Copy(context, in.Context)
	for k, v := range context {
		if _, ok := conf[k]; !ok {
			conf[k] = v
		}
	}
	conf["run_id"] = in.RunID
	conf["thread_id"] = in.ThreadID
	conf["graph_id"] = in.Assistant.GraphID
	conf["assistant_id"] = in.Assistant.AssistantID
	if in.CheckpointID != "" {
		conf["checkpoint_id"] = in.CheckpointID
	}
	delete(conf, KeyAuthUser)
	delete(conf, KeyAuthUserID)
	delete(conf, KeyAuthPermissions)
	if !hasUserID {
		delete(conf, "user_id")
	}
	if id, ok := auth.IdentityFrom(ctx); ok && id.User != nil {
		conf[KeyAuthUser] = id.User.Map()
		conf[KeyAuthUserID] = id.User.Identity
		perms := id.Permissions
		if perms == nil {
			perms = []string{}
		}
		conf[KeyAuthPermissions] = perms
		if !hasUserID || userID == nil || userID == "" {
			conf["user_id"] = id.User.Identity
		}
	}
	cfg["configurable"] = conf

	md := map[string]any{}
	maps.Copy(md, in.Assistant.Metadata)
	if in.Thread != nil {
		maps.Copy(md, in.Thread.Metadata)
	}
	if m, ok := in.Config["metadata"].(map[string]any); ok {
		maps.Copy(md, m)
	}
	maps.Copy(md, in.Metadata)
	cfg["metadata"] = md
	return Merged{Config: cfg, Context: context}
}

// ThreadConfig is the config kept on the thread after a run is created: the
// merged config without the caller's identity (user_id included) and the
// run's ids.
func ThreadConfig(m Merged) map[string]any {
	out := map[string]any{}
	for k, v := range m.Config {
		if k != "configurable" && k != "metadata" {
			out[k] = v
		}
	}
	conf := map[string]any{}
	if c, ok := m.Config["configurable"].(map[string]any); ok {
		for k, v := range c {
			switch k {
			case KeyAuthUser, KeyAuthUserID, KeyAuthPermissions, "user_id", "run_id", "checkpoint_id":
				continue
			}
			conf[k] = v
		}
	}
	out["configurable"] = conf
	return out
}

// Redacted returns r without the caller's identity (the langgraph_auth_*
// keys) in kwargs.config.configurable. The stored run keeps it, since its
// execution needs it, but API answers and webhooks must not carry it: the
// user's extra fields may hold secrets, such as a token for another service.
func Redacted(r storage.Run) storage.Run {
	cfg, _ := r.Kwargs["config"].(map[string]any)
	conf, _ := cfg["configurable"].(map[string]any)
	if conf == nil {
		return r
	}
	_, u := conf[KeyAuthUser]
	_, id := conf[KeyAuthUserID]
	_, p := conf[KeyAuthPermissions]
	if !u && !id && !p {
		return r
	}
	conf = maps.Clone(conf)
	delete(conf, KeyAuthUser)
	delete(conf, KeyAuthUserID)
	delete(conf, KeyAuthPermissions)
	cfg = maps.Clone(cfg)
	cfg["configurable"] = conf
	r.Kwargs = maps.Clone(r.Kwargs)
	r.Kwargs["config"] = cfg
	return r
}
