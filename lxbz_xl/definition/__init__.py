"""Rubric definitions: pydantic models of the versioned YAML files in `lxbz_xl/rubrics/`."""
