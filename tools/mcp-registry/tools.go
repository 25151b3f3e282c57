//go:build tools

// Package tools pins the upstream MCP registry server for the project's tests.
package tools

import _ "github.com/modelcontextprotocol/registry/cmd/registry"
