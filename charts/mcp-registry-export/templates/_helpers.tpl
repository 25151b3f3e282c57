{{/* Names, labels and the values checks every template shares. */}}

{{- define "mre.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Base of every resource name. Short enough for "<fullname>-serving" etc. (<= 63). */}}
{{- define "mre.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "mre.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mre.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mre.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "mre.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "mre.serviceAccountName" -}}
{{- default (include "mre.fullname" .) .Values.serviceAccount.name }}
{{- end }}

{{/* One name for the Service, the Lease and both webhook configurations. */}}
{{- define "mre.serviceName" -}}{{ include "mre.fullname" . }}{{- end }}
{{- define "mre.leaseName" -}}{{ include "mre.fullname" . }}{{- end }}
{{- define "mre.webhookConfigurationName" -}}{{ include "mre.fullname" . }}{{- end }}
{{- define "mre.tlsSecretName" -}}{{ include "mre.fullname" . }}-tls{{- end }}
{{- define "mre.servingCertificateName" -}}{{ include "mre.fullname" . }}-serving{{- end }}

{{/* The container's HTTPS port: hostNetwork.port (default webhook.port) on the host network. */}}
{{- define "mre.containerPort" -}}
{{- if .Values.hostNetwork.enabled }}{{ .Values.hostNetwork.port | default .Values.webhook.port }}{{ else }}{{ .Values.webhook.port }}{{ end }}
{{- end }}

{{- define "mre.certManager" -}}
{{- if eq .Values.certificates.mode "cert-manager" }}true{{ end }}
{{- end }}

{{- define "mre.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Checks the schema cannot express with a clear sentence (and repeats the ones it does, for
`--skip-schema-validation`).
*/}}
{{- define "mre.validate" -}}
{{- $shutdown := .Values.shutdown }}
{{- $needed := add $shutdown.preStopSleepSeconds $shutdown.delaySeconds .Values.webhook.timeoutSeconds }}
{{- if lt (int $shutdown.terminationGracePeriodSeconds) (int $needed) }}
{{- fail (printf "shutdown.terminationGracePeriodSeconds (%d) must cover shutdown.preStopSleepSeconds + shutdown.delaySeconds + webhook.timeoutSeconds (%d): the kubelet would kill the pod while it still answers reviews" (int $shutdown.terminationGracePeriodSeconds) (int $needed)) }}
{{- end }}
{{- if .Values.publisher.enabled }}
{{- $_ := required "registry.url is required when publisher.enabled is true: set --set registry.url=https://registry.example.com (or publisher.enabled=false for admission only)" .Values.registry.url }}
{{- $auth := .Values.registry.auth }}
{{- if ne $auth.mode "none" }}
{{- $_ := required (printf "registry.auth.existingSecret is required when registry.auth.mode is %s: the Secret that holds the %s" $auth.mode (ternary "token" "Ed25519 private key" (eq $auth.mode "token"))) $auth.existingSecret }}
{{- end }}
{{- if and (has $auth.mode (list "dns" "http")) (not $auth.domain) }}
{{- fail (printf "registry.auth.domain is required when registry.auth.mode is %s: the domain the key proves" $auth.mode) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The namespaceSelector both webhook configurations share. */}}
{{- define "mre.webhookNamespaceSelector" -}}
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: {{ concat (list "kube-system" .Release.Namespace) .Values.webhook.excludeNamespaces | uniq | toJson }}
{{- end }}

{{/* What is sent to the webhooks: CREATE and UPDATE (not status) of registry-annotated objects. */}}
{{- define "mre.webhookMatch" -}}
rules:
  - apiGroups: ["gateway.networking.k8s.io"]
    apiVersions: ["v1", "v1beta1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["httproutes"]
    scope: Namespaced
  - apiGroups: ["toolhive.stacklok.dev"]
    apiVersions: ["v1alpha1", "v1beta1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["mcpservers", "mcpremoteproxies", "virtualmcpservers", "mcpserverentries"]
    scope: Namespaced
matchConditions:
  - name: registry-annotated
    expression: >-
      has(object.metadata.annotations) &&
      object.metadata.annotations.exists(k, k.startsWith('toolhive.stacklok.dev/registry-') ||
      k in ['toolhive.stacklok.dev/tools', 'toolhive.stacklok.dev/tool-definitions', 'toolhive.stacklok.dev/authz-claims'])
{{- end }}

{{/* cert-manager mode: cainjector copies the serving Certificate's CA into caBundle. */}}
{{- define "mre.webhookAnnotations" -}}
{{- if include "mre.certManager" . }}
annotations:
  cert-manager.io/inject-ca-from: {{ printf "%s/%s" .Release.Namespace (include "mre.servingCertificateName" .) }}
{{- end }}
{{- end }}

{{- define "mre.cleanupJobName" -}}{{ include "mre.fullname" . }}-cleanup{{- end }}

{{/*
The environment the Deployment and the cleanup Job (`prune`) share: which installation this
is (install namespace + Lease name: the default installation ID "<namespace>/<lease>"), the
name prefix, and with the publisher the registry, its credentials and whose entries these
are. Both must agree, or `prune` would not recognize the Deployment's entries as its own.
*/}}
{{- define "mre.sharedEnv" -}}
- name: MCP_REGISTRY_EXPORT_INSTALL_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: MCP_REGISTRY_EXPORT_LEASE_NAME
  value: {{ include "mre.leaseName" . }}
- name: MCP_REGISTRY_EXPORT_LOG_LEVEL
  value: {{ .Values.logLevel }}
# The webhook judges registry names with the same prefix the publisher writes.
- name: MCP_REGISTRY_EXPORT_NAME_PREFIX
  value: {{ .Values.publisher.namePrefix | quote }}
{{- if .Values.publisher.enabled }}
{{- $auth := .Values.registry.auth }}
- name: MCP_REGISTRY_EXPORT_REGISTRY_URL
  value: {{ .Values.registry.url | quote }}
- name: MCP_REGISTRY_EXPORT_REGISTRY_FLAVOR
  value: {{ .Values.registry.flavor }}
- name: MCP_REGISTRY_EXPORT_REGISTRY_AUTH
  value: {{ $auth.mode }}
{{- if .Values.registry.allowInsecure }}
- name: MCP_REGISTRY_EXPORT_ALLOW_INSECURE_REGISTRY
  value: "true"
{{- end }}
{{- if eq $auth.mode "token" }}
- name: MCP_REGISTRY_EXPORT_REGISTRY_TOKEN_FILE
  value: /etc/mcp-registry-export/registry/token
{{- else if ne $auth.mode "none" }}
- name: MCP_REGISTRY_EXPORT_REGISTRY_KEY_FILE
  value: /etc/mcp-registry-export/registry/private-key
- name: MCP_REGISTRY_EXPORT_REGISTRY_DOMAIN
  value: {{ $auth.domain | quote }}
{{- end }}
{{- with .Values.publisher.owner }}
- name: MCP_REGISTRY_EXPORT_OWNER
  value: {{ . | quote }}
{{- end }}
{{- with .Values.publishing.installation }}
- name: MCP_REGISTRY_EXPORT_INSTALLATION
  value: {{ . | quote }}
{{- end }}
{{- with .Values.publishing.adoptOwners }}
- name: MCP_REGISTRY_EXPORT_ADOPT_OWNER
  value: {{ join "," . | quote }}
{{- end }}
{{- if .Values.publisher.dryRun }}
- name: MCP_REGISTRY_EXPORT_DRY_RUN
  value: "true"
{{- end }}
{{- end }}
{{- end }}

{{/* `--namespace` per exported namespace (publisher only), for `run`; the prune Job takes every namespace. */}}
{{- define "mre.namespaceArgs" -}}
{{- if .Values.publisher.enabled }}
{{- range .Values.publisher.namespaces }}
- --namespace
- {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* The registry credential Secret: true when it is mounted (publisher, auth other than none). */}}
{{- define "mre.registrySecret" -}}
{{- if and .Values.publisher.enabled (ne .Values.registry.auth.mode "none") }}true{{ end }}
{{- end }}

{{/* Its volume (only the one key in use) and its mount, the same in the Deployment and the Job. */}}
{{- define "mre.registrySecretVolume" -}}
{{- $auth := .Values.registry.auth -}}
- name: registry-credentials
  secret:
    secretName: {{ $auth.existingSecret }}
    defaultMode: 0440
    items:
      {{- if eq $auth.mode "token" }}
      - { key: {{ $auth.tokenKey | quote }}, path: token }
      {{- else }}
      - { key: {{ $auth.privateKeyKey | quote }}, path: private-key }
      {{- end }}
{{- end }}

{{- define "mre.registrySecretVolumeMount" -}}
- name: registry-credentials
  mountPath: /etc/mcp-registry-export/registry
  readOnly: true
{{- end }}
