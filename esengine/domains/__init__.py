"""Sample domains built on esengine. Each has a ``register(engine)`` that wires it in."""
