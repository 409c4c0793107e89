"""Demo histories: a believable shop built through the real command handlers, and a bulk path."""
from esengine.demo.shop import DemoSummary, build_database_file, create_demo_database, generate_demo
from esengine.demo.bulk import generate_bulk

__all__ = ["generate_demo", "create_demo_database", "build_database_file", "generate_bulk", "DemoSummary"]
