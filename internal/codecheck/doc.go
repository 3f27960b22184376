// Package codecheck holds tests over the module's own source: rules of the
// codebase that the compiler does not check.
package codecheck
