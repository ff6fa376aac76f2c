{{/*
Chart name, truncated to 63 characters (the DNS label limit).
*/}}
{{- define "sws-platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or the release name alone when it already contains the chart
name. Truncated to 51 characters so that suffixed names (<fullname>-chronograph) stay within 63.
*/}}
{{- define "sws-platform.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 51 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 51 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 51 | trimSuffix "-" }}
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
off other workloads of the release (the migration Job, the background processes).
*/}}
{{- define "sws-platform.apiSelectorLabels" -}}
{{- include "sws-platform.selectorLabels" (dict "root" . "component" "api") }}
{{- end }}

{{/*
Selector labels of one component: (dict "root" $ "component" "worker").
*/}}
{{- define "sws-platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sws-platform.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
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
Secret the API and the background processes read their keys from (never the owner's).
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
{{- $secretKeys := include "sws-platform.secretEnvNames" . | splitList " " }}
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
Environment variables that hold secrets: config may not set them.
*/}}
{{- define "sws-platform.secretEnvNames" -}}
DATABASE_URL APP_DATABASE_URL JWT_SECRET APP_DB_PASSWORD BROKER_URL S3_ACCESS_KEY S3_SECRET_KEY DOCUMENT_MASTER_KEY WEBHOOK_SECRET_KEY SMTP_PASSWORD
{{- end }}

{{/*
"true" when a process that talks to RabbitMQ (the worker or the relay) is enabled.
*/}}
{{- define "sws-platform.needsBroker" -}}
{{- if or .Values.worker.enabled .Values.relay.enabled }}true{{ end }}
{{- end }}

{{/*
Refuse settings that would only fail later, at start-up, at the first sign-in or the first job.
*/}}
{{- define "sws-platform.validate" -}}
{{- $production := eq (toString (index .Values.config "APP_ENV")) "production" }}
{{- $s := .Values.secrets }}
{{- if not $s.existingSecret }}
{{- $jwt := required "secrets.jwtSecret is required (or set secrets.existingSecret)" $s.jwtSecret }}
{{- if and $production (lt (len $jwt) 32) }}
{{- fail "secrets.jwtSecret must be 32+ random characters when config.APP_ENV is production" }}
{{- end }}
{{- if and $production (eq $jwt "dev-only-secret-change-me-in-production-0123456789") }}
{{- fail "secrets.jwtSecret is the development secret; production refuses it" }}
{{- end }}
{{- $_ := required "secrets.appDatabaseUrl (the API role's postgresql:// URL) is required (or set secrets.existingSecret)" $s.appDatabaseUrl }}
{{- if include "sws-platform.needsBroker" . }}
{{- $broker := required "secrets.brokerUrl (amqps://user:password@host:5671/vhost, RabbitMQ) is required while worker.enabled or relay.enabled (or set secrets.existingSecret)" $s.brokerUrl }}
{{- if not (regexMatch "^amqps?://[^/]+" $broker) }}
{{- fail "secrets.brokerUrl must be an amqp:// or amqps:// URL (RabbitMQ)" }}
{{- end }}
{{- end }}
{{- $_ := required "secrets.s3AccessKey (the document store's access key) is required (or set secrets.existingSecret)" $s.s3AccessKey }}
{{- $s3secret := required "secrets.s3SecretKey (the document store's secret key) is required (or set secrets.existingSecret)" $s.s3SecretKey }}
{{- if and $production (eq $s3secret "sws-dev-secret-change-me-in-production") }}
{{- fail "secrets.s3SecretKey is the development secret; production refuses it" }}
{{- end }}
{{- $master := required "secrets.documentMasterKey (base64 of 32 random bytes: openssl rand -base64 32) is required (or set secrets.existingSecret)" $s.documentMasterKey }}
{{- if not (and (regexMatch "^[A-Za-z0-9+/]{43}=$" $master) (eq (len (b64dec $master)) 32)) }}
{{- fail "secrets.documentMasterKey must be the base64 of exactly 32 bytes (openssl rand -base64 32)" }}
{{- end }}
{{- if and $production (eq $master "ZGV2LW9ubHktZG9jdW1lbnQta2V5LW5vdC1zZWNyZXQ=") }}
{{- fail "secrets.documentMasterKey is the development key; production refuses it" }}
{{- end }}
{{- $webhook := required "secrets.webhookSecretKey (32+ random characters; encrypts webhook signing secrets) is required (or set secrets.existingSecret)" $s.webhookSecretKey }}
{{- if $production }}
{{- range splitList "," $webhook }}
{{- if lt (len (trim .)) 32 }}
{{- fail "secrets.webhookSecretKey: each comma-separated key must be 32+ random characters when config.APP_ENV is production" }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if and .Values.migrations.enabled (not (include "sws-platform.migrationsUseExistingSecret" .)) }}
{{- $_ := required "secrets.databaseUrl (the owner's postgresql:// URL, for migrations) is required (or set secrets.existingSecret)" .Values.secrets.databaseUrl }}
{{- $_ := required "secrets.appDbPassword (the password the migration gives the API's role) is required (or set secrets.existingSecret)" .Values.secrets.appDbPassword }}
{{- end }}
{{- if lt (int .Values.api.workers) 1 }}
{{- fail "api.workers must be at least 1" }}
{{- end }}
{{- if .Values.worker.enabled }}
{{- $w := .Values.worker }}
{{- if or (lt (int $w.processes) 1) (lt (int $w.threads) 1) }}
{{- fail "worker.processes and worker.threads must be at least 1" }}
{{- end }}
{{- if lt (int $w.shutdownTimeoutSeconds) 1 }}
{{- fail "worker.shutdownTimeoutSeconds must be at least 1" }}
{{- end }}
{{- if le (int $w.terminationGracePeriodSeconds) (int $w.shutdownTimeoutSeconds) }}
{{- fail (printf "worker.terminationGracePeriodSeconds (%d) must exceed worker.shutdownTimeoutSeconds (%d), or running jobs are killed before dramatiq's shutdown timeout" (int $w.terminationGracePeriodSeconds) (int $w.shutdownTimeoutSeconds)) }}
{{- end }}
{{- if and $production (not (index .Values.config "SMTP_HOST")) (not (index .Values.config "MAIL_DIR")) }}
{{- fail "config.SMTP_HOST is empty: the worker would write each email as a file inside its pod (on a read-only filesystem). Set config.SMTP_HOST, or config.MAIL_DIR (e.g. /tmp/mail) to accept emails going nowhere" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
"true" when the migration Job reads a Secret the chart does not create.
*/}}
{{- define "sws-platform.migrationsUseExistingSecret" -}}
{{- if or .Values.migrations.existingSecret .Values.secrets.existingSecret }}true{{ end }}
{{- end }}

