// Package isolation holds agentgate's cross-user isolation suite; it has
// no code of its own. Its tests start the real server (real storage, a real
// graph, real auth setups), let user A create one of everything, then call
// every protected route of the server's route table as user B against A's
// resources, and fail on any leak, any change to A's data, and any route
// that has no isolation case yet. See docs/isolation.md.
package isolation
