"""Delivery: progress reports, inspections and rectification, acceptance (结项验收) and
third-party evaluation (第三方评估) of a signed contract."""