{{/*
The volumes of every pod of the chart: the writable /tmp (the root filesystem is read-only), and
extraVolumes.
*/}}
{{- define "sws-platform.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit | quote }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
An IntOrString field: 1 stays a number (Helm reads it as a float), "50%" stays a string.
*/}}
{{- define "sws-platform.intOrString" -}}
{{- if kindIs "string" . }}{{ . | quote }}{{ else }}{{ . | int64 }}{{ end }}
{{- end }}

{{/*
Secret environment variables, each from the chart's (or the existing) Secret by its key name in
secrets.keys: (dict "root" $ "names" (list "APP_DATABASE_URL" ...)). SMTP_PASSWORD is optional
(a mail server without login); a missing key of any other keeps the pod from starting.
*/}}
{{- define "sws-platform.secretEnv" -}}
{{- $root := .root }}
{{- $fields := dict "APP_DATABASE_URL" "appDatabaseUrl" "JWT_SECRET" "jwtSecret" "BROKER_URL" "brokerUrl" "S3_ACCESS_KEY" "s3AccessKey" "S3_SECRET_KEY" "s3SecretKey" "DOCUMENT_MASTER_KEY" "documentMasterKey" "WEBHOOK_SECRET_KEY" "webhookSecretKey" "SMTP_PASSWORD" "smtpPassword" }}
{{- range .names }}
{{- $field := required (printf "sws-platform.secretEnv: no key for %s" .) (get $fields .) }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ include "sws-platform.apiSecretName" $root }}
      key: {{ required (printf "secrets.keys.%s is required" $field) (index $root.Values.secrets.keys $field) }}
      {{- if eq . "SMTP_PASSWORD" }}
      optional: true
      {{- end }}
{{- end }}
{{- end }}

{{/*
Checksums that roll a component's pods when their settings change.
*/}}
{{- define "sws-platform.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end }}

{{/*
A PodDisruptionBudget for one component: (dict "root" $ "component" "worker" "pdb" $values).
*/}}
{{- define "sws-platform.pdb" -}}
{{- $pdb := .pdb }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "sws-platform.fullname" .root }}-{{ .component }}
  labels:
    {{- include "sws-platform.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  {{- if and (not (kindIs "invalid" $pdb.minAvailable)) (ne (toString $pdb.minAvailable) "") }}
  minAvailable: {{ include "sws-platform.intOrString" $pdb.minAvailable }}
  {{- else if and (not (kindIs "invalid" $pdb.maxUnavailable)) (ne (toString $pdb.maxUnavailable) "") }}
  maxUnavailable: {{ include "sws-platform.intOrString" $pdb.maxUnavailable }}
  {{- else }}
  {{- fail (printf "%s.podDisruptionBudget: set minAvailable or maxUnavailable" .component) }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "sws-platform.selectorLabels" (dict "root" .root "component" .component) | nindent 6 }}
{{- end }}

{{/*
The Deployment of a background process (worker, relay, chronograph): no port, no Service, no
readiness probe; the API's image, ConfigMap, ServiceAccount and security contexts.
  (dict "root" $ "component" "relay" "values" .Values.relay
        "command" (list "python" "-m" "services.entry.relay") "secretEnv" (list "APP_DATABASE_URL" ...))
*/}}
{{- define "sws-platform.processDeployment" -}}
{{- $root := .root }}
{{- $v := .values }}
{{- $component := .component }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "sws-platform.fullname" $root }}-{{ $component }}
  labels:
    {{- include "sws-platform.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $component }}
spec:
  {{- if not (dig "autoscaling" "enabled" false $v) }}
  replicas: {{ $v.replicaCount | int }}
  {{- end }}
  revisionHistoryLimit: 5
  {{- with $v.strategy }}
  strategy:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "sws-platform.selectorLabels" (dict "root" $root "component" $component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "sws-platform.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ $component }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # Roll the pods when their settings change.
        {{- include "sws-platform.checksums" $root | nindent 8 }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "sws-platform.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds | int }}
      {{- with $root.Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ $component }}
          image: {{ include "sws-platform.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command:
            {{- range .command }}
            - {{ . | toString | quote }}
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "sws-platform.fullname" $root }}
            {{- with $v.extraEnvFrom }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          env:
            # Only the keys this process uses; the database role is the API's, never the owner.
            {{- include "sws-platform.secretEnv" (dict "root" $root "names" .secretEnv) | trim | nindent 12 }}
            - name: HOME
              value: /tmp
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with $v.livenessProbe }}
          livenessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $v.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $root.Values.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- with $root.Values.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "sws-platform.tmpVolume" $root | nindent 8 }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
