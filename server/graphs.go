package server

// Graph is a registered graph: the graph package's compiled graph. (The
// graph runtime is landing; until it does the server treats graphs as
// opaque values and registers their system assistants only.)
type Graph = any
