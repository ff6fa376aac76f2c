{{/*
Chart name, truncated to 63 characters (the DNS label limit).
*/}}
{{- define "sws-platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or the release name alone when it already contains the chart
name. Truncated to 52 characters so that suffixed names (<fullname>-migrate) stay within 63.
*/}}
{{- define "sws-platform.fullname" -}}
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

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "sws-platform.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource.
*/}}
{{- define "sws-platform.labels" -}}
helm.sh/chart: {{ include "sws-platform.chart" . }}
app.kubernetes.io/name: {{ include "sws-platform.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sws-platform
{{- end }}

{{/*
Selector labels of the API. The component label keeps the API's Service and PodDisruptionBudget
off other workloads of the release (the migration Job now, the workers later).
*/}}
{{- define "sws-platform.apiSelectorLabels" -}}
app.kubernetes.io/name: {{ include "sws-platform.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end }}

{{/*
Name of the API's ServiceAccount.
*/}}
{{- define "sws-platform.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sws-platform.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: repository@digest, or repository:tag (tag defaults to appVersion).
*/}}
{{- define "sws-platform.image" -}}
{{- $repository := required "image.repository is required" .Values.image.repository }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/*
Secret the API reads APP_DATABASE_URL and JWT_SECRET from.
*/}}
{{- define "sws-platform.apiSecretName" -}}
{{- default (include "sws-platform.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/*
Secret the migration Job reads DATABASE_URL, APP_DB_PASSWORD and JWT_SECRET from.
*/}}
{{- define "sws-platform.migrateSecretName" -}}
{{- if .Values.migrations.existingSecret }}
{{- .Values.migrations.existingSecret }}
{{- else if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- printf "%s-migrate" (include "sws-platform.fullname" .) }}
{{- end }}
{{- end }}

{{/*
The non-secret settings as a YAML map of strings, from .Values.config. Refuses secret keys, and
writes whole numbers given unquoted in a values file (which Helm reads as floats) without an
exponent.
*/}}
{{- define "sws-platform.configData" -}}
{{- $secretKeys := list "DATABASE_URL" "APP_DATABASE_URL" "JWT_SECRET" "APP_DB_PASSWORD" }}
{{- range $key, $value := .Values.config }}
{{- if has $key $secretKeys }}
{{- fail (printf "config.%s is a secret: set it through secrets (or secrets.existingSecret), not config" $key) }}
{{- end }}
{{- if kindIs "float64" $value }}
{{ $key }}: {{ $value | int64 | quote }}
{{- else if not (kindIs "invalid" $value) }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Refuse settings that would only fail later, at start-up or at the first sign-in.
*/}}
{{- define "sws-platform.validate" -}}
{{- $production := eq (toString (index .Values.config "APP_ENV")) "production" }}
{{- if not .Values.secrets.existingSecret }}
{{- $jwt := required "secrets.jwtSecret is required (or set secrets.existingSecret)" .Values.secrets.jwtSecret }}
{{- if and $production (lt (len $jwt) 32) }}
{{- fail "secrets.jwtSecret must be 32+ random characters when config.APP_ENV is production" }}
{{- end }}
{{- if and $production (eq $jwt "dev-only-secret-change-me-in-production-0123456789") }}
{{- fail "secrets.jwtSecret is the development secret; production refuses it" }}
{{- end }}
{{- $_ := required "secrets.appDatabaseUrl (the API role's postgresql:// URL) is required (or set secrets.existingSecret)" .Values.secrets.appDatabaseUrl }}
{{- end }}
{{- if and .Values.migrations.enabled (not (include "sws-platform.migrationsUseExistingSecret" .)) }}
{{- $_ := required "secrets.databaseUrl (the owner's postgresql:// URL, for migrations) is required (or set secrets.existingSecret)" .Values.secrets.databaseUrl }}
{{- $_ := required "secrets.appDbPassword (the password the migration gives the API's role) is required (or set secrets.existingSecret)" .Values.secrets.appDbPassword }}
{{- end }}
{{- if lt (int .Values.api.workers) 1 }}
{{- fail "api.workers must be at least 1" }}
{{- end }}
{{- end }}

{{/*
"true" when the migration Job reads a Secret the chart does not create.
*/}}
{{- define "sws-platform.migrationsUseExistingSecret" -}}
{{- if or .Values.migrations.existingSecret .Values.secrets.existingSecret }}true{{ end }}
{{- end }}

{{/*
The writable /tmp every pod of the chart mounts (the root filesystem is read-only).
*/}}
{{- define "sws-platform.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit | quote }}
{{- end }}

{{/*
An IntOrString field: 1 stays a number (Helm reads it as a float), "50%" stays a string.
*/}}
{{- define "sws-platform.intOrString" -}}
{{- if kindIs "string" . }}{{ . | quote }}{{ else }}{{ . | int64 }}{{ end }}
{{- end }}
