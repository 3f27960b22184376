package graph

import (
	"context"
	"maps"
)

// Keys of a run's configurable that the server fills in (see runs.MergeConfig).
const (
	keyAuthUser        = "langgraph_auth_user"
	keyAuthUserID      = "langgraph_auth_user_id"
	keyAuthPermissions = "langgraph_auth_permissions"
)

// ServerInfo is what the server tells a run about itself and its caller,
// as LangGraph's runtime.server_info.
type ServerInfo struct {
	AssistantID string
	GraphID     string
	ThreadID    string
	RunID       string
	// User is the authenticated caller; nil when the server has no
	// authentication or the run was started without a caller (crons).
	User *Caller
}

// Caller is the user a run was started by, as the server's authentication
// returned it.
type Caller struct {
	Identity    string
	DisplayName string
	Permissions []string
	// IsAuthenticated is false for an anonymous user.
	IsAuthenticated bool
	// Extra holds the user's other fields. They may hold secrets (tokens
	// for other services): do not pass them to a model.
	Extra map[string]any
}

// ServerInfoFrom returns the server info of the run the node running with
// ctx belongs to. It reports false outside a node and for runs that were
// not started by the server (no assistant_id or graph_id in configurable).
func ServerInfoFrom(ctx context.Context) (ServerInfo, bool) {
	conf := Info(ctx).Configurable
	aid, _ := conf["assistant_id"].(string)
	gid, _ := conf["graph_id"].(string)
	if aid == "" && gid == "" {
		return ServerInfo{}, false
	}
	si := ServerInfo{AssistantID: aid, GraphID: gid}
	si.ThreadID, _ = conf["thread_id"].(string)
	si.RunID, _ = conf["run_id"].(string)
	si.User = callerFrom(conf)
	return si, true
}

// callerFrom reads langgraph_auth_user, langgraph_auth_user_id and
// langgraph_auth_permissions; nil when there is no identity.
func callerFrom(conf map[string]any) *Caller {
	u, _ := conf[keyAuthUser].(map[string]any)
	id, _ := conf[keyAuthUserID].(string)
	if id == "" {
		id, _ = u["identity"].(string)
	}
	if id == "" {
		return nil
	}
	c := &Caller{Identity: id, IsAuthenticated: true, Extra: map[string]any{}}
	c.DisplayName, _ = u["display_name"].(string)
	if c.DisplayName == "" {
		c.DisplayName = id
	}
	if b, ok := u["is_authenticated"].(bool); ok {
		c.IsAuthenticated = b
	}
	perms, ok := conf[keyAuthPermissions]
	if !ok {
		perms = u["permissions"]
	}
	c.Permissions = stringList(perms)
	maps.Copy(c.Extra, u)
	for _, k := range []string{"identity", "display_name", "is_authenticated", "permissions"} {
		delete(c.Extra, k)
	}
	return c
}

// stringList reads a list of strings as stored ([]string) or decoded from
// JSON ([]any); never nil.
func stringList(v any) []string {
	out := []string{}
	switch x := v.(type) {
	case []string:
		out = append(out, x...)
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
