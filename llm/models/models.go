// Package models names chat models as "provider:model"
// ("anthropic:claude-sonnet-4-5", "openai:gpt-4.1-mini"), as LangChain's
// init_chat_model, and picks a default model from the environment.
package models

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/llm/anthropic"
	"github.com/agentgate/agentgate/llm/openai"
)

// Default models of each provider, used when only an API key is set.
const (
	DefaultAnthropic = "anthropic:claude-sonnet-4-5"
	DefaultOpenAI    = "openai:gpt-4.1-mini"
	// Echo is the spec of llm.Echo, which needs no API key.
	Echo = "echo"
)

// EnvModel names the environment variable that sets the default model.
const EnvModel = "AGENTGATE_MODEL"

// forms lists the accepted specs, for error messages.
const forms = `write "provider:model" (anthropic:claude-sonnet-4-5, openai:gpt-4.1-mini), a model name starting with claude-, gpt-, o1, o3 or o4, or "echo"`

// Init returns the chat model named spec: "anthropic:<model>",
// "openai:<model>" or "echo". Without a provider, claude-* is Anthropic's
// and gpt-*, o1*, o3*, o4* are OpenAI's. env reads API keys and base URLs
// (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, OPENAI_API_KEY, OPENAI_BASE_URL);
// nil means os.Getenv. Nothing is sent over the network.
func Init(spec string, env func(string) string) (llm.ChatModel, error) {
	provider, model, err := Parse(spec)
	if err != nil {
		return nil, err
	}
	if env == nil {
		env = os.Getenv
	}
	lookup := func(k string) (string, bool) {
		v := env(k)
		return v, v != ""
	}
	switch provider {
	case "echo":
		return llm.Echo{}, nil
	case "anthropic":
		return anthropic.New(model, anthropic.Options{LookupEnv: lookup})
	default: // openai
		return openai.New(model, openai.Options{LookupEnv: lookup})
	}
}

// Parse splits spec into provider and model name, inferring the provider
// when spec has none. The echo model is ("echo", "").
func Parse(spec string) (provider, model string, err error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return "", "", errors.New("models: no model named: " + forms)
	}
	if s == Echo {
		return "echo", "", nil
	}
	if p, m, ok := strings.Cut(s, ":"); ok {
		switch p {
		case "anthropic", "openai":
			if strings.TrimSpace(m) == "" {
				return "", "", fmt.Errorf("models: %q names no model: %s", spec, forms)
			}
			return p, strings.TrimSpace(m), nil
		}
		return "", "", fmt.Errorf("models: unknown provider %q in %q (providers: anthropic, openai): %s", p, spec, forms)
	}
	switch {
	case strings.HasPrefix(s, "claude-"):
		return "anthropic", s, nil
	case strings.HasPrefix(s, "gpt-"), strings.HasPrefix(s, "o1"), strings.HasPrefix(s, "o3"), strings.HasPrefix(s, "o4"):
		return "openai", s, nil
	}
	return "", "", fmt.Errorf("models: cannot tell the provider of %q: %s", spec, forms)
}

// Default returns the spec of the model to use when none is named, and
// why: AGENTGATE_MODEL; else DefaultAnthropic when ANTHROPIC_API_KEY is
// set; else DefaultOpenAI when OPENAI_API_KEY or OPENAI_BASE_URL is set;
// else the echo model. The reason names variables, never their values
// (but for AGENTGATE_MODEL's, which is the spec). nil env means os.Getenv.
func Default(env func(string) string) (spec, reason string) {
	if env == nil {
		env = os.Getenv
	}
	switch {
	case strings.TrimSpace(env(EnvModel)) != "":
		return strings.TrimSpace(env(EnvModel)), EnvModel + " is set"
	case env("ANTHROPIC_API_KEY") != "":
		return DefaultAnthropic, "ANTHROPIC_API_KEY is set"
	case env("OPENAI_API_KEY") != "":
		return DefaultOpenAI, "OPENAI_API_KEY is set"
	case env("OPENAI_BASE_URL") != "":
		return DefaultOpenAI, "OPENAI_BASE_URL is set; set " + EnvModel + " to name the server's model"
	}
	return Echo, "no ANTHROPIC_API_KEY, OPENAI_API_KEY or " + EnvModel + " set"
}
