"""Moving event histories in and out of the store: readers, column mapping, importer and exporters."""
from esengine.interchange.export import FORMATS, export_bytes, export_events

__all__ = ["export_events", "export_bytes", "FORMATS"]
