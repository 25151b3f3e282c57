//go:build tools

// Package tools pins the ToolHive Kubernetes operator (thv-operator) for the project's
// end-to-end tests; scripts/build-toolhive-operator.sh builds it from this module.
package tools

import _ "github.com/stacklok/toolhive/cmd/thv-operator"
