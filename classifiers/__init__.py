"""Text and media in, scores and evidence out.

Knows nothing of schools beyond the roster and thresholds it is handed.
"""
