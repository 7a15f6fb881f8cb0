"""projects.toml text for the fakes' small worlds: one `[[projects]]` table per project, all
in group "Test", as `registry.parse_registry` reads it."""

from __future__ import annotations


def projects_toml(*projects: tuple[str, str, str]) -> str:
    """The registry text of `(id, repos, packages)` projects; `repos` and `packages` are TOML
    arrays as written in the file (`packages` '' for none); the name is the id capitalised."""
    tables = []
    for project_id, repos, packages in projects:
        lines = ["[[projects]]", f'id = "{project_id}"', f'name = "{project_id.capitalize()}"']
        lines += ['group = "Test"', f"repos = {repos}"]
        if packages:
            lines.append(f"packages = {packages}")
        tables.append("\n".join(lines) + "\n")
    return "\n" + "\n".join(tables)
