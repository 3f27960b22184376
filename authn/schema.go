package authn

import _ "embed"

//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema of Config (schema.json), with examples.
func Schema() []byte { return append([]byte(nil), schemaJSON...) }
