package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

type assistantCreateBody struct {
	AssistantID string         `json:"assistant_id"`
	GraphID     string         `json:"graph_id"`
	Config      map[string]any `json:"config"`
	Context     map[string]any `json:"context"`
	Metadata    map[string]any `json:"metadata"`
	IfExists    string         `json:"if_exists"`
	Name        *string        `json:"name"`
	Description *string        `json:"description"`
}

func (s *Server) createAssistant(w http.ResponseWriter, r *http.Request) error {
	var b assistantCreateBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	if b.GraphID == "" {
		return invalid("Invalid value for 'graph_id': field required")
	}
	if _, ok := s.graphs[b.GraphID]; !ok {
		return invalid(fmt.Sprintf("Invalid value for 'graph_id': no graph named '%s'", b.GraphID))
	}
	if b.AssistantID != "" {
		id, ok := canonicalUUID(b.AssistantID)
		if !ok {
			return invalid("Invalid value for 'assistant_id': must be a UUID")
		}
		b.AssistantID = id
	} else {
		b.AssistantID = newUUID()
	}
	if err := oneOf("if_exists", b.IfExists, storage.IfExistsRaise, storage.IfExistsDoNothing); err != nil {
		return err
	}
	if b.IfExists == "" {
		b.IfExists = storage.IfExistsRaise
	}
	name := "Untitled"
	if b.Name != nil {
		name = *b.Name
	}
	v := &auth.AssistantsCreate{
		AssistantID: b.AssistantID, GraphID: b.GraphID, Config: orEmpty(b.Config),
		Context: orEmpty(b.Context), Metadata: orEmpty(b.Metadata), IfExists: b.IfExists,
		Name: name, Description: b.Description,
	}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	a, err := s.store.Assistants().Create(r.Context(), scope, storage.AssistantCreate{
		AssistantID: b.AssistantID,
		GraphID:     b.GraphID,
		Name:        v.Name,
		Description: v.Description,
		Config:      orEmpty(v.Config),
		Context:     orEmpty(v.Context),
		Metadata:    orEmpty(v.Metadata),
		IfExists:    b.IfExists,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, a)
}

func (s *Server) getAssistant(w http.ResponseWriter, r *http.Request) error {
	id, err := s.assistantID(r.PathValue("assistant_id"))
	if err != nil {
		return err
	}
	scope, err := s.authorize(r, &auth.AssistantsRead{AssistantID: id})
	if err != nil {
		return err
	}
	a, err := s.store.Assistants().Get(r.Context(), scope, id)
	if err != nil {
		return assistantErr(err, id)
	}
	return writeJSON(w, a)
}

func assistantErr(err error, id string) error {
	if bareNotFound(err) {
		return notFoundBy(err, fmt.Sprintf("Assistant '%s' not found", id))
	}
	return err
}

type assistantPatchBody struct {
	GraphID     *string        `json:"graph_id"`
	Config      map[string]any `json:"config"`
	Context     map[string]any `json:"context"`
	Metadata    map[string]any `json:"metadata"`
	Name        *string        `json:"name"`
	Description *string        `json:"description"`
}

func (s *Server) patchAssistant(w http.ResponseWriter, r *http.Request) error {
	id, err := s.assistantID(r.PathValue("assistant_id"))
	if err != nil {
		return err
	}
	var b assistantPatchBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	if b.GraphID != nil {
		if _, ok := s.graphs[*b.GraphID]; !ok {
			return invalid(fmt.Sprintf("Invalid value for 'graph_id': no graph named '%s'", *b.GraphID))
		}
	}
	v := &auth.AssistantsUpdate{
		AssistantID: id, GraphID: deref(b.GraphID), Config: b.Config, Context: b.Context,
		Metadata: orEmpty(b.Metadata), Name: deref(b.Name), Description: b.Description,
	}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	md := v.Metadata
	if len(md) == 0 {
		md = nil
	}
	a, err := s.store.Assistants().Update(r.Context(), scope, id, storage.AssistantPatch{
		GraphID: b.GraphID, Name: b.Name, Description: b.Description,
		Config: b.Config, Context: b.Context, Metadata: md,
	})
	if err != nil {
		return assistantErr(err, id)
	}
	return writeJSON(w, a)
}

func (s *Server) deleteAssistant(w http.ResponseWriter, r *http.Request) error {
	id, err := s.assistantID(r.PathValue("assistant_id"))
	if err != nil {
		return err
	}
	cascade, err := queryBool(r, "delete_threads")
	if err != nil {
		return err
	}
	scope, err := s.authorize(r, &auth.AssistantsDelete{AssistantID: id})
	if err != nil {
		return err
	}
	if err := s.store.Assistants().Delete(r.Context(), scope, id); err != nil {
		return assistantErr(err, id)
	}
	if cascade {
		if err := s.deleteAssistantThreads(r, id); err != nil {
			return err
		}
	}
	return noContent(w)
}

// deleteAssistantThreads deletes the threads whose metadata.assistant_id is
// id, each one authorized as threads:delete; unauthorized ones are skipped.
func (s *Server) deleteAssistantThreads(r *http.Request, id string) error {
	v := &auth.ThreadsSearch{Metadata: map[string]any{"assistant_id": id}, Limit: 1000}
	search, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	md := orEmpty(v.Metadata)
	threads := s.store.Threads()
	for {
		page, err := threads.Search(r.Context(), search, storage.ThreadSearch{Metadata: md, Limit: 1000})
		if err != nil {
			return err
		}
		deleted := 0
		for _, t := range page {
			del, err := s.authorize(r, &auth.ThreadsDelete{ThreadID: t.ThreadID})
			if err != nil {
				continue
			}
			if err := s.deleteThreadAndStreams(r.Context(), del, t.ThreadID); err == nil {
				deleted++
			} else if !errors.Is(err, storage.ErrNotFound) {
				return err
			}
		}
		if len(page) < 1000 || deleted == 0 {
			return nil
		}
	}
}

type assistantSearchBody struct {
	Metadata map[string]any `json:"metadata"`
	GraphID  string         `json:"graph_id"`
	Name     string         `json:"name"`
	searchPage
}

var assistantFields = []string{"assistant_id", "graph_id", "name", "description", "config", "context", "metadata", "version", "created_at", "updated_at"}

func (s *Server) searchAssistants(w http.ResponseWriter, r *http.Request) error {
	var b assistantSearchBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	limit, offset, err := b.check([]string{"assistant_id", "graph_id", "name", "created_at", "updated_at"}, assistantFields)
	if err != nil {
		return err
	}
	v := &auth.AssistantsSearch{GraphID: b.GraphID, Name: b.Name, Metadata: orEmpty(b.Metadata), Limit: limit, Offset: offset}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	rows, err := s.store.Assistants().Search(r.Context(), scope, storage.AssistantSearch{
		GraphID: b.GraphID, Name: b.Name, Metadata: v.Metadata,
		Limit: limit + 1, Offset: offset, SortBy: b.SortBy, SortOrder: b.SortOrder,
	})
	if err != nil {
		return err
	}
	return writePage(w, rows, limit, offset, b.Select, nil)
}

type assistantCountBody struct {
	Metadata map[string]any `json:"metadata"`
	GraphID  string         `json:"graph_id"`
	Name     string         `json:"name"`
}

func (s *Server) countAssistants(w http.ResponseWriter, r *http.Request) error {
	var b assistantCountBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	v := &auth.AssistantsSearch{GraphID: b.GraphID, Name: b.Name, Metadata: orEmpty(b.Metadata)}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	n, err := s.store.Assistants().Count(r.Context(), scope, storage.AssistantSearch{
		GraphID: b.GraphID, Name: b.Name, Metadata: v.Metadata,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, n)
}

type versionsBody struct {
	Metadata map[string]any `json:"metadata"`
	Limit    *int           `json:"limit"`
	Offset   *int           `json:"offset"`
}

func (s *Server) assistantVersions(w http.ResponseWriter, r *http.Request) error {
	id, err := s.assistantID(r.PathValue("assistant_id"))
	if err != nil {
		return err
	}
	var b versionsBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	limit, offset, err := page(b.Limit, b.Offset, 10)
	if err != nil {
		return err
	}
	scope, err := s.authorize(r, &auth.AssistantsRead{AssistantID: id})
	if err != nil {
		return err
	}
	vs, err := s.store.Assistants().Versions(r.Context(), scope, id, storage.VersionSearch{
		Metadata: b.Metadata, Limit: limit, Offset: offset,
	})
	if err != nil {
		return assistantErr(err, id)
	}
	if vs == nil {
		vs = []storage.AssistantVersion{}
	}
	return writeJSON(w, vs)
}

type latestBody struct {
	Version *int `json:"version"`
}

func (s *Server) setLatestAssistant(w http.ResponseWriter, r *http.Request) error {
	id, err := s.assistantID(r.PathValue("assistant_id"))
	if err != nil {
		return err
	}
	var b latestBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	if b.Version == nil {
		if v := r.URL.Query().Get("version"); v != "" {
			n, err := queryInt(r, "version", 0)
			if err != nil {
				return err
			}
			b.Version = &n
		}
	}
	if b.Version == nil {
		return invalid("Invalid value for 'version': field required")
	}
	scope, err := s.authorize(r, &auth.AssistantsUpdate{AssistantID: id, Version: *b.Version})
	if err != nil {
		return err
	}
	a, err := s.store.Assistants().SetLatest(r.Context(), scope, id, *b.Version)
	if err != nil {
		return assistantErr(err, id)
	}
	return writeJSON(w, a)
}
