package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/agentgate/agentgate/auth"
)

// OwnerOptions tune the owner preset. The zero value is the tutorial's
// part 2: metadata key "owner", system assistants visible to everyone,
// Studio treated like any other user.
type OwnerOptions struct {
	// Key is the metadata key holding the owner's identity; "owner" when
	// empty. It cannot be "$or" or "$and".
	Key string `json:"key,omitempty"`
	// HideSystemAssistants hides the graphs' own assistants (metadata
	// created_by = "system") from assistants:read and assistants:search.
	// Off by default: SDK clients look assistants up by graph id, so hiding
	// them breaks runs.create(thread, "agent").
	HideSystemAssistants bool `json:"hide_system_assistants,omitempty"`
	// StudioSeesAll lets a request admitted as Studio (auth.Context.Studio,
	// set only by the enforcer's admission path, never by a user's identity
	// or claims) see and change everything: no owner stamped, no filter, no
	// namespace rewrite.
	StudioSeesAll bool `json:"studio_sees_all,omitempty"`
}

// owner is the preset's handler.
type owner struct {
	key  string
	opts OwnerOptions
}

func newOwner(opts OwnerOptions) (*owner, error) {
	key := opts.Key
	if key == "" {
		key = "owner"
	}
	if key == "$or" || key == "$and" {
		return nil, fmt.Errorf("policy: owner key %q is a filter operator", key)
	}
	return &owner{key: key, opts: opts}, nil
}

// OwnerHandler returns the owner preset as one handler for every event, to
// register with (*auth.Auth).On("*", h) or to call from your own handler
// before adding checks of your own. For each event it:
//
//   - stamps metadata[key] = identity on threads:create, threads:update,
//     threads:create_run, assistants:create, assistants:update,
//     crons:create and crons:update, overwriting any value the client sent
//     (so a PATCH cannot hand a resource to someone else);
//   - returns the filter {key: identity} for every threads, assistants and
//     crons event, except assistants:read and assistants:search, whose
//     filter also admits system assistants:
//     {"$or": [{key: identity}, {"created_by": "system"}]};
//   - rewrites store namespaces to start with OwnerLabel(identity) (see
//     OwnerLabel) and allows the store event;
//   - refuses (403) assistants:create and assistants:update that set
//     metadata created_by = "system", which would make the assistant
//     visible to everyone as if it were a graph's own.
func OwnerHandler(opts OwnerOptions) (auth.Handler, error) {
	o, err := newOwner(opts)
	if err != nil {
		return nil, err
	}
	return (&scope{owner: o}).decide, nil
}

// InstallOwner registers the owner preset on a for the pattern "*". It fails
// when a already has a handler for any event: exactly one handler decides an
// event, so one of the two would silently lose. Use Config to combine the
// preset with rules.
func InstallOwner(a *auth.Auth, opts OwnerOptions) error {
	h, err := OwnerHandler(opts)
	if err != nil {
		return err
	}
	if err := checkFree(a, "owner preset", []string{"*"}); err != nil {
		return err
	}
	a.On("*", h)
	return nil
}

// OwnerLabel is the store namespace label of an identity: the identity with
// "%" written as "%25" and "." as "%2E", since labels cannot contain
// periods. Distinct identities give distinct labels.
func OwnerLabel(identity string) string {
	if !strings.ContainsAny(identity, "%.") {
		return identity
	}
	return strings.NewReplacer("%", "%25", ".", "%2E").Replace(identity)
}

// stamps lists the events whose metadata the preset overwrites.
func stamps(resource, action string) bool {
	switch action {
	case auth.Create, auth.Update:
		return resource != auth.Store
	case auth.CreateRun:
		return true
	}
	return false
}

// checkFree fails when a already has a handler deciding any event one of
// patterns would decide: the new handler would either shadow it or be
// shadowed by it.
func checkFree(a *auth.Auth, what string, patterns []string) error {
	if a == nil {
		return errors.New("policy: nil *auth.Auth")
	}
	for _, p := range patterns {
		k, err := parsePattern(p)
		if err != nil {
			return fmt.Errorf("policy: %w", err)
		}
		for _, ev := range auth.Events() {
			if !k.matches(ev[0], ev[1]) {
				continue
			}
			if h, existing := a.Handler(ev[0], ev[1]); h != nil {
				return fmt.Errorf("policy: %s for %q overlaps the handler already registered for %q (on %s:%s); exactly one handler decides an event, so one would be ignored: put the owner preset and rules in one policy.Config to combine them",
					what, p, existing, ev[0], ev[1])
			}
		}
	}
	return nil
}
