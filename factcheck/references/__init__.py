"""References: sources, ranking, and the SSRF-safe HTTP client every outbound request uses."""
