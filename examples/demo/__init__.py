"""Package data (see pyproject.toml): installed as a package so that it is read with importlib.resources."""
