package server

import "github.com/agentgate/agentgate/graph"

// Graph is a registered graph: the graph package's compiled state graph.
type Graph = *graph.Graph
