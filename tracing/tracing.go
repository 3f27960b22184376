// Package tracing builds agentgate's OpenTelemetry tracer from the standard
// OTEL_* environment variables. Tracing is off unless an OTLP endpoint is
// configured; then Provider returns a no-op tracer and hooks cost nothing.
package tracing

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Name is the instrumentation scope of agentgate's spans.
const Name = "github.com/agentgate/agentgate"

// Provider holds the tracer; the zero value and nil are off.
type Provider struct {
	tp       *sdktrace.TracerProvider
	tracer   trace.Tracer
	endpoint string
}

// Propagator is the W3C propagator (tracecontext and baggage).
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// Configured reports whether getenv asks for traces: an OTLP endpoint
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or
// OTEL_TRACES_EXPORTER=otlp, and OTEL_SDK_DISABLED not true.
func Configured(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	exp := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")))
	if exp == "none" {
		return false
	}
	return exp == "otlp" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" ||
		getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// FromEnv builds the provider the environment asks for: nil (off) unless
// Configured. The OTLP/HTTP exporter reads the other OTEL_EXPORTER_OTLP_*
// variables from the process environment, the endpoint from getenv; the
// service name is OTEL_SERVICE_NAME or "agentgate".
func FromEnv(ctx context.Context, getenv func(string) string) (*Provider, error) {
	if !Configured(getenv) {
		return nil, nil
	}
	var opts []otlptracehttp.Option
	if getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(Endpoint(getenv)))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, err
	}
	p := New(sdktrace.WithBatcher(exp), sdktrace.WithResource(serviceResource(getenv)))
	p.endpoint = Endpoint(getenv)
	return p, nil
}

// New builds a provider from SDK options (tests use sdktrace.WithSyncer).
func New(opts ...sdktrace.TracerProviderOption) *Provider {
	tp := sdktrace.NewTracerProvider(opts...)
	return &Provider{tp: tp, tracer: tp.Tracer(Name)}
}

func serviceResource(getenv func(string) string) *resource.Resource {
	name := getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "agentgate"
	}
	r, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", name)))
	if err != nil {
		return resource.Default()
	}
	return r
}

// Endpoint is where the exporter sends traces, for the startup log.
func Endpoint(getenv func(string) string) string {
	if e := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); e != "" {
		return e
	}
	if e := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); e != "" {
		return strings.TrimSuffix(e, "/") + "/v1/traces"
	}
	return "http://localhost:4318/v1/traces"
}

// On reports whether p records spans.
func (p *Provider) On() bool { return p != nil && p.tp != nil }

// Tracer returns the tracer: a no-op one when p is off.
func (p *Provider) Tracer() trace.Tracer {
	if !p.On() {
		return noop.NewTracerProvider().Tracer(Name)
	}
	return p.tracer
}

// TracerOrNil returns the tracer, nil when p is off (hooks test for nil).
func (p *Provider) TracerOrNil() trace.Tracer {
	if !p.On() {
		return nil
	}
	return p.tracer
}

// EndpointURL is where traces go ("" when off or built by New).
func (p *Provider) EndpointURL() string {
	if p == nil {
		return ""
	}
	return p.endpoint
}

// ForceFlush exports the spans ended so far.
func (p *Provider) ForceFlush(ctx context.Context) error {
	if !p.On() {
		return nil
	}
	return p.tp.ForceFlush(ctx)
}

// Shutdown flushes and stops the exporter.
func (p *Provider) Shutdown(ctx context.Context) error {
	if !p.On() {
		return nil
	}
	return p.tp.Shutdown(ctx)
}
