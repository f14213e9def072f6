"""Publication: ClaimReview JSON-LD, the public fact-check pages, feeds and the corrections log.

``pages.blp`` is registered with the JSON API's OpenAPI document (``factcheck.api``) so the
public routes are described there too.
"""
