"""The project archive (项目档案): one zip per project with a manifest of every file's SHA-256
and the audit chain's head at that moment."""
