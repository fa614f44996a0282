"""Report production: presentation helpers for notebooks, rendering to HTML and PDF."""
