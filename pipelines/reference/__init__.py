"""Reference data owned by the project: the return form's vocabulary and its code lists."""
