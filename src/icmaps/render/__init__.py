"""Renderers: text tables and grids, HTML (Jinja2 templates) and Markdown. They format
results; they compute nothing."""
