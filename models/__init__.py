"""Plain records shared by the rooms above: the bottom layer.

Modules here import nothing from the project (only the standard library and pandas), so
metrics, charts, views and pages can all depend on them without depending on each other.
"""
